"""The environmental share across several countries, per calendar day and over every day.

Countries are combined the way channels and days are: by summing numerators and denominators,
never by averaging shares, so a country with more monitored airtime weighs more. The share of a
day is the environmental seconds of every channel of every country that day divided by their
monitored (covered) seconds. Only the calendar days every country has indicators for are
combined: a day one country lacks would otherwise count the others alone and move the figure
for a reason that has nothing to do with what was said. A broadcast day is a local day of each
country, so "the same day" is the same calendar date in each country's own time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class CountryRollup:
    """Per-day and overall sums across countries, on the days every country has."""

    per_day: pa.Table
    """day, countries, env_seconds, monitored_seconds, share (null when nothing monitored)."""
    env_seconds: float
    monitored_seconds: float
    days_left_out: Mapping[str, tuple[date, ...]]
    """Per country, its days left out because another country has no indicators for them."""

    @property
    def share(self) -> float | None:
        """Σ environmental seconds / Σ monitored seconds over every common day and country."""
        return self.env_seconds / self.monitored_seconds if self.monitored_seconds else None


def _day_sums(indicators: pa.Table) -> dict[date, tuple[float, float]]:
    """{day: (environmental seconds, monitored seconds)} of one country's channel indicators."""
    if indicators.num_rows == 0:
        return {}
    grouped = indicators.group_by("day").aggregate(
        [("env_minutes", "sum"), ("covered_minutes", "sum")]
    )
    return {
        row["day"]: (
            float(row["env_minutes_sum"] or 0.0) * SECONDS_PER_MINUTE,
            float(row["covered_minutes_sum"] or 0.0) * SECONDS_PER_MINUTE,
        )
        for row in grouped.to_pylist()
    }


def country_rollup(indicators: Mapping[str, pa.Table]) -> CountryRollup:
    """Combine the `channel_indicators` rows of each country (code → table with `day`,
    `env_minutes`, `covered_minutes`) over the calendar days every country has."""
    if not indicators:
        raise ValueError("a rollup across countries needs at least one country")
    sums = {code: _day_sums(table) for code, table in indicators.items()}
    common = sorted(set.intersection(*(set(days) for days in sums.values())))
    left_out = {code: tuple(sorted(set(days) - set(common))) for code, days in sums.items()}
    env = [sum(sums[code][day][0] for code in sums) for day in common]
    monitored = [sum(sums[code][day][1] for code in sums) for day in common]
    per_day = pa.table(
        {
            "day": pa.array(common, pa.date32()),
            "countries": pa.array([len(sums)] * len(common), pa.int32()),
            "env_seconds": pa.array(env, pa.float64()),
            "monitored_seconds": pa.array(monitored, pa.float64()),
        }
    )
    share = pc.if_else(
        pc.greater(per_day["monitored_seconds"], 0),
        pc.divide(per_day["env_seconds"], per_day["monitored_seconds"]),
        pa.scalar(None, pa.float64()),
    )
    return CountryRollup(
        per_day=per_day.append_column("share", share),
        env_seconds=float(sum(env)),
        monitored_seconds=float(sum(monitored)),
        days_left_out=left_out,
    )
