"""How much memory a run needs, from its work, and the smallest job tier that holds it.

The daily stages process one broadcast day after another, so a run's peak memory grows only slowly
with its number of days: the full-year backfill benchmark measured about 550 MB peak for a normal
day's run and 716 MB for a 31-day run, both over 18 channels. A straight line through those two
points gives the estimate below (a fixed part plus a little per channel-day); the tier chosen must
hold the estimate with `HEADROOM` to spare, for days busier than the benchmark's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MEASURED_DAY_RUN_MB = 550.0
"""Peak memory of a one-day run over 18 channels (backfill benchmark)."""
MEASURED_MONTH_RUN_MB = 716.0
"""Peak memory of a 31-day run over 18 channels (backfill benchmark)."""
MEASURED_CHANNELS = 18

PER_CHANNEL_DAY_MB = (MEASURED_MONTH_RUN_MB - MEASURED_DAY_RUN_MB) / (30 * MEASURED_CHANNELS)
BASE_MB = MEASURED_DAY_RUN_MB - PER_CHANNEL_DAY_MB * MEASURED_CHANNELS
HEADROOM = 1.5
"""A tier must offer this multiple of the estimated peak memory."""


@dataclass(frozen=True)
class RunWork:
    """What a run processes: how many broadcast days, over how many channels."""

    days: int
    channels: int

    @property
    def channel_days(self) -> int:
        return max(self.days, 1) * max(self.channels, 1)


def estimated_peak_mb(work: RunWork) -> float:
    """Estimated peak memory (MB) of a run of the daily stages over `work`."""
    return BASE_MB + PER_CHANNEL_DAY_MB * work.channel_days


def choose_tier(work: RunWork, tier_memory_mb: Mapping[str, int]) -> str:
    """The tier with the least memory that holds the estimate with headroom, else the largest."""
    if not tier_memory_mb:
        raise ValueError("no tiers to choose from")
    needed = estimated_peak_mb(work) * HEADROOM
    by_memory = sorted(tier_memory_mb.items(), key=lambda item: (item[1], item[0]))
    for tier, memory in by_memory:
        if memory >= needed:
            return tier
    return by_memory[-1][0]


def max_channel_days(memory_mb: int) -> int:
    """The most channel-days a tier of `memory_mb` takes before a larger tier is chosen."""
    return max(int((memory_mb / HEADROOM - BASE_MB) / PER_CHANNEL_DAY_MB), 0)
