"""Runs restricted to some channels: merge their rows into the stored day instead of replacing it.

A day's file holds every channel. Re-running a day for two channels must replace those two
channels' rows and keep the others untouched, so the result is the same as a full re-run would give
for those channels, and nothing else moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc


def only_channels(table: pa.Table, channels: Sequence[str] | None) -> pa.Table:
    """The rows of `channels` (every row when the run covers every channel)."""
    if channels is None:
        return table
    return table.filter(pc.is_in(table["channel_name"], pa.array(list(channels), pa.string())))


def replace_channels(
    stored: pa.Table | None, fresh: pa.Table, channels: Sequence[str] | None
) -> pa.Table:
    """`fresh` when the run covered every channel; else `stored` minus `channels`, plus `fresh`.

    Rows are sorted by channel_name (then start when present) so the file does not depend on the
    order in which partial runs happened.
    """
    if channels is None or stored is None or stored.num_rows == 0:
        return fresh
    kept = stored.filter(
        pc.invert(pc.is_in(stored["channel_name"], pa.array(list(channels), pa.string())))
    )
    merged = pa.concat_tables([kept.select(fresh.column_names).cast(fresh.schema), fresh])
    keys = [("channel_name", "ascending")]
    if "start" in merged.column_names:
        keys.append(("start", "ascending"))
    return merged.sort_by(keys)


def merge_rejected(stored: pa.Table | None, fresh: pa.Table, partial: bool) -> pa.Table:
    """Quarantine of a day: replaced by a full run; a partial run adds records not yet stored."""
    if not partial or stored is None or stored.num_rows == 0:
        return fresh
    merged = pa.concat_tables([stored.select(fresh.column_names).cast(fresh.schema), fresh])
    seen: set[tuple[str, str]] = set()
    keep: list[int] = []
    for index, (reason, record) in enumerate(
        zip(merged["reason"].to_pylist(), merged["record"].to_pylist(), strict=True)
    ):
        if (reason, record) not in seen:
            seen.add((reason, record))
            keep.append(index)
    return merged.take(pa.array(keep, pa.int64()))
