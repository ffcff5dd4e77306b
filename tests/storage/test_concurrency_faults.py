"""Faults the lake must survive: processes killed mid-write, concurrent runs, storage outages."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pytest
import yaml
from moto.s3.models import S3Backend

from definitions import build_definitions
from observatoire.storage.lake import Lake
from observatoire.storage.warehouse import open_warehouse
from tests.services import PostgresDatabase, S3Bucket, S3Server
from tests.storage.graph import (
    DAYS,
    differences,
    graph_settings,
    lake_of,
    run_days,
    run_reference,
    snapshot,
)

REPO = Path(__file__).resolve().parents[2]
DAY = date(2024, 10, 27)  # 25-hour day in Europe/Paris

# Run in a child process: write a large day to the lake, with a fault that SIGKILLs the process
# at a chosen point of the write. Arguments: lake URL (+ S3 settings in the environment), fault.
WRITER = textwrap.dedent(
    """
    import builtins, os, signal, sys
    from datetime import date
    import pyarrow as pa
    import observatoire.storage.lake as lake_module
    from resources.lake import LakeResource
    from observatoire.settings import Settings

    fault = sys.argv[1]

    def die():
        sys.stdout.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    class DiesHalfway:
        # A file that is killed with its process once a few MB of Parquet have reached the disk.
        def __init__(self, handle):
            self._handle = handle
            self._written = 0

        def write(self, data):
            self._written += len(data)
            if self._written > 4 << 20:
                self._handle.write(bytes(data)[: len(data) // 2])
                self._handle.flush()
                die()
            return self._handle.write(data)

        def __getattr__(self, name):
            return getattr(self._handle, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._handle.close()

    if fault == "mid-write":
        lake_module.open = lambda path, mode: DiesHalfway(builtins.open(path, mode))
    elif fault == "before-rename":
        os.replace = lambda *args, **kwargs: die()

    lake = LakeResource.from_settings(Settings.from_env()).lake()
    big = pa.table({"blob": [os.urandom(1 << 20) for _ in range(24)]})
    print("writing", flush=True)
    lake.write_day("raw_captions", date.fromisoformat(sys.argv[2]), big)
    print("written", flush=True)
    """
)


def previous_version() -> pa.Table:
    return pa.table({"chunk_id": ["a", "b", "c"], "day": pa.array([DAY] * 3, pa.date32())})


def run_writer(
    fault: str, environ: dict[str, str], *, wait: bool = True
) -> subprocess.Popen[str] | subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", WRITER, fault, DAY.isoformat()]
    env = {**os.environ, **environ}
    if not wait:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("fault", ["mid-write", "before-rename"])
def test_local_writer_killed_mid_write_leaves_previous_day(fault: str, tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    lake.write_day("raw_captions", DAY, previous_version())

    result = run_writer(fault, {"OBSERVATOIRE_LAKE_URL": lake.url})

    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "written" not in result.stdout
    folder = tmp_path / "lake" / "raw_captions" / f"day={DAY}"
    leftovers = [p for p in folder.iterdir() if p.name != "part-0.parquet"]
    assert leftovers and all(p.name.startswith(".") for p in leftovers)  # the killed write
    assert lake.read_day("raw_captions", DAY).equals(previous_version())
    assert lake.days("raw_captions") == [DAY]
    with open_warehouse(lake, ":memory:") as connection:
        assert connection.execute("SELECT count(*) FROM raw_captions").fetchone() == (3,)

    # The next write of the day goes through normally.
    lake.write_day("raw_captions", DAY, previous_version().slice(0, 1))
    assert lake.read_day("raw_captions", DAY).num_rows == 1


def test_s3_writer_killed_mid_upload_leaves_previous_day(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer dies while its parts are uploading: the object keeps its previous content."""
    environ = s3_bucket.environ()
    lake = Lake(
        environ["OBSERVATOIRE_LAKE_URL"],
        s3_endpoint=s3_bucket.server.endpoint,
        s3_region=s3_bucket.server.region,
        access_key=s3_bucket.server.access_key,
        secret_key=s3_bucket.server.secret_key,
    )
    lake.write_day("raw_captions", DAY, previous_version())

    # Hold the first part upload inside the server until the writer has been killed.
    part_arrived, release = threading.Event(), threading.Event()
    upload_part = S3Backend.upload_part

    def held_upload_part(self, *args, **kwargs):
        part_arrived.set()
        release.wait(timeout=60)
        return upload_part(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "upload_part", held_upload_part)
    writer = run_writer("none", environ, wait=False)
    try:
        assert part_arrived.wait(timeout=120), "the writer never started uploading"
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        release.set()
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    monkeypatch.undo()

    assert writer.returncode == -signal.SIGKILL
    assert lake.read_day("raw_captions", DAY).equals(previous_version())
    assert s3_bucket.object_keys() == [f"lake/raw_captions/day={DAY}/part-0.parquet"]
    # The abandoned upload stays invisible (a bucket lifecycle rule reclaims its parts).
    uploads = s3_bucket.server.client().list_multipart_uploads(Bucket=s3_bucket.name)
    assert [u["Key"] for u in uploads.get("Uploads", [])] == [
        f"lake/raw_captions/day={DAY}/part-0.parquet"
    ]


# ------------------------------------------------------------------ the graph, concurrently

# Run in a child process: the daily stages for one day, on the instance of $DAGSTER_HOME and the
# lake of the OBSERVATOIRE_* settings, after waiting for its sibling at a file barrier.
DAY_RUNNER = textwrap.dedent(
    """
    import sys, time
    from datetime import date
    from pathlib import Path
    import dagster as dg
    from definitions import build_definitions
    from observatoire.settings import Settings
    from tests.storage.graph import run_days

    day, barrier, expected = date.fromisoformat(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    defs = build_definitions(Settings.from_env())
    instance = dg.DagsterInstance.get()
    (barrier / f"ready-{day}").touch()
    deadline = time.monotonic() + 300
    while len(list(barrier.glob("ready-*"))) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    result = run_days(defs, instance, [day], raise_on_error=False)
    print(result.run_id, flush=True)
    sys.exit(0 if result.success else 1)
    """
)


def postgres_home(folder: Path, database: PostgresDatabase) -> Path:
    """A DAGSTER_HOME whose instance keeps runs and events in the given PostgreSQL database."""
    folder.mkdir()
    config = {"storage": {"postgres": {"postgres_db": database.postgres_db}}}
    config["telemetry"] = {"enabled": False}
    (folder / "dagster.yaml").write_text(yaml.safe_dump(config))
    return folder


@pytest.mark.slow
def test_two_runs_on_different_days_at_once_both_succeed_and_lose_nothing(
    s3_bucket: S3Bucket,
    postgres_db: PostgresDatabase,
    tmp_path: Path,
    expected_lake: dict[tuple[str, str], pa.Table],
) -> None:
    home = postgres_home(tmp_path / "dagster_home", postgres_db)
    environ = {**s3_bucket.environ(), "DAGSTER_HOME": str(home)}
    settings = graph_settings(environ)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        assert run_reference(build_definitions(settings), instance).success

        barrier = tmp_path / "barrier"
        barrier.mkdir()
        env = {**os.environ, **environ}
        runners = [
            subprocess.Popen(
                [sys.executable, "-c", DAY_RUNNER, day.isoformat(), str(barrier), str(len(DAYS))],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for day in DAYS
        ]
        outputs = [runner.communicate(timeout=600) for runner in runners]
        for runner, (_, stderr) in zip(runners, outputs, strict=True):
            assert runner.returncode == 0, stderr[-3000:]

        records = instance.get_run_records()
        assert len(records) == 3
        assert {r.dagster_run.status for r in records} == {dg.DagsterRunStatus.SUCCESS}
        daily = [r for r in records if "dagster/partition" in r.dagster_run.tags]
        assert sorted(r.dagster_run.tags["dagster/partition"] for r in daily) == [
            day.isoformat() for day in DAYS
        ]
        # The two runs really overlapped in time.
        assert max(r.start_time for r in daily) < min(r.end_time for r in daily)
        for table in ("raw_captions", "theme_segments", "time_monitored", "channel_indicators"):
            partitions = instance.get_materialized_partitions(dg.AssetKey(table))
            assert partitions >= {day.isoformat() for day in DAYS}, table
    finally:
        instance.dispose()

    assert differences(snapshot(lake_of(settings)), expected_lake) == []


# ------------------------------------------------------------------ object storage outage


@pytest.mark.slow
def test_object_storage_outage_fails_the_run_clearly_and_a_rerun_recovers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    expected_lake: dict[tuple[str, str], pa.Table],
) -> None:
    server = S3Server().start()
    try:
        bucket = server.create_bucket("observatoire-outage")
        settings = graph_settings(bucket.environ())
        defs = build_definitions(settings)

        # The server goes away while the run writes its first theme_segments day.
        writing, stopped = threading.Event(), threading.Event()
        put_object = S3Backend.put_object

        def put_then_outage(self, bucket_name, key_name, *args, **kwargs):
            if "/theme_segments/" in key_name and not writing.is_set():
                writing.set()
                stopped.wait(timeout=60)
            return put_object(self, bucket_name, key_name, *args, **kwargs)

        def outage() -> None:
            if writing.wait(timeout=600):
                server.stop()
            stopped.set()

        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
            assert run_reference(defs, instance).success
            monkeypatch.setattr(S3Backend, "put_object", put_then_outage)
            watcher = threading.Thread(target=outage, daemon=True)
            watcher.start()
            failed = run_days(defs, instance, DAYS, raise_on_error=False)
            watcher.join(timeout=60)
            monkeypatch.undo()

            assert writing.is_set() and not failed.success
            failures = [
                event.step_failure_data.error.to_string()
                for event in failed.all_events
                if event.event_type == dg.DagsterEventType.STEP_FAILURE
            ]
            assert failures, "no step failed"
            message = failures[0]
            assert f"object storage unreachable at {server.endpoint}" in message
            assert "bucket 'observatoire-outage'" in message
            assert server.secret_key not in message

            # The store comes back (same port, same content) and the same run is launched again.
            server.start()
            lake = lake_of(settings)
            partial = snapshot(lake)
            assert set(partial) < set(expected_lake)
            assert differences(partial, {k: expected_lake[k] for k in partial}) == []

            assert run_days(defs, instance, DAYS).success
            assert differences(snapshot(lake), expected_lake) == []
    finally:
        server.stop()
