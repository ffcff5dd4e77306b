"""The CPU allowance of a run: cgroup v2 and v1 quotas, CPU sets, and the worker count."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import observatoire.runs.day_workers as day_workers
from observatoire.runs.day_workers import (
    DayWorkers,
    WorkerLostError,
    cgroup_cpu_limit,
    cpu_allowance,
    the_day,
    worker_count,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_v2_quota_of_two_cpus(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "200000 100000\n")
    proc = write(tmp_path / "proc", "0::/\n")
    assert cgroup_cpu_limit(tmp_path, proc) == 2.0


def test_no_v2_quota_means_no_limit(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "max 100000\n")
    proc = write(tmp_path / "proc", "0::/\n")
    assert cgroup_cpu_limit(tmp_path, proc) is None


def test_the_smallest_quota_on_the_group_path_wins(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "max 100000\n")
    write(tmp_path / "system.slice" / "cpu.max", "150000 100000\n")
    write(tmp_path / "system.slice" / "job.scope" / "cpu.max", "400000 100000\n")
    proc = write(tmp_path / "proc", "0::/system.slice/job.scope\n")
    assert cgroup_cpu_limit(tmp_path, proc) == 1.5


def test_a_v1_cfs_quota(tmp_path: Path) -> None:
    write(tmp_path / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "300000\n")
    write(tmp_path / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    proc = write(tmp_path / "proc", "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n")
    assert cgroup_cpu_limit(tmp_path, proc) == 3.0


def test_a_v1_unlimited_quota(tmp_path: Path) -> None:
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000\n")
    proc = write(tmp_path / "proc", "4:cpu:/\n")
    assert cgroup_cpu_limit(tmp_path, proc) is None


def test_unreadable_cgroups_mean_no_limit(tmp_path: Path) -> None:
    assert cgroup_cpu_limit(tmp_path / "absent", tmp_path / "absent-proc") is None


def test_the_allowance_is_the_cpu_set_lowered_by_the_quota(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(day_workers, "affinity_cpus", lambda: 8)
    proc = write(tmp_path / "proc", "0::/\n")
    write(tmp_path / "cpu.max", "250000 100000\n")
    assert cpu_allowance(tmp_path, proc) == 2  # 2.5 CPUs keep two workers busy, not three
    write(tmp_path / "cpu.max", "50000 100000\n")
    assert cpu_allowance(tmp_path, proc) == 1
    write(tmp_path / "cpu.max", "max 100000\n")
    assert cpu_allowance(tmp_path, proc) == 8
    monkeypatch.setattr(day_workers, "affinity_cpus", lambda: 2)
    write(tmp_path / "cpu.max", "400000 100000\n")
    assert cpu_allowance(tmp_path, proc) == 2


def test_the_machine_s_own_allowance_is_within_its_cpu_set() -> None:
    assert 1 <= cpu_allowance() <= len(os.sched_getaffinity(0))


def test_worker_count_caps() -> None:
    assert worker_count(31, allowance=4) == 4
    assert worker_count(31, cap=2, allowance=4) == 2
    assert worker_count(3, allowance=4) == 3
    assert worker_count(1, allowance=4) == 1
    assert worker_count(31, cap=8, allowance=1) == 1


def add_offset(state: int, day: date) -> int:
    return day.toordinal() + state


def offset(inputs: int) -> int:
    return inputs * 10


def failing_on_the_second(state: int, day: date) -> int:
    if day.day == 2:
        raise ValueError(f"day {day} cannot be computed")
    return state


@pytest.mark.parametrize("workers", [1, 2])
def test_results_come_in_day_order(workers: int) -> None:
    days = [date(2024, 1, d) for d in range(1, 8)]
    with DayWorkers(offset, 1, workers) as pool:
        results = list(pool.map(add_offset, days))
        assert pool.peak_memory_per_worker_mb() > 0
    assert results == [day.toordinal() + 10 for day in days]


def slowly_prepared(inputs: int) -> int:
    time.sleep(0.05)
    return inputs


def slowly_added(state: int, day: date) -> int:
    time.sleep(0.05)
    return day.toordinal() + state


@pytest.mark.parametrize("workers", [1, 2])
def test_the_pool_says_how_long_it_prepared_and_computed(workers: int) -> None:
    days = [date(2024, 1, d) for d in range(1, 7)]
    with DayWorkers(slowly_prepared, 1, workers) as pool:
        assert list(pool.map(slowly_added, days)) == [day.toordinal() + 1 for day in days]
    # Sleeps never end early: lower bounds only, whatever else the machine is doing.
    assert pool.preparation_seconds() >= 0.05
    assert pool.computing_seconds() >= 0.05 * len(days)


def dying_on_the_second(state: int, day: date) -> int:
    if day.day == 2:
        os._exit(9)  # as the kernel's out-of-memory killer would end it
    return state


def test_a_worker_that_dies_is_named_with_its_day() -> None:
    days = [date(2024, 1, d) for d in range(1, 5)]
    with (
        pytest.raises(WorkerLostError, match="while computing 2024-01-0"),
        DayWorkers(offset, 1, 2) as pool,
    ):
        list(pool.map(dying_on_the_second, days))


def dying_soon_after_the_first(state: int, day: date) -> int:
    if day.day == 1:
        # Ends this worker a moment after it returns, while it waits for its next day.
        threading.Timer(0.3, os._exit, (9,)).start()
    return state


def test_a_worker_that_dies_between_days_fails_the_next_submitted_day() -> None:
    # The caller holds day 1 for three seconds: the days in flight finish, then a worker dies
    # idle, and the pool breaks with no day running. The next submission is refused; that day
    # fails in its turn as a lost worker, after the days already computed. (Had the death come
    # late on a loaded machine, the submitted day fails in flight instead: the same error.)
    days = [date(2024, 1, d) for d in range(1, 9)]
    seen = []
    with pytest.raises(WorkerLostError), DayWorkers(offset, 1, 2) as pool:
        for result in pool.map(dying_soon_after_the_first, days):
            if not seen:
                time.sleep(3)
            seen.append(result)
    assert seen and set(seen) == {10}


def test_the_pool_ends_its_own_workers_once_broken() -> None:
    # The standard library's clean-up of a broken pool can miss a worker that a submission was
    # starting, then wait on that idle worker forever: the pool kills every worker it has.
    days = [date(2024, 1, d) for d in range(1, 5)]
    with DayWorkers(offset, 1, 2) as pool:
        assert list(pool.map(add_offset, days))
        workers = list(pool._pool._processes.values())  # type: ignore[union-attr]
        assert any(worker.is_alive() for worker in workers)
        pool._end_broken_pool()
        for worker in workers:
            worker.join(timeout=60)
            assert not worker.is_alive()


def read_ordinal(state: int, day: date) -> int:
    if day.day == 3:
        raise OSError(f"day {day} cannot be read")
    return day.toordinal()


def add_state(state: int, ordinal: int) -> int:
    return ordinal + state


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_read_raises_at_its_day(workers: int) -> None:
    days = [date(2024, 1, d) for d in range(1, 6)]
    seen = []
    with (
        pytest.raises(OSError, match="2024-01-03 cannot be read"),
        DayWorkers(offset, 1, workers) as pool,
    ):
        for result in pool.map_read_ahead(read_ordinal, add_state, days):
            seen.append(result)
    assert seen == [day.toordinal() + 10 for day in days[:2]]


def test_the_next_day_is_read_while_one_is_computed() -> None:
    """In the run's process, reading day 2 does not wait for day 1's computation: day 1's
    computation waits (at most a minute) for day 2's read to have happened."""
    second_read = threading.Event()
    overlapped: list[bool] = []

    def read(state: int, day: date) -> date:
        if day.day == 2:
            second_read.set()
        return day

    def compute(state: int, day: date) -> int:
        if day.day == 1:
            overlapped.append(second_read.wait(timeout=60))
        return day.day

    with DayWorkers(offset, 1, 1) as pool:
        assert list(pool.map_read_ahead(read, compute, [date(2024, 1, d) for d in (1, 2, 3)])) == [
            1,
            2,
            3,
        ]
    assert overlapped == [True]


def test_a_caller_that_stops_early_leaves_nothing_running() -> None:
    """A caller whose write fails after the first day: the days still queued are never
    computed, and no reading or computing thread outlives the pool."""
    computed: list[int] = []

    def compute(state: int, day: date) -> int:
        computed.append(day.day)
        return day.day

    days = [date(2024, 1, d) for d in range(1, 11)]
    with pytest.raises(RuntimeError, match="write failed"), DayWorkers(offset, 1, 1) as pool:
        for _ in pool.map_read_ahead(the_day, compute, days):
            raise RuntimeError("write failed")
    # The day the caller held, and the one ahead unless it was cancelled before it started.
    assert computed in ([1], [1, 2])
    assert not [t for t in threading.enumerate() if t.name.startswith(("day-read", "day-compute"))]


def test_the_state_warms_up_while_the_first_day_is_read() -> None:
    """In the run's process, the warm-up (compiling the matcher, say) does not hold back the
    first read: it waits (at most a minute) for that read to have happened, then the day is
    computed on the warmed state."""
    first_read = threading.Event()
    overlapped: list[bool] = []

    def warm_up(state: dict[str, int]) -> None:
        overlapped.append(first_read.wait(timeout=60))
        state["warm"] = 100

    def read(state: dict[str, int], day: date) -> int:
        first_read.set()
        return day.day

    def compute(state: dict[str, int], day: int) -> int:
        return day + state["warm"]

    with DayWorkers(dict, {}, 1, warm_up) as pool:
        results = list(pool.map_read_ahead(read, compute, [date(2024, 1, d) for d in (1, 2, 3)]))
    assert results == [101, 102, 103]
    assert overlapped == [True]
    assert pool.preparations() == 1


def warm(state: dict[str, int]) -> None:
    time.sleep(0.05)
    state["warm"] = 100
    state["warm-ups"] = state.get("warm-ups", 0) + 1


def add_warmth(state: dict[str, int], day: date) -> int:
    return day.day + state["warm"]


def warm_ups_so_far(state: dict[str, int], day: date) -> int:
    return state["warm-ups"]


def not_warming(state: dict[str, int]) -> None:
    raise ValueError("the dictionary cannot be compiled")


@pytest.mark.parametrize("workers", [1, 2])
def test_a_warm_up_runs_once_per_worker_and_counts_as_preparation(workers: int) -> None:
    days = [date(2024, 1, d) for d in range(1, 7)]
    with DayWorkers(dict, {}, workers, warm) as pool:
        assert list(pool.map(add_warmth, days)) == [day.day + 100 for day in days]
        # Every worker's state was warmed up once, whichever days it computed.
        assert list(pool.map(warm_ups_so_far, days)) == [1] * len(days)
    # Sleeps never end early: a lower bound only, whatever else the machine is doing.
    assert pool.preparation_seconds() >= 0.05


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("prepare", "inputs", "warm_up", "work", "error", "before"),
    [
        # A day that fails raises its own error after the days before it.
        (offset, 1, None, failing_on_the_second, "2024-01-02 cannot be computed", [10]),
        # A warm-up that fails raises its own error with the first day.
        (dict, {}, not_warming, add_warmth, "the dictionary cannot be compiled", []),
    ],
    ids=["day", "warm-up"],
)
def test_a_failure_raises_its_own_error(
    workers: int,
    prepare: Callable[[Any], Any],
    inputs: Any,
    warm_up: Callable[[Any], object] | None,
    work: Callable[[Any, date], int],
    error: str,
    before: list[int],
) -> None:
    days = [date(2024, 1, d) for d in range(1, 5)]
    seen = []
    with (
        pytest.raises(ValueError, match=error),
        DayWorkers(prepare, inputs, workers, warm_up) as pool,
    ):
        for result in pool.map(work, days):
            seen.append(result)
    assert seen == before
