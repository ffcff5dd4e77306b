"""Chunk scope (METHODOLOGY §5): whether a caption chunk falls in a news slot of its channel's
programme grid, and which programme it belongs to."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pyarrow as pa

from observatoire.core.broadcast_day import CHUNK_SECONDS, broadcast_days, epoch_seconds
from observatoire.reference.grid import ProgrammeGrid


def assign_programmes(grid: ProgrammeGrid, table: pa.Table) -> pa.Table:
    """Add in_scope, programme_name, programme_type to a table of chunks.

    A chunk covers [start, start + 120 s); it is in scope when that overlaps a slot of its
    channel by a positive duration, and takes the programme of the slot it overlaps most (the
    earliest slot on a tie). Slots of the chunk's broadcast day and of the next day are looked at,
    because a chunk starting just before midnight runs into the next day.
    """
    starts = epoch_seconds(table["start"])
    channels = np.asarray(table["channel_name"].to_numpy(zero_copy_only=False), dtype=object)
    days = broadcast_days(starts)
    in_scope = np.zeros(len(starts), dtype=bool)
    names: list[str | None] = [None] * len(starts)
    kinds: list[str | None] = [None] * len(starts)

    groups: dict[tuple[str, np.datetime64], list[int]] = {}
    for index, key in enumerate(zip(channels, days, strict=True)):
        groups.setdefault(key, []).append(index)
    for (channel, day64), indices in groups.items():
        day = day64.astype(object)
        bounds = grid.slot_bounds(channel, day) + grid.slot_bounds(channel, day + timedelta(1))
        if not bounds:
            continue
        rows = np.asarray(indices)
        chunk_start = starts[rows][:, None]
        chunk_end = chunk_start + CHUNK_SECONDS
        slot_start = np.array([b[0] for b in bounds])[None, :]
        slot_end = np.array([b[1] for b in bounds])[None, :]
        overlap = np.minimum(chunk_end, slot_end) - np.maximum(chunk_start, slot_start)
        best = overlap.argmax(axis=1)
        best_overlap = overlap[np.arange(len(rows)), best]
        for row, slot, amount in zip(rows, best, best_overlap, strict=True):
            if amount > 0:
                in_scope[row] = True
                names[row] = bounds[slot][2]
                kinds[row] = bounds[slot][3]

    for column in ("in_scope", "programme_name", "programme_type"):
        if column in table.column_names:
            table = table.drop_columns([column])
    return (
        table.append_column("in_scope", pa.array(in_scope, pa.bool_()))
        .append_column("programme_name", pa.array(names, pa.string()))
        .append_column("programme_type", pa.array(kinds, pa.string()))
    )
