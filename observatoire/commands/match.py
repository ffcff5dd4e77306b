"""`observatoire match`: match provider-shaped chunk records from a JSONL file, one JSON line out
per chunk, so that anyone can check the method on a few chunks without the pipeline."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from observatoire.core.dictionary import DictionaryError, default_dictionary, load_dictionary_csv
from observatoire.core.text import PROFILES
from observatoire.core.themes import CRISES, THEMES
from observatoire.intake.record_lines import (
    OversizedLine,
    decode_line,
    oversized_reason,
    record_lines,
)
from observatoire.intake.records import Origin, parse_items
from observatoire.matching.matcher import ChunkMatch, Matcher, crisis_column, theme_column


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "match",
        help="match caption chunks (JSONL) against the keyword dictionary",
        description=(
            "Read provider-shaped chunk records, one JSON object per line, and print one JSON "
            "line per chunk with its window counters, its windows and its counted keywords. "
            "Rejected records are reported on stderr; the exit code is 1 if any was rejected."
        ),
    )
    parser.add_argument(
        "--input", required=True, help="JSONL file of chunk records, or - for standard input"
    )
    parser.add_argument(
        "--dictionary", type=Path, help="dictionary CSV (default: the packaged French one)"
    )
    parser.add_argument("--profile", choices=PROFILES, default="default")
    parser.add_argument("--window-seconds", type=int, default=20)
    parser.set_defaults(run=run)


def chunk_output(channel_name: str, match: ChunkMatch) -> dict[str, Any]:
    """The JSON object printed for one chunk; `keywords` lists the counted occurrences."""
    return {
        "channel_name": channel_name,
        "start": match.start,
        "number_of_keywords": match.counts["number_of_keywords"],
        **{crisis_column(c): match.counts[crisis_column(c)] for c in CRISES},
        "themes": {theme: match.counts[theme_column(theme)] for theme in THEMES},
        "windows": [
            {
                "index": window.index,
                "counted": window.counted,
                "crises": list(window.crises),
                "themes": list(window.themes),
            }
            for window in match.windows()
        ],
        "keywords": [
            {
                "keyword": occ.keyword,
                "theme": occ.theme,
                "crisis": occ.crisis,
                "t_ms": occ.t_ms,
                "window": occ.window,
                "promoted": occ.promoted,
            }
            for occ in match.occurrences
            if occ.counted
        ],
    }


def _read_records(
    stream: BinaryIO, name: str
) -> tuple[list[object], list[Origin], list[tuple[int, str]]]:
    """Decoded records, where each came from, and (line, reason) of lines that cannot be read:
    a bad line (bytes that are not UTF-8, invalid JSON, nesting too deep, a record beyond the
    size limit) is reported with its number and the following lines are read."""
    items: list[object] = []
    origins: list[Origin] = []
    bad: list[tuple[int, str]] = []
    for number, line in record_lines(stream):
        origin = Origin(file=name, line=number)
        if isinstance(line, OversizedLine):
            bad.append((number, oversized_reason("line", line)))
            continue
        _, record, problem = decode_line(line, origin, "")
        if problem is not None:
            bad.append((number, problem.split(": ", 1)[1]))
            continue
        items.append(record)
        origins.append(origin)
    return items, origins, bad


def run(
    args: argparse.Namespace,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: BinaryIO | None = None,
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    try:
        dictionary = (
            load_dictionary_csv(args.dictionary) if args.dictionary else default_dictionary()
        )
        matcher = Matcher(dictionary, window_seconds=args.window_seconds, profile=args.profile)
        name = "<stdin>" if args.input == "-" else str(args.input)
        if args.input == "-":
            items, origins, bad = _read_records(stdin or sys.stdin.buffer, name)
        else:
            with Path(args.input).open("rb") as handle:
                items, origins, bad = _read_records(handle, name)
    except (DictionaryError, ValueError, OSError) as error:
        print(f"observatoire match: {error}", file=stderr)
        return 2
    parsed = parse_items(items, source=name, origins=origins)
    rejected = bad + list(
        zip(
            parsed.rejected.column("line").to_pylist(),
            parsed.rejected.column("reason").to_pylist(),
            strict=True,
        )
    )
    for line, reason in sorted(rejected):
        print(f"{name}:{line}: rejected: {reason}", file=stderr)
    table = parsed.table
    names = table.column("channel_name").to_pylist()
    starts = table.column("start").cast("int64").to_pylist()
    texts = table.column("plaintext").to_pylist()
    srts = table.column("srt").to_pylist()
    try:
        for name, start, text, srt in zip(names, starts, texts, srts, strict=True):
            match = matcher.match_chunk(text, start, srt)
            stdout.write(json.dumps(chunk_output(name, match), ensure_ascii=False) + "\n")
        stdout.flush()
    except BrokenPipeError:
        # The reader stopped early (`| head`): not an error of the matching.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - lets the interpreter exit quietly
    return 1 if rejected else 0
