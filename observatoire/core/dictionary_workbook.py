"""The experts' spreadsheet of keywords: import to the project's CSV files, export back.

An observatory's experts keep the dictionary in a workbook, one sheet per language (named by its
code: `fr`, `nl`, `pt`), with the columns `keyword, theme, high_risk, crisis, sector`. The CSV
(`observatoire.core.dictionary`) stays the project's own format: it is what the pipeline reads,
versions and publishes. The spreadsheet states the crisis beside the theme because experts read
it that way; here it must agree with the theme, which alone decides it in the CSV.

Import validates the whole workbook before writing anything and reports every bad row with its
sheet and line, so that one round of corrections fixes them all; a half-imported dictionary would
silently drop keywords from the figures.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils.exceptions import InvalidFileException

from observatoire.core.dictionary import (
    CATEGORIES,
    MAX_KEYWORD_CHARS,
    DictionaryError,
    KeywordDictionary,
    KeywordEntry,
    canonical_keyword,
)
from observatoire.core.languages import LANGUAGES, check_compound_head
from observatoire.core.text import normalize
from observatoire.core.themes import CRISES, THEMES, crisis_of

WORKBOOK_COLUMNS: Final = ("keyword", "theme", "high_risk", "crisis", "sector")
_TRUE: Final = frozenset({"true", "yes", "1", "x", "oui", "ja", "sim"})
_FALSE: Final = frozenset({"false", "no", "0", "non", "nee", "não", "nao"})


@dataclass(frozen=True)
class WorkbookProblem:
    """One bad row (or sheet, when `line` is None) of an imported workbook."""

    sheet: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"sheet {self.sheet!r}" + (f", line {self.line}" if self.line else "")
        return f"{where}: {self.message}"


class WorkbookError(DictionaryError):
    """A workbook that cannot be imported, with every problem found in it."""

    def __init__(self, source: str, problems: Sequence[WorkbookProblem]):
        self.problems = tuple(problems)
        listed = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{source}: {len(self.problems)} problem(s)\n{listed}")


def dictionary_file_name(language: str) -> str:
    """The CSV name of a language's dictionary (`dictionary_nl.csv`), as the profiles use it."""
    return f"dictionary_{language}.csv"


# --------------------------------------------------------------------------------------------
# Import


def read_workbook(path: str | Path) -> dict[str, list[KeywordEntry]]:
    """Entries per language of an experts' workbook; WorkbookError lists every bad row."""
    path = Path(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        problem = WorkbookProblem("-", None, f"not a readable xlsx: {error}")
        raise WorkbookError(str(path), [problem]) from None
    problems: list[WorkbookProblem] = []
    entries: dict[str, list[KeywordEntry]] = {}
    try:
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(values_only=True)
            entries[sheet.title] = _sheet_entries(sheet.title, rows, problems)
    finally:
        workbook.close()
    if not entries:
        problems.append(WorkbookProblem("-", None, "the workbook has no sheet"))
    if problems:
        raise WorkbookError(str(path), problems)
    return entries


def _sheet_entries(
    sheet: str, rows: Iterable[Sequence[Any]], problems: list[WorkbookProblem]
) -> list[KeywordEntry]:
    if sheet not in LANGUAGES:
        problems.append(
            WorkbookProblem(
                sheet,
                None,
                f"name a sheet by its language code (known: {', '.join(LANGUAGES)})",
            )
        )
        return []
    numbered = ((line, row) for line, row in enumerate(rows, start=1) if not _blank(row))
    header = next(numbered, None)
    if header is None:
        problems.append(WorkbookProblem(sheet, None, "empty sheet"))
        return []
    header_line, header_cells = header
    names = [_text(cell).lower().replace(" ", "_") for cell in header_cells]
    while names and not names[-1]:
        names.pop()
    if tuple(names) != WORKBOOK_COLUMNS:
        problems.append(
            WorkbookProblem(
                sheet,
                header_line,
                f"header must be {', '.join(WORKBOOK_COLUMNS)}, got {', '.join(names)}",
            )
        )
        return []
    entries: list[KeywordEntry] = []
    first_line: dict[tuple[str, str], int] = {}
    found_rows = False
    for line, row in numbered:
        found_rows = True
        row_problems: list[str] = []
        entry = _entry(sheet, list(row) + [None] * len(WORKBOOK_COLUMNS), row_problems)
        if entry is not None:
            key = (canonical_keyword(entry.keyword), entry.theme)
            if key in first_line:
                row_problems.append(
                    f"duplicate of line {first_line[key]} ({key[0]!r} under {key[1]!r})"
                )
            else:
                first_line[key] = line
                entries.append(entry)
        problems.extend(WorkbookProblem(sheet, line, message) for message in row_problems)
    if not found_rows:
        problems.append(WorkbookProblem(sheet, None, "no keyword rows under the header"))
    return entries


def _entry(language: str, cells: list[Any], problems: list[str]) -> KeywordEntry | None:
    """The entry of one row, or None with every fault of the row appended to `problems`."""
    keyword_cell, theme_cell, flag_cell, crisis_cell, sector_cell = cells[: len(WORKBOOK_COLUMNS)]
    keyword = canonical_keyword(_text(keyword_cell))
    theme = _text(theme_cell)
    crisis = _text(crisis_cell)
    high_risk = _flag(flag_cell)
    sector = _text(sector_cell)
    faults = [
        fault
        for fault in (
            _keyword_fault(keyword, language),
            _unknown_fault("theme", theme, THEMES),
            _crisis_fault(crisis, theme),
            _flag_fault(high_risk, flag_cell),
            _unknown_fault("sector", sector, CATEGORIES),
        )
        if fault is not None
    ]
    problems.extend(faults)
    if faults or high_risk is None:
        return None
    return KeywordEntry(
        keyword=keyword, theme=theme, high_risk=high_risk, category=sector, language=language
    )


def _keyword_fault(keyword: str, language: str) -> str | None:
    """Why a keyword cannot be used, the first reason only: each one hides the next."""
    if not keyword:
        return "empty keyword"
    if len(keyword) > MAX_KEYWORD_CHARS:
        return f"keyword of {len(keyword)} characters (at most {MAX_KEYWORD_CHARS})"
    if not normalize(keyword, language):
        return f"keyword {keyword!r} has no letter or digit, so it could never match"
    try:
        check_compound_head(keyword, language)
    except ValueError as error:
        return str(error)
    return None


def _unknown_fault(column: str, value: str, known: Iterable[str]) -> str | None:
    names = tuple(known)
    if value in names:
        return None
    return f"unknown {column} {value!r} (known: {', '.join(names)})"


def _crisis_fault(crisis: str, theme: str) -> str | None:
    """The crisis column must name a crisis, and the theme's own when the theme is known."""
    unknown = _unknown_fault("crisis", crisis, CRISES)
    if unknown is not None or theme not in THEMES or crisis == crisis_of(theme):
        return unknown
    return f"crisis {crisis!r} disagrees with theme {theme!r} (crisis {crisis_of(theme)!r})"


def _flag_fault(high_risk: bool | None, flag_cell: Any) -> str | None:
    if high_risk is not None:
        return None
    return f"high_risk must be true or false, got {_text(flag_cell)!r}"


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip()


def _blank(row: Sequence[Any]) -> bool:
    return all(_text(cell) == "" for cell in row)


def _flag(cell: Any) -> bool | None:
    """A spreadsheet boolean, a 0/1 number or a yes/no word; None for anything else (or empty)."""
    if isinstance(cell, bool):
        return cell
    text = _text(cell).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def import_workbook(path: str | Path, out_dir: str | Path) -> list[Path]:
    """Write one `dictionary_<language>.csv` per sheet of a valid workbook; nothing if invalid.

    Files are replaced whole (written beside, then renamed), so a re-run gives the same files
    and a crash never leaves half a dictionary.
    """
    per_language = read_workbook(path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for language, entries in per_language.items():
        target = out / dictionary_file_name(language)
        _write_atomically(target, KeywordDictionary(entries=tuple(entries)).to_csv())
        written.append(target)
    return written


def _write_atomically(target: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=target.parent, prefix=f".{target.name}.", delete=False
    ) as handle:
        handle.write(text)
        temporary = Path(handle.name)
    os.replace(temporary, target)


# --------------------------------------------------------------------------------------------
# Export


def export_workbook(entries: Iterable[KeywordEntry], path: str | Path) -> Path:
    """The experts' workbook of dictionary entries: one sheet per language, in entry order."""
    per_language: dict[str, list[KeywordEntry]] = {}
    for entry in entries:
        per_language.setdefault(entry.language, []).append(entry)
    return _write_workbook(per_language, Path(path))


def _write_workbook(per_language: Mapping[str, Sequence[KeywordEntry]], path: Path) -> Path:
    if not per_language:
        raise DictionaryError(f"{path}: no entries to export")
    workbook = Workbook()
    workbook.remove(workbook.active)
    for language, entries in per_language.items():
        sheet = workbook.create_sheet(language)
        sheet.append(list(WORKBOOK_COLUMNS))
        for entry in entries:
            sheet.append(
                [entry.keyword, entry.theme, entry.high_risk, entry.crisis, entry.category]
            )
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        sheet.column_dimensions["A"].width = 40
        sheet.column_dimensions["B"].width = 36
        sheet.column_dimensions["D"].width = 14
        sheet.column_dimensions["E"].width = 14
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path
