"""The hand-labelled caption chunks: reproducible from their passages, in caption style."""

from __future__ import annotations

import hashlib
import itertools
import json
import re

from tests.observatoire.labelled.corpus import HALVES, build_half, load_chunks

# The chunks every accuracy figure was measured on: a change to the passages or to the builder
# changes these digests, and the figures in the README and benchmarks must be measured again.
MEASURED_ON = {
    "tuning": "eb73aa38dc02a8b5aefb195890674a66aebf598dcc4107afb14413d85bdb14a6",
    "heldout": "d72ae597e0b6e2af60b602cfa59fbba486eada623f74c14094f413bbb8fd97cd",
    "fresh": "d5c9efe46363ad70cd9f366d8cbe95726c4832bde0a0299e157407696182cc70",
}


def test_the_passages_build_the_chunks_the_figures_were_measured_on() -> None:
    for half in HALVES:
        built = json.dumps(build_half(half), ensure_ascii=False, sort_keys=True)
        assert hashlib.sha256(built.encode()).hexdigest() == MEASURED_ON[half], half


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
