"""`observatoire indicators`: the per-channel indicator table of some days, read from the lake."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import TextIO

from observatoire.commands.indicator_output import add_sort_argument, legend, sort_summary
from observatoire.commands.lake_option import add_lake_argument, open_lake
from observatoire.publish.indicator_table import channel_summary, format_text
from observatoire.storage.day_states import (
    PeriodStates,
    VersionMixError,
    check_period,
    day_list,
    mix_note,
    read_period,
)
from observatoire.storage.lake import LakeError

TABLE = "channel_indicators"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
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
    parser.add_argument(
        "--allow-mixed-versions",
        action="store_true",
        help="combine days counted with different dictionaries, windows or profiles (the "
        "heading then lists which days have which)",
    )
    parser.set_defaults(run=run)


def chosen_days(available: list[date], args: argparse.Namespace) -> list[date]:
    """Every calendar day to report, missing ones included (they are shown as gaps): a
    --start/--end range (an open end stops at the lake's first or last day), else the last
    --days days up to the last day in the lake."""
    if not available:
        return []
    if args.start or args.end:
        first = args.start or available[0]
        last = args.end or available[-1]
    else:
        count = 7 if args.days is None else args.days
        if count <= 0:
            return []
        last = available[-1]
        first = last - timedelta(days=count - 1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return days if any(available[0] <= day <= available[-1] for day in days) else []


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
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
        period = read_period(lake, days)
        if not period.present:
            print(
                f"no {TABLE} days in the lake at {lake.describe()} for that range", file=sys.stderr
            )
            return 1
        check_period(period, allow_mixed=args.allow_mixed_versions)
    except VersionMixError as error:
        print(f"error: {error} (--allow-mixed-versions)", file=sys.stderr)
        return 1
    except (LakeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(_heading(period), file=out)
    summary = sort_summary(channel_summary(period.indicators), getattr(args, "sort", "share"))
    print(format_text(summary), file=out)
    print("\nColumns:\n" + legend(summary), file=out)
    return 0


def _heading(period: PeriodStates) -> str:
    table, days = period.indicators, period.days
    versions = sorted(set(table["dictionary_version"].to_pylist()))
    methodology = sorted(set(table["methodology_version"].to_pylist()))
    counted = f"{len(period.present)} of {len(days)}" if period.missing else f"{len(days)}"
    lines = [
        f"Environmental share of covered airtime, {days[0]} to {days[-1]} ({counted} days); "
        f"dictionary {', '.join(versions)}, methodology {', '.join(methodology)}"
    ]
    if period.missing:
        lines.append(f"missing days (gaps, not counted): {day_list(period.missing)}")
    note = mix_note(period)
    if note:
        lines.append(note)
    return "\n".join(lines) + "\n"
