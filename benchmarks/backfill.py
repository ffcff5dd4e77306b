"""A full year of demo captions for every channel through every daily asset, on the embedded
default (SQLite instance in a temporary DAGSTER_HOME, Parquet lake on local disk), as a backfill
would run it: month-long runs (BackfillPolicy.multi_run, 31 days), steps in-process.

Prints wall time, time per stage (summed step durations), chunks per second and peak memory.
Goal on a 2-core machine: under 10 minutes and under 2 GB.

    .venv/bin/python benchmarks/backfill.py [--start 2024-01-01] [--days 366] [--keep DIR]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from dagster import DagsterInstance

from assets.partitions import MAX_DAYS_PER_RUN, range_tags
from definitions import build_definitions
from observatoire.lake import Lake
from resources.settings import Settings
from sensors.schedules import DAILY_JOB, REFERENCE_JOB


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def month_runs(start: date, days: int) -> list[tuple[date, date]]:
    runs = []
    first = start
    end = start + timedelta(days=days - 1)
    while first <= end:
        last = min(first + timedelta(days=MAX_DAYS_PER_RUN - 1), end)
        runs.append((first, last))
        first = last + timedelta(days=1)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=int, default=366)
    parser.add_argument("--keep", type=Path, help="keep the lake and instance in this folder")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="observatoire-backfill-"))
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        lake_url=str(workdir / "lake"),
        warehouse_path=str(workdir / "warehouse.duckdb"),
        partitions_start=args.start.isoformat(),
    )
    defs = build_definitions(settings)
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    stage_seconds: dict[str, float] = defaultdict(float)
    runs = month_runs(args.start, args.days)
    print(f"{args.days} days from {args.start}, {len(runs)} runs, work folder {workdir}")

    began = time.perf_counter()
    with DagsterInstance.local_temp(str(home)) as instance:
        reference = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)
        assert reference.success
        daily = defs.resolve_job_def(DAILY_JOB)
        for first, last in runs:
            run_began = time.perf_counter()
            result = daily.execute_in_process(instance=instance, tags=range_tags(first, last))
            if not result.success:
                print(f"run {first}..{last} failed", file=sys.stderr)
                return 1
            for step in instance.get_run_step_stats(result.run_id):
                if step.start_time and step.end_time:
                    stage_seconds[step.step_key] += step.end_time - step.start_time
            print(
                f"  {first}..{last}: {time.perf_counter() - run_began:6.1f} s, "
                f"peak memory {peak_memory_mb():,.0f} MB",
                flush=True,
            )
    wall = time.perf_counter() - began

    lake = Lake(settings.lake_url)
    chunks = sum(lake.dataset("raw_captions").count_rows(filter=None) for _ in [0])
    print()
    print(f"wall time          {wall:8.1f} s  ({wall / 60:.1f} min; goal < 10 min)")
    for step, seconds in sorted(stage_seconds.items(), key=lambda item: -item[1]):
        print(f"  {step:<16} {seconds:8.1f} s  ({seconds / args.days * 1000:.0f} ms/day)")
    print(f"chunks             {chunks:8d}")
    print(f"chunks per second  {chunks / wall:8.0f}")
    print(f"peak memory        {peak_memory_mb():8.0f} MB  (goal < 2048 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
