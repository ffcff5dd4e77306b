"""Where match_themes spends a day: the asset's per-day path against the bare matcher.

One generated broadcast day (every reference channel, word lists included) is written to a temporary
lake as raw_captions, then timed in the same process, the ways taking turns so that a busy machine
slows them alike: `Matcher.match_table` alone (what benchmarks/matcher.py measures), the asset's
per-day function (`observatoire.matching.day_matching.match_day`: read, match, timing flags,
programmes, version stamp), the same reading the word lists whole (every field of every word, as
matching did before it read only the words' texts and times), and the asset's path with its two
Parquet writes. Each is given in chunks/s and as a share of the bare matcher. The stored
theme_segments and theme_keywords of both reads are hashed and must be identical. A cProfile of the
whole per-day path follows, sorted by cumulative then own time, so the gap between the asset and the
bare matcher has names.

    .venv/bin/python benchmarks/profile_matching.py [--repeat 3] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import observatoire.matching.day_matching as day_matching
from observatoire.core.dictionary import default_dictionary
from observatoire.intake.demo import demo_day
from observatoire.intake.intake import captions_of_day
from observatoire.matching.day_matching import (
    DayMatch,
    LakeAddress,
    MatchingInputs,
    match_day,
    prepare_matching,
)
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channels_reference_table, dictionary_table, grid_table
from observatoire.storage.lake import Lake

DAY = date(2024, 3, 5)


def best_of(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """The shortest time of each run, the runs taking turns `repeat` times."""
    seconds = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            began = time.perf_counter()
            run()
            seconds[name] = min(seconds[name], time.perf_counter() - began)
    return seconds


def stored_hashes(lake: Lake, matched: DayMatch) -> dict[str, str]:
    """sha256 of the theme_segments and theme_keywords files as the lake stores them."""
    lake.write_day("theme_segments", DAY, matched.segments)
    lake.write_day("theme_keywords", DAY, matched.keywords)
    return {
        table: hashlib.sha256(Path(lake.day_path(table, DAY)).read_bytes()).hexdigest()
        for table in ("theme_segments", "theme_keywords")
    }


@contextmanager
def whole_word_lists() -> Iterator[None]:
    """match_day reading every field of the word lists, as before it read only two."""
    reduced = day_matching.CAPTION_COLUMNS
    day_matching.CAPTION_COLUMNS = [c for c in reduced if not c.startswith("srt.")] + ["srt"]
    try:
        yield
    finally:
        day_matching.CAPTION_COLUMNS = reduced


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="observatoire-profile-")) / "lake"
    lake = Lake(str(root))
    grid = ProgrammeGrid.default()
    generated = demo_day(DAY, default_channels(), grid)
    lake.write_day(
        "raw_captions",
        DAY,
        captions_of_day(generated.items, "demo", DAY, chunks=generated.chunks).table,
    )
    inputs = MatchingInputs(
        lake=LakeAddress(str(root)),
        dictionary=dictionary_table(default_dictionary()),
        channels=channels_reference_table(default_channels()),
        grid=grid_table(grid),
        window_seconds=20,
        profile="default",
    )
    prepared = prepare_matching(inputs)
    captions = lake.read_day("raw_captions", DAY)
    chunks = captions.num_rows

    def asset_day() -> None:
        matched = match_day(prepared, DAY)
        lake.write_day("theme_segments", DAY, matched.segments)
        lake.write_day("theme_keywords", DAY, matched.keywords)

    def whole_read_day() -> DayMatch:
        with whole_word_lists():
            return match_day(prepared, DAY)

    seconds = best_of(
        {
            "Matcher.match_table alone": lambda: prepared.matcher.match_table(captions),
            "match_day (read..stamp)": lambda: match_day(prepared, DAY),
            "match_day, word lists whole": whole_read_day,
            "match_day + Parquet writes": asset_day,
        },
        args.repeat,
    )
    bare = seconds["Matcher.match_table alone"]
    print(f"demo day {DAY}: {chunks} chunks (best of {args.repeat}, the ways taking turns)")
    for name, taken in seconds.items():
        print(
            f"  {name:<29} {chunks / taken:8,.0f} chunks/s  ({taken:.2f} s, "
            f"{bare / taken:.0%} of the bare matcher)"
        )

    hashes = {
        "texts and times": stored_hashes(
            Lake(str(root.parent / "reduced")), match_day(prepared, DAY)
        ),
        "word lists whole": stored_hashes(Lake(str(root.parent / "whole")), whole_read_day()),
    }
    print()
    for read, tables in hashes.items():
        for table, digest in tables.items():
            print(f"  {table:<15} sha256 {digest[:16]}  (words read: {read})")
    identical = len({tuple(tables.values()) for tables in hashes.values()}) == 1
    print(f"  stored files {'identical' if identical else 'DIFFER'} between the two reads")
    if not identical:
        return 1

    profile = cProfile.Profile()
    profile.enable()
    asset_day()
    profile.disable()
    print()
    stats = pstats.Stats(profile, stream=sys.stdout).strip_dirs()
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
