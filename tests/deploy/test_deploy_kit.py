"""Static checks of the deployment kit (what cannot run here: Docker builds, the real Scaleway).

The workflows and the Dockerfile must parse and refer only to files of the repository; the
production dagster.yaml must load the Scaleway launcher with its configuration; the job
definitions must match what the launcher starts; the working-hours schedule must open and close
the webserver at the right Paris time on every weekday, whatever the daylight-saving time; and
the deploy script must create, then update in place, the job definitions through the real SDK.
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import json
import os
import re
import shlex
import shutil
import subprocess
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config

from observatoire.runs.run_sizing import RunWork, TierShape, holds, run_workers
from resources.scaleway_launcher import (
    EXECUTE_RUN_COMMAND,
    ScalewayJobsRunLauncher,
    duration_seconds,
)
from tests.fakes.scaleway_jobs import ACCESS_KEY, PROJECT_ID, SECRET_KEY, FakeScalewayJobs

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
DOCKERFILE = REPO / "deploy" / "Dockerfile"
DAGSTER_YAML = REPO / "deploy" / "scaleway" / "dagster.yaml"
JOB_SPEC = REPO / "deploy" / "scaleway" / "job-definitions.json"
PARIS_HOURS_WORKFLOW = REPO / ".github" / "workflows" / "webserver-hours.yml"
REPO_PATH = re.compile(r"(?<![\w./$-])((?:deploy|\.github|tests|benchmarks)/[\w./-]+|[\w-]+\.lock)")


def load_deploy_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "observatoire_deploy", REPO / "deploy" / "scaleway" / "deploy.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workflow(path: Path) -> dict:
    loaded = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the `on:` key as the boolean True.
    loaded["on"] = loaded.pop(True, loaded.get("on"))
    return loaded


def test_the_kit_has_both_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"deploy.yml", "webserver-hours.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_is_valid_and_refers_to_repository_files(path: Path) -> None:
    loaded = workflow(path)
    assert loaded["on"] and loaded["jobs"]
    referenced = set()
    for job in loaded["jobs"].values():
        assert job.get("timeout-minutes"), "every job is bounded in time"
        for step in job["steps"]:
            assert "uses" in step or "run" in step
            referenced.update(REPO_PATH.findall(step.get("run", "")))
            referenced.update(REPO_PATH.findall(json.dumps(step.get("with", {}))))
    assert referenced, "the workflow runs something from the repository"
    missing = sorted(r for r in referenced if not (REPO / r).exists())
    assert not missing, f"{path.name} refers to missing files: {missing}"


def test_deploy_workflow_pushes_to_scaleway_registry_and_updates_jobs() -> None:
    text = (REPO / ".github" / "workflows" / "deploy.yml").read_text()
    steps = [
        s
        for job in workflow(REPO / ".github/workflows/deploy.yml")["jobs"].values()
        for s in job["steps"]
    ]
    build = next(s for s in steps if str(s.get("uses", "")).startswith("docker/build-push"))
    assert build["with"]["file"] == "deploy/Dockerfile"
    assert build["with"]["platforms"] == "linux/amd64"
    assert "rg.fr-par.scw.cloud/" in text
    runs = " ".join(s.get("run", "") for s in steps)
    assert "deploy/scaleway/deploy.py jobs" in runs
    assert "deploy/scaleway/deploy.py containers" in runs
    # The whole suite, end-to-end test included, gates the deployment.
    assert re.search(r"(^|\s)make test(\s|$)", runs)
    # Jobs and containers get the image by the digest the build pushed, not by a movable tag.
    assert "steps.build.outputs.digest" in text
    image_args = re.findall(r'--image "([^"]+)"', runs)
    assert image_args and all(arg == "${{ steps.image.outputs.ref }}" for arg in image_args)


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def test_dockerfile_copies_only_repository_files() -> None:
    sources = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY" and "--from=" not in rest:
            words = [w for w in shlex.split(rest) if not w.startswith("--")]
            sources.extend(words[:-1])
    assert "requirements.lock" in sources and "deploy/scaleway/dagster.yaml" in sources
    missing = sorted(s for s in sources if not (REPO / s).exists())
    assert not missing, f"deploy/Dockerfile copies missing files: {missing}"


def test_dockerfile_is_small_amd64_non_root_and_installs_with_the_lock() -> None:
    instructions = dockerfile_instructions()
    bases = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert bases and all("--platform=linux/amd64" in b and "python:3.11-slim" in b for b in bases)
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert re.search(r"pip install [^&]*-c requirements\.lock \.", runs)
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    # Only the final stage ships: the build stage (and its pip caches) stays behind.
    assert sum(1 for keyword, _ in instructions if keyword == "FROM") == 2


def test_daemon_script_is_valid_shell() -> None:
    script = REPO / "deploy" / "scaleway" / "daemon.sh"
    assert os.access(script, os.X_OK)
    checked = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def production_environ() -> dict[str, str]:
    return {
        "DAGSTER_PG_HOST": "db.internal",
        "DAGSTER_PG_PORT": "5432",
        "DAGSTER_PG_DB": "dagster",
        "DAGSTER_PG_USER": "dagster",
        "DAGSTER_PG_PASSWORD": "secret",
        "OBSERVATOIRE_JOBS_ACCESS_KEY": ACCESS_KEY,
        "OBSERVATOIRE_JOBS_SECRET_KEY": SECRET_KEY,
        "OBSERVATOIRE_JOBS_PROJECT_ID": PROJECT_ID,
        "OBSERVATOIRE_JOBS_REGION": "fr-par",
        "OBSERVATOIRE_JOB_DEFINITION_SMALL": "11111111-0000-4000-8000-000000000001",
        "OBSERVATOIRE_JOB_DEFINITION_LARGE": "11111111-0000-4000-8000-000000000002",
    }


def test_production_dagster_yaml_loads_the_scaleway_launcher(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in production_environ().items():
        monkeypatch.setenv(name, value)
    shutil.copy(DAGSTER_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))

    section = config["run_launcher"]
    launcher_class = getattr(importlib.import_module(section["module"]), section["class"])
    assert launcher_class is ScalewayJobsRunLauncher
    processed = process_config(
        resolve_to_config_type(launcher_class.config_type()), section["config"]
    )
    assert processed.success, processed.errors
    launcher = launcher_class.from_config_value(None, processed.value)
    assert launcher.job_definitions == {
        "small": "11111111-0000-4000-8000-000000000001",
        "large": "11111111-0000-4000-8000-000000000002",
    }
    assert launcher.region == "fr-par"
    assert launcher.supports_check_run_worker_health
    assert config["run_monitoring"]["enabled"] is True


def shape(tier: dict) -> TierShape:
    """A tier of job-definitions.json as the launcher reads it from the API."""
    return TierShape(
        vcpu=tier["cpu_limit"] / 1000,
        memory_mb=tier["memory_limit"],
        timeout_seconds=duration_seconds(tier["job_timeout"]),
    )


def test_job_definitions_match_the_launcher() -> None:
    deploy = load_deploy_script()
    spec = json.loads(JOB_SPEC.read_text())
    launcher_config = yaml.safe_load(DAGSTER_YAML.read_text())["run_launcher"]["config"]
    assert set(spec["tiers"]) == set(launcher_config["job_definitions"])
    for tier, source in launcher_config["job_definitions"].items():
        assert source == {"env": deploy.definition_variable(tier)}
    assert spec["tiers"][launcher_config["default_tier"]]
    assert spec["startup_command"] == list(EXECUTE_RUN_COMMAND)
    small, large = spec["tiers"]["small"], spec["tiers"]["large"]
    assert small["memory_limit"] < large["memory_limit"]
    # The nightly day runs in process on one vCPU; a month-long run matches its days on as many
    # workers as the large tier has vCPUs.
    assert small["cpu_limit"] == 1000 and large["cpu_limit"] == 2000
    # The smallest tier holds a normal day, the largest a 31-day run on its workers, both within
    # their memory and job timeout with the sizing headroom.
    assert holds(RunWork(1, 18), shape(small))
    assert holds(RunWork(31, 18), shape(large))
    assert run_workers(RunWork(31, 18), shape(large)) == 2
    # The job's container finds the instance (PostgreSQL) where the image puts dagster.yaml.
    assert spec["environment"]["DAGSTER_HOME"] == "/opt/dagster/home"
    assert "ENV" in DOCKERFILE.read_text() and "DAGSTER_HOME=/opt/dagster/home" in (
        DOCKERFILE.read_text()
    )
    assert "DAGSTER_PG_HOST" in spec["environment_from_deployer"]
    # Job runs get the database, the provider and the lake's own key, all as secrets; neither
    # the deploy key nor any SCW_ variable.
    assert set(spec["secrets"]) == {
        "DAGSTER_PG_PASSWORD",
        "OBSERVATOIRE_MEDIATREE_USER",
        "OBSERVATOIRE_MEDIATREE_PASSWORD",
        "OBSERVATOIRE_S3_ACCESS_KEY",
        "OBSERVATOIRE_S3_SECRET_KEY",
    }
    plain = [*spec["environment"], *spec["environment_from_deployer"]]
    assert not [name for name in [*plain, *spec["secrets"]] if name.startswith("SCW_")]
    deploy.check_plain_names(dict.fromkeys(plain, "x"), "spec")


def test_launcher_and_containers_avoid_reserved_scaleway_names() -> None:
    text = DAGSTER_YAML.read_text()
    assert not re.findall(r"env: SCW_", text)
    deploy = load_deploy_script()
    with pytest.raises(deploy.DeployError, match="reserved"):
        deploy.check_plain_names({"SCW_DEFAULT_REGION": "x"}, "container environment")
    with pytest.raises(deploy.DeployError, match="Secret Manager"):
        deploy.check_plain_names({"DAGSTER_PG_PASSWORD": "x"}, "container environment")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-01-05T05:44:00+00:00", 0),  # Monday 06:44 in Paris (winter, UTC+1)
        ("2026-01-05T05:45:00+00:00", 1),  # Monday 06:45
        ("2026-01-05T18:59:00+00:00", 1),  # Monday 19:59
        ("2026-01-05T19:00:00+00:00", 0),  # Monday 20:00
        ("2026-03-30T04:45:00+00:00", 1),  # first Monday of summer time (UTC+2): 06:45
        ("2026-03-30T04:44:00+00:00", 0),
        ("2026-07-03T18:00:00+00:00", 0),  # Friday 20:00 in summer
        ("2026-07-03T17:59:00+00:00", 1),
        ("2026-07-04T10:00:00+00:00", 0),  # Saturday
    ],
)
def test_webserver_opens_during_paris_working_hours(moment: str, expected: int) -> None:
    deploy = load_deploy_script()
    assert deploy.webserver_min_scale(datetime.fromisoformat(moment)) == expected


def cron_times(expression: str, day: date) -> list[datetime]:
    minute, hours, _, _, weekdays = expression.split()
    cron_weekday = (day.weekday() + 1) % 7  # cron: 0 is Sunday
    if weekdays != "*":
        low, high = (int(x) for x in weekdays.split("-"))
        if not low <= cron_weekday <= high:
            return []
    return [
        datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=UTC)
        for hour in hours.split(",")
    ]


def test_hours_schedule_opens_and_closes_on_time_all_year() -> None:
    deploy = load_deploy_script()
    crons = [entry["cron"] for entry in workflow(PARIS_HOURS_WORKFLOW)["on"]["schedule"]]
    # Off the busy minute 0 of GitHub's scheduler.
    assert all(cron.split()[0] not in ("0", "00", "*") for cron in crons)
    opening = datetime.combine(date(2026, 1, 1), deploy.OPENING)
    closing = datetime.combine(date(2026, 1, 1), deploy.CLOSING)
    day = date(2026, 1, 1)
    while day.year == 2026:
        runs = sorted(t for cron in crons for t in cron_times(cron, day))
        paris = [datetime.combine(day, t.astimezone(deploy.PARIS).time()) for t in runs]
        scales = [deploy.webserver_min_scale(t) for t in runs]
        if day.weekday() < 5:
            # Each weekday, one run opens within 15 minutes before 07:00 and one closes within
            # 15 minutes after 20:00 Paris time.
            opened = [p for p, s in zip(paris, scales, strict=True) if s == 1]
            assert any(
                opening <= p.replace(year=2026, month=1, day=1) < opening + timedelta(minutes=15)
                for p in opened
            ), day
            assert any(
                closing <= p.replace(year=2026, month=1, day=1) < closing + timedelta(minutes=15)
                and s == 0
                for p, s in zip(paris, scales, strict=True)
            ), day
        # The last run of every day, weekends included, leaves the webserver closed.
        assert scales and scales[-1] == 0, day
        day += timedelta(days=1)


SECRET_VALUES = {
    "DAGSTER_PG_PASSWORD": "pg-password-value",
    "OBSERVATOIRE_MEDIATREE_USER": "provider-user-value",
    "OBSERVATOIRE_MEDIATREE_PASSWORD": "provider-password-value",
    "OBSERVATOIRE_S3_ACCESS_KEY": "SCWLAKEONLYLAKEONLY0",
    "OBSERVATOIRE_S3_SECRET_KEY": "lake-secret-key-value",
}


def deployer_environment(monkeypatch: pytest.MonkeyPatch, api_url: str, spec: dict) -> None:
    """The deployer holds the deploy key in the SDK's variables, the rest in its own."""
    monkeypatch.setenv("SCW_API_URL", api_url)
    monkeypatch.setenv("SCW_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("SCW_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("SCW_DEFAULT_PROJECT_ID", PROJECT_ID)
    monkeypatch.setenv("SCW_DEFAULT_REGION", "fr-par")
    for name in spec["environment_from_deployer"]:
        monkeypatch.setenv(name, f"value-of-{name}")


def test_deploy_script_creates_then_updates_job_definitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deploy = load_deploy_script()
    spec = json.loads(JOB_SPEC.read_text())
    with FakeScalewayJobs() as fake:
        deployer_environment(monkeypatch, fake.url, spec)
        for name, value in SECRET_VALUES.items():
            monkeypatch.setenv(name, value)

        def run(image: str) -> dict[str, str]:
            out = io.StringIO()
            with redirect_stdout(out):
                assert deploy.main(["jobs", "--image", image]) == 0
            return dict(line.split("=", 1) for line in out.getvalue().split())

        first = run("rg.fr-par.scw.cloud/observatoire/observatoire@sha256:aaa")
        second = run("rg.fr-par.scw.cloud/observatoire/observatoire@sha256:bbb")

        assert set(first) == {
            "OBSERVATOIRE_JOB_DEFINITION_SMALL",
            "OBSERVATOIRE_JOB_DEFINITION_LARGE",
        }
        assert first == second
        assert len(fake.definitions) == 2
        secret_ids = {s["name"]: s["id"] for s in fake.managed_secrets.values()}
        assert set(secret_ids) == set(spec["secrets"].values())
        for definition in fake.definitions.values():
            assert definition["image_uri"].endswith("@sha256:bbb")
            assert definition["startup_command"] == list(EXECUTE_RUN_COMMAND)
            environment = definition["environment_variables"]
            # No secret value, no secret name and no Scaleway key in the plain environment.
            assert not set(environment) & set(SECRET_VALUES)
            plain = json.dumps(environment)
            for value in [*SECRET_VALUES.values(), SECRET_KEY, ACCESS_KEY]:
                assert value not in plain
            assert not [name for name in environment if name.startswith("SCW_")]
            assert fake.definition_secrets(definition["id"]) == {
                variable: secret_ids[name] for variable, name in spec["secrets"].items()
            }
        # Unchanged values add no version; a rotated one adds exactly one.
        assert all(len(v) == 1 for v in fake.secret_versions.values())
        monkeypatch.setenv("DAGSTER_PG_PASSWORD", "rotated")
        run("rg.fr-par.scw.cloud/observatoire/observatoire@sha256:bbb")
        versions = fake.secret_versions[secret_ids["observatoire-dagster-pg-password"]]
        assert versions == ["pg-password-value", "rotated"]
        assert len(fake.secret_refs) == 2 * len(spec["secrets"])
        large = fake.definitions[first["OBSERVATOIRE_JOB_DEFINITION_LARGE"]]
        assert large["memory_limit"] == spec["tiers"]["large"]["memory_limit"]

        # Without the values, existing secrets are referenced as they are.
        for name in SECRET_VALUES:
            monkeypatch.delenv(name)
        assert run("x") == first

        monkeypatch.delenv("DAGSTER_PG_HOST")
        with redirect_stdout(io.StringIO()):
            assert deploy.main(["jobs", "--image", "x"]) == 2


def test_deploy_script_needs_each_secret_to_exist_or_a_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deploy = load_deploy_script()
    spec = json.loads(JOB_SPEC.read_text())
    with FakeScalewayJobs() as fake:
        deployer_environment(monkeypatch, fake.url, spec)
        for name in SECRET_VALUES:
            monkeypatch.delenv(name, raising=False)
        error = io.StringIO()
        with redirect_stdout(io.StringIO()), redirect_stderr(error):
            assert deploy.main(["jobs", "--image", "x"]) == 2
        assert "observatoire-dagster-pg-password" in error.getvalue()
        assert fake.definitions == {}
