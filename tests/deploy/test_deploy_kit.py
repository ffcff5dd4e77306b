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
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config

from resources.scaleway_launcher import EXECUTE_RUN_COMMAND, ScalewayJobsRunLauncher
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
        "SCW_ACCESS_KEY": ACCESS_KEY,
        "SCW_SECRET_KEY": SECRET_KEY,
        "SCW_DEFAULT_PROJECT_ID": PROJECT_ID,
        "SCW_DEFAULT_REGION": "fr-par",
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
    assert small["cpu_limit"] < large["cpu_limit"]
    # The job's container finds the instance (PostgreSQL) where the image puts dagster.yaml.
    assert spec["environment"]["DAGSTER_HOME"] == "/opt/dagster/home"
    assert "ENV" in DOCKERFILE.read_text() and "DAGSTER_HOME=/opt/dagster/home" in (
        DOCKERFILE.read_text()
    )
    needed = {"DAGSTER_PG_HOST", "DAGSTER_PG_PASSWORD", "SCW_ACCESS_KEY", "SCW_SECRET_KEY"}
    assert needed <= set(spec["environment_from_deployer"])


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-01-05T05:59:00+00:00", 0),  # Monday 06:59 in Paris (winter, UTC+1)
        ("2026-01-05T06:00:00+00:00", 1),  # Monday 07:00
        ("2026-01-05T18:59:00+00:00", 1),  # Monday 19:59
        ("2026-01-05T19:00:00+00:00", 0),  # Monday 20:00
        ("2026-03-30T05:00:00+00:00", 1),  # first Monday of summer time (UTC+2): 07:00
        ("2026-03-30T04:59:00+00:00", 0),
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
    low, high = (int(x) for x in weekdays.split("-"))
    cron_weekday = (day.weekday() + 1) % 7  # cron: 0 is Sunday
    if not low <= cron_weekday <= high:
        return []
    return [
        datetime(day.year, day.month, day.day, int(hour), int(minute), tzinfo=UTC)
        for hour in hours.split(",")
    ]


def test_hours_schedule_opens_and_closes_on_time_all_year() -> None:
    deploy = load_deploy_script()
    crons = [entry["cron"] for entry in workflow(PARIS_HOURS_WORKFLOW)["on"]["schedule"]]
    day = date(2026, 1, 1)
    while day.year == 2026:
        runs = [t for cron in crons for t in cron_times(cron, day)]
        paris = [t.astimezone(deploy.PARIS) for t in runs]
        if day.weekday() < 5:
            # On each weekday one run lands exactly at opening and one exactly at closing.
            assert any(p.time() == deploy.OPENING for p in paris), day
            assert any(p.time() == deploy.CLOSING for p in paris), day
            assert deploy.webserver_min_scale(max(runs)) == 0, day
        else:
            assert runs == [], day
        day += timedelta(days=1)


def test_deploy_script_creates_then_updates_job_definitions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deploy = load_deploy_script()
    spec = json.loads(JOB_SPEC.read_text())
    with FakeScalewayJobs() as fake:
        monkeypatch.setenv("SCW_API_URL", fake.url)
        for name, value in production_environ().items():
            monkeypatch.setenv(name, value)
        for name in spec["environment_from_deployer"]:
            monkeypatch.setenv(name, os.environ.get(name) or f"value-of-{name}")

        def run(image: str) -> dict[str, str]:
            out = io.StringIO()
            with redirect_stdout(out):
                assert deploy.main(["jobs", "--image", image]) == 0
            return dict(line.split("=", 1) for line in out.getvalue().split())

        first = run("rg.fr-par.scw.cloud/observatoire/observatoire:aaa")
        second = run("rg.fr-par.scw.cloud/observatoire/observatoire:bbb")

        assert set(first) == {
            "OBSERVATOIRE_JOB_DEFINITION_SMALL",
            "OBSERVATOIRE_JOB_DEFINITION_LARGE",
        }
        assert first == second
        assert len(fake.definitions) == 2
        for definition in fake.definitions.values():
            assert definition["image_uri"].endswith(":bbb")
            assert definition["startup_command"] == list(EXECUTE_RUN_COMMAND)
            assert definition["environment_variables"]["DAGSTER_PG_PASSWORD"] == "secret"
        large = fake.definitions[first["OBSERVATOIRE_JOB_DEFINITION_LARGE"]]
        assert large["memory_limit"] == spec["tiers"]["large"]["memory_limit"]

        monkeypatch.delenv("DAGSTER_PG_PASSWORD")
        with redirect_stdout(io.StringIO()):
            assert deploy.main(["jobs", "--image", "x"]) == 2
