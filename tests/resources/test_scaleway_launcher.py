"""The Scaleway Serverless Jobs run launcher, through the real SDK against the loopback fake.

Timing: the client's read timeout is 2.5 s (a loopback answer on a loaded machine stays well under
it), a hanging request answers after 8 s (so a start that hangs creates its job run 5.5 s after
the client gave up), and an unclear start is looked for over 9 s, ending 3.5 s after that late
creation.
"""

from __future__ import annotations

import base64
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from dagster import DagsterInstance, build_sensor_context
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.launcher import WorkerStatus
from dagster._core.origin import (
    DEFAULT_DAGSTER_ENTRY_POINT,
    JobPythonOrigin,
    RepositoryPythonOrigin,
)
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from dagster._core.test_utils import create_run_for_test, instance_for_test
from dagster._grpc.types import ExecuteRunArgs
from dagster._serdes import deserialize_value
from scaleway import Client
from scaleway.jobs.v1alpha2 import JobsV1Alpha2API
from scaleway_core.api import ScalewayException

from assets.run_config import restricted_to
from observatoire.runs.job_costs import PriceTable
from observatoire.runs.run_sizing import TierShape, max_days
from resources.scaleway_launcher import (
    BILLED_SECONDS_TAG,
    COMPRESSED_EXECUTE_RUN_ARGS_ENV,
    COST_TAG,
    EXECUTE_RUN_ARGS_ENV,
    JOB_DEFINITION_ID_TAG,
    JOB_RUN_ID_TAG,
    MEMORY_TAG,
    REGION_TAG,
    TIER_TAG,
    VCPU_TAG,
    ScalewayJobsRunLauncher,
    ScalewayLaunchError,
    duration_seconds,
)
from sensors.serverless_jobs import build_serverless_jobs_sensor
from tests.fakes.scaleway_jobs import ACCESS_KEY, PROJECT_ID, SECRET_KEY, FakeScalewayJobs

REPO_ROOT = Path(__file__).resolve().parents[2]
START = r"/job-definitions/[^/]+/start$"
JOB_RUN = r"/job-runs/[^/]+$"
JOB_RUNS = r"/job-runs$"


@pytest.fixture
def fake() -> Iterator[FakeScalewayJobs]:
    with FakeScalewayJobs(hang_seconds=8.0) as fake:
        yield fake


@pytest.fixture
def tiers(fake: FakeScalewayJobs) -> dict[str, str]:
    return {
        "small": fake.add_job_definition("observatoire-small", cpu_limit=1000, memory_limit=2048),
        "large": fake.add_job_definition("observatoire-large", cpu_limit=4000, memory_limit=8192),
    }


@pytest.fixture
def instance(
    fake: FakeScalewayJobs, tiers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[DagsterInstance]:
    """An instance whose dagster.yaml configures the launcher from environment variables."""
    monkeypatch.setenv("SCW_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("SCW_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("SCW_API_URL", fake.url)
    monkeypatch.setenv("SCW_JOB_DEFINITION_SMALL", tiers["small"])
    monkeypatch.setenv("SCW_JOB_DEFINITION_LARGE", tiers["large"])
    launcher = {
        "module": "resources.scaleway_launcher",
        "class": "ScalewayJobsRunLauncher",
        "config": {
            "access_key": {"env": "SCW_ACCESS_KEY"},
            "secret_key": {"env": "SCW_SECRET_KEY"},
            "api_url": {"env": "SCW_API_URL"},
            "project_id": PROJECT_ID,
            "region": "fr-par",
            "job_definitions": {
                "small": {"env": "SCW_JOB_DEFINITION_SMALL"},
                "large": {"env": "SCW_JOB_DEFINITION_LARGE"},
            },
            "env_vars": {"OBSERVATOIRE_LAKE_URL": "s3://lake/observatoire"},
            "read_timeout_seconds": 2.5,
            "reconcile_seconds": 9.0,
            "reconcile_interval_seconds": 0.5,
            "max_attempts": 3,
            "retry_initial_wait_seconds": 0.01,
        },
    }
    with instance_for_test(overrides={"run_launcher": launcher}) as instance:
        yield instance


def code_origin(job_name: str = "daily_pipeline") -> JobPythonOrigin:
    """The code origin a run from the `definitions` code location carries."""
    return JobPythonOrigin(
        job_name,
        RepositoryPythonOrigin(
            executable_path=sys.executable,
            code_pointer=ModuleCodePointer("definitions", "defs", str(REPO_ROOT)),
            entry_point=DEFAULT_DAGSTER_ENTRY_POINT,
        ),
    )


def launch(
    instance: DagsterInstance, tags: dict[str, str] | None = None, *, fails: bool = False
) -> DagsterRun:
    """Launch a run as the run coordinator does; a failed launch raises and fails the run."""
    tags = {"dagster/partition": "2026-03-29", **(tags or {})}
    run = create_run_for_test(
        instance, job_name="daily_pipeline", tags=tags, job_code_origin=code_origin()
    )
    if fails:
        with pytest.raises(ScalewayLaunchError):
            instance.launch_run(run.run_id, workspace=None)
    else:
        instance.launch_run(run.run_id, workspace=None)
    launched = instance.get_run_by_id(run.run_id)
    assert launched is not None
    return launched


def mark_started(instance: DagsterInstance, run: DagsterRun) -> DagsterRun:
    """What the run worker reports once `dagster api execute_run` begins."""
    event = DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name=run.job_name)
    instance.report_dagster_event(event, run_id=run.run_id)
    started = instance.get_run_by_id(run.run_id)
    assert started is not None and started.status == DagsterRunStatus.STARTED
    return started


def launcher_of(instance: DagsterInstance) -> ScalewayJobsRunLauncher:
    launcher = instance.run_launcher
    assert isinstance(launcher, ScalewayJobsRunLauncher)
    return launcher


def test_launch_starts_one_job_run_running_execute_run(
    instance: DagsterInstance, fake: FakeScalewayJobs, tiers: dict[str, str]
) -> None:
    run = launch(instance)

    [job_run] = fake.job_runs()
    assert job_run["job_definition_id"] == tiers["small"]
    assert job_run["startup_command"] == ["dagster", "api", "execute_run"]
    assert job_run["args"] == []
    env = job_run["environment_variables"]
    assert env["OBSERVATOIRE_LAKE_URL"] == "s3://lake/observatoire"
    assert env["OBSERVATOIRE_DAY_WORKERS"] == "1"  # the small tier's one vCPU
    args = deserialize_value(env[EXECUTE_RUN_ARGS_ENV], ExecuteRunArgs)
    assert args.run_id == run.run_id
    assert args.instance_ref is None
    assert args.set_exit_code_on_failure is True
    assert args.job_origin == code_origin()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]
    assert run.tags[JOB_DEFINITION_ID_TAG] == tiers["small"]
    assert run.tags[REGION_TAG] == "fr-par"
    assert run.tags[TIER_TAG] == "small"
    assert run.status == DagsterRunStatus.STARTING


def test_execute_run_args_stay_small(instance: DagsterInstance) -> None:
    run = create_run_for_test(
        instance,
        job_name="daily_pipeline",
        run_config=restricted_to(["tf1", "france2"]),
        job_code_origin=code_origin(),
    )
    [serialized] = launcher_of(instance).execute_run_args(run).values()
    # Only the run id and the code origin: run config, tags and the instance stay in the database.
    assert len(serialized.encode("utf-8")) < 1024
    assert "instance_ref" in serialized and "postgres" not in serialized
    assert "france2" not in serialized


def test_tier_tag_selects_the_large_job_definition(
    instance: DagsterInstance, fake: FakeScalewayJobs, tiers: dict[str, str]
) -> None:
    run = launch(instance, {TIER_TAG: "large"})

    [job_run] = fake.job_runs()
    assert job_run["job_definition_id"] == tiers["large"]
    assert job_run["memory_limit"] == 8192
    assert job_run["environment_variables"]["OBSERVATOIRE_DAY_WORKERS"] == "4"  # its 4 vCPUs
    assert run.tags[JOB_DEFINITION_ID_TAG] == tiers["large"]


def test_unknown_tier_fails_the_launch_without_starting_a_job(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance, {TIER_TAG: "huge"}, fails=True)

    assert fake.job_runs() == []
    assert run.status == DagsterRunStatus.FAILURE
    messages = [e.message or "" for e in instance.all_logs(run.run_id)]
    assert any("huge" in m and "known tiers" in m for m in messages)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("initialized", WorkerStatus.RUNNING),
        ("validated", WorkerStatus.RUNNING),
        ("queued", WorkerStatus.RUNNING),
        ("running", WorkerStatus.RUNNING),
        ("interrupting", WorkerStatus.RUNNING),
        ("retrying", WorkerStatus.RUNNING),
        ("succeeded", WorkerStatus.SUCCESS),
        ("failed", WorkerStatus.FAILED),
        ("interrupted", WorkerStatus.FAILED),
        ("unknown_state", WorkerStatus.RUNNING),
        ("hibernating", WorkerStatus.RUNNING),
    ],
)
def test_job_run_states_map_to_worker_health(
    instance: DagsterInstance, fake: FakeScalewayJobs, state: str, expected: WorkerStatus
) -> None:
    run = launch(instance)
    fake.set_state(run.tags[JOB_RUN_ID_TAG], state)

    health = launcher_of(instance).check_run_worker_health(run)

    assert health.status == expected
    assert health.run_worker_id == run.tags[JOB_RUN_ID_TAG]


def test_failed_job_run_reports_reason_exit_code_and_error(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    fake.set_state(
        run.tags[JOB_RUN_ID_TAG],
        "failed",
        reason="memory_usage_exceeded",
        exit_code=137,
        error_message="container killed",
    )
    launcher = launcher_of(instance)

    health = launcher.check_run_worker_health(run)
    debug = launcher.get_run_worker_debug_info(run)

    assert health.status == WorkerStatus.FAILED
    for text in (health.msg, debug):
        assert text is not None
        assert "reason=memory_usage_exceeded" in text
        assert "exit_code=137" in text
        assert "error=container killed" in text


def test_debug_info_gives_state_and_reason(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "queued", reason="quota_exceeded")

    debug = launcher_of(instance).get_run_worker_debug_info(run)

    assert debug is not None
    assert "state=queued" in debug and "reason=quota_exceeded" in debug


def test_missing_job_run_is_not_found(instance: DagsterInstance, fake: FakeScalewayJobs) -> None:
    run = launch(instance)
    instance.add_run_tags(run.run_id, {JOB_RUN_ID_TAG: "00000000-0000-4000-8000-000000000000"})
    run = instance.get_run_by_id(run.run_id)
    assert run is not None

    assert launcher_of(instance).check_run_worker_health(run).status == WorkerStatus.NOT_FOUND


def test_transport_errors_raise_instead_of_reporting_a_failure(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    launcher = launcher_of(instance)

    fake.inject("GET", JOB_RUN, kind="disconnect", times=3)
    with pytest.raises(requests.ConnectionError):
        launcher.check_run_worker_health(run)
    assert fake.count("GET", JOB_RUN) == 3

    fake.inject("GET", JOB_RUN, status=503, times=3)
    with pytest.raises(ScalewayException) as raised:
        launcher.check_run_worker_health(run)
    assert raised.value.status_code == 503

    fake.inject("GET", JOB_RUN, kind="hang", times=3)
    with pytest.raises(requests.Timeout):
        launcher.check_run_worker_health(run)


def test_reads_are_retried_on_throttling_and_server_errors(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    fake.inject("GET", JOB_RUN, status=429)
    fake.inject("GET", JOB_RUN, kind="hang")

    assert launcher_of(instance).check_run_worker_health(run).status == WorkerStatus.RUNNING
    assert fake.count("GET", JOB_RUN) == 3


def test_start_is_retried_after_throttling_without_a_duplicate(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    fake.inject("POST", START, status=429)

    run = launch(instance)

    assert fake.count("POST", START) == 2
    assert fake.count("GET", JOB_RUNS) == 0
    [job_run] = fake.job_runs()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]


@pytest.mark.parametrize(
    ("kind", "status"),
    [("status", 500), ("status", 504), ("html", 502), ("disconnect", 0), ("hang", 0)],
    ids=str,
)
def test_start_that_took_effect_is_not_repeated(
    instance: DagsterInstance, fake: FakeScalewayJobs, kind: str, status: int
) -> None:
    fake.inject("POST", START, kind=kind, status=status, after=True)

    run = launch(instance)

    assert fake.count("POST", START) == 1
    assert fake.count("GET", JOB_RUNS) >= 1
    [job_run] = fake.job_runs()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]
    assert run.status == DagsterRunStatus.STARTING


def test_job_run_created_after_the_client_gave_up_is_found_not_duplicated(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    # The API takes 8 s to create the job run; the client stops waiting after 2.5 s, and the
    # first listings, made before the creation, find nothing.
    fake.inject("POST", START, kind="hang")

    run = launch(instance)

    assert fake.count("POST", START) == 1
    assert fake.count("GET", JOB_RUNS) >= 2
    [job_run] = fake.job_runs()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]


def test_created_job_run_is_found_when_the_listing_fails_at_first(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    fake.inject("POST", START, status=500, after=True)
    fake.inject("GET", JOB_RUNS, status=503, times=2)
    fake.inject("GET", JOB_RUNS, kind="html", status=502)

    run = launch(instance)

    assert fake.count("POST", START) == 1
    [job_run] = fake.job_runs()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]


@pytest.mark.parametrize(("kind", "status"), [("status", 502), ("html", 502)], ids=str)
def test_start_that_did_not_take_effect_is_repeated_after_checking(
    instance: DagsterInstance, fake: FakeScalewayJobs, kind: str, status: int
) -> None:
    fake.inject("POST", START, kind=kind, status=status)
    fake.inject("GET", JOB_RUNS, status=500)

    run = launch(instance)

    assert fake.count("POST", START) == 2
    # Looked for over the whole period, at least twice, before starting again.
    assert fake.count("GET", JOB_RUNS) >= 3
    [job_run] = fake.job_runs()
    assert run.tags[JOB_RUN_ID_TAG] == job_run["id"]


def test_start_gives_up_and_fails_the_run_when_the_api_stays_down(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    fake.inject("POST", START, status=503, times=10)

    run = launch(instance, fails=True)

    assert fake.count("POST", START) == 3  # each repeat only after a listing showed no job run
    assert fake.job_runs() == []
    assert run.status == DagsterRunStatus.FAILURE


def test_unresolved_start_is_not_repeated_and_its_job_run_is_stopped_afterwards(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    """A start answered 500 after creating the job run, and listings failing all along."""
    fake.inject("POST", START, status=500, after=True)
    fake.inject("GET", JOB_RUNS, status=500, times=1000)

    run = launch(instance, fails=True)

    assert fake.count("POST", START) == 1
    [job_run] = fake.job_runs()
    assert run.status == DagsterRunStatus.FAILURE
    assert "could tell" in " ".join(e.message or "" for e in instance.all_logs(run.run_id))

    fake.faults.clear()
    actions = launcher_of(instance).supervise(PriceTable())

    assert fake.job_run(job_run["id"])["state"] == "interrupted"
    assert any(job_run["id"] in action for action in actions)
    assert len(fake.job_runs()) == 1


def test_client_errors_on_start_are_not_retried(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    fake.inject("POST", START, status=403)

    run = launch(instance, fails=True)

    assert fake.count("POST", START) == 1
    assert run.status == DagsterRunStatus.FAILURE


def test_terminate_stops_a_queued_job_and_cancels_the_run(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    job_run_id = run.tags[JOB_RUN_ID_TAG]

    assert launcher_of(instance).terminate(run.run_id) is True

    assert fake.job_run(job_run_id)["state"] == "interrupted"
    stopped = instance.get_run_by_id(run.run_id)
    assert stopped is not None and stopped.status == DagsterRunStatus.CANCELED


def test_terminate_stops_a_running_job_and_leaves_cancellation_to_the_worker(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = mark_started(instance, launch(instance))
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    fake.set_state(job_run_id, "running")
    fake.inject("POST", r"/stop$", status=500, after=True)

    assert launcher_of(instance).terminate(run.run_id) is True

    assert fake.job_run(job_run_id)["state"] == "interrupted"
    assert fake.count("POST", r"/stop$") == 2
    stopping = instance.get_run_by_id(run.run_id)
    assert stopping is not None and stopping.status == DagsterRunStatus.CANCELING


def test_terminate_of_an_ended_job_returns_false(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = mark_started(instance, launch(instance))
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "failed", reason="exited_with_error")

    assert launcher_of(instance).terminate(run.run_id) is False
    assert fake.count("POST", r"/stop$") == 0


def test_default_tier_must_be_a_configured_tier(fake: FakeScalewayJobs) -> None:
    with pytest.raises(Exception, match="default_tier"):
        ScalewayJobsRunLauncher(
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            api_url=fake.url,
            job_definitions={"large": "x"},
        )


def test_start_error_names_the_definition(fake: FakeScalewayJobs) -> None:
    launcher = ScalewayJobsRunLauncher(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        api_url=fake.url,
        job_definitions={"small": "00000000-0000-4000-8000-000000000000"},
    )
    with pytest.raises(ScalewayLaunchError, match="00000000-0000-4000-8000-000000000000") as raised:
        launcher._start("00000000-0000-4000-8000-000000000000", {}, "run")
    assert isinstance(raised.value.__cause__, ScalewayException)
    assert raised.value.__cause__.status_code == 404
    assert fake.count("POST", START) == 1


def test_fake_pages_job_definitions_and_runs_like_the_api(fake: FakeScalewayJobs) -> None:
    ids = [fake.add_job_definition(f"job-{i}") for i in range(5)]
    api = JobsV1Alpha2API(
        Client(
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            api_url=fake.url,
            default_region="fr-par",
            default_page_size=2,
        )
    )
    assert [d.id for d in api.list_job_definitions_all()] == ids
    first = api.list_job_definitions(page=1)
    assert len(first.job_definitions) == 2 and first.total_count == 5

    for definition_id in ids[:3]:
        api.start_job_definition(job_definition_id=definition_id, replicas=1)
    assert len(api.list_job_runs_all()) == 3
    assert len(api.list_job_runs_all(job_definition_id=ids[0])) == 1

    with pytest.raises(ScalewayException) as raised:
        api.get_job_definition(job_definition_id=ids[0], region="nl-ams")
    assert raised.value.status_code == 404
    wrong_key = Client(
        access_key=ACCESS_KEY,
        secret_key="00000000-0000-4000-8000-000000000000",
        api_url=fake.url,
        default_region="fr-par",
    )
    with pytest.raises(ScalewayException) as raised:
        JobsV1Alpha2API(wrong_key).list_job_definitions()
    assert raised.value.status_code == 401


def executing_api(fake: FakeScalewayJobs) -> JobsV1Alpha2API:
    return JobsV1Alpha2API(
        Client(
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
            api_url=fake.url,
            default_region="fr-par",
        )
    )


def test_executing_fake_runs_the_command_with_its_environment(tmp_path: Path) -> None:
    script = (
        "import os, sys; sys.stderr.write(os.environ['MESSAGE']); sys.exit(int(os.environ['CODE']))"
    )
    with FakeScalewayJobs(executing=True, base_env={"PATH": os.environ["PATH"]}) as fake:
        definition = fake.add_job_definition(
            "exits", environment_variables={"MESSAGE": "from the definition"}
        )
        api = executing_api(fake)

        def run(code: int, **env: str) -> dict:
            [job_run] = api.start_job_definition(
                job_definition_id=definition,
                startup_command=[sys.executable, "-c", script],
                environment_variables={"CODE": str(code), **env},
                replicas=1,
            ).job_runs
            return fake.wait_for(job_run.id, {"succeeded", "failed"}, timeout=30)

        succeeded = run(0)
        failed = run(3, MESSAGE="disk full")

    assert succeeded["state"] == "succeeded" and succeeded["exit_code"] == 0
    assert failed["state"] == "failed"
    assert failed["reason"] == "exited_with_error"
    assert failed["exit_code"] == 3
    assert failed["error_message"] == "disk full"


def test_executing_fake_stops_a_running_command(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    script = f"import pathlib, time; pathlib.Path({str(marker)!r}).touch(); time.sleep(60)"
    with FakeScalewayJobs(executing=True, stop_grace_seconds=5) as fake:
        definition = fake.add_job_definition("sleeps")
        api = executing_api(fake)
        [job_run] = api.start_job_definition(
            job_definition_id=definition,
            startup_command=[sys.executable, "-c", script],
            replicas=1,
        ).job_runs
        fake.wait_for(job_run.id, {"running"}, timeout=30)

        stopping = api.stop_job_run(job_run_id=job_run.id)
        stopped = fake.wait_for(job_run.id, {"interrupted"}, timeout=30)

    assert stopping.state == "interrupting"
    assert stopped["reason"] == "cancellation"
    assert stopped["exit_code"] != 0


def test_terminate_reports_canceling_once(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = mark_started(instance, launch(instance))
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "running")
    instance.report_run_canceling(run)  # as run monitoring or the UI does first

    assert launcher_of(instance).terminate(run.run_id) is True

    canceling = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_CANCELING)
    assert len(canceling) == 1


def test_terminate_of_a_missing_job_run_returns_false(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    instance.add_run_tags(run.run_id, {JOB_RUN_ID_TAG: "00000000-0000-4000-8000-000000000000"})

    assert launcher_of(instance).terminate(run.run_id) is False
    assert fake.count("POST", r"/stop$") == 0


def test_unknown_state_counts_as_running_until_its_deadline(
    fake: FakeScalewayJobs, tiers: dict[str, str], instance: DagsterInstance
) -> None:
    run = launch(instance)
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "hibernating")
    launcher = launcher_of(instance)

    assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    messages = " ".join(e.message or "" for e in instance.all_logs(run.run_id))
    assert "does not know" in messages and "hibernating" in messages

    launcher.unknown_state_seconds = 0.0
    tagged = instance.get_run_by_id(run.run_id)
    assert tagged is not None
    health = launcher.check_run_worker_health(tagged)
    assert health.status == WorkerStatus.UNKNOWN
    assert "state=hibernating" in (health.msg or "")


def test_retrying_job_run_is_running_and_never_restarted(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "retrying", attempts=2)
    launcher = launcher_of(instance)

    assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
    assert launcher.supervise(PriceTable()) == []
    assert len(fake.job_runs()) == 1
    assert fake.count("POST", r"/stop$") == 0


@pytest.mark.parametrize(
    ("ending", "reason"), [("expire", "timeout"), ("fail", "image_not_found")], ids=str
)
def test_job_run_ending_while_starting_fails_the_run_with_its_reason(
    instance: DagsterInstance, fake: FakeScalewayJobs, ending: str, reason: str
) -> None:
    run = launch(instance)
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    if ending == "expire":
        fake.expire(job_run_id)
    else:
        fake.set_state(job_run_id, "failed", reason=reason, error_message="no such image")

    actions = launcher_of(instance).supervise(PriceTable())

    failed = instance.get_run_by_id(run.run_id)
    assert failed is not None and failed.status == DagsterRunStatus.FAILURE
    assert any(run.run_id in action for action in actions)
    messages = " ".join(e.message or "" for e in instance.all_logs(run.run_id))
    assert f"reason={reason}" in messages
    assert len(fake.job_runs()) == 1


def test_job_run_of_a_run_failed_by_the_start_timeout_is_stopped(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = launch(instance)
    instance.report_run_failed(run, "Run timed out due to taking longer than 900 seconds to start.")

    launcher_of(instance).supervise(PriceTable())

    assert fake.job_run(run.tags[JOB_RUN_ID_TAG])["state"] == "interrupted"


def test_finished_run_records_its_billed_seconds_and_cost(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    run = mark_started(instance, launch(instance))
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    fake.set_state(
        job_run_id,
        "succeeded",
        started_at="2026-03-30T02:00:00.250000Z",
        terminated_at="2026-03-30T02:10:00Z",
    )
    event = DagsterEvent(event_type_value=DagsterEventType.RUN_SUCCESS.value, job_name="x")
    instance.report_dagster_event(event, run_id=run.run_id)
    prices = PriceTable(per_vcpu_second=0.00001, per_gb_second=0.000001)

    launcher_of(instance).supervise(prices)
    launcher_of(instance).supervise(prices)  # a second round changes nothing

    costed = instance.get_run_by_id(run.run_id)
    assert costed is not None
    assert costed.tags[BILLED_SECONDS_TAG] == "600"  # 599.75 s, billed by the started second
    assert costed.tags[VCPU_TAG] == "1" and costed.tags[MEMORY_TAG] == "2048"
    assert float(costed.tags[COST_TAG]) == pytest.approx(600 * (0.00001 + 2 * 0.000001))


def test_tier_is_chosen_from_days_and_channels(fake: FakeScalewayJobs) -> None:
    launcher = ScalewayJobsRunLauncher(
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        api_url=fake.url,
        reconcile_seconds=30.0,
        job_definitions={
            "small": fake.add_job_definition("s", cpu_limit=1000, memory_limit=1024),
            "large": fake.add_job_definition("l", cpu_limit=1000, memory_limit=2048),
        },
    )

    def tier(tags: dict[str, str], run_config: dict | None = None) -> str:
        return launcher.tier_of(
            DagsterRun(job_name="daily_stages", tags=tags, run_config=run_config or {})
        )

    def days(first: str, last: str) -> dict[str, str]:
        return {ASSET_PARTITION_RANGE_START_TAG: first, ASSET_PARTITION_RANGE_END_TAG: last}

    assert tier({"dagster/partition": "2024-03-04"}) == "small"
    # The most days of 18 channels the 1 GiB definition holds, by the measured figures.
    most = max_days(TierShape(vcpu=1, memory_mb=1024))
    assert tier(days("2024-03-01", f"2024-03-{most:02d}")) == "small"
    assert tier(days("2024-03-01", f"2024-03-{most + 1:02d}")) == "large"
    assert tier(days("2024-03-01", "2024-03-31")) == "large"
    few = restricted_to(["tf1", "france2"])
    assert tier(days("2024-03-01", "2024-03-31"), few) == "small"
    assert tier({**days("2024-03-01", "2024-03-31"), TIER_TAG: "small"}) == "small"


def test_job_timeouts_read_as_seconds() -> None:
    assert duration_seconds("7200s") == 7200
    assert duration_seconds("1.5s") == 1.5
    assert duration_seconds(None) is None
    assert duration_seconds("") is None
    assert duration_seconds("two hours") is None
    assert duration_seconds("0s") is None


def test_long_run_arguments_travel_compressed(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    origin = JobPythonOrigin(
        "daily_pipeline",
        RepositoryPythonOrigin(
            executable_path=sys.executable,
            code_pointer=ModuleCodePointer("definitions", "defs", "/srv/" + "deep/" * 600),
            entry_point=DEFAULT_DAGSTER_ENTRY_POINT,
        ),
    )
    run = create_run_for_test(instance, job_name="daily_pipeline", job_code_origin=origin)
    instance.launch_run(run.run_id, workspace=None)

    [job_run] = fake.job_runs()
    env = job_run["environment_variables"]
    assert EXECUTE_RUN_ARGS_ENV not in env
    compressed = env[COMPRESSED_EXECUTE_RUN_ARGS_ENV]
    assert len(compressed) < 2048
    text = zlib.decompress(base64.b64decode(compressed)).decode()
    assert deserialize_value(text, ExecuteRunArgs).job_origin == origin


def test_supervision_sensor_fails_an_early_failed_run_within_its_interval(
    instance: DagsterInstance, fake: FakeScalewayJobs
) -> None:
    sensor = build_serverless_jobs_sensor(PriceTable())
    run = launch(instance)
    fake.set_state(run.tags[JOB_RUN_ID_TAG], "failed", reason="quota_exceeded")

    result = sensor.evaluate_tick(build_sensor_context(instance=instance))

    assert sensor.minimum_interval_seconds is not None and sensor.minimum_interval_seconds <= 30
    assert run.run_id in (result.skip_message or "")
    failed = instance.get_run_by_id(run.run_id)
    assert failed is not None and failed.status == DagsterRunStatus.FAILURE


def test_supervision_sensor_skips_where_runs_are_not_serverless_jobs() -> None:
    sensor = build_serverless_jobs_sensor(PriceTable())
    with instance_for_test() as local:
        result = sensor.evaluate_tick(build_sensor_context(instance=local))
    assert "not launched as Scaleway Serverless Jobs" in (result.skip_message or "")
