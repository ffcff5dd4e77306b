"""The embedded default's event log keeps its SQLite connections open and stores what Dagster's
does.

Instances here are real SQLite instances under a temporary DAGSTER_HOME, loaded from
`deploy/local/dagster.yaml` as `make dev` loads them; the cross-process test runs a job in a second
Python process on the same files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    EventLogEntry,
    EventRecordsFilter,
    asset,
    asset_check,
    define_asset_job,
)

from resources.private_apis import SqliteEventLogStorage
from resources.sqlite_event_log import RUN_SHARDS_KEPT, KeptOpenSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[2]
LOCAL_INSTANCE = ROOT / "deploy" / "local" / "dagster.yaml"


@asset
def weather_words() -> int:
    return 3


@asset_check(asset=weather_words)
def weather_words_positive() -> AssetCheckResult:
    return AssetCheckResult(passed=True)


DEFS = Definitions(
    assets=[weather_words],
    asset_checks=[weather_words_positive],
    jobs=[define_asset_job("words", selection=[weather_words])],
)


def local_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(LOCAL_INSTANCE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DagsterInstance]:
    local_home(tmp_path / "home", monkeypatch)
    with DagsterInstance.get() as instance:
        yield instance


def run_words(instance: DagsterInstance) -> str:
    result = DEFS.resolve_job_def("words").execute_in_process(instance=instance)
    assert result.success
    return result.run_id


def materializations(instance: DagsterInstance) -> list[str]:
    records = instance.fetch_materializations(AssetKey("weather_words"), limit=100).records
    return sorted(record.run_id for record in records)


def test_the_local_instance_uses_it_in_dagsters_folders(
    instance: DagsterInstance, tmp_path: Path
) -> None:
    storage = instance.event_log_storage
    assert isinstance(storage, KeptOpenSqliteEventLogStorage)
    run_id = run_words(instance)
    assert (tmp_path / "home" / "history" / "runs" / f"{run_id}.db").exists()
    assert (tmp_path / "home" / "history" / "runs" / "index.db").exists()


def test_events_round_trip_with_one_connection_kept_per_shard(instance: DagsterInstance) -> None:
    run_id = run_words(instance)
    types = [event.dagster_event_type for event in instance.all_logs(run_id) if event.dagster_event]
    assert DagsterEventType.ASSET_MATERIALIZATION in types
    assert DagsterEventType.ASSET_CHECK_EVALUATION in types
    assert materializations(instance) == [run_id]
    check_key = weather_words_positive.check_key
    assert instance.event_log_storage.get_asset_check_execution_history(check_key, limit=5)
    storage = instance.event_log_storage
    assert isinstance(storage, KeptOpenSqliteEventLogStorage)
    # The index and the run's shard, each with its connection idle in its pool, not closed.
    assert set(storage._engines) == {"index", run_id}
    assert all(engine.pool.checkedin() == 1 for engine in storage._engines.values())


def test_another_process_writing_is_seen_at_once(instance: DagsterInstance, tmp_path: Path) -> None:
    """Connections kept open hold no snapshot: a run stored by another process between two reads
    is in the second read, and this process's own run is in the other process's read."""
    first = run_words(instance)
    assert materializations(instance) == [first]
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from dagster import AssetKey, DagsterInstance
        from test_sqlite_event_log import DEFS, materializations
        with DagsterInstance.get() as instance:
            seen = materializations(instance)
            result = DEFS.resolve_job_def("words").execute_in_process(instance=instance)
            print(",".join(seen), result.run_id)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    seen, second = done.stdout.split()[-2:]
    assert seen == first
    assert materializations(instance) == sorted([first, second])
    assert {event.run_id for event in instance.all_logs(second)} == {second}


def test_run_shards_kept_open_are_bounded(tmp_path: Path) -> None:
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    for number in range(RUN_SHARDS_KEPT + 6):
        assert storage.get_logs_for_run(f"run-{number}") == []
    kept = [shard for shard in storage._engines if shard != "index"]
    assert kept == [f"run-{number}" for number in range(6, RUN_SHARDS_KEPT + 6)]
    storage.dispose()
    assert storage._engines == {}


def log_line(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level="INFO", user_message=message, run_id=run_id, timestamp=time.time()
    )


def test_wipe_closes_connections_before_deleting_the_files(tmp_path: Path) -> None:
    """After a wipe, a shard written again lands in a new file, not in the deleted one a kept
    connection still pointed at."""
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    storage.store_event(log_line("run-a", "before"))
    storage.wipe()
    storage.store_event(log_line("run-a", "after"))
    dagsters_own = SqliteEventLogStorage(str(tmp_path / "history" / "runs"))
    assert [event.user_message for event in dagsters_own.get_logs_for_run("run-a")] == ["after"]
    dagsters_own.dispose()
    storage.dispose()


def test_dagsters_sqlite_storage_and_this_one_read_each_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An instance written by `storage: sqlite` keeps its history when the local configuration
    replaces the event log, and reads back what this one wrote."""
    home = tmp_path / "home"
    home.mkdir()
    with DagsterInstance.local_temp(str(home)) as dagsters_own:
        before = run_words(dagsters_own)
    local_home(home, monkeypatch)
    with DagsterInstance.get() as ours:
        assert materializations(ours) == [before]
        assert ours.all_logs(before)
        after = run_words(ours)
        records = ours.get_event_records(
            EventRecordsFilter(event_type=DagsterEventType.ASSET_MATERIALIZATION)
        )
        assert sorted(record.run_id for record in records) == sorted([before, after])
    (home / "dagster.yaml").unlink()
    with DagsterInstance.local_temp(str(home)) as dagsters_own:
        assert materializations(dagsters_own) == sorted([before, after])
