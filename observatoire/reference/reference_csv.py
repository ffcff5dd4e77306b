"""Reference CSV files (channels, programme grid, channel aliases): comment lines, a fixed header,
and errors that name the offending file and line, because analysts edit these files by hand."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence


class GridError(ValueError):
    """A channel list or programme grid that cannot be used, with the offending line named."""


def parse_bool(value: str, where: str) -> bool:
    """A true/false cell; anything else is refused rather than guessed."""
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise GridError(f"{where}: expected true or false, got {value!r}")


def data_rows(text: str, header: Sequence[str], origin: str) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of a CSV text whose comment lines start with '#'."""
    lines = text.splitlines()
    content = [(number, line) for number, line in enumerate(lines, start=1)]
    content = [
        (n, line) for n, line in content if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        raise GridError(f"{origin}: empty file, expected the header {','.join(header)}")
    header_line, header_text = content[0]
    found = next(csv.reader([header_text]))
    if tuple(cell.strip() for cell in found) != tuple(header):
        raise GridError(
            f"{origin} line {header_line}: header must be {','.join(header)}, got {','.join(found)}"
        )
    for number, line in content[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        if len(cells) != len(header):
            raise GridError(
                f"{origin} line {number}: expected {len(header)} fields, got {len(cells)}"
            )
        yield number, [cell.strip() for cell in cells]
