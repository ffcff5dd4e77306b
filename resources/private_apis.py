"""Every private Dagster and Scaleway SDK internal the project relies on, in one place.

A run launcher is a Dagster extension point that Dagster only offers from private modules
(`dagster._core.launcher`, `dagster._serdes`, ...), and the Scaleway SDK has no way to give its
requests a timeout but to override its private `_request`. No other module of the deployed code
(observatoire, assets, resources, sensors) imports these internals: an upgrade that moves or
changes one breaks this module and its tests (tests/resources/test_private_apis.py, one test per
assumption below), not the launcher at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests
from dagster import DagsterInstance

# Assumption: an asset check evaluation names the materialization it checked with
# `AssetCheckEvaluationTargetMaterializationData(run_id, storage_id, timestamp)`, which the UI uses
# to show the check against that partition's materialization.
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

# Assumption: a schedule built from an asset job (`define_asset_job`) by the public
# `build_schedule_from_partitioned_job` is this class, resolved when `Definitions` are built; only
# its name is private, for the schedule's type annotation.
from dagster._core.definitions.partitions.partitioned_schedule import (
    UnresolvedPartitionedAssetScheduleDefinition,
)

# Assumption: a launcher's engine event carries its metadata as `EngineEventData(metadata)`.
from dagster._core.events import EngineEventData

# Assumption: a run launcher subclasses `RunLauncher` (abstract `launch_run(context)` and
# `terminate(run_id)`; optional `check_run_worker_health(run)`, `get_run_worker_debug_info`,
# `dispose`), receives a `LaunchRunContext` whose `dagster_run` is the run to start, and answers
# health checks with `CheckRunHealthResult(status, msg, run_worker_id=...)` over `WorkerStatus`.
from dagster._core.launcher.base import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)

# Assumption: Dagster's SQLite event log `SqliteEventLogStorage(base_dir, inst_data)` keeps one
# SQLite file per run plus the `INDEX_SHARD_NAME` shard under `base_dir`, and reaches every one
# through `_connect(shard)`: a context manager that holds the non-reentrant `_db_lock`, builds an
# engine for `conn_string_for_shard(shard)`, creates the shard's tables on first use
# (`_initdb(engine)`, remembered in the set `_initialized_dbs`) and yields a connection in a
# transaction; `has_table(name)` opens its own engine; `wipe()` deletes the run shard files.
# `SQLITE_BUSY_TIMEOUT_SECONDS` is the busy timeout its connections wait on another process.
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

# Assumption: the run tags Dagster sets on a partitioned run: one partition, or a range of them.
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

# Assumption: `dagster api execute_run` reads a serialized `ExecuteRunArgs(job_origin, run_id,
# instance_ref, set_exit_code_on_failure)` from DAGSTER_EXECUTE_RUN_ARGS, or zlib-compressed and
# base64-encoded from DAGSTER_COMPRESSED_EXECUTE_RUN_ARGS.
from dagster._grpc.types import ExecuteRunArgs

# Assumption: a class configured from dagster.yaml implements `ConfigurableClass` (`inst_data`,
# `config_type()`, `from_config_value(inst_data, config_value)`).
from dagster._serdes import ConfigurableClass, ConfigurableClassData
from scaleway import Client
from scaleway.jobs.v1alpha2 import JobsV1Alpha2API

# Assumption: dagster-postgres' `PostgresEventLogStorage` takes every connection of its event log
# from its engine `self._engine` (`_connect`, `run_connection` and `index_connection`), which
# `optimize_for_webserver` replaces; resources/postgres_event_log.py replaces it in the same way.

__all__ = [
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "COMPRESSED_EXECUTE_RUN_ARGS_ENV",
    "EXECUTE_RUN_ARGS_ENV",
    "INDEX_SHARD_NAME",
    "PARTITION_NAME_TAG",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "AssetCheckEvaluationTargetMaterializationData",
    "BoundedJobsAPI",
    "CheckRunHealthResult",
    "ConfigurableClass",
    "ConfigurableClassData",
    "EngineEventData",
    "ExecuteRunArgs",
    "LaunchRunContext",
    "NonJsonResponseError",
    "RunLauncher",
    "SqliteEventLogStorage",
    "UnresolvedPartitionedAssetScheduleDefinition",
    "WorkerStatus",
    "launcher_instance",
    "replace_json_body",
]

EXECUTE_RUN_ARGS_ENV = "DAGSTER_EXECUTE_RUN_ARGS"
COMPRESSED_EXECUTE_RUN_ARGS_ENV = "DAGSTER_COMPRESSED_EXECUTE_RUN_ARGS"


def launcher_instance(launcher: RunLauncher) -> DagsterInstance:
    """The instance a launcher was registered with.

    Assumption: `RunLauncher._instance` (from `MayHaveInstanceWeakref`) returns the instance that
    called `register_instance`, and raises when there is none.
    """
    return launcher._instance


class NonJsonResponseError(requests.RequestException):
    """The API (or a gateway before it) answered with a body that is not JSON, e.g. an HTML 502."""

    def __init__(self, response: requests.Response):
        self.status_code = response.status_code
        snippet = " ".join(response.text.split())[:200]
        super().__init__(f"HTTP {response.status_code} with a non-JSON body: {snippet}")


def replace_json_body(response: requests.Response, payload: Any) -> None:
    """Make `response.json()` return `payload`.

    Assumption: `requests.Response.json()` decodes `Response._content` (what the SDK itself
    rewrites to add `total_count`).
    """
    response._content = json.dumps(payload).encode("utf-8")


class BoundedJobsAPI(JobsV1Alpha2API):
    """The SDK's Serverless Jobs client, with every request bounded in time.

    Assumption: every SDK call goes through `scaleway_core.api.API._request(method, path, params,
    headers, body) -> requests.Response`, which sends with `requests.request` and neither timeout
    nor retry, and whose callers read the `x-total-count` header as `total_count` in the body.
    This override mirrors it (headers, list parameters, `x-total-count`, the client's
    `user_agent`, `secret_key`, `api_url` and `api_allow_insecure`) but sends through a pooled
    session with a (connect, read) timeout.
    """

    def __init__(self, client: Client, *, timeout: tuple[float, float]):
        super().__init__(client)
        self._timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _request(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> requests.Response:
        method = method.upper()
        request_headers = {"accept": "application/json", "user-agent": self.client.user_agent}
        if method in ("POST", "PUT", "PATCH"):
            request_headers["Content-Type"] = "application/json; charset=utf-8"
        request_headers.update(headers or {})
        if self.client.secret_key is not None:
            request_headers["x-auth-token"] = self.client.secret_key
        raw_body = body if isinstance(body, bytes) else json.dumps({} if body is None else body)
        query: list[tuple[str, Any]] = []
        for key, value in (params or {}).items():
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            query.extend((key, str(item)) for item in values)
        response = self._session.request(
            method,
            f"{self.client.api_url}{path}",
            params=query,
            headers=request_headers,
            data=raw_body,
            verify=not self.client.api_allow_insecure,
            timeout=self._timeout,
        )
        if response.content:
            try:
                response.json()
            except ValueError:
                raise NonJsonResponseError(response) from None
        total = response.headers.get("x-total-count")
        if total:
            payload = response.json()
            payload["total_count"] = int(total)
            replace_json_body(response, payload)
        return response
