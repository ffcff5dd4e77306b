"""Every night at 02:00 local time of each country, materialise its day that just ended, through
every stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from assets.country import CountryGraph, default_country
from assets.keys import DAILY_GROUP, REFERENCE_GROUP

if TYPE_CHECKING:
    from resources.private_apis import UnresolvedPartitionedAssetScheduleDefinition

DAILY_JOB = "daily_stages"
REFERENCE_JOB = "reference_data"
NIGHTLY_SCHEDULE = "nightly_previous_day"
SCHEDULE_HOUR = 2


def daily_job(country: CountryGraph | None = None) -> Any:
    """raw_captions → theme_segments / time_monitored → channel_indicators, for some days."""
    country = country or default_country()
    return define_asset_job(
        country.name(DAILY_JOB),
        selection=AssetSelection.groups(country.name(DAILY_GROUP)),
        description="The daily stages for a range of broadcast days (run config may restrict "
        "channels)" + (f", country {country.code}." if country.prefixed else "."),
    )


def reference_job(country: CountryGraph | None = None) -> Any:
    country = country or default_country()
    return define_asset_job(
        country.name(REFERENCE_JOB),
        selection=AssetSelection.groups(country.name(REFERENCE_GROUP)),
        description="Write the keyword dictionary, channels and programme grid to the lake"
        + (f" of country {country.code}." if country.prefixed else "."),
    )


def nightly_schedule(
    job: Any, country: CountryGraph | None = None
) -> ScheduleDefinition | UnresolvedPartitionedAssetScheduleDefinition:
    """At 02:00 in the country's time zone, its previous broadcast day's partition (the last
    complete one).

    The time zone comes from the job's partitions, which are the country's broadcast days, so
    the tick stays at 02:00 local time across daylight-saving changes; on a spring-forward night
    when 02:00 does not exist, it runs at 03:00 and still asks for the day before.
    """
    country = country or default_country()
    return build_schedule_from_partitioned_job(
        job,
        name=country.name(NIGHTLY_SCHEDULE),
        hour_of_day=SCHEDULE_HOUR,
        minute_of_hour=0,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"Materialise yesterday ({country.time_zone}) through every daily stage "
        "at 02:00.",
    )
