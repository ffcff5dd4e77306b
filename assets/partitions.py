"""Partitions of every asset: broadcast days, weeks and months in a country's time zone, the days
a run covers, and the backfill policy of the daily stages.

Weekly and monthly partitions cover the same broadcast days as the daily ones, so Dagster maps a
week or a month to its days; the current month and week are included (partial), so that the
latest figures can be published and reviewed before the period ends.

`python -m assets.partitions N [COUNTRY]` prints the run tags covering the last N complete days of
a country (default: France), what `make demo` passes to `dagster job execute`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    BackfillPolicy,
    DailyPartitionsDefinition,
    Failure,
    MonthlyPartitionsDefinition,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
    WeeklyPartitionsDefinition,
)

from assets.country import default_country
from observatoire.reference.countries import load_country


def default_zone() -> str:
    """The default country's time zone: broadcast days are local days (23- and 25-hour days
    exist)."""
    return default_country().time_zone


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
"""Dagster's run tags for a run covering a range of partitions, or one partition."""

MAX_DAYS_PER_RUN = 31
BACKFILL_POLICY = BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)
"""A backfill of a year is a dozen month-long runs, each writing its days one by one."""


def daily_partitions(
    start: str, end: str | None = None, timezone: str | None = None
) -> DailyPartitionsDefinition:
    """One partition per broadcast day from `start` (YYYY-MM-DD) to the last complete broadcast
    day in `timezone` (the country's zone; default: the default country's), or to `end`
    (YYYY-MM-DD, included) when configured."""
    zone = timezone or default_zone()
    if end is None:
        return DailyPartitionsDefinition(start_date=start, timezone=zone)
    after_end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    return DailyPartitionsDefinition(start_date=start, end_date=after_end, timezone=zone)


def monthly_partitions(start: str, timezone: str | None = None) -> MonthlyPartitionsDefinition:
    """One partition per calendar month from the month holding `start`, current month included."""
    first = date.fromisoformat(start).replace(day=1)
    return MonthlyPartitionsDefinition(
        start_date=first.isoformat(), timezone=timezone or default_zone(), end_offset=1
    )


def weekly_partitions(start: str, timezone: str | None = None) -> WeeklyPartitionsDefinition:
    """One partition per week, Monday to Sunday, from the Monday on or before `start`."""
    day = date.fromisoformat(start)
    monday = day - timedelta(days=day.weekday())
    return WeeklyPartitionsDefinition(
        start_date=monday.isoformat(),
        timezone=timezone or default_zone(),
        day_offset=1,
        end_offset=1,
    )


def partition_day(key: str) -> date:
    return datetime.strptime(key, "%Y-%m-%d").date()


def partition_range(partitions: PartitionsDefinition) -> tuple[date, date | None]:
    """(first day, last day) of the daily partitions; last is None before the first is complete."""
    assert isinstance(partitions, TimeWindowPartitionsDefinition)
    first = partitions.start.date()
    last = partitions.get_last_partition_key()
    return first, None if last is None else partition_day(last)


def refuse_outside_range(partitions: PartitionsDefinition, days: Sequence[date]) -> None:
    """Raise a one-line Failure when any requested day is not a partition, before any write."""
    first, last = partition_range(partitions)
    outside = [d for d in days if d < first or last is None or d > last]
    if outside:
        bounds = f"{first}..{last}" if last is not None else f"{first}.. (no complete day yet)"
        asked = (
            f"days {min(days)}..{max(days)} go" if min(days) != max(days) else f"day {days[0]} is"
        )
        raise Failure(
            description=f"{asked} outside the partition range {bounds} "
            f"(the last partition is the last complete broadcast day, {_zone_of(partitions)}); "
            "nothing was written"
        )


def _zone_of(partitions: PartitionsDefinition) -> str:
    zone = getattr(partitions, "timezone", None)
    return zone if isinstance(zone, str) else default_zone()


DailyContext = AssetExecutionContext | AssetCheckExecutionContext
"""A daily asset's or daily check's context: both run over the run's partition range."""


def run_days(context: DailyContext) -> list[date]:
    """Every broadcast day of the run's partition range, in order, all inside the partitions.

    The range tags are checked as well as the keys Dagster derived from them: a run launched
    with tags beyond the last partition (command line, GraphQL) must not write those days, and a
    range before the first partition must fail with a message rather than an invariant error.
    """
    tags = context.run.tags
    asked: list[date] = []
    if RANGE_START_TAG in tags and RANGE_END_TAG in tags:
        first, last = partition_day(tags[RANGE_START_TAG]), partition_day(tags[RANGE_END_TAG])
        if last < first:
            raise Failure(description=f"empty partition range {first}..{last} in the run tags")
        asked = [first, last]
    elif PARTITION_TAG in tags:
        asked = [partition_day(tags[PARTITION_TAG])]
    partitions = _daily_partitions_of(context)
    if asked:
        refuse_outside_range(partitions, asked)
    try:
        keys = context.partition_keys
    except Exception as error:  # Dagster's own invariant errors on keys it cannot place
        raise Failure(description=f"no valid partition for this run: {error}") from error
    days = sorted(partition_day(key) for key in keys)
    refuse_outside_range(partitions, days)
    return days


def _daily_partitions_of(context: DailyContext) -> PartitionsDefinition:
    definition = getattr(context, "assets_def", None)
    partitions = definition.partitions_def if definition is not None else None
    if partitions is None:
        partitions = context.job_def.partitions_def
    if partitions is None:
        raise Failure(description="this step has no daily partitions")
    return partitions


def period_days(context: AssetExecutionContext) -> list[date]:
    """Every broadcast day of the run's partition (a week or a month), in order."""
    window = context.partition_time_window
    first: datetime = window.start
    last = (window.end - timedelta(hours=1)).date()
    return [first.date() + timedelta(days=i) for i in range((last - first.date()).days + 1)]


def last_days(
    count: int, today: date | None = None, timezone: str | None = None
) -> tuple[date, date]:
    """The last `count` complete broadcast days before `today` (by default today in `timezone`,
    the default country's zone unless given)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    today = today or datetime.now(ZoneInfo(timezone or default_zone())).date()
    return today - timedelta(days=count), today - timedelta(days=1)


def range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags making one run cover the partitions first..last (a multi-day run)."""
    return {
        RANGE_START_TAG: first.isoformat(),
        RANGE_END_TAG: last.isoformat(),
    }


if __name__ == "__main__":
    # `python -m assets.partitions N [COUNTRY]`: run tags for the last N days of a country, for
    # `dagster job execute`.
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    zone = load_country(sys.argv[2]).time_zone if len(sys.argv) > 2 else None
    print(json.dumps(range_tags(*last_days(count, timezone=zone))))
