"""The hand-labelled caption chunks: reproducible from their passages, in caption style."""

from __future__ import annotations

import itertools
import re

from tests.observatoire.labelled.corpus import HALVES, build_half, load_chunks


def test_committed_chunks_are_what_the_passages_build() -> None:
    for half in HALVES:
        assert load_chunks(half) == build_half(half)


def test_halves_are_disjoint_and_large_enough() -> None:
    chunks = {half: load_chunks(half) for half in HALVES}
    assert sum(len(c) for c in chunks.values()) >= 100
    passages = [{p for chunk in chunks[half] for p in chunk["passages"]} for half in HALVES]
    for first, second in itertools.combinations(passages, 2):
        assert not first & second
    assert all(len(chunks[half]) >= 40 for half in HALVES)


def test_chunks_are_caption_style_with_labelled_windows() -> None:
    for half in HALVES:
        for chunk in load_chunks(half):
            assert re.fullmatch(r"[a-zàâäçéèêëîïôöùûüÿœæ' -]+", chunk["plaintext"]), chunk["id"]
            assert chunk["plaintext"] == chunk["plaintext"].lower()
            times = [w["cts_in_ms"] for w in chunk["srt"]]
            assert times == sorted(times)
            assert times[-1] < (chunk["start"] + 120) * 1000
            assert [w["index"] for w in chunk["windows"]] == list(range(6))
            for window in chunk["windows"]:
                assert not (window["trap"] and window["environmental"])
                assert bool(window["crises"]) == window["environmental"]
