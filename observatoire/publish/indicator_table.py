"""The per-channel indicator table people read: in the terminal, and in the Dagster UI.

One row per channel over a range of days, every share a ratio of sums (`indicators.rollup`), plus
a total row over all channels. Shares are percentages of covered airtime.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from observatoire.core.themes import CRISES
from observatoire.publish.indicators import rollup

TOTAL = "all channels"


@dataclass(frozen=True)
class Column:
    header: str
    source: str
    kind: str  # "text", "int", "minutes" or "percent"


COLUMNS: tuple[Column, ...] = (
    Column("channel", "channel_name", "text"),
    Column("days", "days", "int"),
    Column("covered min", "covered_minutes", "minutes"),
    Column("coverage", "coverage", "percent"),
    Column("env min", "env_minutes", "minutes"),
    Column("share", "share", "percent"),
    *(Column(crisis, f"share_{crisis}", "percent") for crisis in CRISES),
    Column("share no hrfp", "share_no_hrfp", "percent"),
)


def channel_summary(indicators: pa.Table | pd.DataFrame) -> pd.DataFrame:
    """Per-channel rollup over every day given, then one total row over all channels."""
    per_channel = rollup(indicators, by="channel_name")
    total = rollup(indicators, by=None)
    total["channel_name"] = TOTAL
    frame = pd.concat([per_channel, total], ignore_index=True)
    return frame[[c.source for c in COLUMNS if c.source in frame.columns]]


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if kind == "percent":
        return f"{100 * float(value):.2f} %"
    if kind == "minutes":
        return f"{float(value):,.1f}".replace(",", " ")
    if kind == "int":
        return str(int(value))
    return str(value)


def _rows(summary: pd.DataFrame, columns: Sequence[Column]) -> list[list[str]]:
    return [
        [_cell(record[c.source], c.kind) for c in columns]
        for record in summary.to_dict(orient="records")
    ]


def format_text(summary: pd.DataFrame) -> str:
    """Aligned plain-text table for a terminal."""
    columns = [c for c in COLUMNS if c.source in summary.columns]
    rows = _rows(summary, columns)
    widths = [max(len(c.header), *(len(row[i]) for row in rows)) for i, c in enumerate(columns)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(width) if column.kind == "text" else cell.rjust(width)
            for cell, width, column in zip(cells, widths, columns, strict=True)
        )

    separator = "  ".join("-" * width for width in widths)
    body = [line(row) for row in rows]
    if len(body) > 1:
        body.insert(len(body) - 1, separator)
    return "\n".join([line([c.header for c in columns]), separator, *body])


def format_markdown(summary: pd.DataFrame) -> str:
    """Markdown table (Dagster renders it in the asset's materialisation metadata)."""
    columns = [c for c in COLUMNS if c.source in summary.columns]
    header = "| " + " | ".join(c.header for c in columns) + " |"
    align = "|" + "|".join(":---" if c.kind == "text" else "---:" for c in columns) + "|"
    body = ["| " + " | ".join(row) + " |" for row in _rows(summary, columns)]
    return "\n".join([header, align, *body])
