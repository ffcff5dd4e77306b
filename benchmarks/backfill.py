"""A full year of demo captions for every channel through every daily asset, on the embedded
default (the SQLite instance of `deploy/local/dagster.yaml` in a temporary DAGSTER_HOME, Parquet
lake on local disk), as a backfill
would run it: month-long runs (BackfillPolicy.multi_run, 31 days), steps in-process.

The same range runs twice, in one invocation: with one worker (every day in the run's process)
and with the run's days matched on as many workers as the CPU allowance gives (or --workers).
Prints for each the wall time, time per stage (summed step durations), chunks per second, days per
vCPU-minute (days / (wall minutes × workers), the speed `observatoire/runs/run_sizing.py` sizes
tiers with), peak memory of a worker and of this process (after the sequential pass: a run with
every day in its process), then compares the two lakes file by file (content hashes of every daily
table). Goal on a 2-core machine: the parallel year under 5 minutes and
under 1 GB per worker, its lake identical to the sequential one.

The bare matcher (`Matcher.match_table` alone, as benchmarks/matcher.py times it) runs on every
7th day of the year, each run's share right after the run in the sequential pass (its time left
out of the pass's wall time), so that the two are timed under the same load; match_themes'
chunks/s per worker in each pass is given as a share of it. After each run of the parallel pass,
as many bare matchers as it had workers run at once (forks of this process) on the run's days,
and the parallel pass is also given as a share of their chunks/s per process: workers that share
the cores measured against a matcher that shares them alike. The work folder is removed at the
end unless --keep names one.

    .venv/bin/python benchmarks/backfill.py [--start 2024-01-01] [--days 366] [--workers N]
        [--bare-every 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dagster import DagsterInstance, MetadataValue

from assets.keys import DAILY_TABLES
from assets.partitions import MAX_DAYS_PER_RUN, range_tags
from definitions import build_definitions
from observatoire.matching.language_matchers import country_matcher
from observatoire.reference.reference import channels_from_table, dictionaries_from_table
from observatoire.runs.day_workers import cpu_allowance, peak_memory_mb
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

LOCAL_INSTANCE = Path(__file__).resolve().parents[1] / "deploy" / "local" / "dagster.yaml"


def month_runs(start: date, days: int) -> list[tuple[date, date]]:
    runs = []
    first = start
    end = start + timedelta(days=days - 1)
    while first <= end:
        last = min(first + timedelta(days=MAX_DAYS_PER_RUN - 1), end)
        runs.append((first, last))
        first = last + timedelta(days=1)
    return runs


@dataclass
class Backfill:
    workers: int
    wall: float
    chunks: int
    stage_seconds: dict[str, float]
    worker_memory_mb: float
    process_memory_mb: float
    lake: Lake
    preparation_seconds: float = 0.0
    computing_seconds: float = 0.0


def backfill(
    workdir: Path,
    start: date,
    days: int,
    workers: int,
    between_runs: Callable[[Lake, date, date], None] | None = None,
) -> Backfill:
    """Reference data then the daily stages over `days` days, in month-long runs.
    `between_runs(lake, first, last)` is called after each run, its time left out of the wall
    time."""
    workdir.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        lake_url=str(workdir / "lake"),
        warehouse_path=str(workdir / "warehouse.duckdb"),
        partitions_start=start.isoformat(),
        day_workers=workers,
    )
    defs = build_definitions(settings)
    home = workdir / "dagster_home"
    home.mkdir(exist_ok=True)
    shutil.copy(LOCAL_INSTANCE, home / "dagster.yaml")
    os.environ["DAGSTER_HOME"] = str(home)
    stage_seconds: dict[str, float] = defaultdict(float)
    worker_memory = 0.0
    used = 1
    preparing = computing = 0.0
    aside = 0.0
    began = time.perf_counter()
    with DagsterInstance.get() as instance:
        reference = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)
        assert reference.success
        daily = defs.resolve_job_def(DAILY_JOB)
        for first, last in month_runs(start, days):
            run_began = time.perf_counter()
            result = daily.execute_in_process(instance=instance, tags=range_tags(first, last))
            if not result.success:
                raise SystemExit(f"run {first}..{last} failed")
            run_matching = 0.0
            run_figures = (0.0, 0.0)
            for step in instance.get_run_step_stats(result.run_id):
                if step.start_time and step.end_time:
                    stage_seconds[step.step_key] += step.end_time - step.start_time
                    if step.step_key == "match_themes":
                        run_matching = step.end_time - step.start_time
            for event in result.get_asset_materialization_events():
                materialization = event.step_materialization_data.materialization
                if materialization.asset_key.to_user_string() != "theme_segments":
                    continue
                metadata = materialization.metadata
                used = max(used, int(_figure(metadata, "day_workers")))
                # the run's figures, on each of its days: counted once per run
                run_figures = (
                    _figure(metadata, "preparation_seconds"),
                    _figure(metadata, "computing_seconds"),
                )
                worker_memory = max(worker_memory, _figure(metadata, "peak_memory_per_worker_mb"))
            preparing += run_figures[0]
            computing += run_figures[1]
            print(
                f"  {first}..{last}: {time.perf_counter() - run_began:6.1f} s "
                f"(match_themes {run_matching:5.1f} s), peak memory {peak_memory_mb():,.0f} MB",
                flush=True,
            )
            if between_runs is not None:
                paused = time.perf_counter()
                between_runs(Lake(settings.lake_url), first, last)
                aside += time.perf_counter() - paused
    wall = time.perf_counter() - began - aside
    lake = Lake(settings.lake_url)
    chunks = lake.dataset("raw_captions").count_rows()
    return Backfill(
        used,
        wall,
        chunks,
        dict(stage_seconds),
        worker_memory,
        peak_memory_mb(),
        lake,
        preparing,
        computing,
    )


def _figure(metadata: Mapping[str, MetadataValue], name: str) -> float:
    """A number the step attached to its materialisation."""
    value = metadata[name].value
    assert isinstance(value, (int, float)), (name, value)
    return float(value)


@dataclass
class BareMatcher:
    days: int
    chunks: int
    seconds: float
    slowest: float = 0.0
    fastest: float = 0.0

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.seconds


def sampled_days(start: date, days: int, every: int) -> list[date]:
    """Every `every`-th day of the range, counted from its start: the bare matcher's days."""
    return [start + timedelta(days=offset) for offset in range(0, days, every)]


class BareTiming:
    """`Matcher.match_table` alone, as benchmarks/matcher.py times it: the matcher compiled from
    the lake's dictionary, each day read whole into memory before its timing, and one call made
    outside the timing (first-call costs aside). The timing runs in `processes` forks of this
    process at once (one by default): with more, they share the cores as the parallel pass's
    workers do, and the figures are per process. In forks, the compiled matcher and the days
    read stay out of this process's peak memory, which sizes the runs."""

    def __init__(self, lake: Lake, processes: int = 1) -> None:
        self.lake = lake
        self.processes = processes
        self.days = 0
        self.chunks = 0
        self.seconds = 0.0
        self.rates: list[float] = []

    def time(self, days: list[date]) -> None:
        """Times the bare matcher over `days` and adds them to the totals."""
        if not days:
            return
        global _FORKED
        _FORKED = (self.lake, days)
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(self.processes, mp_context=context) as pool:
            runs = list(pool.map(_match_in_fork, range(self.processes)))
        chunks = sum(c for c, _ in runs) // self.processes
        seconds = sum(s for _, s in runs) / self.processes
        self.days += len(days)
        self.chunks += chunks
        self.seconds += seconds
        self.rates.append(chunks / seconds)

    def result(self) -> BareMatcher:
        return BareMatcher(
            self.days,
            self.chunks,
            self.seconds,
            min(self.rates, default=0.0),
            max(self.rates, default=0.0),
        )


_FORKED: tuple[Lake, list[date]] | None = None
"""What the forks time: set before forking, so nothing is pickled to them."""


def _match_in_fork(_: int) -> tuple[int, float]:
    assert _FORKED is not None
    lake, days = _FORKED
    matcher = country_matcher(
        dictionaries_from_table(lake.read_table("keyword_dictionary")),
        channels_from_table(lake.read_table("channels")),
    )
    captions = [lake.read_day("raw_captions", day) for day in days]
    matcher.match_table(captions[0])  # first-call costs aside
    chunks, seconds = 0, 0.0
    for day in captions:
        began = time.perf_counter()
        matcher.match_table(day)
        seconds += time.perf_counter() - began
        chunks += day.num_rows
    return chunks, seconds


def matching_share(
    label: str, run: Backfill, bare: BareMatcher, baseline: str = "the bare matcher"
) -> None:
    """match_themes' chunks/s (the year's chunks over the step's summed durations) against the
    bare matcher's, per worker: the step's own reading, timing, programmes, writes and events
    are what it loses. Then where the step's time went (summed over its workers): preparing
    (compiling the matcher, reading the grid), computing the days (reads aside; in a worker,
    its staged writes too) at so many chunks/s, and the rest (reads and writes not hidden
    behind computing, the step's set-up and events, waiting on each other)."""
    seconds = run.stage_seconds["match_themes"]
    step = run.chunks / seconds
    per_worker = step / run.workers
    share = per_worker / bare.chunks_per_second
    print(
        f"  {label:<10} {step:8,.0f} chunks/s on {run.workers} worker(s): "
        f"{per_worker:,.0f} per worker, {share:.0%} of {baseline}"
    )
    if run.computing_seconds:
        computing = run.chunks / run.computing_seconds
        rest = seconds * run.workers - run.preparation_seconds - run.computing_seconds
        print(
            f"  {'':<10} worker time {seconds * run.workers:6.1f} s: preparing "
            f"{run.preparation_seconds:5.1f} s, computing {run.computing_seconds:6.1f} s "
            f"({computing:,.0f} chunks/s, {computing / bare.chunks_per_second:.0%} of "
            f"{baseline}), rest {rest:5.1f} s"
        )


def content_hashes(lake: Lake) -> dict[str, str]:
    """SHA-256 of every day file of every daily table, by path inside the lake."""
    root = Path(lake.root)
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for table in DAILY_TABLES
        for path in sorted((root / table).glob("day=*/part-0.parquet"))
    }


def report(label: str, run: Backfill, days: int) -> None:
    print(f"{label}: {run.workers} worker(s)")
    print(f"  wall time          {run.wall:8.1f} s  ({run.wall / 60:.1f} min)")
    for step, seconds in sorted(run.stage_seconds.items(), key=lambda item: -item[1]):
        print(f"    {step:<16} {seconds:8.1f} s  ({seconds / days * 1000:.0f} ms/day)")
    print(f"  chunks             {run.chunks:8d}")
    print(f"  chunks per second  {run.chunks / run.wall:8.0f}")
    print(
        f"  days per vCPU-min  {days / (run.wall / 60 * run.workers):8.2f}  "
        f"(days / (wall minutes x workers))"
    )
    print(f"  match_themes: peak memory per worker {run.worker_memory_mb:,.0f} MB")
    print(f"  this process's peak memory so far {run.process_memory_mb:,.0f} MB")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1))
    parser.add_argument("--days", type=_positive, default=366)
    parser.add_argument(
        "--workers", type=int, default=0, help="workers of the parallel pass (0: CPU allowance)"
    )
    parser.add_argument(
        "--bare-every", type=_positive, default=7, help="the bare matcher runs on every N-th day"
    )
    parser.add_argument("--keep", type=Path, help="keep the lakes and instances in this folder")
    args = parser.parse_args(argv)

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="observatoire-backfill-"))
    try:
        return both_passes(args, workdir)
    finally:
        # a failed run's lakes go too: only --keep keeps them
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


def both_passes(args: argparse.Namespace, workdir: Path) -> int:
    """The sequential then the parallel pass in `workdir`, their figures, and the lakes compared
    (0 when identical)."""
    runs = month_runs(args.start, args.days)
    print(
        f"{args.days} days from {args.start}, {len(runs)} runs, work folder {workdir}; "
        f"CPU allowance {cpu_allowance()} (host cores {os.cpu_count()})"
    )
    print("sequential (1 worker)")
    sample = sampled_days(args.start, args.days, args.bare_every)
    timings: dict[str, BareTiming] = {}

    def bare_after_each_run(name: str, processes: int) -> Callable[[Lake, date, date], None]:
        """The bare matcher on the run's sampled days, right after the run: both are timed
        under the same load, where one figure taken at the end would compare against another
        moment's."""

        def between_runs(lake: Lake, first: date, last: date) -> None:
            if name not in timings:
                timings[name] = BareTiming(lake, processes)
            timings[name].time([day for day in sample if first <= day <= last])

        return between_runs

    sequential = backfill(
        workdir / "sequential", args.start, args.days, 1, bare_after_each_run("sequential", 1)
    )
    print("parallel")
    concurrent = args.workers or cpu_allowance()
    parallel = backfill(
        workdir / "parallel",
        args.start,
        args.days,
        args.workers,
        bare_after_each_run("parallel", concurrent) if concurrent > 1 else None,
    )

    print()
    report("sequential", sequential, args.days)
    report("parallel", parallel, args.days)
    speedup = sequential.wall / parallel.wall
    print(
        f"speed-up           {speedup:8.2f} x  (parallel {parallel.wall:.1f} s, goal year <= 300 s)"
    )
    print(f"peak memory        {peak_memory_mb():8.0f} MB  (this process, both passes)")
    bare = timings["sequential"].result()
    print(
        f"bare matcher       {bare.chunks_per_second:8,.0f} chunks/s  (Matcher.match_table on "
        f"{bare.days} of the days read whole into memory, {bare.chunks:,} chunks, timed after "
        f"each run of the sequential pass on its days: {bare.slowest:,.0f} to "
        f"{bare.fastest:,.0f} chunks/s from run to run)"
    )
    shared = bare
    if "parallel" in timings:
        shared = timings["parallel"].result()
        print(
            f"                   {shared.chunks_per_second:8,.0f} chunks/s per process with "
            f"{concurrent} processes matching at once (after each run of the parallel pass)"
        )
    print("match_themes")
    matching_share("sequential", sequential, bare)
    matching_share("parallel", parallel, bare)
    if shared is not bare:
        matching_share("parallel", parallel, shared, f"{concurrent} bare matchers at once")
    left, right = content_hashes(sequential.lake), content_hashes(parallel.lake)
    differing = sorted(
        path for path in left.keys() | right.keys() if left.get(path) != right.get(path)
    )
    print(
        f"lakes              {len(left)} day files each, "
        + (
            "identical content hashes"
            if not differing
            else f"{len(differing)} differ: {differing[:5]}"
        )
    )
    return 0 if not differing else 1


if __name__ == "__main__":
    sys.exit(main())
