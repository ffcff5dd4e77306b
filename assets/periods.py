"""Weekly and monthly partitions of the publication and curation assets (Europe/Paris).

They cover the same broadcast days as the daily partitions, so Dagster maps a week or a month to
its days; the current month and week are included (partial), so that the latest figures can be
published and reviewed before the period ends.
"""

from datetime import date, datetime, timedelta

from dagster import Failure, MonthlyPartitionsDefinition, WeeklyPartitionsDefinition

from assets.partitions import last_days
from observatoire.core.broadcast_day import PARIS_TIMEZONE
from observatoire.storage.day_states import PeriodStates, VersionMixError, check_period, read_period
from observatoire.storage.lake import Lake


def monthly_partitions(start: str) -> MonthlyPartitionsDefinition:
    """One partition per calendar month from the month holding `start`, current month included."""
    first = date.fromisoformat(start).replace(day=1)
    return MonthlyPartitionsDefinition(
        start_date=first.isoformat(), timezone=PARIS_TIMEZONE, end_offset=1
    )


def weekly_partitions(start: str) -> WeeklyPartitionsDefinition:
    """One partition per week, Monday to Sunday, from the Monday on or before `start`."""
    day = date.fromisoformat(start)
    monday = day - timedelta(days=day.weekday())
    return WeeklyPartitionsDefinition(
        start_date=monday.isoformat(), timezone=PARIS_TIMEZONE, day_offset=1, end_offset=1
    )


def period_days(context) -> list[date]:
    """Every broadcast day of the run's partition (a week or a month), in order."""
    window = context.partition_time_window
    first: datetime = window.start
    last = (window.end - timedelta(hours=1)).date()
    return [first.date() + timedelta(days=i) for i in range((last - first.date()).days + 1)]


def read_published_period(lake: Lake, days: list[date], allow_mixed: bool) -> PeriodStates:
    """The daily indicators of a period up to the last complete day, checked for a version mix
    (a Failure listing the days of each version unless allowed); missing days are gaps."""
    complete = [d for d in days if d <= last_days(1)[1]]
    period = read_period(lake, complete)
    if not period.present:
        raise Failure(
            description=f"no channel_indicators between {days[0]} and {days[-1]}: materialise "
            "the daily stages for these days first"
        )
    try:
        check_period(period, allow_mixed=allow_mixed)
    except VersionMixError as error:
        raise Failure(
            description=f"{error} (run config allow_mixed_versions: true)".replace("\n", "; ")
        ) from error
    return period
