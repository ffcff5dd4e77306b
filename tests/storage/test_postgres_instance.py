"""The Dagster instance on a real PostgreSQL server, configured as in production.

Runs, event logs and asset materialisations written by one instance object must be readable by
another one built from the same configuration: that is what serverless runs, the daemon and the
webserver rely on when they share the database.
"""

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
import sqlalchemy
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config
from dagster._core.storage.config import pg_config
from dagster_postgres import PostgresEventLogStorage, PostgresRunStorage, PostgresScheduleStorage
from dagster_postgres.utils import pg_url_from_config

from resources.lake import LakeResource
from resources.postgres_event_log import KeptOpenPostgresEventLogStorage
from tests.services import PostgresDatabase

REPO = Path(__file__).resolve().parents[2]
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Europe/Paris")


@dg.asset(partitions_def=DAYS)
def counted_chunks(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    table = pa.table({"day": pa.array([day] * 3, pa.date32()), "n": [1, 2, 3]})
    lake.lake().write_day("raw_captions", day, table)
    return dg.MaterializeResult(metadata={"rows": table.num_rows})


@dg.asset(partitions_def=DAYS, deps=[counted_chunks])
def summed_chunks(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    day = date.fromisoformat(context.partition_key)
    total = sum(lake.lake().read_day("raw_captions", day).column("n").to_pylist())
    lake.lake().write_day("channel_indicators", day, pa.table({"total": [total]}))
    return dg.MaterializeResult(metadata={"total": total})


def materialise_days(instance: dg.DagsterInstance, lake_url: str, days: list[str]) -> None:
    for day in days:
        result = dg.materialize(
            [counted_chunks, summed_chunks],
            instance=instance,
            partition_key=day,
            resources={"lake": LakeResource(url=lake_url)},
        )
        assert result.success


def postgres_overrides(database: PostgresDatabase) -> dict[str, object]:
    config = {"postgres_db": database.postgres_db}
    return {
        "run_storage": {
            "module": "dagster_postgres.run_storage",
            "class": "PostgresRunStorage",
            "config": config,
        },
        "event_log_storage": {
            "module": "dagster_postgres.event_log",
            "class": "PostgresEventLogStorage",
            "config": config,
        },
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": config,
        },
    }


@pytest.fixture
def postgres_instance(
    postgres_db: PostgresDatabase, tmp_path: Path
) -> Iterator[dg.DagsterInstance]:
    (tmp_path / "home").mkdir()
    with dg.instance_for_test(
        overrides=postgres_overrides(postgres_db), temp_dir=str(tmp_path / "home")
    ) as instance:
        yield instance


def test_runs_and_materialisations_are_stored_in_postgres(
    postgres_instance: dg.DagsterInstance, postgres_db: PostgresDatabase, tmp_path: Path
) -> None:
    assert isinstance(postgres_instance.run_storage, PostgresRunStorage)
    assert isinstance(postgres_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(postgres_instance.schedule_storage, PostgresScheduleStorage)

    materialise_days(postgres_instance, str(tmp_path / "lake"), ["2024-03-30", "2024-03-31"])

    # A second instance on the same database (another process in production) sees everything.
    (tmp_path / "other").mkdir()
    with dg.instance_for_test(
        overrides=postgres_overrides(postgres_db), temp_dir=str(tmp_path / "other")
    ) as reader:
        runs = reader.get_runs()
        assert len(runs) == 2
        assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
        assert {run.tags["dagster/partition"] for run in runs} == {"2024-03-30", "2024-03-31"}

        records = reader.fetch_materializations(dg.AssetKey("summed_chunks"), limit=10).records
        by_partition = {r.partition_key: r.asset_materialization for r in records}
        assert set(by_partition) == {"2024-03-30", "2024-03-31"}
        assert by_partition["2024-03-31"].metadata["total"] == dg.IntMetadataValue(6)
        assert reader.get_materialized_partitions(dg.AssetKey("counted_chunks")) == {
            "2024-03-30",
            "2024-03-31",
        }
        failures = reader.get_records_for_run(
            runs[0].run_id, of_type=dg.DagsterEventType.STEP_FAILURE
        ).records
        assert failures == []

    connection = postgres_db.server.connect(postgres_db.name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM runs")
            assert cursor.fetchone() == (2,)
            cursor.execute(
                "SELECT count(*) FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'"
            )
            assert cursor.fetchone() == (4,)
    finally:
        connection.close()


def production_home(
    tmp_path: Path, postgres_db: PostgresDatabase, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A DAGSTER_HOME holding deploy/scaleway/dagster.yaml, its database variables set."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "scaleway" / "dagster.yaml", home / "dagster.yaml")
    for name, value in postgres_db.environ.items():
        monkeypatch.setenv(name, value)
    return home


def test_production_yaml_runs_on_postgres_with_every_secret_from_the_environment(
    postgres_db: PostgresDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = production_home(tmp_path, postgres_db, monkeypatch)
    monkeypatch.setenv("OBSERVATOIRE_JOBS_ACCESS_KEY", "SCWXXXXXXXXXXXXXXXXX")
    monkeypatch.setenv("OBSERVATOIRE_JOBS_SECRET_KEY", "11111111-1111-1111-1111-111111111111")
    monkeypatch.setenv("OBSERVATOIRE_JOBS_PROJECT_ID", "22222222-2222-2222-2222-222222222222")
    monkeypatch.setenv("OBSERVATOIRE_JOBS_REGION", "fr-par")
    monkeypatch.setenv("OBSERVATOIRE_JOB_DEFINITION_SMALL", "33333333-3333-3333-3333-333333333333")
    monkeypatch.setenv("OBSERVATOIRE_JOB_DEFINITION_LARGE", "44444444-4444-4444-4444-444444444444")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    instance = dg.DagsterInstance.get()
    try:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, KeptOpenPostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert instance.run_coordinator.get_run_queue_config().max_concurrent_runs == 4
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_start_timeout_seconds == 900
        launcher = instance.run_launcher
        assert type(launcher).__name__ == "ScalewayJobsRunLauncher"
        assert launcher.job_definitions == {
            "small": "33333333-3333-3333-3333-333333333333",
            "large": "44444444-4444-4444-4444-444444444444",
        }

        materialise_days(instance, str(tmp_path / "lake"), ["2024-06-01"])
        (run,) = instance.get_runs()
        assert run.status == dg.DagsterRunStatus.SUCCESS
        assert instance.get_materialized_partitions(dg.AssetKey("summed_chunks")) == {"2024-06-01"}
    finally:
        instance.dispose()


def production_database_url(home: Path) -> str:
    """The database URL dagster-postgres builds from deploy/scaleway/dagster.yaml and the env."""
    storage = dagster_instance_config(str(home))[0]["event_log_storage"]["config"]
    processed = process_config(resolve_to_config_type(pg_config()), storage)
    assert processed.success, processed.errors
    return pg_url_from_config(processed.value)


def test_sslmode_comes_from_the_environment(
    postgres_db: PostgresDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PGSSLMODE=require is honoured: this loopback server has no TLS, so connecting must fail."""
    home = production_home(tmp_path, postgres_db, monkeypatch)
    url = production_database_url(home)
    assert url.startswith("postgresql+psycopg2://") and "sslmode" not in url

    engine = sqlalchemy.create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as connection:
        assert connection.execute(sqlalchemy.text("SELECT 1")).scalar() == 1
    monkeypatch.setenv("PGSSLMODE", "require")
    with pytest.raises(sqlalchemy.exc.OperationalError, match="SSL was required"):
        engine.connect()
    engine.dispose()


def test_local_yaml_is_embedded_sqlite_under_dagster_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "local" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))

    instance = dg.DagsterInstance.get()
    try:
        assert type(instance.run_storage).__name__ == "SqliteRunStorage"
        assert type(instance.event_log_storage).__name__ == "KeptOpenSqliteEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "SqliteScheduleStorage"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        assert not instance.telemetry_enabled
        materialise_days(instance, str(tmp_path / "lake"), ["2024-06-01"])
        assert instance.get_materialized_partitions(dg.AssetKey("summed_chunks")) == {"2024-06-01"}
    finally:
        instance.dispose()
    assert (home / "history" / "runs.db").is_file()
    assert (home / "history" / "runs" / "index.db").is_file()
    assert (home / "schedules" / "schedules.db").is_file()
