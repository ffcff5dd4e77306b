"""Days matched on worker processes: the same files as a sequential run, and a day that fails in
a worker leaves every day of the step as it was."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.keys import DAILY_TABLES
from assets.partitions import range_tags
from definitions import build_definitions
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

FIRST = date(2024, 3, 4)
DAYS = [FIRST + timedelta(days=i) for i in range(4)]


def settings_for(root: Path, workers: int) -> Settings:
    return Settings(
        lake_url=str(root / "lake"),
        warehouse_path=str(root / "warehouse.duckdb"),
        partitions_start="2024-01-01",
        day_workers=workers,
    )


def day_hashes(lake: Lake) -> dict[tuple[str, date], str]:
    """The bytes of every day file of the run's days."""
    return {
        (table, day): hashlib.sha256(Path(lake.day_path(table, day)).read_bytes()).hexdigest()
        for table in DAILY_TABLES
        for day in DAYS
    }


def daily_run(root: Path, workers: int, instance: DagsterInstance, job: str = DAILY_JOB):
    defs = build_definitions(settings_for(root, workers))
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags=range_tags(DAYS[0], DAYS[-1]), raise_on_error=False
    )


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def reference(root: Path, instance: DagsterInstance) -> Lake:
    defs = build_definitions(settings_for(root, 1))
    assert defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance).success
    return Lake(str(root / "lake"))


def test_two_workers_write_the_same_bytes_as_one(tmp_path: Path, instance) -> None:
    sequential = reference(tmp_path / "one", instance)
    assert daily_run(tmp_path / "one", 1, instance).success
    parallel = reference(tmp_path / "two", instance)
    result = daily_run(tmp_path / "two", 2, instance)
    assert result.success
    logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("on 2 worker(s)" in message for message in logs)
    assert day_hashes(parallel) == day_hashes(sequential)
    assert not list((Path(parallel.root) / "_leases").glob("*.json"))


def test_a_day_failing_in_a_worker_publishes_no_day_of_the_step(tmp_path: Path, instance) -> None:
    lake = reference(tmp_path, instance)
    assert daily_run(tmp_path, 2, instance).success
    before = day_hashes(lake)
    # The third day's captions become unreadable: the worker matching it fails.
    broken = Path(lake.day_path("raw_captions", DAYS[2]))
    broken.write_bytes(b"not a parquet file")
    before[("raw_captions", DAYS[2])] = hashlib.sha256(broken.read_bytes()).hexdigest()

    result = daily_run(tmp_path, 2, instance, job="rematch")

    assert not result.success
    failures = [
        event.event_specific_data.error
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE" and event.event_specific_data.error
    ]
    assert [failure.cause.message for failure in failures if failure.cause]
    causes = " ".join(failure.cause.message for failure in failures if failure.cause)
    assert "raw_captions" in causes and str(DAYS[2]) in causes, causes
    assert day_hashes(lake) == before
    staged = [p for p in Path(lake.root).rglob(".*staged")]
    assert staged == []
    assert not list((Path(lake.root) / "_leases").glob("*.json"))
