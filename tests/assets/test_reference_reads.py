"""The reference tables are read, and the dictionary compiled into a matcher, once per run and
per worker: a run of four days does not read or compile more than a run of one day."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from assets.partitions import range_tags
from definitions import build_definitions
from observatoire.matching.matcher import Matcher
from observatoire.settings import Settings
from observatoire.storage.lake import REFERENCE_TABLES, Lake
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

FIRST = date(2024, 3, 4)


def settings_for(root: Path, workers: int) -> Settings:
    return Settings(
        lake_url=str(root / "lake"),
        warehouse_path=str(root / "warehouse.duckdb"),
        partitions_start="2024-01-01",
        day_workers=workers,
    )


def daily_run(root: Path, workers: int, first: date, days: int, instance: DagsterInstance):
    defs = build_definitions(settings_for(root, workers))
    result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=instance, tags=range_tags(first, first + timedelta(days=days - 1))
    )
    assert result.success
    return result


def run_figures(result, name: str) -> set:
    """One of the run's figures, as attached to each day of theme_segments it materialised."""
    return {
        event.step_materialization_data.materialization.metadata[name].value
        for event in result.get_asset_materialization_events()
        if event.step_materialization_data.materialization.asset_key.to_user_string()
        == "theme_segments"
    }


def matcher_compilations(result) -> set[int]:
    return run_figures(result, "matcher_compilations")


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as instance:
        yield instance


def test_a_longer_run_reads_and_compiles_the_reference_no_more_often(
    tmp_path: Path, instance: DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs = build_definitions(settings_for(tmp_path, 1))
    assert defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance).success

    reads: Counter[str] = Counter()
    compilations: list[int] = []
    read_table, compile_matcher = Lake.read_table, Matcher.__init__

    def counted_read(self: Lake, table: str) -> object:
        reads[table] += 1
        return read_table(self, table)

    def counted_compile(self: Matcher, *args: object, **kwargs: object) -> None:
        compilations.append(1)
        compile_matcher(self, *args, **kwargs)

    monkeypatch.setattr(Lake, "read_table", counted_read)
    monkeypatch.setattr(Matcher, "__init__", counted_compile)

    one_day = daily_run(tmp_path, 1, FIRST, 1, instance)
    reads_one, compiled_one = Counter(reads), len(compilations)
    reads.clear()
    compilations.clear()
    four_days = daily_run(tmp_path, 1, FIRST + timedelta(days=1), 4, instance)

    assert compiled_one == len(compilations) == 1
    assert reads == reads_one
    assert {"keyword_dictionary", "programme_grid", "channels"} <= set(reads)
    assert set(reads) <= set(REFERENCE_TABLES)
    assert reads["keyword_dictionary"] == 1
    assert matcher_compilations(one_day) == matcher_compilations(four_days) == {1}


def test_each_worker_compiles_the_matcher_once_for_all_its_days(
    tmp_path: Path, instance: DagsterInstance
) -> None:
    defs = build_definitions(settings_for(tmp_path, 2))
    assert defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance).success

    result = daily_run(tmp_path, 2, FIRST, 6, instance)

    # a worker reports how often it prepared with every day it returns: once per worker
    (compilations,) = matcher_compilations(result)
    assert 1 <= compilations <= 2
    # where the step's time went, summed over the workers
    (preparing,) = run_figures(result, "preparation_seconds")
    (computing,) = run_figures(result, "computing_seconds")
    assert preparing > 0 and computing > 0
    assert Lake(str(tmp_path / "lake")).days("theme_segments") == [
        FIRST + timedelta(days=i) for i in range(6)
    ]
