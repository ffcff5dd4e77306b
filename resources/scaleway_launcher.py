"""Run every Dagster run as one Scaleway Serverless Jobs run (API v1alpha2).

The daemon (or webserver) calls `launch_run`; this launcher starts the job definition of the run's
size tier with `dagster api execute_run` as startup command and the serialized `ExecuteRunArgs` in
`DAGSTER_EXECUTE_RUN_ARGS`. The job's container loads its own instance from `DAGSTER_HOME` (the
shared PostgreSQL database), so no instance reference travels with the arguments.

The Scaleway SDK sends each request with `requests.request` and neither a timeout nor a retry:
`BoundedJobsAPI` sends them through a session with a deadline, and the launcher retries the calls
that are safe to repeat (reads, stop) on 429, 5xx and transport errors. Starting a job is only
retried when the failed attempt cannot have started one (429, connection refused) or after checking
that it did not.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from dagster import (
    Field,
    IntSource,
    Map,
    StringSource,
)
from dagster import _check as check
from dagster._core.events import EngineEventData
from dagster._core.launcher.base import (
    CheckRunHealthResult,
    LaunchRunContext,
    RunLauncher,
    WorkerStatus,
)
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import ConfigurableClass, ConfigurableClassData, serialize_value
from scaleway import Client
from scaleway.jobs.v1alpha2 import JobRun, JobsV1Alpha2API, ListJobRunsRequestOrderBy
from scaleway_core.api import ScalewayException
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

T = TypeVar("T")

EXECUTE_RUN_COMMAND = ("dagster", "api", "execute_run")
EXECUTE_RUN_ARGS_ENV = "DAGSTER_EXECUTE_RUN_ARGS"
RUN_ID_ENV = "DAGSTER_RUN_ID"

TIER_TAG = "observatoire/tier"
JOB_RUN_ID_TAG = "scaleway/job_run_id"
JOB_DEFINITION_ID_TAG = "scaleway/job_definition_id"
REGION_TAG = "scaleway/region"

# Job-run states in which the job has not finished yet, and those before any process runs.
RUNNING_STATES = frozenset(
    {"initialized", "validated", "queued", "running", "interrupting", "retrying"}
)
NOT_STARTED_STATES = frozenset({"initialized", "validated", "queued", "retrying"})
FAILED_STATES = frozenset({"failed", "interrupted"})
SUCCEEDED_STATE = "succeeded"

# Serialized run arguments above this size mean something heavy (an instance ref, run config)
# slipped in; Scaleway caps environment variable values, so fail loudly at launch instead.
MAX_EXECUTE_RUN_ARGS_BYTES = 8192

# How many of the definition's most recent job runs are searched for one already started for a
# Dagster run when a start request failed ambiguously.
RECONCILE_SCAN = 100


class ScalewayLaunchError(Exception):
    """A run could not be started as a Scaleway job run."""


class BoundedJobsAPI(JobsV1Alpha2API):
    """The SDK's Serverless Jobs client, with every request bounded in time.

    Mirrors `scaleway_core.api.API._request` (headers, list parameters, `x-total-count`) but sends
    through a pooled session with a (connect, read) timeout.
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
        total = response.headers.get("x-total-count")
        if total:
            payload = response.json()
            payload["total_count"] = int(total)
            response._content = json.dumps(payload).encode("utf-8")
        return response


def is_retryable(error: BaseException) -> bool:
    """True for errors a repeated idempotent request may overcome: throttling, 5xx, transport."""
    if isinstance(error, ScalewayException):
        status = error.status_code or 0
        return status == 429 or status >= 500
    return isinstance(error, requests.Timeout | requests.ConnectionError)


def is_throttled(error: BaseException) -> bool:
    """True for a 429: the request was refused before doing anything, so repeating it is safe."""
    return isinstance(error, ScalewayException) and error.status_code == 429


@dataclass(frozen=True)
class JobRunLocation:
    """Where a Dagster run's job run lives, read back from the run's tags."""

    job_run_id: str
    job_definition_id: str | None
    region: str


class ScalewayJobsRunLauncher(RunLauncher, ConfigurableClass):
    """Launches each Dagster run as a Scaleway Serverless Jobs run of its size tier."""

    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        job_definitions: Mapping[str, str],
        region: str = "fr-par",
        project_id: str | None = None,
        api_url: str | None = None,
        default_tier: str = "small",
        tier_tag: str = TIER_TAG,
        env_vars: Mapping[str, str] | None = None,
        connect_timeout_seconds: float = 5.0,
        read_timeout_seconds: float = 20.0,
        max_attempts: int = 4,
        max_retry_seconds: float = 60.0,
        retry_initial_wait_seconds: float = 0.5,
        inst_data: ConfigurableClassData | None = None,
    ):
        self._inst_data = inst_data
        self.job_definitions = dict(check.mapping_param(job_definitions, "job_definitions"))
        check.invariant(self.job_definitions, "job_definitions needs at least one tier")
        check.invariant(
            default_tier in self.job_definitions,
            f"default_tier {default_tier!r} is not one of the job_definitions tiers "
            f"{sorted(self.job_definitions)}",
        )
        self.default_tier = default_tier
        self.tier_tag = tier_tag
        self.region = region
        self.env_vars = dict(env_vars or {})
        self.max_attempts = max_attempts
        self.max_retry_seconds = max_retry_seconds
        self.retry_initial_wait_seconds = retry_initial_wait_seconds
        client_options: dict[str, Any] = {
            "access_key": access_key,
            "secret_key": secret_key,
            "default_region": region,
            "default_project_id": project_id or None,
        }
        if api_url:
            client_options["api_url"] = api_url.rstrip("/")
        self.api = BoundedJobsAPI(
            Client(**client_options), timeout=(connect_timeout_seconds, read_timeout_seconds)
        )
        super().__init__()

    # -- configuration (dagster.yaml) -------------------------------------------------------

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict[str, Field]:
        return {
            "access_key": Field(StringSource, description="Scaleway API access key (SCW...)."),
            "secret_key": Field(StringSource, description="Scaleway API secret key."),
            "region": Field(StringSource, is_required=False, default_value="fr-par"),
            "project_id": Field(StringSource, is_required=False),
            "api_url": Field(
                StringSource,
                is_required=False,
                description="Scaleway API endpoint; the default is https://api.scaleway.com.",
            ),
            "job_definitions": Field(
                Map(str, StringSource),
                description="Job definition id per size tier, e.g. {small: ..., large: ...}.",
            ),
            "default_tier": Field(StringSource, is_required=False, default_value="small"),
            "tier_tag": Field(StringSource, is_required=False, default_value=TIER_TAG),
            "env_vars": Field(
                Map(str, StringSource),
                is_required=False,
                description="Extra environment variables for every job run.",
            ),
            "connect_timeout_seconds": Field(float, is_required=False, default_value=5.0),
            "read_timeout_seconds": Field(float, is_required=False, default_value=20.0),
            "max_attempts": Field(IntSource, is_required=False, default_value=4),
            "max_retry_seconds": Field(float, is_required=False, default_value=60.0),
            "retry_initial_wait_seconds": Field(float, is_required=False, default_value=0.5),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> ScalewayJobsRunLauncher:
        return cls(inst_data=inst_data, **config_value)

    # -- launching ------------------------------------------------------------------------

    def tier_of(self, run: DagsterRun) -> str:
        """The run's size tier: its tier tag, else the default tier."""
        tier = run.tags.get(self.tier_tag, self.default_tier)
        if tier not in self.job_definitions:
            raise ScalewayLaunchError(
                f"Run {run.run_id} asks for tier {tier!r} (tag {self.tier_tag}); "
                f"known tiers: {sorted(self.job_definitions)}"
            )
        return tier

    def execute_run_args(self, run: DagsterRun) -> str:
        """The serialized `ExecuteRunArgs` the job passes to `dagster api execute_run`."""
        origin = check.not_none(run.job_code_origin, f"Run {run.run_id} has no code origin")
        serialized = serialize_value(
            ExecuteRunArgs(
                job_origin=origin,
                run_id=run.run_id,
                instance_ref=None,
                set_exit_code_on_failure=True,
            )
        )
        size = len(serialized.encode("utf-8"))
        if size > MAX_EXECUTE_RUN_ARGS_BYTES:
            raise ScalewayLaunchError(
                f"Serialized run arguments are {size} bytes, above {MAX_EXECUTE_RUN_ARGS_BYTES}"
            )
        return serialized

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        tier = self.tier_of(run)
        definition_id = self.job_definitions[tier]
        environment = {
            **self.env_vars,
            RUN_ID_ENV: run.run_id,
            EXECUTE_RUN_ARGS_ENV: self.execute_run_args(run),
        }
        job_run = self._start(definition_id, environment, run.run_id)
        region = str(job_run.region or self.region)
        self._instance.add_run_tags(
            run.run_id,
            {
                JOB_RUN_ID_TAG: job_run.id,
                JOB_DEFINITION_ID_TAG: definition_id,
                REGION_TAG: region,
                self.tier_tag: tier,
            },
        )
        self._instance.report_engine_event(
            f"Started Scaleway job run {job_run.id} (tier {tier}, definition {definition_id}, "
            f"region {region}).",
            run,
            EngineEventData(
                {
                    "Scaleway job run id": job_run.id,
                    "Scaleway job definition id": definition_id,
                    "Scaleway region": region,
                    "Tier": tier,
                }
            ),
            cls=self.__class__,
        )

    def _start(self, definition_id: str, environment: dict[str, str], run_id: str) -> JobRun:
        def start_once() -> JobRun:
            response = self.api.start_job_definition(
                job_definition_id=definition_id,
                region=self.region,
                startup_command=list(EXECUTE_RUN_COMMAND),
                environment_variables=environment,
                replicas=1,
            )
            if len(response.job_runs) != 1:
                raise ScalewayLaunchError(
                    f"Starting {definition_id} returned {len(response.job_runs)} job runs, not 1"
                )
            return response.job_runs[0]

        # After an ambiguous failure (5xx, timeout, dropped connection) the job run may exist:
        # the next start is only sent once a listing showed it does not.
        must_check_first = False

        def attempt() -> JobRun:
            nonlocal must_check_first
            if must_check_first:
                existing = self._find_started_job_run(definition_id, run_id)
                if existing is not None:
                    return existing
                must_check_first = False
            try:
                return start_once()
            except Exception as error:
                must_check_first = is_retryable(error) and not is_throttled(error)
                raise

        try:
            return self._retrying(attempt)
        except Exception as error:
            raise ScalewayLaunchError(
                f"Could not start job definition {definition_id} for run {run_id}: {error}"
            ) from error

    def _find_started_job_run(self, definition_id: str, run_id: str) -> JobRun | None:
        """The job run a failed start request may have created for this Dagster run, if any."""
        response = self.api.list_job_runs(
            region=self.region,
            job_definition_id=definition_id,
            order_by=ListJobRunsRequestOrderBy.CREATED_AT_DESC,
            page=1,
            page_size=RECONCILE_SCAN,
        )
        for job_run in response.job_runs:
            if (job_run.environment_variables or {}).get(RUN_ID_ENV) == run_id:
                return job_run
        return None

    # -- monitoring -----------------------------------------------------------------------

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def location_of(self, run: DagsterRun) -> JobRunLocation | None:
        """The job run recorded on the run's tags at launch, or None if it has none."""
        job_run_id = run.tags.get(JOB_RUN_ID_TAG)
        if not job_run_id:
            return None
        return JobRunLocation(
            job_run_id=job_run_id,
            job_definition_id=run.tags.get(JOB_DEFINITION_ID_TAG),
            region=run.tags.get(REGION_TAG, self.region),
        )

    def get_job_run(self, location: JobRunLocation) -> JobRun:
        """The job run, read with retries; raises on transport errors once retries are spent."""
        return self._retrying(
            lambda: self.api.get_job_run(job_run_id=location.job_run_id, region=location.region)
        )

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        location = self.location_of(run)
        if location is None:
            return CheckRunHealthResult(
                WorkerStatus.NOT_FOUND, f"Run {run.run_id} has no {JOB_RUN_ID_TAG} tag"
            )
        try:
            job_run = self.get_job_run(location)
        except ScalewayException as error:
            if error.status_code == 404:
                return CheckRunHealthResult(
                    WorkerStatus.NOT_FOUND,
                    f"Scaleway job run {location.job_run_id} not found in {location.region}",
                    run_worker_id=location.job_run_id,
                )
            raise
        state = str(job_run.state)
        if state in RUNNING_STATES:
            return CheckRunHealthResult(
                WorkerStatus.RUNNING, f"Job run is {state}", run_worker_id=job_run.id
            )
        if state == SUCCEEDED_STATE:
            return CheckRunHealthResult(WorkerStatus.SUCCESS, run_worker_id=job_run.id)
        if state in FAILED_STATES:
            return CheckRunHealthResult(
                WorkerStatus.FAILED, describe_job_run(job_run), run_worker_id=job_run.id
            )
        return CheckRunHealthResult(
            WorkerStatus.UNKNOWN, describe_job_run(job_run), run_worker_id=job_run.id
        )

    def get_run_worker_debug_info(
        self, run: DagsterRun, include_container_logs: bool | None = True
    ) -> str | None:
        location = self.location_of(run)
        if location is None:
            return None
        return describe_job_run(self.get_job_run(location))

    # -- termination ----------------------------------------------------------------------

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        location = self.location_of(run)
        if location is None:
            return False
        job_run = self.get_job_run(location)
        state_before = str(job_run.state)
        if state_before not in RUNNING_STATES:
            self._instance.report_engine_event(
                f"Scaleway job run {job_run.id} already ended ({describe_job_run(job_run)}).",
                run,
                cls=self.__class__,
            )
            return False
        self._instance.report_run_canceling(run)
        stopped = self._stop(location)
        self._instance.report_engine_event(
            f"Stopped Scaleway job run {stopped.id} (was {state_before}, now {stopped.state}).",
            run,
            cls=self.__class__,
        )
        current = self._instance.get_run_by_id(run_id)
        if (
            state_before in NOT_STARTED_STATES
            and current is not None
            and current.status in (DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING)
        ):
            # No run worker ever started, so nothing else will mark the run canceled.
            self._instance.report_run_canceled(
                current, f"Scaleway job run {stopped.id} stopped while {state_before}."
            )
        return True

    def _stop(self, location: JobRunLocation) -> JobRun:
        """Stop the job run; repeating a stop is harmless, so errors are retried like reads."""

        def stop_once() -> JobRun:
            try:
                return self.api.stop_job_run(job_run_id=location.job_run_id, region=location.region)
            except ScalewayException as error:
                if error.status_code is not None and 400 <= error.status_code < 500:
                    # A retried stop finds the job already stopping or stopped.
                    job_run = self.get_job_run(location)
                    if str(job_run.state) not in NOT_STARTED_STATES | {"running"}:
                        return job_run
                raise

        return self._retrying(stop_once)

    def dispose(self) -> None:
        self.api.close()

    # -- retries --------------------------------------------------------------------------

    def _retrying(self, call: Callable[[], T]) -> T:
        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            stop=stop_after_attempt(self.max_attempts) | stop_after_delay(self.max_retry_seconds),
            wait=wait_exponential_jitter(
                multiplier=self.retry_initial_wait_seconds,
                jitter=self.retry_initial_wait_seconds,
                max=10.0,
            ),
            reraise=True,
        )
        return retrying(call)


def describe_job_run(job_run: JobRun) -> str:
    """One line with what Scaleway says about a job run: state, reason, exit code, error."""
    parts = [f"Scaleway job run {job_run.id}: state={job_run.state}"]
    if job_run.reason and str(job_run.reason) != "unknown_reason":
        parts.append(f"reason={job_run.reason}")
    if str(job_run.state) in FAILED_STATES or job_run.exit_code:
        parts.append(f"exit_code={job_run.exit_code}")
    if job_run.error_message:
        parts.append(f"error={job_run.error_message}")
    if job_run.attempts:
        parts.append(f"attempts={job_run.attempts}")
    return ", ".join(parts)
