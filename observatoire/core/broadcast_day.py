"""The broadcast day and its chunks (METHODOLOGY §1): the one home of the chunk length, the default
(France's) time zone and the bounds of a day.

Captions come in 2-minute chunks identified by their start instant; a chunk belongs to the
broadcast day that is the calendar date of its start in the country's time zone. Days are local
days, so a day lasts 23, 24 or 25 hours: its bounds are computed from the zone, never as 86,400
seconds. France is the default country; its zone is read from its profile
(observatoire/data/countries/fr/profile.toml), so that no other file names it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from typing import Final
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

CHUNK_SECONDS: Final = 120
"""Length of a caption chunk: the provider cuts broadcasts into 2-minute chunks."""


def _france_time_zone() -> str:
    """The `time_zone` of France's profile, the default country (validated with the profile by
    `observatoire.reference.countries`; read here without it, which would be a circular import)."""
    profile = resources.files("observatoire").joinpath("data", "countries", "fr", "profile.toml")
    return str(tomllib.loads(profile.read_text("utf-8"))["time_zone"])


PARIS_TIMEZONE: Final = _france_time_zone()
"""IANA name of France's time zone, the default zone of broadcast days, for APIs that take a
name (Dagster, Arrow)."""

PARIS: Final = ZoneInfo(PARIS_TIMEZONE)


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def broadcast_day(start: int, zone: ZoneInfo | str = PARIS) -> date:
    """Broadcast day of a chunk: the local date of its start instant in the country's zone."""
    return datetime.fromtimestamp(int(start), tz=_zone(zone)).date()


def epoch_seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Epoch seconds of a chunk-start column, timestamp (any unit) or integer."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.timestamp("s", tz=column.type.tz)).cast(pa.int64())
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)


def broadcast_days(starts: np.ndarray, zone: ZoneInfo | str = PARIS) -> np.ndarray:
    """Broadcast days of many epoch-second starts at once in the country's zone, as numpy
    datetime64[D]."""
    instants = pa.array(starts, pa.timestamp("s", tz=_zone(zone).key))
    return np.asarray(pc.local_timestamp(instants).cast(pa.date32()).to_numpy(zero_copy_only=False))


def day_bounds(day: date, zone: ZoneInfo | str = PARIS) -> tuple[datetime, datetime]:
    """[first instant, end) in UTC of a local calendar day in `zone`: 23, 24 or 25 hours long.

    A local midnight that a daylight-saving change skips (São Paulo, 2018-11-04: 00:00 became
    01:00) does not exist; the day then starts at the change, its first existing instant.
    `fold=0` gives exactly that: a skipped wall-clock time is read with the offset before the
    change, which lands on the change itself. A repeated midnight starts at its first occurrence.
    """
    tz = _zone(zone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


def local_day(instant: datetime, zone: ZoneInfo | str = PARIS) -> date:
    """The broadcast day (local date in `zone`) an aware instant belongs to."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant!r} has no time zone; broadcast days need an aware instant")
    tz = _zone(zone)
    return instant.astimezone(tz).date()


def day_interval(day: date, zone: ZoneInfo | str = PARIS) -> tuple[int, int]:
    """[start, end) epoch seconds of a broadcast day: local midnight to the next local midnight."""
    start, end = day_bounds(day, zone)
    return int(start.timestamp()), int(end.timestamp())
