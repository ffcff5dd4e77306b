"""`observatoire explain --channel CH --date D`: the windows and arithmetic behind one figure."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.commands.lake_option import add_lake_argument, open_lake
from observatoire.matching.evidence import (
    DEFAULT_WINDOW_SECONDS,
    channel_day_evidence,
    format_evidence,
)
from observatoire.reference.reference import table_version
from observatoire.storage.lake import Lake, LakeMissingError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="show the counted windows, keywords and arithmetic behind a channel-day share",
        description=(
            "Print every counted window of one channel on one broadcast day, with its keywords, "
            "the second at which each was said and the words around it, then the arithmetic of "
            "the share, read from the lake."
        ),
    )
    parser.add_argument("--channel", required=True, help="channel name, e.g. france2")
    parser.add_argument("--date", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
    add_lake_argument(parser)
    parser.set_defaults(run=run)


def _channel_row(table: pa.Table, channel: str) -> dict[str, Any] | None:
    rows = table.filter(pc.equal(table["channel_name"], channel)).to_pylist()
    return rows[0] if rows else None


def _optional_day(lake: Lake, table: str, day: date) -> pa.Table | None:
    try:
        return lake.read_day(table, day)
    except LakeMissingError:
        return None


def run(args: argparse.Namespace) -> int:
    lake = open_lake(args)
    day: date = args.date
    try:
        keywords = lake.read_day("theme_keywords", day)
    except LakeMissingError:
        print(
            f"no theme_keywords for {day.isoformat()} in the lake: materialise theme_segments "
            "for that day first",
            file=sys.stderr,
        )
        return 2
    indicators = _optional_day(lake, "channel_indicators", day)
    monitored = _optional_day(lake, "time_monitored", day)
    segments = _optional_day(lake, "theme_segments", day)

    indicator = _channel_row(indicators, args.channel) if indicators is not None else None
    monitored_row = _channel_row(monitored, args.channel) if monitored is not None else None
    known = set(keywords["channel_name"].to_pylist())
    if monitored is not None:
        known |= set(monitored["channel_name"].to_pylist())
    if args.channel not in known:
        print(
            f"channel {args.channel!r} has no data on {day.isoformat()}; "
            f"channels seen: {', '.join(sorted(known)) or 'none'}",
            file=sys.stderr,
        )
        return 2

    window_seconds = DEFAULT_WINDOW_SECONDS
    if indicator and indicator.get("window_seconds"):
        window_seconds = int(indicator["window_seconds"])
    elif segments is not None and segments.num_rows and "window_seconds" in segments.column_names:
        window_seconds = int(segments["window_seconds"][0].as_py())

    in_scope = None
    if segments is not None and "in_scope" in segments.column_names:
        mine = segments.filter(pc.equal(segments["channel_name"], args.channel))
        in_scope = mine.filter(pc.equal(mine["in_scope"], True))["chunk_id"].to_pylist()

    evidence = channel_day_evidence(
        keywords,
        args.channel,
        day,
        covered_minutes=None if monitored_row is None else monitored_row["covered_minutes"],
        window_seconds=window_seconds,
        in_scope_chunks=in_scope,
        indicator=indicator,
    )
    # The heading names the dictionary of the evidence actually read, not the one the stored
    # indicator claims; a difference means the indicator is stale and is said so.
    read_version = table_version(keywords)
    recorded = indicator.get("dictionary_version") if indicator else None
    if read_version is not None:
        evidence = replace(evidence, dictionary_version=read_version)
    sys.stdout.write(format_evidence(evidence))
    if read_version is not None and recorded is not None and recorded != read_version:
        print(
            f"\nSTALE: the stored indicator was computed with dictionary {recorded}, but "
            f"theme_keywords for {day.isoformat()} hold dictionary {read_version}; re-match the "
            f"day: make rematch START={day.isoformat()} END={day.isoformat()}"
        )
        return 3
    return 0
