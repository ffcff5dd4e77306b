"""Materialisation metadata an analyst reads in the UI: counts, tables, previews, per day.

A run covers a range of days, yet each day gets its own materialisation event. Figures are
attached to each day with `context.add_asset_metadata(..., partition_key=day)`, which Dagster
merges into that partition's event only, so the asset's Plots tab draws one point per day
instead of repeating the run's totals on every day.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

import pandas as pd
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
)

from observatoire.core.themes import CRISES
from observatoire.publish.indicator_table import TOTAL, channel_summary
from observatoire.storage.staged_files import StagedFile

PREVIEW_ROWS = 5
PREVIEW_CHARS = 80
ROW_COUNT = "dagster/row_count"
COLUMN_SCHEMA = "dagster/column_schema"
"""Dagster's standard table metadata keys: the UI shows them on the asset's overview."""


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


def column_schema(schema: pa.Schema) -> TableSchema:
    """The Arrow schema as Dagster's column schema (name and Arrow type of every column)."""
    return TableSchema(columns=[TableColumn(field.name, str(field.type)) for field in schema])


def table_shape(table: pa.Table | StagedFile) -> dict[str, MetadataValue]:
    """Dagster's standard row count and column schema of a stored table (or of a day file a
    worker staged, described by it)."""
    return {
        ROW_COUNT: MetadataValue.int(table.num_rows),
        COLUMN_SCHEMA: MetadataValue.table_schema(column_schema(table.schema)),
    }


def _cell(value: object) -> str | int | float | bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return _cell(value.item())
    return str(value)


def frame_table(frame: pd.DataFrame, types: Mapping[str, str]) -> MetadataValue:
    """A small frame as Dagster table metadata (sortable in the UI); `types` maps the columns
    kept to their Dagster type (string, int, float, bool)."""
    schema = TableSchema(columns=[TableColumn(name, kind) for name, kind in types.items()])
    records = [
        TableRecord({name: _cell(row[name]) for name in types})
        for row in frame.to_dict(orient="records")
    ]
    return MetadataValue.table(records=records, schema=schema)


def _float(value: object) -> MetadataValue:
    """A float for metadata; NaN when undefined (e.g. nothing covered), which plots as a gap."""
    cell = _cell(value)
    return MetadataValue.float(float("nan") if cell is None else float(cell))


PER_CHANNEL_TYPES: dict[str, str] = {
    "channel_name": "string",
    "covered_minutes": "float",
    "coverage": "float",
    "env_minutes": "float",
    "share": "float",
    **{f"share_{crisis}": "float" for crisis in CRISES},
    "share_no_hrfp": "float",
}


def indicator_figures(table: pa.Table) -> dict[str, MetadataValue]:
    """One day's headline figures over all channels, and the per-channel table.

    `share_all_channels` is the ratio of sums over every channel of the day (as the public
    figure); `share_<crisis>` splits it by crisis; `shares_per_channel` is sortable in the UI.
    """
    if table.num_rows == 0:
        return {"share_all_channels": _float(None)}
    summary = channel_summary(table)
    total = summary[summary["channel_name"] == TOTAL].iloc[0]
    figures: dict[str, MetadataValue] = {
        "share_all_channels": _float(total["share"]),
        **{
            f"share_{crisis}": _float(total.get(f"share_{crisis}"))
            for crisis in CRISES
            if f"share_{crisis}" in summary.columns
        },
        "env_minutes": _float(total["env_minutes"]),
        "covered_minutes": _float(total["covered_minutes"]),
        "coverage": _float(total["coverage"]),
        "dictionary_version": MetadataValue.text(
            ", ".join(sorted(set(table["dictionary_version"].to_pylist())))
        ),
    }
    types = {name: kind for name, kind in PER_CHANNEL_TYPES.items() if name in summary.columns}
    figures["shares_per_channel"] = frame_table(summary, types)
    return figures


def coverage_figures(table: pa.Table) -> dict[str, MetadataValue]:
    """One day's grid and covered minutes over all channels, and the per-channel table."""
    frame = table.select(["channel_name", "grid_minutes", "covered_minutes", "coverage"])
    frame = frame.to_pandas().sort_values("coverage", na_position="first")
    grid = float(frame["grid_minutes"].sum())
    covered = float(frame["covered_minutes"].sum())
    return {
        "grid_minutes": MetadataValue.float(grid),
        "covered_minutes": MetadataValue.float(covered),
        "coverage": _float(covered / grid if grid > 0 else None),
        "coverage_per_channel": frame_table(
            frame,
            {
                "channel_name": "string",
                "grid_minutes": "float",
                "covered_minutes": "float",
                "coverage": "float",
            },
        ),
    }


class RunSummary:
    """Per-day counts collected while a run walks its days.

    Bound to a context and an asset, each `add` attaches that day's counts, figures and table
    shape to the day's own materialisation event; `metadata()` then only describes the run.
    """

    def __init__(
        self,
        context: AssetExecutionContext | None = None,
        asset_key: AssetKey | None = None,
        preview_columns: Sequence[str] = (),
        preview_first: str | None = None,
    ) -> None:
        """`preview_columns`: the day's first rows shown as its preview (those with the largest
        `preview_first` first, when given)."""
        self.context = context
        self.asset_key = asset_key
        self.preview_columns = list(preview_columns)
        self.preview_first = preview_first
        self.days: list[dict] = []
        self.channels: set[str] = set()

    def add(
        self,
        day: date,
        channels: Sequence[str] = (),
        *,
        table: pa.Table | StagedFile | None = None,
        figures: Mapping[str, MetadataValue] | None = None,
        **counts: int,
    ) -> None:
        """`table`: the day as stored, or a day file a worker staged (its shape, and its head
        as the preview)."""
        self.days.append({"day": day.isoformat(), **counts})
        self.channels.update(channels)
        if self.context is None:
            return
        metadata: dict[str, MetadataValue] = {
            "day": MetadataValue.text(day.isoformat()),
            **{name: MetadataValue.int(int(value)) for name, value in counts.items()},
            "channels_seen": MetadataValue.text(", ".join(sorted(channels)) or "none"),
            "channel_count": MetadataValue.int(len(set(channels))),
        }
        if table is not None:
            metadata.update(table_shape(table))
            if self.preview_columns:
                shown = table.head if isinstance(table, StagedFile) else table
                if self.preview_first and self.preview_first in shown.column_names:
                    shown = shown.sort_by([(self.preview_first, "descending")])
                metadata["preview"] = preview(shown, self.preview_columns)
        metadata.update(figures or {})
        self.context.add_asset_metadata(
            metadata, asset_key=self.asset_key, partition_key=day.isoformat()
        )

    def total(self, name: str) -> int:
        return int(sum(row.get(name, 0) for row in self.days))

    def metadata(self, *totals: str) -> dict[str, MetadataValue]:
        if self.context is not None:
            # every figure is per day; only the run's extent is shared by its days
            first = self.days[0]["day"] if self.days else ""
            last = self.days[-1]["day"] if self.days else ""
            return {"run_days": MetadataValue.text(f"{first}..{last} ({len(self.days)} days)")}
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
