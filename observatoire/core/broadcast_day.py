"""The broadcast day and its chunks (METHODOLOGY §1): the one home of the chunk length, the Paris
time zone and the bounds of a day.

Captions come in 2-minute chunks identified by their start instant; a chunk belongs to the
broadcast day that is the Europe/Paris calendar date of its start. Paris days are local days, so a
day lasts 23, 24 or 25 hours: its bounds are computed from the zone, never as 86,400 seconds.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_SECONDS: Final = 120
"""Length of a caption chunk: the provider cuts broadcasts into 2-minute chunks."""

PARIS_TIMEZONE: Final = "Europe/Paris"
"""IANA name of the zone of broadcast days, for APIs that take a name (Dagster, Arrow)."""

PARIS: Final = ZoneInfo(PARIS_TIMEZONE)


def broadcast_day(start: int) -> date:
    """Broadcast day of a chunk: the Europe/Paris local date of its start instant."""
    return datetime.fromtimestamp(int(start), tz=PARIS).date()


def epoch_seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Epoch seconds of a chunk-start column, timestamp (any unit) or integer."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.timestamp("s", tz=column.type.tz)).cast(pa.int64())
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)


def broadcast_days(starts: np.ndarray) -> np.ndarray:
    """Broadcast days of many epoch-second starts at once, as numpy datetime64[D]."""
    instants = pa.array(starts, pa.timestamp("s", tz=PARIS_TIMEZONE))
    return pc.local_timestamp(instants).cast(pa.date32()).to_numpy(zero_copy_only=False)


def day_interval(day: date) -> tuple[int, int]:
    """[start, end) epoch seconds of a broadcast day: local midnight to the next local midnight."""
    start = datetime.combine(day, time(0), tzinfo=PARIS)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS)
    return int(start.timestamp()), int(end.timestamp())
