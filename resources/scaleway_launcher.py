"""Run every Dagster run as one Scaleway Serverless Jobs run (API v1alpha2).

The daemon (or webserver) calls `launch_run`; this launcher starts the job definition of the run's
size tier with `dagster api execute_run` as startup command and the serialized `ExecuteRunArgs` in
`DAGSTER_EXECUTE_RUN_ARGS` (compressed, in `DAGSTER_COMPRESSED_EXECUTE_RUN_ARGS`, when long). The
job's container loads its own instance from `DAGSTER_HOME` (the shared PostgreSQL database), so no
instance reference travels with the arguments.

The Scaleway SDK sends each request with `requests.request` and neither a timeout nor a retry:
`BoundedJobsAPI` sends them through a session with a deadline, and the launcher retries the calls
that are safe to repeat (reads, stop) on 429, 5xx and transport errors.

Exactly one job run per Dagster run: a start whose outcome is unclear (5xx, read timeout, dropped
connection, a gateway's HTML error page) may have created a job run the answer never reported, and
the API may create it only after the client gave up. The launcher then lists the definition's job
runs, several times over `reconcile_seconds` (longer than the read timeout), looking for the one
carrying this Dagster run's id; it starts again only when a listing made after that period succeeded
and showed none. Before a launch fails for good, any job run found for it is stopped.

The run's tier (job definition) comes from the tier tag, or else from its work: broadcast days ×
channels, against each tier's memory and job timeout (see `observatoire.runs.run_sizing`). The run
computes its days on as many worker processes as the tier has whole vCPUs: the launcher sets
`OBSERVATOIRE_DAY_WORKERS` in the job run's environment (unless the launcher's `env_vars` set it).
"""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import requests
import urllib3
from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    Field,
    IntSource,
    Map,
    RunsFilter,
    StringSource,
    serialize_value,
)
from scaleway import Client
from scaleway.jobs.v1alpha2 import JobRun, ListJobRunsRequestOrderBy
from scaleway_core.api import ScalewayException
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from observatoire.runs.job_costs import PriceTable, billed_seconds, run_cost
from observatoire.runs.run_sizing import (
    RunWork,
    TierShape,
    choose_tier,
    estimated_minutes,
    estimated_peak_mb,
    run_workers,
)
from observatoire.settings import PREFIX
from resources.private_apis import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    COMPRESSED_EXECUTE_RUN_ARGS_ENV,
    EXECUTE_RUN_ARGS_ENV,
    PARTITION_NAME_TAG,
    BoundedJobsAPI,
    CheckRunHealthResult,
    ConfigurableClass,
    ConfigurableClassData,
    EngineEventData,
    ExecuteRunArgs,
    LaunchRunContext,
    NonJsonResponseError,
    RunLauncher,
    WorkerStatus,
    launcher_instance,
)

T = TypeVar("T")

EXECUTE_RUN_COMMAND = ("dagster", "api", "execute_run")
RUN_ID_ENV = "DAGSTER_RUN_ID"
DAY_WORKERS_ENV = f"{PREFIX}DAY_WORKERS"

TIER_TAG = "observatoire/tier"
JOB_RUN_ID_TAG = "scaleway/job_run_id"
JOB_DEFINITION_ID_TAG = "scaleway/job_definition_id"
REGION_TAG = "scaleway/region"
UNKNOWN_STATE_SINCE_TAG = "scaleway/unknown_state_since"
VCPU_TAG = "observatoire/vcpu"
MEMORY_TAG = "observatoire/memory_mb"
BILLED_SECONDS_TAG = "observatoire/billed_seconds"
COST_TAG = "observatoire/cost_eur"
COSTED_TAG = "observatoire/costed"

# Job-run states in which the job has not finished yet, and those before any process runs.
RUNNING_STATES = frozenset(
    {"initialized", "validated", "queued", "running", "interrupting", "retrying"}
)
NOT_STARTED_STATES = frozenset({"initialized", "validated", "queued", "retrying"})
FAILED_STATES = frozenset({"failed", "interrupted"})
SUCCEEDED_STATE = "succeeded"

# Serialized run arguments hold the run id and the code origin, a few hundred bytes; longer ones
# (deep code pointers) travel in Dagster's compressed form, as its own launchers pass step args.
COMPRESS_EXECUTE_RUN_ARGS_ABOVE_BYTES = 2048

# How many of the definition's most recent job runs are searched for one already started for a
# Dagster run when a start request failed ambiguously.
RECONCILE_SCAN = 100


class ScalewayLaunchError(Exception):
    """A run could not be started as a Scaleway job run."""


def is_retryable(error: BaseException) -> bool:
    """True for errors a repeated idempotent request may overcome: throttling, 5xx, transport."""
    if isinstance(error, ScalewayException):
        status = error.status_code or 0
        return status == 429 or status >= 500
    if isinstance(error, NonJsonResponseError):
        return error.status_code == 429 or error.status_code >= 500 or error.status_code < 400
    return isinstance(error, requests.Timeout | requests.ConnectionError)


def did_nothing(error: BaseException) -> bool:
    """True when a failed request surely had no effect: refused (429) or never connected."""
    if isinstance(error, ScalewayException | NonJsonResponseError):
        return error.status_code == 429
    if isinstance(error, requests.ConnectTimeout):
        return True
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


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
        channels: int = 18,
        env_vars: Mapping[str, str] | None = None,
        connect_timeout_seconds: float = 5.0,
        read_timeout_seconds: float = 20.0,
        reconcile_seconds: float = 90.0,
        reconcile_interval_seconds: float = 10.0,
        unknown_state_seconds: float = 900.0,
        max_attempts: int = 4,
        max_retry_seconds: float = 60.0,
        retry_initial_wait_seconds: float = 0.5,
        inst_data: ConfigurableClassData | None = None,
    ):
        self._inst_data = inst_data
        self.job_definitions = dict(job_definitions)
        if not self.job_definitions:
            raise ValueError("job_definitions needs at least one tier")
        if default_tier not in self.job_definitions:
            raise ValueError(
                f"default_tier {default_tier!r} is not one of the job_definitions tiers "
                f"{sorted(self.job_definitions)}"
            )
        if reconcile_seconds <= read_timeout_seconds:
            raise ValueError(
                "reconcile_seconds must be longer than read_timeout_seconds: the API may create a "
                "job run after the client stopped waiting for the answer"
            )
        self.default_tier = default_tier
        self.tier_tag = tier_tag
        self.channels = channels
        self.region = region
        self.env_vars = dict(env_vars or {})
        self.reconcile_seconds = reconcile_seconds
        self.reconcile_interval_seconds = reconcile_interval_seconds
        self.unknown_state_seconds = unknown_state_seconds
        self.max_attempts = max_attempts
        self.max_retry_seconds = max_retry_seconds
        self.retry_initial_wait_seconds = retry_initial_wait_seconds
        self._shapes: dict[str, TierShape] = {}
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

    @property
    def dagster_instance(self) -> DagsterInstance:
        """The instance that loaded this launcher (from dagster.yaml)."""
        return launcher_instance(self)

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
            "channels": Field(
                IntSource,
                is_required=False,
                default_value=18,
                description="Channels a run processes when its config does not list them.",
            ),
            "env_vars": Field(
                Map(str, StringSource),
                is_required=False,
                description="Extra environment variables for every job run.",
            ),
            "connect_timeout_seconds": Field(float, is_required=False, default_value=5.0),
            "read_timeout_seconds": Field(float, is_required=False, default_value=20.0),
            "reconcile_seconds": Field(
                float,
                is_required=False,
                default_value=90.0,
                description="How long to look for the job run of a start whose answer was lost.",
            ),
            "reconcile_interval_seconds": Field(float, is_required=False, default_value=10.0),
            "unknown_state_seconds": Field(
                float,
                is_required=False,
                default_value=900.0,
                description="How long a job run in a state this launcher does not know counts "
                "as still running.",
            ),
            "max_attempts": Field(IntSource, is_required=False, default_value=4),
            "max_retry_seconds": Field(float, is_required=False, default_value=60.0),
            "retry_initial_wait_seconds": Field(float, is_required=False, default_value=0.5),
        }

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]
    ) -> ScalewayJobsRunLauncher:
        return cls(inst_data=inst_data, **config_value)

    # -- sizing ---------------------------------------------------------------------------

    def shape_of(self, tier: str) -> TierShape:
        """vCPU, memory and job timeout of a tier's job definition, read once from the API."""
        if tier not in self._shapes:
            definition = self._retrying(
                lambda: self.api.get_job_definition(
                    job_definition_id=self.job_definitions[tier], region=self.region
                )
            )
            self._shapes[tier] = TierShape(
                vcpu=definition.cpu_limit / 1000,
                memory_mb=int(definition.memory_limit),
                timeout_seconds=duration_seconds(definition.job_timeout),
            )
        return self._shapes[tier]

    def work_of(self, run: DagsterRun) -> RunWork:
        """The run's work: its broadcast days (partition or range) times its channels."""
        return RunWork(days=run_day_count(run), channels=run_channel_count(run, self.channels))

    def tier_of(self, run: DagsterRun) -> str:
        """The run's size tier: its tier tag, else the smallest tier that holds its work."""
        tier = run.tags.get(self.tier_tag)
        if tier is None:
            shapes = {name: self.shape_of(name) for name in self.job_definitions}
            return choose_tier(self.work_of(run), shapes)
        if tier not in self.job_definitions:
            raise ScalewayLaunchError(
                f"Run {run.run_id} asks for tier {tier!r} (tag {self.tier_tag}); "
                f"known tiers: {sorted(self.job_definitions)}"
            )
        return tier

    # -- launching ------------------------------------------------------------------------

    def execute_run_args(self, run: DagsterRun) -> dict[str, str]:
        """The environment passing `ExecuteRunArgs` to `dagster api execute_run`.

        Plain JSON when short, else in the compressed form `execute_run` also reads.
        """
        origin = run.job_code_origin
        if origin is None:
            raise ScalewayLaunchError(f"Run {run.run_id} has no code origin")
        serialized = serialize_value(
            ExecuteRunArgs(
                job_origin=origin,
                run_id=run.run_id,
                instance_ref=None,
                set_exit_code_on_failure=True,
            )
        )
        if len(serialized.encode("utf-8")) <= COMPRESS_EXECUTE_RUN_ARGS_ABOVE_BYTES:
            return {EXECUTE_RUN_ARGS_ENV: serialized}
        compressed = base64.b64encode(zlib.compress(serialized.encode("utf-8"))).decode("ascii")
        return {COMPRESSED_EXECUTE_RUN_ARGS_ENV: compressed}

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        chosen_by_tag = self.tier_tag in run.tags
        tier = self.tier_of(run)
        shape = self.shape_of(tier)
        vcpu, memory = shape.vcpu, shape.memory_mb
        definition_id = self.job_definitions[tier]
        environment = {
            DAY_WORKERS_ENV: str(shape.workers),
            **self.env_vars,
            RUN_ID_ENV: run.run_id,
            **self.execute_run_args(run),
        }
        job_run = self._start(definition_id, environment, run.run_id)
        region = str(job_run.region or self.region)
        self.dagster_instance.add_run_tags(
            run.run_id,
            {
                JOB_RUN_ID_TAG: job_run.id,
                JOB_DEFINITION_ID_TAG: definition_id,
                REGION_TAG: region,
                self.tier_tag: tier,
                VCPU_TAG: f"{vcpu:g}",
                MEMORY_TAG: str(memory),
            },
        )
        work = self.work_of(run)
        workers = run_workers(work, shape)
        why = (
            f"tag {self.tier_tag}"
            if chosen_by_tag
            else f"{work.days} day(s) x {work.channels} channels on {workers} worker(s), "
            f"estimated peak {estimated_peak_mb(work, workers):.0f} MB and "
            f"{estimated_minutes(work, workers):.1f} min"
        )
        self.dagster_instance.report_engine_event(
            f"Started Scaleway job run {job_run.id} (tier {tier}: {vcpu:g} vCPU, {memory} MB, "
            f"from {why}; definition {definition_id}, region {region}).",
            run,
            EngineEventData(
                {
                    "Scaleway job run id": job_run.id,
                    "Scaleway job definition id": definition_id,
                    "Scaleway region": region,
                    "Tier": tier,
                    "Tier chosen from": why,
                }
            ),
            cls=self.__class__,
        )

    def _start(self, definition_id: str, environment: dict[str, str], run_id: str) -> JobRun:
        """Start one job run for `run_id`, never two, and leave none behind on failure."""
        last_error: BaseException | None = None
        unclear_seen = False
        unresolved = False
        for attempt in range(1, self.max_attempts + 1):
            try:
                return self._start_once(definition_id, environment)
            except ScalewayLaunchError:
                raise
            except Exception as error:
                last_error = error
                if did_nothing(error):
                    unresolved = False
                elif is_retryable(error) or isinstance(error, ValueError):
                    unclear_seen = True
                    found, absent = self._look_for_job_run(definition_id, run_id)
                    if found is not None:
                        return found
                    unresolved = not absent
                    if unresolved:
                        break
                else:
                    break
            if attempt < self.max_attempts:
                time.sleep(self._backoff(attempt))
        if unclear_seen:
            self._stop_any_started(definition_id, run_id)
        raise _start_failed(definition_id, run_id, last_error, unresolved) from last_error

    def _start_once(self, definition_id: str, environment: dict[str, str]) -> JobRun:
        """One start request; the job run it created."""
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

    def _backoff(self, attempt: int) -> float:
        return min(self.retry_initial_wait_seconds * 2 ** (attempt - 1), 10.0)

    def _look_for_job_run(self, definition_id: str, run_id: str) -> tuple[JobRun | None, bool]:
        """Look for this run's job run after an unclear start: (job run, proven absent).

        Lists until `reconcile_seconds` have passed, at least twice; absence is proven only by a
        successful listing made after that period, when a late creation would show.
        """
        deadline = time.monotonic() + self.reconcile_seconds
        listings = 0
        failures_after_deadline = 0
        while True:
            listed_at = time.monotonic()
            try:
                found = self._find_started_job_run(definition_id, run_id)
            except Exception:
                listed_ok = False
            else:
                if found is not None:
                    return found, False
                listed_ok = True
            listings += 1
            if listed_at >= deadline and listings >= 2:
                if listed_ok:
                    return None, True
                failures_after_deadline += 1
                if failures_after_deadline >= self.max_attempts:
                    return None, False
            pause = min(self.reconcile_interval_seconds, deadline - time.monotonic())
            time.sleep(max(pause, self.retry_initial_wait_seconds))

    def _find_started_job_run(self, definition_id: str, run_id: str) -> JobRun | None:
        """The job run a start request may have created for this Dagster run, if any."""
        for job_run in self._recent_job_runs(definition_id):
            if (job_run.environment_variables or {}).get(RUN_ID_ENV) == run_id:
                return job_run
        return None

    def _recent_job_runs(self, definition_id: str) -> list[JobRun]:
        """The definition's most recent job runs, newest first (one listing, no retry)."""
        response = self.api.list_job_runs(
            region=self.region,
            job_definition_id=definition_id,
            order_by=ListJobRunsRequestOrderBy.CREATED_AT_DESC,
            page=1,
            page_size=RECONCILE_SCAN,
        )
        return list(response.job_runs)

    def _stop_any_started(self, definition_id: str, run_id: str) -> None:
        """Before a launch fails for good: stop a job run that a lost answer did start."""
        try:
            found = self._retrying(lambda: self._find_started_job_run(definition_id, run_id))
        except Exception:
            return
        if found is not None and str(found.state) in RUNNING_STATES:
            self._stop(JobRunLocation(found.id, definition_id, str(found.region or self.region)))

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
        return self._unknown_state(run, job_run)

    def _unknown_state(self, run: DagsterRun, job_run: JobRun) -> CheckRunHealthResult:
        """A state this launcher does not know: still running, until `unknown_state_seconds`."""
        now = datetime.now(UTC)
        since_text = run.tags.get(UNKNOWN_STATE_SINCE_TAG)
        if since_text is None:
            self.dagster_instance.add_run_tags(
                run.run_id, {UNKNOWN_STATE_SINCE_TAG: now.isoformat()}
            )
            self.dagster_instance.report_engine_event(
                f"Scaleway job run {job_run.id} is in a state this launcher does not know "
                f"({describe_job_run(job_run)}); counted as running for up to "
                f"{self.unknown_state_seconds:g} seconds.",
                run,
                cls=self.__class__,
            )
            since = now
        else:
            since = datetime.fromisoformat(since_text)
        if (now - since).total_seconds() < self.unknown_state_seconds:
            return CheckRunHealthResult(
                WorkerStatus.RUNNING,
                f"Job run is in unknown state {job_run.state}",
                run_worker_id=job_run.id,
            )
        return CheckRunHealthResult(
            WorkerStatus.UNKNOWN,
            f"{describe_job_run(job_run)} (unknown state for over "
            f"{self.unknown_state_seconds:g} seconds)",
            run_worker_id=job_run.id,
        )

    def get_run_worker_debug_info(
        self, run: DagsterRun, include_container_logs: bool | None = True
    ) -> str | None:
        location = self.location_of(run)
        if location is None:
            return None
        return describe_job_run(self.get_job_run(location))

    # -- supervision (run by a sensor in the daemon) --------------------------------------

    def supervise(self, prices: PriceTable, lookback: timedelta = timedelta(days=3)) -> list[str]:
        """One round of what Dagster's run monitoring does not do for Serverless Jobs.

        - A job run that ended (failed, timed out) while its Dagster run is still STARTING fails
          that run with the job's reason, instead of waiting for the start timeout.
        - A job run still going for a Dagster run that has ended (start timeout, failed launch,
          cancelled) is stopped.
        - A finished job run's billed seconds and cost are recorded on its Dagster run's tags.
        Returns one line per action taken.
        """
        actions: list[str] = []
        for run in self.dagster_instance.get_runs(RunsFilter(statuses=[DagsterRunStatus.STARTING])):
            location = self.location_of(run)
            if location is None:
                continue
            job_run = self._read_or_none(location)
            if job_run is not None and str(job_run.state) in FAILED_STATES:
                self.dagster_instance.report_run_failed(
                    run, f"The job run ended before the run started: {describe_job_run(job_run)}"
                )
                actions.append(f"failed run {run.run_id}: {describe_job_run(job_run)}")
        ended = self.dagster_instance.get_runs(
            RunsFilter(
                statuses=[
                    DagsterRunStatus.SUCCESS,
                    DagsterRunStatus.FAILURE,
                    DagsterRunStatus.CANCELED,
                ],
                updated_after=datetime.now(UTC) - lookback,
            )
        )
        for run in ended:
            location = self.location_of(run)
            if location is None or COSTED_TAG in run.tags:
                continue
            job_run = self._read_or_none(location)
            if job_run is None:
                continue
            state = str(job_run.state)
            if state in RUNNING_STATES:
                if run.status != DagsterRunStatus.SUCCESS and state != "interrupting":
                    self._stop(location)
                    self.dagster_instance.report_engine_event(
                        f"Stopped Scaleway job run {job_run.id} ({state}) left behind by the "
                        f"{run.status.value} run.",
                        run,
                        cls=self.__class__,
                    )
                    actions.append(f"stopped job run {job_run.id} of ended run {run.run_id}")
                continue
            actions.append(self.record_usage(run, job_run, prices))
        actions.extend(self._stop_orphans(lookback))
        return actions

    def record_usage(self, run: DagsterRun, job_run: JobRun, prices: PriceTable) -> str:
        """Tag the run with its job run's vCPU, memory, billed seconds and cost."""
        vcpu = job_run.cpu_limit / 1000
        memory = int(job_run.memory_limit)
        seconds = billed_seconds(job_run.started_at, job_run.terminated_at)
        cost = run_cost(vcpu, memory, seconds, prices)
        self.dagster_instance.add_run_tags(
            run.run_id,
            {
                VCPU_TAG: f"{vcpu:g}",
                MEMORY_TAG: str(memory),
                BILLED_SECONDS_TAG: str(seconds),
                COST_TAG: f"{cost:.6f}",
                COSTED_TAG: "true",
            },
        )
        return f"run {run.run_id}: {seconds} s at {vcpu:g} vCPU / {memory} MB = EUR {cost:.6f}"

    def _stop_orphans(self, lookback: timedelta) -> list[str]:
        """Stop job runs of every tier whose Dagster run has ended or does not exist."""
        actions = []
        since = datetime.now(UTC) - lookback
        for definition_id in sorted(set(self.job_definitions.values())):
            try:
                listed = self._retrying(partial(self._recent_job_runs, definition_id))
            except Exception:
                continue
            for job_run in listed:
                if str(job_run.state) not in RUNNING_STATES - {"interrupting"}:
                    continue
                if job_run.created_at is not None and job_run.created_at < since:
                    continue
                run_id = (job_run.environment_variables or {}).get(RUN_ID_ENV)
                if not run_id:
                    continue
                run = self.dagster_instance.get_run_by_id(run_id)
                if run is not None and not run.is_finished:
                    continue
                location = JobRunLocation(
                    job_run.id, definition_id, str(job_run.region or self.region)
                )
                self._stop(location)
                if run is not None:
                    self.dagster_instance.report_engine_event(
                        f"Stopped Scaleway job run {job_run.id}, started for this run but "
                        f"never recorded on it ({job_run.state}).",
                        run,
                        cls=self.__class__,
                    )
                actions.append(f"stopped orphan job run {job_run.id} of run {run_id}")
        return actions

    def _read_or_none(self, location: JobRunLocation) -> JobRun | None:
        try:
            return self.get_job_run(location)
        except Exception:
            return None

    # -- termination ----------------------------------------------------------------------

    def terminate(self, run_id: str) -> bool:
        run = self.dagster_instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        location = self.location_of(run)
        if location is None:
            return False
        try:
            job_run = self.get_job_run(location)
        except ScalewayException as error:
            if error.status_code != 404:
                raise
            self.dagster_instance.report_engine_event(
                f"Scaleway job run {location.job_run_id} not found in {location.region}: "
                "nothing to stop.",
                run,
                cls=self.__class__,
            )
            return False
        state_before = str(job_run.state)
        if state_before not in RUNNING_STATES:
            self.dagster_instance.report_engine_event(
                f"Scaleway job run {job_run.id} already ended ({describe_job_run(job_run)}).",
                run,
                cls=self.__class__,
            )
            return False
        if run.status != DagsterRunStatus.CANCELING:
            self.dagster_instance.report_run_canceling(run)
        stopped = self._stop(location)
        self.dagster_instance.report_engine_event(
            f"Stopped Scaleway job run {stopped.id} (was {state_before}, now {stopped.state}).",
            run,
            cls=self.__class__,
        )
        current = self.dagster_instance.get_run_by_id(run_id)
        if (
            state_before in NOT_STARTED_STATES
            and current is not None
            and current.status in (DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING)
        ):
            # No run worker ever started, so nothing else will mark the run canceled.
            self.dagster_instance.report_run_canceled(
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


def _start_failed(
    definition_id: str, run_id: str, last_error: BaseException | None, unresolved: bool
) -> ScalewayLaunchError:
    """The error of a launch that failed for good, saying when its outcome stayed unknown."""
    detail = " (no listing could tell whether the start took effect)" if unresolved else ""
    return ScalewayLaunchError(
        f"Could not start job definition {definition_id} for run {run_id}{detail}: {last_error}"
    )


def duration_seconds(duration: str | None) -> float | None:
    """Seconds of an API duration such as `"7200s"` or `"1.5s"`; None when absent or unreadable
    (the tier is then sized on memory alone)."""
    if not duration:
        return None
    try:
        seconds = float(str(duration).strip().removesuffix("s"))
    except ValueError:
        return None
    return seconds if seconds > 0 else None


def run_day_count(run: DagsterRun) -> int:
    """Broadcast days a run processes: its partition range, one partition, or one."""
    start = run.tags.get(ASSET_PARTITION_RANGE_START_TAG)
    end = run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if start and end:
        try:
            return (date.fromisoformat(end) - date.fromisoformat(start)).days + 1
        except ValueError:
            return 1
    return 1


def run_days(run: DagsterRun) -> tuple[date, ...]:
    """The broadcast days a run processed, from its partition tags (none for other runs)."""
    start = run.tags.get(ASSET_PARTITION_RANGE_START_TAG)
    end = run.tags.get(ASSET_PARTITION_RANGE_END_TAG)
    try:
        if start and end:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
            return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))
        partition = run.tags.get(PARTITION_NAME_TAG)
        if partition:
            return (date.fromisoformat(partition),)
    except ValueError:
        pass
    return ()


def run_channel_count(run: DagsterRun, default: int) -> int:
    """Channels a run processes: the longest `channels` list in its resource or op config
    (the daily stages share `resources: {daily_run: {config: {channels: …}}}`), else `default`."""
    run_config = run.run_config or {}
    parts = [run_config.get("resources"), run_config.get("ops")]
    sections = [s for part in parts if isinstance(part, Mapping) for s in part.values()]
    counts = [
        len(section.get("config", {}).get("channels") or [])
        for section in sections
        if isinstance(section, Mapping) and isinstance(section.get("config"), Mapping)
    ]
    return max([c for c in counts if c] or [default])


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
