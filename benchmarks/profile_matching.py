"""Where match_themes spends a day: the asset's per-day path against the bare matcher.

One generated broadcast day (every reference channel, word lists included) is written to a
temporary lake as raw_captions, then timed three ways in the same process: `Matcher.match_table`
alone (what benchmarks/matcher.py measures), the asset's per-day function
(`observatoire.day_matching.match_day`: read, match, timing flags, programmes, version stamp) and
the same plus the two Parquet writes. A cProfile of the whole per-day path follows, sorted by
cumulative then own time, so the gap between the asset and the bare matcher has names.

    .venv/bin/python benchmarks/profile_matching.py [--repeat 3] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from observatoire.day_matching import (
    LakeAddress,
    MatchingInputs,
    day_captions,
    match_day,
    prepare_matching,
)
from observatoire.demo import demo_day
from observatoire.dictionary import default_dictionary
from observatoire.grid import ProgrammeGrid, default_channels
from observatoire.intake import captions_of_day
from observatoire.lake import Lake
from observatoire.reference import channels_reference_table, dictionary_table, grid_table

DAY = date(2024, 3, 5)


def best(run, repeat: int) -> float:
    seconds = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        seconds = min(seconds, time.perf_counter() - began)
    return seconds


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
    captions = day_captions(lake, DAY)
    chunks = captions.num_rows

    def asset_day() -> None:
        matched = match_day(prepared, DAY)
        lake.write_day("theme_segments", DAY, matched.segments)
        lake.write_day("theme_keywords", DAY, matched.keywords)

    bare = best(lambda: prepared.matcher.match_table(captions), args.repeat)
    per_day = best(lambda: match_day(prepared, DAY), args.repeat)
    with_writes = best(asset_day, args.repeat)
    print(f"demo day {DAY}: {chunks} chunks (best of {args.repeat})")
    print(f"  Matcher.match_table alone   {chunks / bare:8,.0f} chunks/s  ({bare:.2f} s)")
    print(
        f"  match_day (read..stamp)     {chunks / per_day:8,.0f} chunks/s  ({per_day:.2f} s, "
        f"{bare / per_day:.0%} of the bare matcher)"
    )
    print(
        f"  match_day + Parquet writes  {chunks / with_writes:8,.0f} chunks/s  "
        f"({with_writes:.2f} s, {bare / with_writes:.0%} of the bare matcher)"
    )

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
