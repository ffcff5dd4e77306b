"""The days of a run computed on as many worker processes as the run may use.

A serverless run is given a CPU allowance (a cgroup quota, a CPU set) that is often smaller than
the host's core count, so the number of workers comes from the allowance, never from
`os.cpu_count()`. Each worker prepares its state once (reference tables turned into a compiled
matcher, say; what only computing needs can warm up while the first day is read) and then
computes one day at a time; the caller receives the days' results in day
order and writes them itself, so what is written, and when it is published, does not depend on the
number of workers. With one worker everything runs in the calling process, in day order: one
thread reads the next days while another computes the day after the one the caller is writing
(reading Parquet, matching's array kernels and writing Parquet release the interpreter, so on a
second core they overlap; on one core the same steps simply take turns).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import resource
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any, Generic, TypeVar

import pyarrow as pa

Inputs = TypeVar("Inputs")
State = TypeVar("State")
Day = TypeVar("Day")
Result = TypeVar("Result")
Fetched = TypeVar("Fetched")

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
IN_FLIGHT_PER_WORKER = 2
"""Days submitted ahead per worker: enough to keep every worker busy while the caller writes,
few enough that finished days waiting for an earlier one stay a handful in memory."""
COMPUTED_AHEAD_IN_PROCESS = 1
"""Days computed ahead of the one the caller holds when every day runs in the caller's process:
one is enough to keep the computing thread busy while the caller writes, and keeps at most three
days in memory (the one being written, the one being computed, the one being read)."""


def _quota_cpus(quota: str, period: str) -> float | None:
    """CPUs a CFS quota allows; None when unlimited ('max' or -1)."""
    quota, period = quota.strip(), period.strip()
    if quota in ("max", "-1", ""):
        return None
    try:
        allowed = int(quota) / int(period)
    except (ValueError, ZeroDivisionError):
        return None
    return allowed if allowed > 0 else None


def cgroup_cpu_limit(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> float | None:
    """The CPUs the process's cgroup allows (the smallest quota on its path), or None if none.

    cgroup v2: `cpu.max` holds "<quota> <period>" or "max <period>" in the process's group and
    each parent up to the root. cgroup v1: `cpu.cfs_quota_us` / `cpu.cfs_period_us` of the cpu
    controller. A container usually sees its own group as the root of the hierarchy.
    """
    limits: list[float] = []
    for folder in _cgroup_folders(root, proc_cgroup):
        limit = None
        v2 = folder / "cpu.max"
        v1_quota, v1_period = folder / "cpu.cfs_quota_us", folder / "cpu.cfs_period_us"
        if v2.is_file():
            parts = v2.read_text().split()
            if len(parts) == 2:
                limit = _quota_cpus(parts[0], parts[1])
        elif v1_quota.is_file() and v1_period.is_file():
            limit = _quota_cpus(v1_quota.read_text(), v1_period.read_text())
        if limit is not None:
            limits.append(limit)
    return min(limits) if limits else None


def _cgroup_folders(root: Path, proc_cgroup: Path) -> list[Path]:
    """The folders of the process's cgroup and its parents, deepest first, that exist."""
    folders: list[Path] = []
    for path in _cgroup_paths(proc_cgroup) or ["/"]:
        current = Path(str(root) + path.rstrip("/")) if path != "/" else root
        while True:
            if current.is_dir() and current not in folders:
                folders.append(current)
            if current == root or root not in current.parents:
                break
            current = current.parent
    if root not in folders and root.is_dir():
        folders.append(root)
    return folders


def _cgroup_paths(proc_cgroup: Path) -> list[str]:
    """The process's cgroup paths under the cgroup root, from /proc/self/cgroup: the unified
    (v2) one, and the v1 cpu controller's under each name it may be mounted as."""
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        return []
    relative: list[str] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if controllers == "":  # v2 unified hierarchy
            relative.append(path)
        elif "cpu" in controllers.split(","):  # v1 cpu controller, mounted under its names
            relative.extend(f"{mount}{path}" for mount in (f"/{controllers}", "/cpu"))
    return relative


def affinity_cpus() -> int:
    """CPUs this process may be scheduled on (its CPU set), or the host's count where unknown."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_allowance(root: Path = CGROUP_ROOT, proc_cgroup: Path = PROC_CGROUP) -> int:
    """Whole CPUs the process may use: its CPU set, lowered by a cgroup quota (rounded down, at
    least one; 1.5 CPUs of quota do not keep two busy workers fed)."""
    cpus = affinity_cpus()
    limit = cgroup_cpu_limit(root, proc_cgroup)
    if limit is not None:
        cpus = min(cpus, max(1, math.floor(limit)))
    return max(1, cpus)


def worker_count(days: int, cap: int = 0, allowance: int | None = None) -> int:
    """How many workers a run of `days` days uses: the CPU allowance, at most `cap` when set
    (0: no cap), never more than there are days, at least one."""
    workers = cpu_allowance() if allowance is None else allowance
    if cap > 0:
        workers = min(workers, cap)
    return max(1, min(workers, days))


def peak_memory_mb() -> float:
    """Peak resident memory of this process, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class WorkerLostError(RuntimeError):
    """A worker process died (killed, out of memory) instead of returning its day."""


@dataclass(frozen=True)
class WorkerFigures:
    """What a worker process reports about itself with each day it computes: its peak memory,
    how many times it prepared its state (once, however many days it computes: a state
    prepared per day would compile the matcher, say, once per day), and the seconds it spent
    preparing and computing (reads aside): what a step's time goes to, besides the work."""

    pid: int
    peak_memory_mb: float
    preparations: int = 1
    preparation_seconds: float = 0.0
    computing_seconds: float = 0.0


_state: Any = None
_preparations = 0
_preparation_seconds = 0.0
_computing_seconds = 0.0
_warming: threading.Thread | None = None
_warm_up_error: BaseException | None = None


@contextmanager
def _main_module_not_rerun() -> Iterator[None]:
    """While workers start, make the caller's main script look like a `python -m` main.

    A new worker re-runs the caller's main script unless that script was started as a module
    named `__main__`; a Dagster process or a benchmark script would then import Dagster and every
    asset in each worker (ten seconds and more on a busy machine) for nothing: the work lives in
    importable modules. The spec is put back as soon as the worker has been asked for.
    """
    main = sys.modules.get("__main__")
    if main is None or getattr(main, "__spec__", None) is not None:
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def _prepare_worker(
    prepare: Callable[[Any], Any], warm_up: Callable[[Any], object] | None, inputs: Any
) -> None:
    global _state, _preparations, _preparation_seconds, _warming
    began = time.perf_counter()
    _state = prepare(inputs)
    _preparation_seconds += time.perf_counter() - began
    _preparations += 1
    if warm_up is not None:
        _warming = threading.Thread(target=_warm_up_worker, args=(warm_up,), name="warm-up")
        _warming.start()


def _warm_up_worker(warm_up: Callable[[Any], object]) -> None:
    global _preparation_seconds, _warm_up_error
    began = time.perf_counter()
    try:
        warm_up(_state)
    except BaseException as error:  # raised with the worker's first day
        _warm_up_error = error
    finally:
        _preparation_seconds += time.perf_counter() - began


def _warmed_up() -> None:
    """Wait for the worker's warm-up (its first day is read meanwhile); raise its error."""
    global _warming
    if _warming is not None:
        _warming.join()
        _warming = None
    if _warm_up_error is not None:
        raise _warm_up_error


def _work_in_worker(
    read: Callable[[Any, Any], Any], work: Callable[[Any, Any], Any], day: Any
) -> tuple[Any, WorkerFigures]:
    global _computing_seconds
    fetched = read(_state, day)
    _warmed_up()
    began = time.perf_counter()
    result = work(_state, fetched)
    _computing_seconds += time.perf_counter() - began
    figures = WorkerFigures(
        os.getpid(), peak_memory_mb(), _preparations, _preparation_seconds, _computing_seconds
    )
    return result, figures


def _stop_threads(threads: tuple[ThreadPoolExecutor, ThreadPoolExecutor]) -> None:
    """Cancel the days not yet started and wait for the ones running: reads first, so that a
    computation waiting for a cancelled read ends at once."""
    reader, computer = threads
    reader.shutdown(wait=False, cancel_futures=True)
    computer.shutdown(wait=True, cancel_futures=True)
    reader.shutdown(wait=True)


def the_day(state: object, day: Day) -> Day:
    """The read step of a work function that takes the day itself."""
    return day


def _work_on_read(
    work: Callable[[State, Fetched], Result],
    state: State,
    fetched: Future[Fetched],
    computing: list[float],
    warmed: Future[None] | None = None,
) -> Result:
    """The day computed on its read input, its seconds added to `computing[0]`, once the
    state's warm-up (`warmed`, done before: same thread) succeeded. Arrow's allocator keeps a
    thread's freed pages in that thread's own heap: what one day's computation freed is handed
    back after it, or the computing thread would hold about 60 MB more than a plain loop does."""
    if warmed is not None:
        warmed.result()
    day_input = fetched.result()
    began = time.perf_counter()
    try:
        return work(state, day_input)
    finally:
        computing[0] += time.perf_counter() - began
        del day_input  # held no longer than the call held it, as before the timing
        pa.default_memory_pool().release_unused()


class DayWorkers(Generic[Inputs, State]):
    """A pool of `workers` processes, each holding `prepare(inputs)` as its state.

    `warm_up(state)`, when given, completes the state with what only computing needs (a
    compiled matcher, say) while the first days are read: reading waits on storage and releases
    the interpreter, so on a second core the two overlap instead of following each other at the
    start of every run. It runs once per worker (in the calling process, in the computing thread
    before the first day), its time counted as preparation, and its error is raised with the
    first day. `prepare`, `warm_up` and the work functions must be importable module-level
    functions and `inputs` picklable: workers start fresh interpreters (forkserver, else spawn),
    never forks of a process holding threads, locks or open connections.
    """

    def __init__(
        self,
        prepare: Callable[[Inputs], State],
        inputs: Inputs,
        workers: int,
        warm_up: Callable[[State], object] | None = None,
    ) -> None:
        self.prepare = prepare
        self.warm_up = warm_up
        self.inputs = inputs
        self.workers = max(1, workers)
        self.figures: dict[int, WorkerFigures] = {}
        self._state: State | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._threads: list[tuple[ThreadPoolExecutor, ThreadPoolExecutor]] = []
        # In this process: seconds preparing the state, and computing days (one thread adds).
        self._preparation_seconds = 0.0
        self._computing = [0.0]
        self._warmed: Future[None] | None = None

    def __enter__(self) -> DayWorkers[Inputs, State]:
        if self.workers == 1:
            began = time.perf_counter()
            self._state = self.prepare(self.inputs)
            self._preparation_seconds = time.perf_counter() - began
        else:
            context: BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                forkserver = multiprocessing.get_context("forkserver")
                # Workers fork from a server that imported the work's module, not the caller's
                # main module (a Dagster process or a script): each starts in a fraction of
                # a second with what it needs and nothing else.
                forkserver.set_forkserver_preload([self.prepare.__module__])
                context = forkserver
            else:
                context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_prepare_worker,
                initargs=(self.prepare, self.warm_up, self.inputs),
            )
        return self

    def __exit__(self, *exc_info: object) -> None:
        # Days still being read or computed for a caller that stopped early (a failed write
        # leaves its iterator unfinished): their results are not wanted.
        for threads in self._threads:
            _stop_threads(threads)
        self._threads.clear()
        if self._pool is not None:
            if getattr(self._pool, "_broken", False):
                self._end_broken_pool()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._state = None

    def map(self, work: Callable[[State, Day], Result], days: Iterable[Day]) -> Iterator[Result]:
        """`work(state, day)` for every day, yielded in day order; the first failure is raised
        as soon as its day comes up (later days are cancelled)."""
        return self.map_read_ahead(the_day, work, days)

    def map_read_ahead(
        self,
        read: Callable[[State, Day], Fetched],
        work: Callable[[State, Fetched], Result],
        days: Iterable[Day],
    ) -> Iterator[Result]:
        """`work(state, read(state, day))` for every day, yielded in day order, as `map`. In
        the caller's process, a day is read while the one before it is computed: `read` is the
        part of a day's work (fetching its input) that waits on storage rather than the
        interpreter."""
        if self._pool is None:
            yield from self._in_process(read, work, days)
            return
        pending = iter(days)
        in_flight: deque[tuple[Day, Future[tuple[Result, WorkerFigures]]]] = deque()

        def submit() -> None:
            for day in pending:
                try:
                    with _main_module_not_rerun():
                        future = self._pool.submit(_work_in_worker, read, work, day)  # type: ignore[union-attr]
                except BrokenProcessPool as error:
                    # A worker died since the last submission: this day fails in its turn,
                    # after the days already in flight (one of which it may have been).
                    future = Future()
                    future.set_exception(error)
                in_flight.append((day, future))
                return

        for _ in range(self.workers * IN_FLIGHT_PER_WORKER):
            submit()
        try:
            while in_flight:
                day, future = in_flight.popleft()
                try:
                    result, figures = future.result()
                except BrokenProcessPool as error:
                    raise WorkerLostError(
                        f"a worker process ended abruptly while computing {day} "
                        "(killed, or out of memory: lower OBSERVATOIRE_DAY_WORKERS or use a "
                        "larger tier); nothing of this step was published"
                    ) from error
                self.figures[figures.pid] = figures
                submit()
                yield result
        finally:
            for _, waiting in in_flight:
                waiting.cancel()

    def _end_broken_pool(self) -> None:
        """Kill every worker process still alive in a pool one of whose workers died.

        When the pool breaks, the standard library (CPython 3.11) terminates the workers it
        knows of, then waits for all of them; a worker that a submission was starting at that
        moment is known only afterwards, is never terminated, and the wait never ends. Called
        once this process submits no more, when every worker the pool has is known; the broken
        pool's days are lost anyway, so the workers are killed outright.
        """
        processes = getattr(self._pool, "_processes", None) or {}
        for process in list(processes.values()):
            if process.is_alive():
                process.kill()

    def _in_process(
        self,
        read: Callable[[State, Day], Fetched],
        work: Callable[[State, Fetched], Result],
        days: Iterable[Day],
    ) -> Iterator[Result]:
        """Every day in this process: read in one thread, computed in another, a day ahead of
        the caller; the same calls in the same order as a plain loop, so the same results."""
        state: State = self._state  # type: ignore[assignment]
        reader = ThreadPoolExecutor(1, thread_name_prefix="day-read")
        computer = ThreadPoolExecutor(1, thread_name_prefix="day-compute")
        threads = (reader, computer)
        self._threads.append(threads)
        pending = iter(days)
        in_flight: deque[tuple[Future[Fetched], Future[Result]]] = deque()
        if self.warm_up is not None and self._warmed is None:
            # First in the computing thread: the first days are read meanwhile.
            self._warmed = computer.submit(self._warm_up_here, self.warm_up, state)
        warmed = self._warmed

        def submit() -> None:
            for day in pending:
                fetched = reader.submit(read, state, day)
                computed = computer.submit(
                    _work_on_read, work, state, fetched, self._computing, warmed
                )
                in_flight.append((fetched, computed))
                return

        try:
            for _ in range(1 + COMPUTED_AHEAD_IN_PROCESS):
                submit()
            while in_flight:
                _, computed = in_flight[0]
                result = computed.result()
                in_flight.popleft()
                submit()
                yield result
        finally:
            if threads in self._threads:
                self._threads.remove(threads)
            _stop_threads(threads)
        self.figures[os.getpid()] = WorkerFigures(
            os.getpid(), peak_memory_mb(), 1, self._preparation_seconds, self._computing[0]
        )

    def _warm_up_here(self, warm_up: Callable[[State], object], state: State) -> None:
        began = time.perf_counter()
        try:
            warm_up(state)
        finally:
            self._preparation_seconds += time.perf_counter() - began

    def preparations(self) -> int:
        """How many times a state was prepared over the run: one per worker that computed a
        day (the calling process when running in it)."""
        return sum(f.preparations for f in self.figures.values())

    def preparation_seconds(self) -> float:
        """Seconds spent preparing states, summed over the workers (compiling the matcher, say)."""
        return sum(f.preparation_seconds for f in self.figures.values())

    def computing_seconds(self) -> float:
        """Seconds spent computing days, reads aside, summed over the workers."""
        return sum(f.computing_seconds for f in self.figures.values())

    def peak_memory_per_worker_mb(self) -> float:
        """The largest peak resident memory any worker reported (the calling process when
        running in it)."""
        return max((f.peak_memory_mb for f in self.figures.values()), default=0.0)


__all__ = [
    "DayWorkers",
    "WorkerFigures",
    "WorkerLostError",
    "affinity_cpus",
    "cgroup_cpu_limit",
    "cpu_allowance",
    "peak_memory_mb",
    "the_day",
    "worker_count",
]
