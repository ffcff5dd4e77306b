"""Matcher throughput on the COP15 corpus versus one compiled regular expression per keyword.

The baseline is how the 2024 reference implementation matched: for every chunk, every keyword's
own regular expression (`\\b` + words with an optional plural `s` + `(?![\\w-])`) searched in turn.
Both run in the same process on the same chunks; the ratio is what matters on a shared machine.
The COP15 export has no word lists, so a generated demo day (every reference channel, with word
timings) then times the word-timing step: the bulk path of match_table versus aligning each
chunk's word list on its own.

    .venv/bin/python benchmarks/matcher.py [--baseline-chunks 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Generic, TypeVar

import ahocorasick
import pyarrow as pa

from observatoire.core.dictionary import KeywordDictionary, KeywordEntry, default_dictionary
from observatoire.core.text import keyword_variants, normalize
from observatoire.core.themes import THEMES
from observatoire.intake.demo import demo_day
from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import parse_items
from observatoire.matching.matcher import Matcher
from observatoire.matching.word_timing import BatchWordTimes, align_token_times
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid

CORPUS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "corpora" / "cop15_mediatree"
) / "chunks.jsonl"


def load_captions(path: Path) -> pa.Table:
    """COP15 export records turned into provider items and parsed like any other source."""
    items = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            items.append(
                {
                    "channel": {
                        "name": record["channel_name"],
                        "title": record.get("channel_title") or record["channel_name"],
                        "radio": bool(record.get("channel_radio")),
                    },
                    "start": record["start"],
                    "plaintext": record["plaintext"],
                }
            )
    return parse_items(items, source=str(path)).table


def synthetic_dictionary(texts: list[str], size: int = 2000) -> KeywordDictionary:
    """A dictionary of `size` words and word pairs of mid frequency in the corpus, so that it
    matches about as often as a real one; used when the packaged dictionary is absent."""
    words: Counter[str] = Counter()
    pairs: Counter[str] = Counter()
    for text in texts[:1000]:
        tokens = text.split()
        words.update(tokens)
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(tokens) if len(a) > 3)
    picked = [w for w, _ in words.most_common()[1500 : 1500 + size * 3 // 4]]
    picked += [p for p, _ in pairs.most_common()[300 : 300 + size - len(picked)]]
    themes = list(THEMES)
    entries = tuple(
        KeywordEntry(keyword=kw, theme=themes[i % len(themes)], high_risk=i % 7 == 0)
        for i, kw in enumerate(dict.fromkeys(picked))
    )
    return KeywordDictionary(entries=entries)


def baseline_regexes(dictionary: KeywordDictionary) -> list[tuple[str, str, re.Pattern[str]]]:
    """One compiled expression per (keyword, theme), as the reference builds them."""

    def word_pattern(word: str) -> str:
        word = re.escape(word).replace("'", "' ?")
        if word.endswith("s"):
            return word + "?"
        if word.endswith(("x", "à")):
            return word
        return word + "s?"

    compiled = []
    for entry in dictionary.entries:
        words = " ".join(word_pattern(w) for w in entry.keyword.split(" "))
        compiled.append(
            (entry.keyword, entry.theme, re.compile(rf"\b{words}(?![\w-])", re.IGNORECASE))
        )
    return compiled


def scan_automaton(dictionary: KeywordDictionary) -> ahocorasick.Automaton:
    """An automaton with the matcher's patterns, to time the normalise-and-scan floor alone:
    every chunk normalised, then one pass over all of them joined, as the matcher scans."""
    automaton = ahocorasick.Automaton()
    for entry in dictionary.entries:
        for form in keyword_variants(normalize(entry.keyword)):
            automaton.add_word(f" {form} ", form)
    for phrase in dictionary.stop_phrases:
        automaton.add_word(f" {normalize(phrase)} ", phrase)
    automaton.make_automaton()
    return automaton


def demo_captions(day: date = date(2024, 3, 5)) -> pa.Table:
    """One generated broadcast day for every reference channel, word lists included."""
    generated = demo_day(day, default_channels(), ProgrammeGrid.default())
    return captions_of_day(generated.items, "demo", day, chunks=generated.chunks).table


def bulk_word_times(srt: pa.ChunkedArray, texts: list[str]) -> int:
    """Tokens timed by the bulk path (BatchWordTimes, as match_table does)."""
    batch = BatchWordTimes(srt)
    timed = 0
    for row, text in enumerate(texts):
        times = batch.token_times(row, text) if text and batch.has_words(row) else None
        timed += 0 if times is None else len(times)
    return timed


def per_chunk_word_times(srt: pa.ChunkedArray, texts: list[str]) -> int:
    """Tokens timed by aligning each chunk's word list on its own, read value by value."""
    timed = 0
    for row, text in enumerate(texts):
        words = srt[row].values
        if not text or words is None or len(words) == 0:
            continue
        times = align_token_times(
            text.split(" "), words.field("text").to_pylist(), words.field("cts_in_ms").to_pylist()
        )
        timed += 0 if times is None else len(times)
    return timed


def run_baseline(texts: list[str], regexes) -> int:
    found = 0
    for text in texts:
        for _keyword, _theme, regex in regexes:
            if regex.search(text):
                found += 1
    return found


T = TypeVar("T")


class Timing(Generic[T]):
    """Best wall-clock and CPU seconds over repeated runs of one callable.

    On a shared machine the wall clock also counts time spent waiting for a core; CPU time
    (this process only) does not, so both are shown.
    """

    def __init__(self, run: Callable[[], T], repeat: int) -> None:
        if repeat < 1:
            raise ValueError("repeat at least once")
        self.wall = self.cpu = float("inf")
        for _ in range(repeat):
            wall, cpu = time.perf_counter(), time.process_time()
            result = run()
            self.wall = min(self.wall, time.perf_counter() - wall)
            self.cpu = min(self.cpu, time.process_time() - cpu)
        self.result: T = result

    def rates(self, items: int) -> tuple[float, float]:
        return items / self.wall, items / self.cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-chunks", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    captions = load_captions(CORPUS)
    texts = captions.column("plaintext").to_pylist()
    try:
        dictionary = default_dictionary()
        label = "packaged French dictionary"
    except (FileNotFoundError, OSError):
        dictionary = synthetic_dictionary(texts)
        label = "synthetic dictionary (packaged one absent)"
    chars = sum(len(t) for t in texts) / max(len(texts), 1)
    print(f"corpus: {captions.num_rows} chunks, {chars:,.0f} characters on average")
    print(f"dictionary: {label}, {len(dictionary)} entries, version {dictionary.version}")

    began = time.perf_counter()
    matcher = Matcher(dictionary)
    print(f"matcher compile: {time.perf_counter() - began:.3f} s")

    n = captions.num_rows
    ours = Timing(lambda: matcher.match_table(captions), args.repeat)
    result = ours.result
    matched = sum(bool(k) for k in result.segments.column("number_of_keywords").to_pylist())
    ours_wall, ours_cpu = ours.rates(n)
    print(
        f"matcher.match_table: {ours_wall:,.0f} chunks/s wall, {ours_cpu:,.0f} chunks/s CPU "
        f"(best of {args.repeat}; {result.keywords.num_rows} occurrences, "
        f"{matched} chunks with at least one counted window)"
    )
    automaton = scan_automaton(dictionary)
    scan = Timing(
        lambda: list(automaton.iter(" " + "  ".join(normalize(text) for text in texts) + " ")),
        args.repeat,
    )
    scan_wall, scan_cpu = scan.rates(n)
    print(
        f"  of which normalisation + automaton pass alone: {scan_wall:,.0f} chunks/s wall, "
        f"{scan_cpu:,.0f} chunks/s CPU"
    )

    regexes = baseline_regexes(dictionary)
    sample = texts[: args.baseline_chunks]
    baseline = Timing(lambda: run_baseline(sample, regexes), 1)
    base_wall, base_cpu = baseline.rates(len(sample))
    print(
        f"baseline (one regex per keyword, {len(regexes)} regexes, first {len(sample)} chunks): "
        f"{base_wall:,.1f} chunks/s wall, {base_cpu:,.1f} chunks/s CPU"
    )
    print(f"ratio: {ours_wall / base_wall:,.0f}x wall, {ours_cpu / base_cpu:,.0f}x CPU")

    day = demo_captions()
    timed = Timing(lambda: matcher.match_table(day), args.repeat)
    timed_wall, timed_cpu = timed.rates(day.num_rows)
    print(
        f"demo day with word lists ({day.num_rows} chunks): match_table {timed_wall:,.0f} "
        f"chunks/s wall, {timed_cpu:,.0f} chunks/s CPU"
    )
    srt, day_texts = day.column("srt"), [normalize(t) for t in day.column("plaintext").to_pylist()]
    bulk = Timing(lambda: bulk_word_times(srt, day_texts), args.repeat)
    single = Timing(lambda: per_chunk_word_times(srt, day_texts), 1)
    assert bulk.result == single.result, "the two word-timing paths disagree"
    print(
        f"  word timing: bulk {bulk.rates(day.num_rows)[1]:,.0f} chunks/s CPU, per chunk "
        f"{single.rates(day.num_rows)[1]:,.0f} chunks/s CPU ({single.cpu / bulk.cpu:,.0f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
