"""Environmental share of one generated demo week, per profile, to show what a method change does.

The demo generator and the programme grid are deterministic, so running this script on two
versions of the matcher compares their figures on exactly the same captions. The share is
counted windows × W / 60 over the minutes of every generated chunk (all in the grid).

    .venv/bin/python benchmarks/demo_share.py [--first 2026-11-23] [--days 7]
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import pyarrow as pa

from observatoire import METHODOLOGY_VERSION
from observatoire.core.dictionary import default_dictionary
from observatoire.core.themes import CRISES
from observatoire.intake.demo import demo_day
from observatoire.matching.matcher import Matcher, crisis_column
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first", type=date.fromisoformat, default=date(2026, 11, 23))
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    channels = default_channels()
    grid = ProgrammeGrid.default()
    tables = [
        demo_day(args.first + timedelta(days=offset), channels, grid).chunks
        for offset in range(args.days)
    ]
    captions = pa.concat_tables(tables)
    minutes = captions.num_rows * 2
    print(f"methodology {METHODOLOGY_VERSION}: {captions.num_rows} demo chunks, {minutes} minutes")
    dictionary = default_dictionary()
    for profile in ("default", "ome-2024"):
        matcher = Matcher(dictionary, profile=profile)
        segments = matcher.match_table(captions).segments
        windows = sum(segments["number_of_keywords"].to_pylist())
        env_minutes = windows * matcher.window_seconds / 60
        parts = []
        for crisis in CRISES:
            crisis_windows = sum(segments[crisis_column(crisis)].to_pylist())
            parts.append(f"{crisis} {crisis_windows * matcher.window_seconds / 60 / minutes:.2%}")
        print(
            f"  {profile:9s} share {env_minutes / minutes:.2%} "
            f"({env_minutes:.0f} env minutes); " + ", ".join(parts)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
