"""`observatoire indicators`: the per-channel indicator table of some days, read from the lake."""

from __future__ import annotations

import argparse
import sys
from datetime import date

import pyarrow as pa

from observatoire.commands.indicator_output import add_sort_argument, legend, sort_summary
from observatoire.commands.lake_option import add_lake_argument, open_lake
from observatoire.indicator_table import channel_summary, format_text
from observatoire.lake import LakeError

TABLE = "channel_indicators"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "indicators",
        help="print the per-channel indicator table from the lake",
        description=(
            "Sum environmental and covered minutes per channel over some broadcast days of the "
            "lake's channel_indicators table and print the shares (ratios of sums). By default "
            "the last 7 days present in the lake."
        ),
    )
    add_lake_argument(parser)
    parser.add_argument("--days", type=int, help="the last N days present (default 7)")
    parser.add_argument("--start", type=date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=date.fromisoformat, help="last day, YYYY-MM-DD")
    add_sort_argument(parser)
    parser.set_defaults(run=run)


def chosen_days(available: list[date], args: argparse.Namespace) -> list[date]:
    """The days to read: a --start/--end range (either end open), else the last --days."""
    if args.start or args.end:
        return [
            day
            for day in available
            if (args.start is None or day >= args.start) and (args.end is None or day <= args.end)
        ]
    count = 7 if args.days is None else args.days
    return available[-count:] if count > 0 else []


def run(args: argparse.Namespace, out=None) -> int:
    out = out or sys.stdout
    if args.days is not None and (args.start or args.end):
        print("use either --days or --start/--end", file=sys.stderr)
        return 2
    try:
        lake = open_lake(args)
        days = chosen_days(lake.days(TABLE), args)
        if not days:
            print(
                f"no {TABLE} days in the lake at {lake.describe()} for that range", file=sys.stderr
            )
            return 1
        table = lake.read_days(TABLE, days)
    except (LakeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_heading(table, days), file=out)
    summary = sort_summary(channel_summary(table), getattr(args, "sort", "share"))
    print(format_text(summary), file=out)
    print("\nColumns:\n" + legend(summary), file=out)
    return 0


def _heading(table: pa.Table, days: list[date]) -> str:
    versions = sorted(set(table["dictionary_version"].to_pylist()))
    methodology = sorted(set(table["methodology_version"].to_pylist()))
    return (
        f"Environmental share of covered airtime, {days[0]} to {days[-1]} ({len(days)} days); "
        f"dictionary {', '.join(versions)}, methodology {', '.join(methodology)}\n"
    )
