"""`observatoire dictionary-diff --new FILE`: what an edited dictionary changes, and what it would
do to the figures of a sample of stored days, before the edit is materialised and re-matched."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from observatoire.commands.lake_option import add_lake_argument, open_lake
from observatoire.core.dictionary import DictionaryError, KeywordDictionary, load_dictionary_csv
from observatoire.core.text import PROFILES
from observatoire.quality.dictionary_diff import (
    CAPTION_COLUMNS,
    diff_dictionaries,
    format_diff,
    format_impact,
    impact,
    sample_days,
)
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import (
    channels_from_table,
    dictionary_from_table,
)
from observatoire.settings import Settings
from observatoire.storage.lake import Lake, LakeError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dictionary-diff",
        help="list the keywords an edited dictionary adds, removes or re-themes, and preview "
        "the windows it gains or loses on stored days",
        description=(
            "Compare a dictionary CSV with the one in use (by default the keyword_dictionary "
            "last materialised in the lake) and match a sample of stored caption days with both, "
            "printing the counted windows gained and lost per channel and crisis."
        ),
    )
    parser.add_argument("--new", required=True, type=Path, help="the edited dictionary CSV")
    parser.add_argument(
        "--stop-phrases",
        type=Path,
        help="stop-phrase file of the edited dictionary (default: the current stop phrases)",
    )
    parser.add_argument(
        "--old", type=Path, help="dictionary CSV to compare with (default: the lake's)"
    )
    parser.add_argument("--old-stop-phrases", type=Path, help="stop-phrase file used with --old")
    parser.add_argument(
        "--sample-days",
        type=int,
        default=7,
        help="stored caption days matched with both dictionaries, spread over the stored "
        "range (default 7; 0 lists the changes only)",
    )
    parser.add_argument(
        "--window-seconds", type=int, help="counting window (default: the configured one)"
    )
    parser.add_argument(
        "--profile", choices=PROFILES, help="counting profile (default: the configured one)"
    )
    add_lake_argument(parser)
    parser.set_defaults(run=run)


def _current(args: argparse.Namespace, lake: Lake) -> KeywordDictionary:
    if args.old:
        return load_dictionary_csv(args.old, args.old_stop_phrases)
    return dictionary_from_table(lake.read_table("keyword_dictionary"))


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        lake = open_lake(args)
        before = _current(args, lake)
        after = load_dictionary_csv(
            args.new, args.stop_phrases if args.stop_phrases else list(before.stop_phrases)
        )
    except (DictionaryError, LakeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    diff = diff_dictionaries(before, after)
    out.write(format_diff(diff))
    if diff.empty or args.sample_days <= 0:
        return 0
    try:
        days = sample_days(lake.days("raw_captions"), args.sample_days)
        if not days:
            print(f"no raw_captions days in the lake at {lake.describe()}", file=sys.stderr)
            return 1
        grid = None
        if lake.has_table("programme_grid"):
            channels = channels_from_table(lake.read_table("channels"))
            grid = ProgrammeGrid.from_arrow(lake.read_table("programme_grid"), channels)
        captions = lake.read_days("raw_captions", days, CAPTION_COLUMNS)
    except LakeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    settings = Settings.from_env()
    frame = impact(
        before,
        after,
        captions,
        window_seconds=args.window_seconds or settings.window_seconds,
        profile=args.profile or settings.profile,
        grid=grid,
    )
    out.write("\n" + format_impact(frame, days))
    return 0
