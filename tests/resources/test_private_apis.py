"""One test per assumption `resources.private_apis` makes about Dagster and Scaleway SDK internals.

Each fails on an upgrade that moves, renames or changes what the run launcher relies on, with the
assumption in its name, before any launch does.
"""

from __future__ import annotations

import base64
import inspect
import json
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    DagsterInstance,
    deserialize_value,
    serialize_value,
)
from dagster._cli.api import execute_run_command
from dagster._core.test_utils import instance_for_test
from scaleway import Client
from scaleway.jobs.v1alpha2 import JobsV1Alpha2API
from scaleway_core.api import API

from assets.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG
from resources import private_apis
from resources.private_apis import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    COMPRESSED_EXECUTE_RUN_ARGS_ENV,
    EXECUTE_RUN_ARGS_ENV,
    PARTITION_NAME_TAG,
    AssetCheckEvaluationTargetMaterializationData,
    BoundedJobsAPI,
    CheckRunHealthResult,
    ConfigurableClass,
    ConfigurableClassData,
    EngineEventData,
    ExecuteRunArgs,
    LaunchRunContext,
    NonJsonResponseError,
    RunLauncher,
    UnresolvedPartitionedAssetScheduleDefinition,
    WorkerStatus,
    launcher_instance,
    replace_json_body,
)
from resources.scaleway_launcher import ScalewayJobsRunLauncher
from tests.fakes.scaleway_jobs import ACCESS_KEY, PROJECT_ID, SECRET_KEY, FakeScalewayJobs
from tests.resources.test_scaleway_launcher import code_origin

JOB_RUN = r"/job-runs/[^/]+$"


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_private_imports_appear_only_in_the_private_apis_module() -> None:
    """No deployed module but this one takes anything from `dagster._*`, and the launcher
    touches none of the SDK's or requests' private attributes itself."""
    root = Path(__file__).resolve().parents[2]
    sources = [root / "definitions.py"] + [
        path
        for package in ("observatoire", "assets", "resources", "sensors")
        for path in sorted((root / package).rglob("*.py"))
    ]
    offending = [
        str(path.relative_to(root))
        for path in sources
        if path.name != "private_apis.py"
        and ("dagster._" in path.read_text() or "from dagster import _" in path.read_text())
    ]
    assert offending == []
    launcher = inspect.getsource(sys.modules[ScalewayJobsRunLauncher.__module__])
    assert "._request" not in launcher and "._content" not in launcher


def test_run_launcher_abstract_methods_and_hooks() -> None:
    """`RunLauncher` asks for `launch_run` and `terminate`, and offers the hooks we override."""
    assert RunLauncher.__abstractmethods__ == frozenset({"launch_run", "terminate"})
    assert parameters(RunLauncher.launch_run) == ["self", "context"]
    assert parameters(RunLauncher.terminate) == ["self", "run_id"]
    assert parameters(RunLauncher.check_run_worker_health) == ["self", "run"]
    assert parameters(RunLauncher.get_run_worker_debug_info) == [
        "self",
        "run",
        "include_container_logs",
    ]
    assert parameters(RunLauncher.dispose) == ["self"]
    assert isinstance(
        inspect.getattr_static(RunLauncher, "supports_check_run_worker_health"), property
    )
    assert not ScalewayJobsRunLauncher.__abstractmethods__


def test_launch_run_context_carries_the_run() -> None:
    """`LaunchRunContext.dagster_run` is the run to launch."""
    assert "dagster_run" in LaunchRunContext._fields


def test_check_run_health_result_and_worker_statuses() -> None:
    """`CheckRunHealthResult(status, msg, run_worker_id=...)` over the five `WorkerStatus`es."""
    assert {status.name for status in WorkerStatus} >= {
        "RUNNING",
        "NOT_FOUND",
        "FAILED",
        "SUCCESS",
        "UNKNOWN",
    }
    result = CheckRunHealthResult(WorkerStatus.FAILED, "exit 1", run_worker_id="job-run-1")
    assert (result.status, result.msg, result.run_worker_id) == (
        WorkerStatus.FAILED,
        "exit 1",
        "job-run-1",
    )


def test_engine_event_data_takes_metadata_first() -> None:
    """`EngineEventData(metadata)` keeps plain values as metadata entries."""
    data = EngineEventData({"Scaleway job run id": "job-run-1"})
    assert data.metadata["Scaleway job run id"].value == "job-run-1"


def test_partition_tags_are_dagsters_own() -> None:
    """The tag names Dagster writes on partitioned runs are the ones the assets read
    (`assets.partitions`): stored on runs, they must not move."""
    assert PARTITION_NAME_TAG == PARTITION_TAG == "dagster/partition"
    assert ASSET_PARTITION_RANGE_START_TAG == RANGE_START_TAG
    assert ASSET_PARTITION_RANGE_END_TAG == RANGE_END_TAG
    assert RANGE_START_TAG == "dagster/asset_partition_range_start"
    assert RANGE_END_TAG == "dagster/asset_partition_range_end"


def test_execute_run_reads_its_arguments_from_the_environment() -> None:
    """`dagster api execute_run` reads plain and compressed arguments from our two variables."""
    envvars = {param.name: param.envvar for param in execute_run_command.params}
    assert envvars == {
        "input_json": EXECUTE_RUN_ARGS_ENV,
        "compressed_input_json": COMPRESSED_EXECUTE_RUN_ARGS_ENV,
    }
    source = inspect.getsource(execute_run_command.callback)  # type: ignore[arg-type]
    assert "zlib.decompress" in source and "base64.b64decode" in source


def test_execute_run_args_fields_and_round_trip() -> None:
    """`ExecuteRunArgs` takes these four fields and survives serialization without an origin
    check (`instance_ref=None`: the job's container loads its instance from DAGSTER_HOME)."""
    assert list(ExecuteRunArgs._fields) == [
        "job_origin",
        "run_id",
        "instance_ref",
        "set_exit_code_on_failure",
    ]
    args = ExecuteRunArgs(
        job_origin=code_origin(),
        run_id="0c7f6b5e-run",
        instance_ref=None,
        set_exit_code_on_failure=True,
    )
    serialized = serialize_value(args)
    compressed = base64.b64encode(zlib.compress(serialized.encode())).decode()
    decoded = zlib.decompress(base64.b64decode(compressed.encode())).decode()
    assert deserialize_value(decoded, ExecuteRunArgs) == args


def test_execute_run_command_is_the_dagster_cli() -> None:
    """`dagster api execute_run` exists as the job's startup command and fails without args."""
    completed = subprocess.run(
        [sys.executable, "-m", "dagster", "api", "execute_run", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "--compressed-input-json" in completed.stdout


def test_a_partitioned_asset_job_schedule_is_unresolved() -> None:
    """The nightly schedule, built from the daily asset job, is the unresolved schedule class."""
    from sensors.schedules import daily_job, nightly_schedule

    schedule = nightly_schedule(daily_job())
    assert isinstance(schedule, UnresolvedPartitionedAssetScheduleDefinition)


def test_check_evaluation_names_its_target_materialization() -> None:
    """`AssetCheckEvaluationTargetMaterializationData(run_id, storage_id, timestamp)` is what an
    `AssetCheckEvaluation` takes as `target_materialization_data`."""
    target = AssetCheckEvaluationTargetMaterializationData(
        run_id="0c7f6b5e-run", storage_id=12, timestamp=1_775_000_000.0
    )
    evaluation = AssetCheckEvaluation(
        asset_key=AssetKey("raw_captions"),
        check_name="unique_chunk_ids",
        passed=True,
        metadata={},
        target_materialization_data=target,
        partition="2026-03-29",
    )
    assert evaluation.target_materialization_data == target
    assert (target.run_id, target.storage_id, target.timestamp) == (
        "0c7f6b5e-run",
        12,
        1_775_000_000.0,
    )


def test_configurable_class_contract() -> None:
    """`ConfigurableClass` wants `inst_data`, `config_type` and `from_config_value(inst_data,
    config_value)`; `ConfigurableClassData(module_name, class_name, config_yaml)`."""
    assert {"inst_data", "config_type", "from_config_value"} <= set(
        ConfigurableClass.__abstractmethods__
    )
    assert parameters(ConfigurableClass.from_config_value) == ["inst_data", "config_value"]
    assert list(ConfigurableClassData._fields) == ["module_name", "class_name", "config_yaml"]


def test_sqlite_event_log_reaches_every_shard_through_connect(tmp_path: Path) -> None:
    """`SqliteEventLogStorage(base_dir, inst_data)` keeps run shards and the index shard as
    `<base_dir>/<shard>.db`, opened through the context manager `_connect(shard)` under the
    non-reentrant `_db_lock`, tables created once per shard by `_initdb(engine)` and remembered in
    `_initialized_dbs`; `has_table(name)`, `wipe()` and `dispose()` exist; the busy timeout is a
    number of seconds."""
    assert parameters(private_apis.SqliteEventLogStorage.__init__) == [
        "self",
        "base_dir",
        "inst_data",
    ]
    assert parameters(private_apis.SqliteEventLogStorage._connect) == ["self", "shard"]
    assert parameters(private_apis.SqliteEventLogStorage._initdb)[:2] == ["self", "engine"]
    assert parameters(private_apis.SqliteEventLogStorage.has_table) == ["self", "table_name"]
    assert private_apis.INDEX_SHARD_NAME == "index"
    assert isinstance(private_apis.SQLITE_BUSY_TIMEOUT_SECONDS, int | float)
    storage = private_apis.SqliteEventLogStorage(str(tmp_path))
    assert storage.path_for_shard("a-run") == str(tmp_path / "a-run.db")
    assert (tmp_path / "index.db").exists()
    assert isinstance(storage._initialized_dbs, set)
    assert not hasattr(storage._db_lock, "_is_owned")  # a plain Lock, not an RLock
    with storage._connect("a-run") as conn:
        assert conn.in_transaction()
        assert storage._db_lock.locked()
    assert "a-run" in storage._initialized_dbs and (tmp_path / "a-run.db").exists()
    assert storage.has_table("event_logs")
    storage.wipe()
    assert not (tmp_path / "a-run.db").exists()
    storage.dispose()


def test_postgres_event_log_connects_through_its_engine() -> None:
    """`PostgresEventLogStorage` reaches the database only through `self._engine`, the attribute
    its own `optimize_for_webserver` replaces."""
    from dagster_postgres import PostgresEventLogStorage

    for method in ("_connect", "optimize_for_webserver"):
        assert "self._engine" in inspect.getsource(getattr(PostgresEventLogStorage, method))
    for method in ("run_connection", "index_connection"):
        assert "self._connect()" in inspect.getsource(getattr(PostgresEventLogStorage, method))
    assert "self._engine = create_pg_engine(" in inspect.getsource(PostgresEventLogStorage)


@pytest.fixture
def fake() -> Iterator[FakeScalewayJobs]:
    with FakeScalewayJobs(hang_seconds=10.0) as fake:
        yield fake


def launcher_config(fake: FakeScalewayJobs, definition_id: str) -> dict[str, object]:
    return {
        "module": "resources.scaleway_launcher",
        "class": "ScalewayJobsRunLauncher",
        "config": {
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "api_url": fake.url,
            "project_id": PROJECT_ID,
            "job_definitions": {"small": definition_id},
            "read_timeout_seconds": 1.0,
            "reconcile_seconds": 2.0,
        },
    }


def test_launcher_instance_is_the_instance_that_loaded_it(fake: FakeScalewayJobs) -> None:
    """`RunLauncher._instance` is the instance that loaded the launcher from its config."""
    definition_id = fake.add_job_definition("small", cpu_limit=1000, memory_limit=2048)
    with instance_for_test(overrides={"run_launcher": launcher_config(fake, definition_id)}) as (
        instance
    ):
        launcher = instance.run_launcher
        assert isinstance(launcher, ScalewayJobsRunLauncher)
        assert launcher_instance(launcher) is instance
        assert isinstance(launcher_instance(launcher), DagsterInstance)


def test_sdk_request_signature() -> None:
    """`API._request(method, path, params, headers, body)` is the one place the SDK sends from."""
    assert parameters(API._request) == ["self", "method", "path", "params", "headers", "body"]
    assert parameters(BoundedJobsAPI._request) == parameters(API._request)
    source = inspect.getsource(API._request)
    assert "requests.request(" in source and "x-total-count" in source


def test_sdk_client_attributes_the_override_reads() -> None:
    """The client exposes what `BoundedJobsAPI._request` puts in each request."""
    client = Client(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        default_region="fr-par",
        api_url="http://127.0.0.1:9",
    )
    assert client.secret_key == SECRET_KEY
    assert client.api_url == "http://127.0.0.1:9"
    assert isinstance(client.user_agent, str) and client.user_agent
    assert client.api_allow_insecure in (True, False)


def test_every_sdk_call_goes_through_the_bounded_request(fake: FakeScalewayJobs) -> None:
    """The SDK's calls route through `_request`: a hanging answer times out under the override,
    and a listing still gets its `total_count`."""
    definition_id = fake.add_job_definition("small", cpu_limit=1000, memory_limit=2048)
    client = Client(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        default_region="fr-par",
        default_project_id=PROJECT_ID,
        api_url=fake.url,
    )
    api = BoundedJobsAPI(client, timeout=(5.0, 5.0))  # the fake's hangs last 10 s
    try:
        started = api.start_job_definition(job_definition_id=definition_id, replicas=1)
        job_run_id = started.job_runs[0].id
        assert api.get_job_run(job_run_id=job_run_id).id == job_run_id
        listed = api.list_job_runs(job_definition_id=definition_id)
        assert listed.total_count == 1
        fake.inject("GET", JOB_RUN, kind="hang")
        with pytest.raises(requests.Timeout):
            api.get_job_run(job_run_id=job_run_id)
        fake.inject("GET", JOB_RUN, kind="html", status=502)
        with pytest.raises(NonJsonResponseError):
            api.get_job_run(job_run_id=job_run_id)
    finally:
        api.close()
    assert issubclass(BoundedJobsAPI, JobsV1Alpha2API)


def test_response_json_reads_the_replaced_content() -> None:
    """`requests.Response.json()` decodes `_content`, the attribute `replace_json_body` sets."""
    response = requests.Response()
    response.status_code = 200
    response._content = b'{"job_runs": []}'
    replace_json_body(response, {"job_runs": [], "total_count": 7})
    assert response.json() == {"job_runs": [], "total_count": 7}
    assert json.loads(response.text)["total_count"] == 7


def test_module_exports_what_it_documents() -> None:
    assert set(private_apis.__all__) <= set(dir(private_apis))
