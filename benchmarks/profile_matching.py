"""Where match_themes spends a day: the asset's per-day path against the bare matcher.

One generated broadcast day (every reference channel, word lists included) is written to a temporary
lake as raw_captions, then timed in the same process, the ways taking turns so that a busy machine
slows them alike: `Matcher.match_table` alone on the day read whole into memory (what
benchmarks/matcher.py measures), the asset's per-day function
(`observatoire.matching.day_matching.match_day`: read, match, timing flags, programmes, version
stamp), the same reading the word lists whole (every field of every word, as matching did before it
read only the words' texts and times), the asset's path with its two Parquet writes, and the bare
matcher again on the day as match_day reads it (word texts dictionary-encoded, which spares word
timing an encoding pass: this line tells that gain apart from the cheaper reading and programme
assignment). Each is given in chunks/s and as a share of the bare matcher, from the best times and
paired turn by turn (the median ratio); shares are given for wall-clock time and for the
process's CPU time, the steadier one when other work shares the machine. The stored
theme_segments and theme_keywords of both reads are hashed and must be identical. A cProfile of the
whole per-day path follows, sorted by cumulative then own time, so the gap between the asset and the
bare matcher has names.

    .venv/bin/python benchmarks/profile_matching.py [--repeat 7] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
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
    compile_matching,
    match_day,
    prepare_matching,
)
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channels_reference_table, dictionary_table, grid_table
from observatoire.storage.lake import Lake

DAY = date(2024, 3, 5)
BARE = "Matcher.match_table alone"


@dataclass
class Times:
    """A run's wall-clock and CPU seconds (this process, every thread), one of each per turn."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def in_turns(runs: dict[str, Callable[[], object]], repeat: int) -> dict[str, Times]:
    """The times of each run, the runs taking turns `repeat` times."""
    times = {name: Times() for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[name].cpu.append(time.process_time() - cpu)
            times[name].wall.append(time.perf_counter() - wall)
    return times


def paired_share(bare: list[float], other: list[float]) -> float:
    """Median over turns of the bare matcher's time over the other's in the same turn: a turn
    slowed by the machine's other work slows both, so the ratio holds where the times do not."""
    return statistics.median(b / o for b, o in zip(bare, other, strict=True))


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
    parser.add_argument("--repeat", type=int, default=7)
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
    compile_matching(prepared)  # as the asset's warm-up does, outside the timings
    captions = lake.read_day("raw_captions", DAY)  # every column, the words as strings
    day_read = day_matching.day_captions(lake, DAY)  # as match_day reads it
    chunks = captions.num_rows

    def asset_day() -> None:
        matched = match_day(prepared, DAY)
        lake.write_day("theme_segments", DAY, matched.segments)
        lake.write_day("theme_keywords", DAY, matched.keywords)

    def whole_read_day() -> DayMatch:
        with whole_word_lists():
            return match_day(prepared, DAY)

    seconds = in_turns(
        {
            BARE: lambda: prepared.matcher.match_table(captions),
            "match_day (read..stamp)": lambda: match_day(prepared, DAY),
            "match_day, word lists whole": whole_read_day,
            "match_day + Parquet writes": asset_day,
            "Matcher alone, day's read": lambda: prepared.matcher.match_table(day_read),
        },
        args.repeat,
    )
    bare = seconds[BARE]
    print(
        f"demo day {DAY}: {chunks} chunks, {args.repeat} turns (the ways taking turns); "
        "chunks/s from the best wall time; shares of the bare matcher from the best wall time, "
        "the best CPU time (this process, every thread: what a worker on its own CPU would "
        "do, and steadier than wall time on a busy machine) and paired turn by turn (median "
        "ratio of CPU times within a turn)"
    )
    print(f"  {'':<29} {'chunks/s':>8}  {'wall s':>6}  {'wall':>5}  {'CPU':>5}  {'paired':>6}")
    for name, taken in seconds.items():
        print(
            f"  {name:<29} {chunks / min(taken.wall):8,.0f}  {min(taken.wall):6.2f}  "
            f"{min(bare.wall) / min(taken.wall):5.0%}  {min(bare.cpu) / min(taken.cpu):5.0%}  "
            f"{paired_share(bare.cpu, taken.cpu):6.0%}"
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
