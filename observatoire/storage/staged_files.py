"""Day files staged by a day worker, described for the run's process that publishes them.

Encoding and writing a day's Parquet files is a large part of a stage's time. A worker that has
computed a day writes its files itself, under the step's staged names
(`Lake.stage_day(table, day, data, owner)`), and hands back only what the run's process needs to
publish them and to describe the day: where each file is, its row count and schema, its channels
and the first rows an analyst previews. The tables themselves never cross between processes, and
the run's process does not encode them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.storage.lake import Lake

HEAD_ROWS = 5
"""Rows kept for the day's preview (as many as the asset's metadata shows)."""


@dataclass(frozen=True)
class StagedFile:
    """One staged day file: where it is, its shape, its channels and its first rows (sorted by
    `head_first`, largest first, when the preview shows those first)."""

    table: str
    day: date
    path: str
    num_rows: int
    schema: pa.Schema
    channels: list[str]
    head: pa.Table


def stage_file(
    lake: Lake,
    table: str,
    day: date,
    data: pa.Table,
    owner: str,
    head_first: str | None = None,
) -> StagedFile:
    """Write `data` as `table`'s day under `owner`'s staged name and describe it."""
    path = lake.stage_day(table, day, data, owner)
    if head_first is not None and head_first in data.column_names:
        order = pc.sort_indices(data, sort_keys=[(head_first, "descending")])
    else:
        order = pa.array(range(min(data.num_rows, HEAD_ROWS)), pa.int64())
    # `take` copies the rows: a slice would keep, and send to the run's process, the whole day.
    head = data.take(order[:HEAD_ROWS])
    channels = (
        data["channel_name"].unique().to_pylist() if "channel_name" in data.column_names else []
    )
    return StagedFile(
        table=table,
        day=day,
        path=path,
        num_rows=data.num_rows,
        schema=data.schema,
        channels=channels,
        head=head,
    )


__all__ = ["HEAD_ROWS", "StagedFile", "stage_file"]
