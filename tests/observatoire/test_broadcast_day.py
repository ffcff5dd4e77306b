"""Broadcast days: Paris local days of 23, 24 or 25 hours, chunk starts filed under them."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from observatoire.core.broadcast_day import (
    broadcast_day,
    broadcast_days,
    day_interval,
    epoch_seconds,
)


def test_a_day_runs_from_local_midnight_to_local_midnight_dst_days_included() -> None:
    start, end = day_interval(date(2024, 2, 10))
    assert start == 1_707_519_600  # 2024-02-10T00:00+01:00
    assert end - start == 24 * 3600
    spring, autumn = day_interval(date(2024, 3, 31)), day_interval(date(2024, 10, 27))
    assert spring[1] - spring[0] == 23 * 3600
    assert autumn[1] - autumn[0] == 25 * 3600


def test_the_first_and_last_second_of_a_day_belong_to_it() -> None:
    for day in (date(2024, 3, 31), date(2024, 6, 11), date(2024, 10, 27)):
        start, end = day_interval(day)
        assert broadcast_day(start) == day and broadcast_day(end - 1) == day
        assert broadcast_day(end) != day and broadcast_day(start - 1) != day


def test_many_starts_get_the_days_one_start_gets() -> None:
    first, _ = day_interval(date(2024, 3, 30))
    _, last = day_interval(date(2024, 4, 1))
    starts = np.arange(first - 3600, last + 3600, 1_799, dtype=np.int64)
    expected = [np.datetime64(broadcast_day(int(s)), "D") for s in starts]
    assert broadcast_days(starts).tolist() == [d.astype(object) for d in expected]


def test_epoch_seconds_read_timestamps_of_any_unit_and_integers() -> None:
    seconds = [1_718_000_040, 1_718_000_160]
    as_ms = pa.array([s * 1000 for s in seconds], pa.timestamp("ms", tz="UTC"))
    assert epoch_seconds(as_ms).tolist() == seconds
    assert epoch_seconds(pa.chunked_array([pa.array(seconds, pa.int64())])).tolist() == seconds
