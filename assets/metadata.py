"""Materialisation metadata an analyst reads in the UI: counts, channels, previews, per day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from dagster import MetadataValue

PREVIEW_ROWS = 5
PREVIEW_CHARS = 80


def _text(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def markdown_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    header = "| " + " | ".join(columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(_text(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join([header, rule, *body])


def preview(table: pa.Table, columns: Sequence[str], rows: int = PREVIEW_ROWS) -> MetadataValue:
    """The first rows of a table, a few columns, as markdown."""
    present = [c for c in columns if c in table.column_names]
    sample = table.select(present).slice(0, rows).to_pylist()
    return MetadataValue.md(markdown_table(sample, present) if sample else "_no rows_")


class RunSummary:
    """Per-day counts collected while a run walks its days, turned into metadata at the end."""

    def __init__(self) -> None:
        self.days: list[dict] = []
        self.channels: set[str] = set()

    def add(self, day: date, channels: Sequence[str] = (), **counts: int) -> None:
        self.days.append({"day": day.isoformat(), **counts})
        self.channels.update(channels)

    def total(self, name: str) -> int:
        return int(sum(row.get(name, 0) for row in self.days))

    def metadata(self, *totals: str) -> dict[str, MetadataValue]:
        out: dict[str, MetadataValue] = {
            "days": MetadataValue.int(len(self.days)),
            "first_day": MetadataValue.text(self.days[0]["day"] if self.days else ""),
            "last_day": MetadataValue.text(self.days[-1]["day"] if self.days else ""),
            "channels_seen": MetadataValue.text(", ".join(sorted(self.channels)) or "none"),
            "channel_count": MetadataValue.int(len(self.channels)),
        }
        for name in totals:
            out[name] = MetadataValue.int(self.total(name))
        if len(self.days) > 1:
            out["per_day"] = MetadataValue.md(markdown_table(self.days, ["day", *totals]))
        return out
