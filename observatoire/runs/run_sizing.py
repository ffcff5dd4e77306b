"""How much memory and time a run needs, from its work, and the smallest job tier that holds it.

A run computes its days on as many worker processes as its tier has whole vCPUs (the run launcher
caps the run's day workers at that count), so a tier must hold the run's own process plus one day
in each worker, and finishes its days that many times faster, less what stays sequential.

Every figure below was measured by `benchmarks/backfill.py` on a 2-core development machine with
demo captions of 18 channels and a local lake, shared with other work at the time (so the speed is
a low estimate). Measuring again means running the command given with each figure and copying
what it prints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MEASURED_CHANNELS = 18
"""Channels of the demo days the figures were measured on."""
MEASURED_DAY_RUN_MB = 649.0
"""Peak memory of a one-day run's process, every day in it (`backfill.py --days 1`, 2026-12-03,
with the 5,514-entry dictionary: 639, 649 and 656 MB on three runs, the median taken; 594 MB with
4,649 entries, 550 MB before a day was read and computed in threads of the run's process)."""
MEASURED_MONTH_RUN_MB = 797.0
"""Peak memory of a 31-day run's process, every day in it (sequential, 2026-12-03, with the
5,514-entry dictionary: 797 MB for the year's first month-long run of `backfill.py`, 756 MB on
`backfill.py --days 31`, the larger taken; 751 MB with 4,649 entries, 732 MB with 4,116, 716 MB
before a day was read and computed in threads of the run's process)."""
MEASURED_WORKER_MB = 534.0
"""Peak memory of one day worker on days of 18 channels: the largest "peak memory per worker" of
the 12 month-long runs of the parallel pass of `backfill.py` (366 days, 2026-12-03: 534 MB with
5,388 entries, 517 MB with 5,514, the larger taken; 522 MB with 4,649 entries, 493 MB on
2026-12-02 with 4,116); taken for any channel count."""
MEASURED_RESULTS_PER_WORKER_MB = 0.0
"""What the run's own process adds per worker: workers stage the days' files themselves and hand
back only their paths, shapes and first rows, so no day's tables wait in the run's process. On
`backfill.py --days 31` (2026-12-02) the parallel pass left the process's peak at the sequential
pass's 645 MB, as did the year (726 MB); when workers sent the days' tables back it rose from
650 MB to 956 MB, (956 - 650) / 2 workers."""
DAYS_PER_VCPU_MINUTE = 17.22
"""Days of 18 channels a run completes per vCPU-minute, every daily stage included: 366 days in
637.5 s on 2 workers, the parallel pass of `backfill.py` (12 month-long runs, 2026-12-02, load
average 3.5 to 6 from other work on the 2 cores; the sequential pass did 26.12 on one, and
`backfill.py --days 31` at load 2.5 to 2.9 did 23.60 on 2 workers and 54.85 on one). One worker
does at least as well per vCPU, so the figure serves every tier."""

PER_CHANNEL_DAY_MB = (MEASURED_MONTH_RUN_MB - MEASURED_DAY_RUN_MB) / (30 * MEASURED_CHANNELS)
BASE_MB = MEASURED_DAY_RUN_MB - PER_CHANNEL_DAY_MB * MEASURED_CHANNELS
HEADROOM = 1.5
"""A tier must offer this multiple of the estimated peak memory and of the estimated duration,
for days busier than the benchmark's and machines slower than its."""


@dataclass(frozen=True)
class RunWork:
    """What a run processes: how many broadcast days, over how many channels."""

    days: int
    channels: int

    @property
    def channel_days(self) -> int:
        return max(self.days, 1) * max(self.channels, 1)


@dataclass(frozen=True)
class TierShape:
    """A job definition's resources: vCPUs, memory, and the job timeout (None: none known)."""

    vcpu: float
    memory_mb: int
    timeout_seconds: float | None = None

    @property
    def workers(self) -> int:
        """Day workers a run of this tier uses: its whole vCPUs, at least one."""
        return max(1, math.floor(self.vcpu))


def run_workers(work: RunWork, tier: TierShape) -> int:
    """Workers a run of `work` uses on `tier`: the tier's, never more than there are days."""
    return max(1, min(tier.workers, work.days))


def estimated_peak_mb(work: RunWork, workers: int = 1) -> float:
    """Estimated peak memory (MB) of a run over `work`: its own process (a line through the two
    measured runs) plus, when its days run on workers, each worker's peak and the days it hands
    back waiting in the run's process."""
    own = BASE_MB + PER_CHANNEL_DAY_MB * work.channel_days
    if workers <= 1:
        return own
    return own + workers * (MEASURED_WORKER_MB + MEASURED_RESULTS_PER_WORKER_MB)


def estimated_minutes(work: RunWork, workers: int = 1) -> float:
    """Estimated wall-clock minutes of a run over `work` on `workers` vCPUs."""
    days = work.channel_days / MEASURED_CHANNELS
    return days / (DAYS_PER_VCPU_MINUTE * max(workers, 1))


def holds(work: RunWork, tier: TierShape) -> bool:
    """Whether `tier` holds the run's estimated peak memory, and its estimated duration within
    the job timeout, both with `HEADROOM`."""
    workers = run_workers(work, tier)
    if estimated_peak_mb(work, workers) * HEADROOM > tier.memory_mb:
        return False
    if tier.timeout_seconds is None:
        return True
    return estimated_minutes(work, workers) * 60 * HEADROOM <= tier.timeout_seconds


def choose_tier(work: RunWork, tiers: Mapping[str, TierShape]) -> str:
    """The smallest tier (memory, then vCPUs) that holds the run, else the largest."""
    if not tiers:
        raise ValueError("no tiers to choose from")
    by_size = sorted(tiers.items(), key=lambda item: (item[1].memory_mb, item[1].vcpu, item[0]))
    for name, tier in by_size:
        if holds(work, tier):
            return name
    return by_size[-1][0]


def max_days(tier: TierShape, channels: int = MEASURED_CHANNELS) -> int:
    """The most days of `channels` channels a run may hold on `tier` (0: not even one)."""
    fitting = 0
    for days in range(1, 10_000):
        if not holds(RunWork(days, channels), tier):
            break
        fitting = days
    return fitting
