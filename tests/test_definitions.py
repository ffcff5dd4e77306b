"""The code location loads and keeps its shape: asset keys, partitions, backfill policies, jobs,
schedules. The shape is compared with tests/snapshots/definitions.json; after an intended change,
rewrite the snapshot with `.venv/bin/python -m tests.test_definitions` and review the diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from assets.keys import DAILY_GROUP, DAILY_TABLES, RAW_CAPTIONS, REFERENCE_TABLES
from definitions import build_definitions
from observatoire.settings import Settings
from observatoire.storage import lake

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "definitions.json"


def _partitions(definition) -> dict | None:
    if definition is None:
        return None
    described = {"type": type(definition).__name__}
    for name in ("cron_schedule", "timezone", "fmt"):
        if hasattr(definition, name):
            described[name] = getattr(definition, name)
    if hasattr(definition, "start"):
        described["start"] = definition.start.isoformat()
    return described


def _policy(policy) -> dict | None:
    if policy is None:
        return None
    return {
        "type": policy.policy_type.value,
        "max_partitions_per_run": policy.max_partitions_per_run,
    }


def describe(defs) -> dict:
    """The parts of the code location a change should not move silently."""
    graph = defs.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "code_version": node.code_version,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
            "partitions": _partitions(node.partitions_def),
            "backfill_policy": _policy(node.backfill_policy),
        }
    schedules = {
        schedule.name: {
            "cron": schedule.cron_schedule,
            "timezone": schedule.execution_timezone,
            "job": schedule.job_name,
            "default_status": schedule.default_status.value,
        }
        for schedule in sorted(defs.schedules or [], key=lambda s: s.name)
        for schedule in [defs.resolve_schedule_def(schedule.name)]
    }
    jobs = sorted(job.name for job in defs.resolve_all_job_defs() if not job.name.startswith("__"))
    return {
        "assets": assets,
        "jobs": jobs,
        "schedules": schedules,
        "sensors": sorted(sensor.name for sensor in defs.sensors or []),
        "resources": sorted(defs.resources or {}),
        "executor": defs.executor.name if defs.executor else None,
    }


OTHER_COUNTRIES = "other_countries"
"""Snapshot entry: what measuring Belgium too adds to the code location (France's part is the
rest of the snapshot and must not move)."""


def countries_description() -> dict:
    """What `OBSERVATOIRE_COUNTRIES=fr,be` adds to France's code location, and nothing else."""
    france = describe(build_definitions(Settings()))
    both = describe(build_definitions(Settings.from_env({"OBSERVATOIRE_COUNTRIES": "fr,be"})))
    for name, value in france["assets"].items():
        assert both["assets"][name] == value, f"measuring Belgium changed France's {name}"
    for name, value in france["schedules"].items():
        assert both["schedules"][name] == value, f"measuring Belgium changed France's {name}"
    return {
        "assets": {k: v for k, v in both["assets"].items() if k not in france["assets"]},
        "jobs": sorted(set(both["jobs"]) - set(france["jobs"])),
        "schedules": {k: v for k, v in both["schedules"].items() if k not in france["schedules"]},
        "sensors": sorted(set(both["sensors"]) - set(france["sensors"])),
        "resources": sorted(set(both["resources"]) - set(france["resources"])),
    }


def default_description() -> dict:
    return {
        **describe(build_definitions(Settings())),
        OTHER_COUNTRIES: countries_description(),
    }


def test_definitions_match_the_snapshot():
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert default_description() == expected, (
        "the code location changed shape; if intended, run "
        "`.venv/bin/python -m tests.test_definitions` and review the snapshot diff"
    )


def test_every_daily_stage_shares_the_paris_partitions_and_month_runs():
    assets = default_description()["assets"]
    daily = [name for name, asset in assets.items() if asset["group"] == DAILY_GROUP]
    assert set(daily) == set(DAILY_TABLES)
    for name in daily:
        assert assets[name]["partitions"]["timezone"] == "Europe/Paris", name
        assert assets[name]["partitions"]["type"] == "DailyPartitionsDefinition", name
        assert assets[name]["backfill_policy"] == {
            "type": "MULTI_RUN",
            "max_partitions_per_run": 31,
        }, name
    for name in REFERENCE_TABLES:
        assert assets[name]["partitions"] is None


def test_the_lake_knows_every_asset_table():
    """The warehouse's views come from the lake's table list: it names the assets' tables."""
    assert lake.REFERENCE_TABLES == REFERENCE_TABLES
    assert lake.DAILY_TABLES == DAILY_TABLES


def test_the_partition_start_comes_from_the_settings():
    defs = build_definitions(Settings(partitions_start="2025-06-01"))
    node = defs.resolve_asset_graph().get(RAW_CAPTIONS)
    assert node.partitions_def.start.date().isoformat() == "2025-06-01"


def test_code_versions_follow_the_method_parameters():
    """A changed window marks matching and indicators out of date; a profile only matching."""
    versions = {
        (window, profile): {
            key.to_user_string(): node.code_version
            for key in defs.resolve_asset_graph().get_all_asset_keys()
            for node in [defs.resolve_asset_graph().get(key)]
        }
        for window, profile in [(20, "default"), (30, "default"), (20, "ome-2024")]
        for defs in [build_definitions(Settings(window_seconds=window, profile=profile))]
    }
    base, window, profile = versions.values()
    changed_by_window = {name for name in base if base[name] != window[name]}
    changed_by_profile = {name for name in base if base[name] != profile[name]}
    assert changed_by_window == {"theme_segments", "theme_keywords", "channel_indicators"}
    assert changed_by_profile == {"theme_segments", "theme_keywords"}


def test_dagster_definitions_validate_passes(tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "definitions"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


if __name__ == "__main__":
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(default_description(), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
