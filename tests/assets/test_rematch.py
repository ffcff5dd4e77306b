"""Re-matching after a dictionary change: `make rematch` end to end, and run counts of backfills."""

from __future__ import annotations

import os
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from dagster import DagsterInstance
from dagster._core.definitions.automation_tick_evaluation_context import (
    build_run_requests_with_backfill_policies,
)
from dagster._core.definitions.events import AssetKeyPartitionKey

from assets.keys import CHANNEL_INDICATORS, THEME_KEYWORDS, THEME_SEGMENTS
from assets.partitions import RANGE_END_TAG, RANGE_START_TAG, range_tags
from assets.rematch import REMATCH_JOB, plan
from definitions import build_definitions
from observatoire.reference.reference import table_version
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

ROOT = Path(__file__).resolve().parents[2]
REMATCHED = (THEME_SEGMENTS, THEME_KEYWORDS, CHANNEL_INDICATORS)


def test_a_60_day_backfill_is_two_runs(tmp_path: Path) -> None:
    defs = build_definitions(Settings(lake_url=str(tmp_path / "lake")))
    first = date(2024, 1, 1)
    days = [first + timedelta(days=i) for i in range(60)]
    partitions = defs.resolve_job_def(REMATCH_JOB).partitions_def

    # `make rematch` and `python -m assets.rematch`:
    assert plan(partitions, days[0], days[-1]) == [
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
    ]
    # A backfill launched from the UI (an asset backfill, split by the assets' backfill policy):
    wanted = [AssetKeyPartitionKey(a, d.isoformat()) for a in REMATCHED for d in days]
    with DagsterInstance.ephemeral() as instance:
        requests = build_run_requests_with_backfill_policies(
            wanted, defs.resolve_asset_graph(), instance
        )
    ranges = sorted((r.tags[RANGE_START_TAG], r.tags[RANGE_END_TAG]) for r in requests)
    assert ranges == [("2024-01-01", "2024-01-31"), ("2024-02-01", "2024-02-29")]


def test_a_rematch_outside_the_range_is_refused(tmp_path: Path) -> None:
    defs = build_definitions(Settings(lake_url=str(tmp_path / "lake")))
    partitions = defs.resolve_job_def(REMATCH_JOB).partitions_def
    with pytest.raises(ValueError, match=r"outside the partition range 2024-01-01\.\."):
        plan(partitions, date(2023, 12, 31), date(2024, 1, 2))


@pytest.mark.slow
def test_make_rematch_runs_to_completion_with_the_new_dictionary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake_url, home = tmp_path / "lake", tmp_path / "dagster_home"
    days = [date(2024, 3, 4), date(2024, 3, 5)]
    settings = Settings(lake_url=str(lake_url), warehouse_path=str(tmp_path / "w.duckdb"))
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance).success
        daily = defs.resolve_job_def(DAILY_JOB)
        assert daily.execute_in_process(instance=instance, tags=range_tags(*days)).success
    lake = Lake(str(lake_url))
    old = table_version(lake.read_day("theme_segments", days[0]))

    # A dictionary with one more keyword, as an analyst would edit it.
    packaged = (ROOT / "observatoire" / "data" / "dictionary_fr.csv").read_text()
    edited = tmp_path / "dictionary.csv"
    added = "semaine,changement_climatique_constat,false,general,fr"
    edited.write_text(packaged.rstrip("\n") + f"\n{added}\n")
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "OBSERVATOIRE_LAKE_URL": str(lake_url),
        "OBSERVATOIRE_WAREHOUSE_PATH": str(tmp_path / "w.duckdb"),
        "OBSERVATOIRE_DICTIONARY_CSV": str(edited),
    }
    env.pop("MAKEFLAGS", None)
    done = subprocess.run(
        ["make", "rematch", f"START={days[0]}", f"END={days[-1]}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert f"rematch {days[0]}..{days[-1]}: run" in done.stdout

    new = table_version(lake.read_table("keyword_dictionary"))
    assert new != old
    for day in days:
        assert table_version(lake.read_day("theme_segments", day)) == new
        assert table_version(lake.read_day("theme_keywords", day)) == new
        assert set(lake.read_day("channel_indicators", day)["dictionary_version"].to_pylist()) == {
            new
        }
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert sorted(r.job_name for r in runs) == [REFERENCE_JOB, REMATCH_JOB]
    assert isinstance(lake.read_day("raw_captions", days[0]), pa.Table)
