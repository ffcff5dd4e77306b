"""Day leases and staged publication on local disk and on a real S3-compatible server, the sweep
of temporary files left by killed writes, and lake paths holding glob characters."""

from __future__ import annotations

import os
import threading
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from observatoire.storage.day_lease import DayLeases, DayTakenError, StagedDays
from observatoire.storage.lake import Lake, LakeError
from observatoire.storage.warehouse import open_warehouse

DAY = date(2024, 3, 5)
OTHER = date(2024, 3, 6)


def rows(channel: str) -> pa.Table:
    return pa.table({"channel_name": [channel], "value": [1]})


def test_a_day_held_by_one_run_is_refused_to_another_naming_it(lake: Lake) -> None:
    first = DayLeases(lake, "run-aaa")
    first.acquire([DAY])
    second = DayLeases(lake, "run-bbb", wait_seconds=2, poll_seconds=0.2)
    with pytest.raises(DayTakenError, match="day 2024-03-05 is being written by run run-aaa"):
        second.acquire([OTHER, DAY])
    assert second.held == {}  # what it had taken (the other day) was given back
    # The same run takes its day again (another step of it); other days are free.
    again = DayLeases(lake, "run-aaa", wait_seconds=0)
    again.acquire([DAY])
    first.release()
    again.release()
    second.acquire([DAY])
    second.release()


def test_a_waiting_run_gets_the_day_once_it_is_released(lake: Lake) -> None:
    holder = DayLeases(lake, "run-aaa")
    holder.acquire([DAY])
    timer = threading.Timer(1.5, holder.release)
    timer.start()
    waiter = DayLeases(lake, "run-bbb", wait_seconds=60, poll_seconds=0.2)
    try:
        waiter.acquire([DAY])
        assert list(waiter.held) == [DAY]
    finally:
        timer.join()
        waiter.release()


def test_an_expired_lease_is_taken_over_and_its_owner_cannot_publish(lake: Lake) -> None:
    now = [1000.0]
    killed = DayLeases(lake, "run-killed", lease_seconds=60, clock=lambda: now[0])
    killed.acquire([DAY])
    now[0] += 61
    taker = DayLeases(lake, "run-new", lease_seconds=60, wait_seconds=0, clock=lambda: now[0])
    taker.acquire([DAY])
    with pytest.raises(DayTakenError, match="expired and was taken"):
        killed.renew()
    taker.release()


def test_staged_days_are_published_together_or_not_at_all(lake: Lake) -> None:
    lake.write_day("theme_segments", DAY, rows("old"))
    with pytest.raises(RuntimeError), StagedDays(lake, DayLeases(lake, "run-1"), [DAY, OTHER]) as s:
        s.write_day("theme_segments", DAY, rows("new"))
        s.write_day("theme_segments", OTHER, rows("new"))
        raise RuntimeError("the third day failed")
    assert lake.read_day("theme_segments", DAY).equals(rows("old"))
    assert not lake.has_day("theme_segments", OTHER)
    assert lake.sweep_temporary(older_than_seconds=0) == []  # staged files were discarded

    with StagedDays(lake, DayLeases(lake, "run-2"), [DAY, OTHER]) as staged:
        staged.write_day("theme_segments", DAY, rows("new"))
        staged.write_day("theme_segments", OTHER, rows("new"))
        assert lake.read_day("theme_segments", DAY).equals(rows("old"))  # not yet
    assert lake.read_day("theme_segments", DAY).equals(rows("new"))
    assert lake.read_day("theme_segments", OTHER).equals(rows("new"))
    assert lake.tables() == ["theme_segments"]


def test_days_staged_by_workers_are_published_with_the_step_or_removed_with_it(
    lake: Lake,
) -> None:
    """A day worker stages a day's file itself under the step's owner; the step adopts it and
    publishes it with the others, and a failed step removes it, adopted yet or not."""
    lake.write_day("theme_segments", DAY, rows("old"))
    worker = Lake(lake.url, filesystem=lake.filesystem)  # as a worker process opens the lake
    with pytest.raises(RuntimeError), StagedDays(lake, DayLeases(lake, "run-1"), [DAY, OTHER]) as s:
        s.stage_elsewhere(["theme_segments"])
        s.adopt(
            "theme_segments", DAY, worker.stage_day("theme_segments", DAY, rows("new"), s.owner)
        )
        worker.stage_day("theme_segments", OTHER, rows("new"), s.owner)  # not adopted yet
        raise RuntimeError("the step failed")
    assert lake.read_day("theme_segments", DAY).equals(rows("old"))
    assert not lake.has_day("theme_segments", OTHER)
    assert lake.sweep_temporary(older_than_seconds=0) == []  # nothing staged was left behind

    with StagedDays(lake, DayLeases(lake, "run-2"), [DAY, OTHER]) as staged:
        with pytest.raises(LakeError, match="not staged by other processes"):
            staged.adopt("theme_keywords", DAY, "anywhere")
        staged.stage_elsewhere(["theme_segments"])
        with pytest.raises(LakeError, match="expected"):
            staged.adopt("theme_segments", DAY, lake.staged_path("theme_segments", DAY, "run-9"))
        for day in (DAY, OTHER):
            path = worker.stage_day("theme_segments", day, rows("new"), staged.owner)
            staged.adopt("theme_segments", day, path)
        assert lake.read_day("theme_segments", DAY).equals(rows("old"))  # not yet
        assert staged.read_day("theme_segments", OTHER).equals(rows("new"))
    assert lake.read_day("theme_segments", DAY).equals(rows("new"))
    assert lake.read_day("theme_segments", OTHER).equals(rows("new"))


def test_a_step_reads_its_own_staged_days_before_they_are_published(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY, rows("tf1"))
    with StagedDays(lake, DayLeases(lake, "run-1"), [DAY, OTHER]) as staged:
        staged.write_day("raw_captions", DAY, rows("france2"))
        staged.write_day("raw_captions", OTHER, rows("arte"))
        assert staged.read_day("raw_captions", DAY)["channel_name"].to_pylist() == ["france2"]
        assert staged.has_day("raw_captions", OTHER) and not lake.has_day("raw_captions", OTHER)
        both = staged.read_days("raw_captions", [DAY, OTHER], ["channel_name"])
        assert both["channel_name"].to_pylist() == ["france2", "arte"]
        # Others still read the published day until the step ends.
        assert lake.read_day("raw_captions", DAY)["channel_name"].to_pylist() == ["tf1"]
    assert lake.read_day("raw_captions", DAY)["channel_name"].to_pylist() == ["france2"]


def test_old_temporary_files_are_swept_and_recent_ones_kept(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    lake.write_day("raw_captions", DAY, rows("tf1"))
    folder = Path(lake.day_path("raw_captions", DAY)).parent
    killed = folder / ".part-0.parquet.0123abcd.tmp"
    killed.write_bytes(b"half a parquet file")
    day_old = time.time() - 2 * 24 * 3600
    os.utime(killed, (day_old, day_old))
    recent = folder / ".part-0.parquet.4567ef01.tmp"
    recent.write_bytes(b"a write in progress")
    assert lake.sweep_temporary() == [str(killed)]
    assert not killed.exists() and recent.exists()
    assert lake.read_day("raw_captions", DAY).equals(rows("tf1"))


def test_a_lake_path_with_glob_characters_gets_working_views(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake[2024]*?"))
    lake.write_day("channel_indicators", DAY, rows("tf1"))
    lake.write_day("channel_indicators", OTHER, rows("france2"))
    lake.write_table("channels", pa.table({"name": ["tf1", "france2"]}))
    with open_warehouse(lake, tmp_path / "w.duckdb") as connection:
        days = connection.sql("SELECT day FROM channel_indicators ORDER BY day").fetchall()
        assert [d for (d,) in days] == [DAY, OTHER]
        assert connection.sql("SELECT count(*) FROM channels").fetchall() == [(2,)]
    assert lake.dataset("channel_indicators").count_rows() == 2


def test_a_lease_left_by_a_run_that_ended_is_taken_over_at_once(lake: Lake) -> None:
    failed = DayLeases(lake, "run-failed")
    failed.acquire([DAY])
    failed.held.clear()  # the run died during an outage: its lease could not be deleted
    rerun = DayLeases(
        lake, "run-rerun", wait_seconds=0, finished=lambda owner: owner == "run-failed"
    )
    rerun.acquire([DAY])
    assert list(rerun.held) == [DAY]
    rerun.release()
