"""Chunk scope (METHODOLOGY §5): whether a caption chunk falls in a news slot of its channel's
programme grid, and which programme it belongs to."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import CHUNK_SECONDS, broadcast_days, epoch_seconds
from observatoire.reference.grid import ProgrammeGrid

_EPOCH_DAY = date(1970, 1, 1)


def assign_programmes(grid: ProgrammeGrid, table: pa.Table) -> pa.Table:
    """Add in_scope, programme_name, programme_type to a table of chunks.

    A chunk covers [start, start + 120 s); it is in scope when that overlaps a slot of its
    channel by a positive duration, and takes the programme of the slot it overlaps most (the
    earliest slot on a tie). Broadcast days are in the grid's zone, the country's. Slots of the
    chunk's broadcast day and of the next day are looked at,
    because a chunk starting just before midnight runs into the next day.

    The chunks are grouped by channel and local day with numpy (a day has a few dozen groups
    for thousands of chunks), each group's overlaps are one array operation, and the programme
    names are taken from the slots by index: no Python loop runs per chunk.
    """
    starts = epoch_seconds(table["start"])
    encoded = pc.dictionary_encode(table["channel_name"].combine_chunks())
    channel_names = encoded.dictionary.to_pylist()
    channel_codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    day_numbers = broadcast_days(starts, grid.zone).astype(np.int64)  # days since 1970-01-01
    first_day = int(day_numbers.min()) if len(day_numbers) else 0
    day_span = int(day_numbers.max()) - first_day + 1 if len(day_numbers) else 1
    # One integer per (channel, day): channel code + 1 (0: no channel), then the day offset.
    keys = (channel_codes.astype(np.int64) + 1) * day_span + (day_numbers - first_day)
    groups, group_of_row = np.unique(keys, return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    group_sizes = np.bincount(group_of_row, minlength=len(groups))
    group_ends = np.cumsum(group_sizes)

    chosen_slot = np.full(len(starts), -1, dtype=np.int64)  # index into slot_names, -1: none
    slot_names: list[str] = []
    slot_kinds: list[str] = []
    for key, low, high in zip(
        groups.tolist(), (group_ends - group_sizes).tolist(), group_ends.tolist(), strict=True
    ):
        code, day_offset = divmod(key, day_span)
        if code == 0:
            continue
        channel = channel_names[code - 1]
        day = _EPOCH_DAY + timedelta(days=first_day + day_offset)
        bounds = grid.slot_bounds(channel, day) + grid.slot_bounds(channel, day + timedelta(1))
        if not bounds:
            continue
        rows = order[low:high]
        chunk_start = starts[rows][:, None]
        chunk_end = chunk_start + CHUNK_SECONDS
        slot_start = np.array([b[0] for b in bounds])[None, :]
        slot_end = np.array([b[1] for b in bounds])[None, :]
        overlap = np.minimum(chunk_end, slot_end) - np.maximum(chunk_start, slot_start)
        best = overlap.argmax(axis=1)
        covered = overlap[np.arange(len(rows)), best] > 0
        chosen_slot[rows[covered]] = best[covered] + len(slot_names)
        slot_names.extend(b[2] for b in bounds)
        slot_kinds.extend(b[3] for b in bounds)

    in_scope = chosen_slot >= 0
    picks = pa.array(chosen_slot, mask=~in_scope)
    for column in ("in_scope", "programme_name", "programme_type"):
        if column in table.column_names:
            table = table.drop_columns([column])
    return (
        table.append_column("in_scope", pa.array(in_scope, pa.bool_()))
        .append_column("programme_name", pa.array(slot_names, pa.string()).take(picks))
        .append_column("programme_type", pa.array(slot_kinds, pa.string()).take(picks))
    )
