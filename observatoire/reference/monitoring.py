"""Time monitored (METHODOLOGY §5): per channel and broadcast day, the grid minutes, the minutes
covered by captions and how completely the source delivered the day."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from observatoire.core.broadcast_day import CHUNK_SECONDS, broadcast_days, epoch_seconds
from observatoire.reference.channels import Channel, names_of
from observatoire.reference.grid import ProgrammeGrid

TIME_MONITORED_SCHEMA = pa.schema(
    [
        ("channel_name", pa.string()),
        ("day", pa.date32()),
        ("grid_minutes", pa.float64()),
        ("covered_minutes", pa.float64()),
        ("coverage", pa.float64()),
        ("chunks_received", pa.int64()),
        ("chunks_in_scope", pa.int64()),
        ("delivery", pa.string()),
        ("delivery_reason", pa.string()),
    ]
)
"""``delivery`` says whether the source delivered the channel-day: ``complete``, ``incomplete``
(the fetch failed part-way; the chunks received are kept) or ``missing`` (nothing could be
fetched), with the source's reason: a hole is data, not a channel that was off air."""

DELIVERIES_KEY = b"observatoire.deliveries"
"""raw_captions day files carry, in their Parquet schema metadata, the channel-days the source
could not deliver in full: {channel: [status, reason]}."""


def with_deliveries(table: pa.Table, deliveries: dict[str, tuple[str, str]]) -> pa.Table:
    """``table`` with the undelivered channel-days recorded in its schema metadata."""
    metadata = dict(table.schema.metadata or {})
    metadata[DELIVERIES_KEY] = json.dumps(
        {channel: list(value) for channel, value in sorted(deliveries.items())},
        ensure_ascii=False,
    ).encode()
    return table.replace_schema_metadata(metadata)


def deliveries_of(table: pa.Table | None) -> dict[str, tuple[str, str]]:
    """The undelivered channel-days a raw_captions day file records ({} when none)."""
    if table is None:
        return {}
    raw = (table.schema.metadata or {}).get(DELIVERIES_KEY)
    if raw is None:
        return {}
    return {channel: (value[0], value[1]) for channel, value in json.loads(raw).items()}


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _intersection_seconds(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """Total length of the intersection of two merged, sorted interval lists."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        low = max(a[i][0], b[j][0])
        high = min(a[i][1], b[j][1])
        if high > low:
            total += high - low
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _overlaps_a_slot(starts: np.ndarray, slots: list[tuple[int, int]]) -> np.ndarray:
    """Whether each chunk [start, start + 2 min) shares a second with one of the merged, sorted
    slots: the first slot ending after the chunk starts is the only candidate (slots are disjoint
    and in order), and it overlaps when it begins before the chunk ends."""
    if not slots:
        return np.zeros(len(starts), dtype=bool)
    lows = np.array([low for low, _ in slots], dtype=np.int64)
    highs = np.array([high for _, high in slots], dtype=np.int64)
    candidate = np.searchsorted(highs, starts, side="right")
    found = candidate < len(slots)
    return found & (lows[np.minimum(candidate, len(slots) - 1)] < starts + CHUNK_SECONDS)


def _chunk_union(starts: np.ndarray) -> list[tuple[int, int]]:
    """The union of the chunks' intervals as merged, sorted intervals (`_merge` of the chunks,
    in NumPy: every chunk has the same length, so a run of chunks breaks where a start comes
    after the previous chunk's end)."""
    if len(starts) == 0:
        return []
    ordered = np.unique(starts)
    breaks = np.flatnonzero(ordered[1:] > ordered[:-1] + CHUNK_SECONDS) + 1
    run_starts = ordered[np.concatenate(([0], breaks))]
    run_ends = ordered[np.concatenate((breaks - 1, [len(ordered) - 1]))] + CHUNK_SECONDS
    return list(zip(run_starts.tolist(), run_ends.tolist(), strict=True))


def time_monitored(
    grid: ProgrammeGrid,
    captions: pa.Table,
    day: date,
    channels: Iterable[Channel | str],
    deliveries: dict[str, tuple[str, str]] | None = None,
) -> pa.Table:
    """Grid and covered minutes per channel on one broadcast day (TIME_MONITORED_SCHEMA).

    covered_minutes is the length of (union of chunk intervals) ∩ (grid slots), so duplicate or
    overlapping chunks never count twice. chunks_received counts distinct chunks of the day;
    chunks_in_scope those overlapping a slot. Channels listed with no chunk get 0 covered minutes;
    channels with chunks but absent from the list are added (with their grid minutes, often 0).
    ``deliveries`` (from the raw_captions day, see ``deliveries_of``) marks channel-days the source
    delivered incompletely or not at all; the others are ``complete``.
    """
    deliveries = deliveries or {}
    starts = epoch_seconds(captions["start"])
    names = np.asarray(captions["channel_name"].to_numpy(zero_copy_only=False), dtype=object)
    days = broadcast_days(starts, grid.zone)  # the country's days, the grid's zone
    ids = (
        captions["chunk_id"].to_pylist()
        if "chunk_id" in captions.column_names
        else list(zip(names.tolist(), starts.tolist(), strict=True))
    )
    day64 = np.datetime64(day, "D")
    wanted = names_of(channels)
    extra = sorted(set(names[days == day64].tolist()) - set(wanted))

    codes, channel_names = pd.factorize(names)
    code_of = {name: code for code, name in enumerate(channel_names.tolist())}
    ids_array = np.fromiter(ids, dtype=object, count=len(ids))

    rows: dict[str, list[object]] = {field.name: [] for field in TIME_MONITORED_SCHEMA}
    for channel in sorted(set(wanted)) + extra:
        slots = _merge((low, high) for low, high, _, _ in grid.slot_bounds(channel, day))
        grid_seconds = sum(high - low for low, high in slots)
        indices = np.flatnonzero(codes == code_of.get(channel, -2))
        channel_starts = starts[indices].astype(np.int64)
        on_day = days[indices] == day64
        in_slots = _overlaps_a_slot(channel_starts, slots)
        received = len(set(ids_array[indices[on_day]].tolist()))
        in_scope = len(set(ids_array[indices[on_day & in_slots]].tolist()))
        covered_seconds = _intersection_seconds(_chunk_union(channel_starts), slots)
        rows["channel_name"].append(channel)
        rows["day"].append(day)
        rows["grid_minutes"].append(grid_seconds / 60)
        rows["covered_minutes"].append(covered_seconds / 60)
        rows["coverage"].append(covered_seconds / grid_seconds if grid_seconds else None)
        rows["chunks_received"].append(received)
        rows["chunks_in_scope"].append(in_scope)
        status, reason = deliveries.get(channel, ("complete", None))
        rows["delivery"].append(status)
        rows["delivery_reason"].append(reason)
    return pa.Table.from_pydict(rows, schema=TIME_MONITORED_SCHEMA)
