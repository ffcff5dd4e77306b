"""Every night at 02:00 Paris time, materialise the day that just ended, through every stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    ScheduleDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from assets.keys import DAILY_GROUP, REFERENCE_GROUP

if TYPE_CHECKING:
    from resources.private_apis import UnresolvedPartitionedAssetScheduleDefinition

DAILY_JOB = "daily_stages"
REFERENCE_JOB = "reference_data"
SCHEDULE_HOUR = 2


def daily_job() -> Any:
    """raw_captions → theme_segments / time_monitored → channel_indicators, for some days."""
    return define_asset_job(
        DAILY_JOB,
        selection=AssetSelection.groups(DAILY_GROUP),
        description="The daily stages for a range of broadcast days (run config may restrict "
        "channels).",
    )


def reference_job() -> Any:
    return define_asset_job(
        REFERENCE_JOB,
        selection=AssetSelection.groups(REFERENCE_GROUP),
        description="Write the keyword dictionary, channels and programme grid to the lake.",
    )


def nightly_schedule(
    job: Any,
) -> ScheduleDefinition | UnresolvedPartitionedAssetScheduleDefinition:
    """At 02:00 Europe/Paris, the previous broadcast day's partition (the last complete one).

    The time zone comes from the partitions, so the tick stays at 02:00 local time across
    daylight-saving changes; on the spring-forward night, when 02:00 does not exist, it runs at
    03:00 and still asks for the day before.
    """
    return build_schedule_from_partitioned_job(
        job,
        name="nightly_previous_day",
        hour_of_day=SCHEDULE_HOUR,
        minute_of_hour=0,
        default_status=DefaultScheduleStatus.RUNNING,
        description="Materialise yesterday (Europe/Paris) through every daily stage at 02:00.",
    )
