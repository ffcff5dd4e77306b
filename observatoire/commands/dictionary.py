"""`observatoire dictionary import|export`: between the experts' workbook and the CSV files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from observatoire.core.dictionary import DictionaryError, parse_dictionary_csv, read_utf8
from observatoire.core.dictionary_workbook import export_workbook, import_workbook
from observatoire.reference.countries import CountryError, load_country


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dictionary",
        help="import the experts' keyword workbook (xlsx) into CSV files, or export CSV files",
        description=(
            "The workbook has one sheet per language (fr, nl, pt) with the columns keyword, "
            "theme, high_risk, crisis, sector; the CSV files are the project's own format."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True)
    importing = actions.add_parser(
        "import",
        help="validate a workbook and write dictionary_<language>.csv per sheet",
        description="Every bad row is reported with its sheet and line; nothing is written "
        "unless the whole workbook is valid.",
    )
    importing.add_argument("workbook", type=Path, help="the experts' .xlsx file")
    importing.add_argument("--out", required=True, type=Path, help="folder of the CSV files")
    importing.set_defaults(run=run_import)
    exporting = actions.add_parser(
        "export", help="write dictionary CSV files as a workbook, one sheet per language"
    )
    exporting.add_argument("csv", nargs="*", type=Path, help="dictionary CSV files")
    exporting.add_argument(
        "--country",
        help="export the dictionaries of a country profile (observatoire/data/countries/CODE)",
    )
    exporting.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    exporting.set_defaults(run=run_export)


def run_import(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        written = import_workbook(args.workbook, args.out)
    except DictionaryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for path in written:
        out.write(f"wrote {path}\n")
    return 0


def run_export(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    try:
        paths = list(args.csv)
        if args.country:
            paths += load_country(args.country).dictionary_files.values()
        if not paths:
            print("error: name dictionary CSV files or --country", file=sys.stderr)
            return 2
        entries = [
            entry
            for path in paths
            for entry in parse_dictionary_csv(read_utf8(path, "dictionary"), source=str(path))
        ]
        export_workbook(entries, args.out)
    except (DictionaryError, CountryError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out.write(f"wrote {args.out} ({len(entries)} keywords)\n")
    return 0
