"""Running the real asset graph (definitions.py) against a given lake, and comparing lakes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import dagster as dg
import pyarrow as pa

from assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from definitions import build_definitions
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from resources.lake import LakeResource
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

# Saturday, and the 23-hour Sunday of the spring clock change in Europe/Paris.
DAYS = (date(2024, 3, 30), date(2024, 3, 31))


def graph_settings(environ: Mapping[str, str]) -> Settings:
    return Settings.from_env(dict(environ))


def lake_of(settings: Settings) -> Lake:
    return LakeResource.from_settings(settings).lake()


def run_reference(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)


def run_days(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    days: Sequence[date],
    *,
    raise_on_error: bool = True,
) -> dg.ExecuteInProcessResult:
    """One run of every daily stage over a range of days, as a backfill would launch it."""
    first, last = min(days).isoformat(), max(days).isoformat()
    tags = {RANGE_START_TAG: first, RANGE_END_TAG: last} if first != last else {}
    return defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=instance,
        partition_key=first if first == last else None,
        tags=tags,
        raise_on_error=raise_on_error,
    )


def run_graph(
    settings: Settings, instance: dg.DagsterInstance, days: Sequence[date] = DAYS
) -> dg.ExecuteInProcessResult:
    defs = build_definitions(settings)
    assert run_reference(defs, instance).success
    result = run_days(defs, instance, days)
    assert result.success
    return result


def snapshot(lake: Lake, days: Sequence[date] = DAYS) -> dict[tuple[str, str], pa.Table]:
    """Every table of the lake for the given days (reference tables under the key 'reference')."""
    tables: dict[tuple[str, str], pa.Table] = {}
    for table in lake.tables():
        if lake.has_table(table):
            tables[(table, "reference")] = lake.read_table(table)
        for day in days:
            if lake.has_day(table, day):
                tables[(table, day.isoformat())] = lake.read_day(table, day)
    return tables


def differences(
    actual: Mapping[tuple[str, str], pa.Table], expected: Mapping[tuple[str, str], pa.Table]
) -> list[str]:
    """What differs between two snapshots, in words (empty when identical)."""
    problems = [f"missing {key}" for key in sorted(set(expected) - set(actual))]
    problems += [f"unexpected {key}" for key in sorted(set(actual) - set(expected))]
    for key in sorted(set(actual) & set(expected)):
        if not actual[key].equals(expected[key]):
            problems.append(
                f"{key} differs: {actual[key].num_rows} rows vs {expected[key].num_rows} expected"
            )
    return problems
