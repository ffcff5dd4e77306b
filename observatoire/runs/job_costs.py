"""What a Serverless Jobs run costs, and what each processed day costs.

Scaleway bills a job run for the vCPU and memory of its job definition over the seconds it ran:
price = seconds × (vCPU × price per vCPU-second + GB × price per GB-second). The duration is taken
from the job run's own timestamps (start to end); a run that never started costs nothing. The
monthly free allowance is not deducted, so the figures are an upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

DEFAULT_PRICE_PER_VCPU_SECOND = 0.00001
"""EUR per vCPU-second: €1.00 per 100,000 vCPU-s."""
DEFAULT_PRICE_PER_GB_SECOND = 0.000001
"""EUR per GB-second of memory: €0.10 per 100,000 GB-s."""
DEFAULT_PRICES_SOURCE = (
    "Scaleway serverless billing FAQ (vCPU €1.00 and memory €0.10 per 100,000 vCPU-s / GB-s), "
    "read 2026-12-02; check the Serverless Jobs price list before relying on it"
)


@dataclass(frozen=True)
class PriceTable:
    """Prices of Serverless Jobs resources, in EUR, excluding VAT."""

    per_vcpu_second: float = DEFAULT_PRICE_PER_VCPU_SECOND
    per_gb_second: float = DEFAULT_PRICE_PER_GB_SECOND
    source: str = DEFAULT_PRICES_SOURCE


def billed_seconds(started_at: datetime | None, terminated_at: datetime | None) -> int:
    """Seconds billed for a job run: from start to end, rounded up; 0 if it never started."""
    if started_at is None or terminated_at is None:
        return 0
    return max(math.ceil((terminated_at - started_at).total_seconds()), 0)


def run_cost(vcpu: float, memory_mb: float, seconds: float, prices: PriceTable) -> float:
    """Cost in EUR of `seconds` of a job run with `vcpu` vCPUs and `memory_mb` MB of memory."""
    return seconds * (vcpu * prices.per_vcpu_second + memory_mb / 1024 * prices.per_gb_second)


@dataclass(frozen=True)
class RunUsage:
    """One finished job run: its shape, billed seconds, cost and the days it processed."""

    run_id: str
    vcpu: float
    memory_mb: float
    seconds: float
    cost: float
    days: tuple[date, ...]


USAGE_COLUMNS = ["day", "cost_eur", "vcpu_hours", "runs", "billed_seconds"]


def cost_per_day(usages: Iterable[RunUsage], month_days: Iterable[date]) -> pd.DataFrame:
    """Per processed day of the month: cost, vCPU-hours and runs, a run shared among its days.

    A run that processed 31 days adds a 31st of its cost and vCPU-hours to each of them and counts
    as one run on each; days outside `month_days` are left out.
    """
    wanted = set(month_days)
    rows = []
    for usage in usages:
        if not usage.days:
            continue
        share = 1 / len(usage.days)
        for day in usage.days:
            if day in wanted:
                rows.append(
                    {
                        "day": day,
                        "cost_eur": usage.cost * share,
                        "vcpu_hours": usage.vcpu * usage.seconds / 3600 * share,
                        "runs": 1,
                        "billed_seconds": usage.seconds * share,
                    }
                )
    if not rows:
        return pd.DataFrame(columns=USAGE_COLUMNS)
    frame = pd.DataFrame(rows).groupby("day", as_index=False).sum()
    return frame.sort_values("day").reset_index(drop=True)[USAGE_COLUMNS]
