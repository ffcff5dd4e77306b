"""End to end: Dagster runs executed as Serverless Jobs runs, on this machine.

The instance is deploy/scaleway/dagster.yaml (PostgreSQL storage, the Scaleway launcher) with the
launcher pointed at the loopback Serverless Jobs fake in executing mode, which runs each job's
`dagster api execute_run` as a subprocess with the job definition's environment, like a job's
container. The lake is a bucket on the loopback S3 server. Job definition tiers: `small` (the real
pipeline), `stuck` (its caption provider never answers, so the run stays in a step until stopped
or killed), `never` (its job runs stay queued forever) and `broken` (it references a secret that
does not exist, so its job runs fail before the run starts).

As in production, a job definition's environment holds plain settings only: the database password
and the lake bucket's keys reach the job's container through secret references to the Secret
Manager, and the Scaleway API key the launcher uses is not given to job runs at all.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster import DagsterInstance, materialize
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.launcher import WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus
from dagster._daemon.monitoring.run_monitoring import monitor_started_run, monitor_starting_run
from scaleway import Client
from scaleway.jobs.v1alpha2 import CreateSecretsRequestSecretConfig, JobsV1Alpha2API

from assets.costs import build_cost_asset
from assets.partitions import monthly_partitions
from observatoire.runs.job_costs import PriceTable, billed_seconds, run_cost
from resources.scaleway_launcher import (
    COSTED_TAG,
    EXECUTE_RUN_ARGS_ENV,
    JOB_DEFINITION_ID_TAG,
    JOB_RUN_ID_TAG,
    REGION_TAG,
    TIER_TAG,
    ScalewayJobsRunLauncher,
)
from tests.fakes.scaleway_jobs import ACCESS_KEY, PROJECT_ID, SECRET_KEY, FakeScalewayJobs
from tests.services import PostgresDatabase, PostgresServer, S3Bucket, S3Server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PRODUCTION_YAML = REPO / "deploy" / "scaleway" / "dagster.yaml"
DAY = "2024-03-04"
START_TIMEOUT_SECONDS = 3
WAIT_SECONDS = 240
PRICES = PriceTable(per_vcpu_second=0.00001, per_gb_second=0.000001)
SECRET_VARIABLES = (
    "DAGSTER_PG_PASSWORD",
    "OBSERVATOIRE_S3_ACCESS_KEY",
    "OBSERVATOIRE_S3_SECRET_KEY",
)
LOG = logging.getLogger(__name__)


@dataclass
class Deployment:
    instance: DagsterInstance
    fake: FakeScalewayJobs
    bucket: S3Bucket
    tiers: dict[str, str]
    repository: ReconstructableRepository

    @property
    def launcher(self) -> ScalewayJobsRunLauncher:
        launcher = self.instance.run_launcher
        assert isinstance(launcher, ScalewayJobsRunLauncher)
        return launcher

    def supervise_until(self, done, timeout: float = 90.0) -> None:
        """Run the supervision sensor's round, as the daemon does, until `done()` holds."""
        deadline = time.monotonic() + timeout
        while True:
            self.launcher.supervise(PRICES)
            if done():
                return
            if time.monotonic() > deadline:
                raise AssertionError("supervision did not reach the expected state")
            time.sleep(1.0)

    def launch(
        self,
        job_name: str,
        *,
        tier: str | None,
        partition: str | None = None,
        run_config: dict[str, Any] | None = None,
    ) -> DagsterRun:
        """Create a run of a job of the code location and launch it, as the daemon would."""
        job_def = self.repository.get_definition().get_job(job_name)
        tags = {
            **({TIER_TAG: tier} if tier else {}),
            **({"dagster/partition": partition} if partition else {}),
        }
        run = self.instance.create_run_for_job(
            job_def=job_def,
            run_config=run_config or {},
            tags=tags,
            job_code_origin=self.repository.get_reconstructable_job(job_name).get_python_origin(),
        )
        self.instance.launch_run(run.run_id, workspace=None)
        launched = self.instance.get_run_by_id(run.run_id)
        assert launched is not None
        return launched

    def wait_for(self, run_id: str, statuses: set[DagsterRunStatus]) -> DagsterRun:
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            run = self.instance.get_run_by_id(run_id)
            assert run is not None
            if run.status in statuses:
                return run
            if run.is_finished:
                break
            time.sleep(0.2)
        self.dump(run_id)
        raise AssertionError(f"run {run_id} is {run.status}, expected one of {statuses}")

    def dump(self, run_id: str) -> None:
        """Print what the instance and the job run say, for a failing test's report."""
        for event in self.instance.all_logs(run_id):
            print(event.dagster_event_type, event.message)
        run = self.instance.get_run_by_id(run_id)
        if run is not None and JOB_RUN_ID_TAG in run.tags:
            print(self.fake.job_run(run.tags[JOB_RUN_ID_TAG]))

    def messages(self, run_id: str) -> str:
        """Every event message of the run, with the errors of failed steps."""
        lines = []
        for event in self.instance.all_logs(run_id):
            lines.append(event.message or "")
            if event.is_dagster_event:
                error = getattr(event.get_dagster_event().event_specific_data, "error", None)
                if error is not None:
                    lines.append(error.to_string())
        return "\n".join(lines)


@pytest.fixture(scope="module")
def unresponsive_provider() -> Iterator[str]:
    """An HTTP endpoint that accepts connections and never answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture(scope="module")
def deployment(
    postgres_server: PostgresServer,
    s3_server: S3Server,
    unresponsive_provider: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Deployment]:
    home = tmp_path_factory.mktemp("dagster_home")
    database = PostgresDatabase(server=postgres_server, name=f"e2e_{uuid.uuid4().hex[:12]}")
    postgres_server.create_database(database.name)
    bucket = s3_server.create_bucket()

    # What production gives every job definition (see job-definitions.json): plain settings in
    # the environment, secrets by reference to the Secret Manager.
    database_environ = database.environ
    bucket_environ = bucket.environ()
    secret_values = {**database_environ, **bucket_environ}
    plain_environment = {
        "DAGSTER_HOME": str(home),
        **{k: v for k, v in database_environ.items() if k not in SECRET_VARIABLES},
        **{k: v for k, v in bucket_environ.items() if k not in SECRET_VARIABLES},
    }
    container_base = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "LANG": "C.UTF-8",
    }
    with FakeScalewayJobs(
        executing=True, base_env=container_base, cwd=str(REPO), stop_grace_seconds=20
    ) as fake:
        tiers = {
            "small": fake.add_job_definition("observatoire-run-small", memory_limit=1024),
            "large": fake.add_job_definition("observatoire-run-large", memory_limit=8192),
            "stuck": fake.add_job_definition(
                "observatoire-run-stuck",
                environment_variables={
                    "OBSERVATOIRE_CAPTION_SOURCE": "mediatree",
                    "OBSERVATOIRE_MEDIATREE_URL": unresponsive_provider,
                    "OBSERVATOIRE_MEDIATREE_USER": "observatoire",
                    "OBSERVATOIRE_MEDIATREE_PASSWORD": "never-sent-anywhere",
                },
            ),
            "never": fake.add_job_definition("observatoire-run-never", never_start=True),
            "broken": fake.add_job_definition("observatoire-run-broken"),
        }
        secret_ids = {
            name: fake.add_secret(f"observatoire-{name.lower()}", secret_values[name])
            for name in SECRET_VARIABLES
        }
        jobs_api = JobsV1Alpha2API(
            Client(
                access_key=ACCESS_KEY,
                secret_key=SECRET_KEY,
                api_url=fake.url,
                default_region="fr-par",
            )
        )
        for tier, definition_id in tiers.items():
            definition = fake.definitions[definition_id]
            definition["environment_variables"] = {
                **plain_environment,
                **definition["environment_variables"],
            }
            references = {
                **secret_ids,
                **(
                    {"OBSERVATOIRE_EXTRA": "00000000-0000-4000-8000-00000000dead"}
                    if tier == "broken"
                    else {}
                ),
            }
            jobs_api.create_secrets(
                job_definition_id=definition_id,
                secrets=[
                    CreateSecretsRequestSecretConfig(
                        secret_manager_id=secret_id,
                        secret_manager_version="latest",
                        env_var_name=name,
                    )
                    for name, secret_id in references.items()
                ],
            )
        # The daemon's own environment: the database, the launcher's key, the definitions.
        environment = {
            **plain_environment,
            "DAGSTER_PG_PASSWORD": database_environ["DAGSTER_PG_PASSWORD"],
            "OBSERVATOIRE_JOBS_ACCESS_KEY": ACCESS_KEY,
            "OBSERVATOIRE_JOBS_SECRET_KEY": SECRET_KEY,
            "OBSERVATOIRE_JOBS_PROJECT_ID": PROJECT_ID,
            "OBSERVATOIRE_JOBS_REGION": "fr-par",
            "OBSERVATOIRE_JOB_DEFINITION_SMALL": tiers["small"],
            "OBSERVATOIRE_JOB_DEFINITION_LARGE": tiers["large"],
        }

        config = yaml.safe_load(PRODUCTION_YAML.read_text())
        config["run_launcher"]["config"].update(
            api_url=fake.url,
            read_timeout_seconds=5.0,
            retry_initial_wait_seconds=0.05,
        )
        config["run_launcher"]["config"]["job_definitions"].update(
            stuck=tiers["stuck"], never=tiers["never"], broken=tiers["broken"]
        )
        config["run_monitoring"]["start_timeout_seconds"] = START_TIMEOUT_SECONDS
        (home / "dagster.yaml").write_text(yaml.safe_dump(config))

        with pytest.MonkeyPatch.context() as patch:
            for name, value in environment.items():
                patch.setenv(name, value)
            instance = DagsterInstance.from_config(str(home))
            try:
                yield Deployment(
                    instance=instance,
                    fake=fake,
                    bucket=bucket,
                    tiers=tiers,
                    repository=ReconstructableRepository.for_module(
                        "definitions", "defs", working_directory=str(REPO)
                    ),
                )
            finally:
                instance.dispose()
    if s3_server.running:
        s3_server.delete_bucket(bucket.name)
    postgres_server.drop_database(database.name)


@pytest.fixture(scope="module")
def reference_run(deployment: Deployment) -> DagsterRun:
    """The reference tables (dictionary, channels, grid) written to the lake by a job run."""
    run = deployment.launch("reference_data", tier="small")
    return deployment.wait_for(run.run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})


def test_partition_run_executes_as_a_job_and_writes_the_day(
    deployment: Deployment, reference_run: DagsterRun
) -> None:
    assert reference_run.status == DagsterRunStatus.SUCCESS, deployment.messages(
        reference_run.run_id
    )

    run = deployment.launch("daily_stages", tier=None, partition=DAY)  # tier from the work
    job_run = deployment.fake.job_run(run.tags[JOB_RUN_ID_TAG])
    finished = deployment.wait_for(run.run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})

    assert finished.status == DagsterRunStatus.SUCCESS, deployment.messages(run.run_id)
    assert run.tags[TIER_TAG] == "small"
    assert run.tags[JOB_DEFINITION_ID_TAG] == deployment.tiers["small"]
    # The job ran with plain settings and secret references only: no secret value and no
    # Scaleway API variable in its definition or its run.
    environment = {
        **deployment.fake.definitions[deployment.tiers["small"]]["environment_variables"],
        **job_run["environment_variables"],
    }
    assert not set(environment) & set(SECRET_VARIABLES)
    assert not [name for name in environment if name.startswith("SCW_")]
    assert SECRET_KEY not in str(environment)
    # No job writes a warehouse file: analysts open DuckDB views over the lake instead.
    assert not list(Path(environment["DAGSTER_HOME"]).glob("*.duckdb"))
    assert run.tags[REGION_TAG] == "fr-par"
    assert job_run["startup_command"] == ["dagster", "api", "execute_run"]
    assert len(job_run["environment_variables"][EXECUTE_RUN_ARGS_ENV]) < 2048
    assert deployment.fake.wait_for(job_run["id"], {"succeeded"})["exit_code"] == 0
    keys = deployment.bucket.object_keys("lake/channel_indicators/")
    assert f"lake/channel_indicators/day={DAY}/part-0.parquet" in keys
    assert any(
        key.startswith(f"lake/raw_captions/day={DAY}/")
        for key in deployment.bucket.object_keys("lake/raw_captions/")
    )
    health = deployment.launcher.check_run_worker_health(finished)
    assert health.status == WorkerStatus.SUCCESS


def test_failing_run_fails_the_job_with_its_exit_code(
    deployment: Deployment, reference_run: DagsterRun
) -> None:
    run = deployment.launch(
        "daily_stages",
        tier="small",
        partition=DAY,
        # valid config (a misspelt channel would be refused at launch), refused by the matcher
        run_config={"resources": {"method": {"config": {"window_seconds": 7}}}},
    )
    finished = deployment.wait_for(run.run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})

    assert finished.status == DagsterRunStatus.FAILURE
    assert "positive divisor of 120, got 7" in deployment.messages(run.run_id)
    job_run = deployment.fake.wait_for(run.tags[JOB_RUN_ID_TAG], {"succeeded", "failed"})
    assert job_run["state"] == "failed"
    assert job_run["reason"] == "exited_with_error"
    assert job_run["exit_code"] == 1
    health = deployment.launcher.check_run_worker_health(finished)
    assert health.status == WorkerStatus.FAILED
    assert "reason=exited_with_error" in (health.msg or "")


def test_job_killed_by_the_platform_fails_the_run_with_the_job_reason(
    deployment: Deployment, reference_run: DagsterRun
) -> None:
    run = deployment.launch("daily_stages", tier="stuck", partition=DAY)
    started = deployment.wait_for(run.run_id, {DagsterRunStatus.STARTED})
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    assert deployment.fake.job_run(job_run_id)["state"] == "running"

    deployment.fake.kill(job_run_id, reason="memory_usage_exceeded", exit_code=137)
    deployment.fake.wait_for(job_run_id, {"failed"})
    record = deployment.instance.get_run_record_by_id(started.run_id)
    assert record is not None
    monitor_started_run(deployment.instance, None, record, LOG)  # the daemon's monitoring step

    failed = deployment.instance.get_run_by_id(run.run_id)
    assert failed is not None and failed.status == DagsterRunStatus.FAILURE
    messages = deployment.messages(run.run_id)
    assert "reason=memory_usage_exceeded" in messages
    assert "exit_code=137" in messages


def test_terminating_a_running_job_stops_it_and_cancels_the_run(
    deployment: Deployment, reference_run: DagsterRun
) -> None:
    run = deployment.launch("daily_stages", tier="stuck", partition=DAY)
    deployment.wait_for(run.run_id, {DagsterRunStatus.STARTED})
    job_run_id = run.tags[JOB_RUN_ID_TAG]

    assert deployment.instance.run_launcher.terminate(run.run_id) is True

    canceled = deployment.wait_for(run.run_id, {DagsterRunStatus.CANCELED})
    assert canceled.status == DagsterRunStatus.CANCELED
    assert deployment.fake.wait_for(job_run_id, {"interrupted"})["reason"] == "cancellation"


def test_terminating_a_queued_job_stops_it_and_cancels_the_run(
    deployment: Deployment,
) -> None:
    run = deployment.launch("daily_stages", tier="never", partition=DAY)
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    assert deployment.fake.job_run(job_run_id)["state"] == "queued"

    assert deployment.instance.run_launcher.terminate(run.run_id) is True

    assert deployment.fake.job_run(job_run_id)["state"] == "interrupted"
    canceled = deployment.instance.get_run_by_id(run.run_id)
    assert canceled is not None and canceled.status == DagsterRunStatus.CANCELED
    assert deployment.instance.run_launcher.terminate(run.run_id) is False


def test_job_that_never_starts_is_failed_by_run_monitoring(deployment: Deployment) -> None:
    run = deployment.launch("daily_stages", tier="never", partition=DAY)
    assert run.status == DagsterRunStatus.STARTING

    deadline = time.monotonic() + START_TIMEOUT_SECONDS + 30
    while time.monotonic() < deadline:
        record = deployment.instance.get_run_record_by_id(run.run_id)
        assert record is not None
        if record.dagster_run.status != DagsterRunStatus.STARTING:
            break
        monitor_starting_run(deployment.instance, record, LOG)  # the daemon's monitoring step
        time.sleep(0.5)

    failed = deployment.instance.get_run_by_id(run.run_id)
    assert failed is not None and failed.status == DagsterRunStatus.FAILURE
    messages = deployment.messages(run.run_id)
    assert f"longer than {START_TIMEOUT_SECONDS} seconds to start" in messages
    assert "state=queued" in messages
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    assert deployment.fake.job_run(job_run_id)["state"] == "queued"

    # The supervision sensor stops the job run the failed run left queued.
    deployment.supervise_until(
        lambda: deployment.fake.job_run(job_run_id)["state"] == "interrupted"
    )


def test_job_failing_before_the_run_starts_fails_the_run_early(deployment: Deployment) -> None:
    run = deployment.launch("daily_stages", tier="broken", partition=DAY)
    assert run.status == DagsterRunStatus.STARTING
    job_run_id = run.tags[JOB_RUN_ID_TAG]
    deployment.fake.wait_for(job_run_id, {"failed"})

    deployment.supervise_until(
        lambda: deployment.instance.get_run_by_id(run.run_id).status == DagsterRunStatus.FAILURE
    )

    messages = deployment.messages(run.run_id)
    assert "ended before the run started" in messages
    assert "reason=secret_not_found" in messages
    assert len([r for r in deployment.fake.job_runs() if r["id"] == job_run_id]) == 1


def test_cost_asset_reports_the_cost_per_processed_day(
    deployment: Deployment, reference_run: DagsterRun
) -> None:
    """Each run's cost from its job run's timestamps, summed for DAY over every run of DAY
    (the two launched here and those of the tests before, when run in the same process)."""
    instance = deployment.instance
    launched = [
        deployment.launch("daily_stages", tier=None, partition=DAY),
        deployment.launch(
            "daily_stages",
            tier="large",
            partition=DAY,
            # a failed run is billed too (valid config, refused by the matcher)
            run_config={"resources": {"method": {"config": {"window_seconds": 7}}}},
        ),
    ]
    for run in launched:
        deployment.wait_for(run.run_id, {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE})

    def ended_runs():
        return [
            run for run in instance.get_runs() if run.is_finished and JOB_RUN_ID_TAG in run.tags
        ]

    deployment.supervise_until(lambda: all(COSTED_TAG in run.tags for run in ended_runs()))

    expected = 0.0
    runs_of_day = 0
    for run in ended_runs():
        if run.tags.get("dagster/partition") != DAY:
            continue
        job_run = deployment.fake.job_run(run.tags[JOB_RUN_ID_TAG])
        seconds = billed_seconds(
            _timestamp(job_run["started_at"]), _timestamp(job_run["terminated_at"])
        )
        expected += run_cost(job_run["cpu_limit"] / 1000, job_run["memory_limit"], seconds, PRICES)
        runs_of_day += 1
    assert runs_of_day >= len(launched) and expected > 0

    cost_asset = build_cost_asset(monthly_partitions("2024-01-01"))
    result = materialize([cost_asset], instance=instance, partition_key=DAY[:8] + "01")

    assert result.success
    [materialization] = result.asset_materializations_for_node("serverless_costs")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["processed_days"] == 1
    assert metadata["runs"] == runs_of_day
    assert metadata["cost_per_processed_day_eur"] == pytest.approx(expected, rel=1e-4)
    assert DAY in metadata["per_day"]


def _timestamp(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))
