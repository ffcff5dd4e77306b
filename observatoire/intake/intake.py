"""One broadcast day of a caption source's delivery turned into the raw_captions day.

Whatever the source, the same rules apply: provider items are parsed by `records.parse_items`
(exact duplicates counted, malformed or conflicting records quarantined with their reason), chunks
a source already holds as typed columns are added as they are, records unreadable before parsing
join the quarantine, and a chunk of another broadcast day is quarantined rather than dropped.
Every quarantined row carries the day it was fetched for, so each day's file is self-contained.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import PARIS, broadcast_day
from observatoire.intake.records import (
    CAPTION_SCHEMA,
    REJECT_SCHEMA,
    Origin,
    ParsedCaptions,
    PreRejected,
    parse_items,
    plausible_start,
    raw_record_text,
    rejected_rows,
    with_quality_columns,
)
from observatoire.reference.channel_names import ChannelNames

# Beyond this many runs of consecutive rows, sorting copies the table rather than slicing it.
_MAX_SLICES = 64


@dataclass
class CaptionFetch:
    """What a caption source delivered for one broadcast day.

    - `items`: provider-shaped records (the API item shape), parsed by `captions_of_day`.
    - `source`: the source's name, stored with every row and every rejected record.
    - `missing`: (channel, reason) for channels the source could not deliver that day.
    - `pre_rejected`: records unreadable before item parsing, such as a line that is not JSON,
      with where they were, the reason and their text as received.
    - `origins`: where each item came from (parallel to `items`; drop file and line, or API page
      and index, and the channel asked for), for its quarantine row.
    - `incomplete`: (channel, reason) for channels whose delivery failed part-way: the chunks
      received are kept, and the channel-day is recorded as incomplete.
    - `chunks`: chunks a source already holds as typed CAPTION_SCHEMA columns (the demo
      generator builds them column-wise); their chunk ids must not repeat those of `items`.
    """

    items: list[object]
    source: str
    missing: list[tuple[str, str]] = field(default_factory=list)
    pre_rejected: list[PreRejected] = field(default_factory=list)
    chunks: pa.Table | None = None
    origins: list[Origin] | None = None
    incomplete: list[tuple[str, str]] = field(default_factory=list)


def day_elsewhere(item: object, day: date, zone: ZoneInfo = PARIS) -> date | None:
    """The broadcast day an item belongs to when it is not `day`, else None.

    Sources ask this before handing items over: the provider leaves items fetched through a
    query margin to their own day's run, the drop folder refuses a misfiled chunk. An item
    without a plausible start is not judged here (None): parsing rejects it with its reason.
    """
    if not isinstance(item, Mapping):
        return None
    start = plausible_start(item.get("start"))
    if start is None:
        return None
    actual = broadcast_day(start, zone)
    return None if actual == day else actual


def _typed(chunks: pa.Table) -> pa.Table:
    missing = [name for name in CAPTION_SCHEMA.names if name not in chunks.column_names]
    if missing:
        raise ValueError(f"typed chunks lack columns {missing}")
    return with_quality_columns(chunks)


def _sorted(table: pa.Table) -> pa.Table:
    """Rows by channel then start, as parse_items orders them; no copy when already in order."""
    names = table["channel_name"].combine_chunks()
    starts = table["start"].combine_chunks().cast(pa.int64())
    if len(table) < 2:
        return table
    same = pc.equal(names[1:], names[:-1])
    ordered = pc.or_(
        pc.greater(names[1:], names[:-1]), pc.and_(same, pc.greater(starts[1:], starts[:-1]))
    )
    if pc.all(ordered).as_py():
        return table
    order = pc.sort_indices(table, [("channel_name", "ascending"), ("start", "ascending")])
    # Typed chunks arrive in order with a few parsed items to slot in: the result is a handful
    # of runs of consecutive rows, taken as zero-copy slices instead of copying every word list.
    rows = order.to_numpy()
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    if len(breaks) > _MAX_SLICES:
        return table.take(order)
    bounds = [0, *breaks.tolist(), len(rows)]
    return pa.concat_tables(
        [table.slice(int(rows[low]), high - low) for low, high in pairwise(bounds)]
    )


def _rows_of_other_days(table: pa.Table, day: date) -> pa.Table:
    """REJECT_SCHEMA rows for parsed or typed chunks whose broadcast day is not `day` (their
    `day` column, set from the start by `records.broadcast_day`): what a source let through."""
    other = table.filter(pc.not_equal(table["day"], pa.scalar(day, pa.date32())))
    rows = other.select(["chunk_id", "channel_name", "start", "day", "source"]).to_pylist()
    return pa.Table.from_pylist(
        [
            {
                "day": day,
                "source": row["source"],
                "file": None,
                "line": None,
                "page": None,
                "position": None,
                "reason": f"chunk of broadcast day {row['day']} delivered for {day}",
                "record": raw_record_text(
                    {
                        "chunk_id": row["chunk_id"],
                        "channel": row["channel_name"],
                        "start": int(row["start"].timestamp()),
                    }
                ),
            }
            for row in rows
        ],
        schema=REJECT_SCHEMA,
    )


def captions_of_day(
    items: Iterable[object],
    source: str,
    day: date,
    *,
    chunks: pa.Table | None = None,
    pre_rejected: Sequence[PreRejected | tuple[int, str, str]] = (),
    channels: Sequence[str] | None = None,
    names: ChannelNames | None = None,
    origins: Sequence[Origin | None] | None = None,
    zone: ZoneInfo = PARIS,
) -> ParsedCaptions:
    """The raw_captions rows and quarantined records of one broadcast day in `zone` (the
    country's time zone).

    ``names`` files records under their canonical channel and quarantines unknown channels;
    ``origins`` (parallel to ``items``) says where each came from. ``channels`` keeps only those
    channels' chunks (a run restricted to some channels: the others' rows are kept as stored);
    ``chunks`` are typed CAPTION_SCHEMA rows whose ids must not repeat those of the parsed items.
    """
    parsed = parse_items(items, source, origins=origins, names=names, zone=zone)
    table = parsed.table
    if chunks is not None and chunks.num_rows:
        typed = _typed(chunks)
        shared = set(typed["chunk_id"].to_pylist()) & set(table["chunk_id"].to_pylist())
        if shared:
            raise ValueError(f"typed chunks repeat parsed items: {sorted(shared)[:5]}")
        table = _sorted(pa.concat_tables([typed, table]) if table.num_rows else typed)
    if channels is not None:
        wanted = pa.array(list(channels), pa.string())
        if not set(pc.unique(table["channel_name"]).to_pylist()) <= set(channels):
            table = table.filter(pc.is_in(table["channel_name"], wanted))
    rejected = pa.concat_tables(
        [
            parsed.rejected,
            rejected_rows(pre_rejected, source, day),
            _rows_of_other_days(table, day),
        ]
    )
    rejected = rejected.set_column(0, "day", pa.array([day] * rejected.num_rows, pa.date32()))
    in_day = pc.equal(table["day"], pa.scalar(day, pa.date32()))
    if pc.all(in_day).as_py() is not False:
        return ParsedCaptions(
            table=table, rejected=rejected, duplicates=parsed.duplicates, repaired=parsed.repaired
        )
    return ParsedCaptions(
        table=table.filter(in_day),
        rejected=rejected,
        duplicates=parsed.duplicates,
        repaired=parsed.repaired,
    )


def with_timing_flags(segments: pa.Table, captions: pa.Table) -> pa.Table:
    """Segments whose chunk's word times were repaired at ingestion say so in ``timing``
    (``repaired`` instead of ``srt``), so that the flag follows the chunk to the figures."""
    if "timing" not in captions.column_names or "timing" not in segments.column_names:
        return segments
    repaired = captions.filter(pc.equal(captions["timing"], "repaired"))["chunk_id"]
    if len(repaired) == 0:
        return segments
    flagged = pc.and_(
        pc.is_in(segments["chunk_id"], repaired.combine_chunks()),
        pc.equal(segments["timing"], "srt"),
    )
    index = segments.column_names.index("timing")
    timing = pc.if_else(flagged, "repaired", segments["timing"])
    return segments.set_column(index, segments.schema.field(index), timing)


def conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A day written before columns were added to its table, with those columns as nulls, so
    that a run restricted to some channels can merge into it."""
    columns = [
        table[field.name] if field.name in table.column_names else pa.nulls(len(table), field.type)
        for field in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
