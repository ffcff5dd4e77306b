"""The daily partitions every daily stage shares, the backfill policy and the run config."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Config,
    DailyPartitionsDefinition,
    Failure,
)
from pydantic import Field

from observatoire.grid import default_channels
from observatoire.lake import Lake, LakeMissingError
from observatoire.partial_days import replace_channels
from observatoire.reference import channels_from_table

TIMEZONE = "Europe/Paris"
"""Broadcast days are local days: 23- and 25-hour days exist."""

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
"""Dagster's run tags for a run covering a range of partitions."""

MAX_DAYS_PER_RUN = 31
BACKFILL_POLICY = BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)
"""A backfill of a year is a dozen month-long runs, each writing its days one by one."""


def daily_partitions(start: str) -> DailyPartitionsDefinition:
    """One partition per broadcast day from `start` (YYYY-MM-DD) to yesterday, Paris time."""
    return DailyPartitionsDefinition(start_date=start, timezone=TIMEZONE)


ChannelName = Enum(  # type: ignore[misc]
    "ChannelName", {channel.name: channel.name for channel in default_channels()}, type=str
)
"""The monitored channels as a config enum, so a misspelt channel is refused when the run is
launched (the UI's launchpad underlines it) rather than after the first steps have run."""


class DailyRunConfig(Config):
    """Run configuration of the daily stages."""

    channels: list[ChannelName] = Field(  # type: ignore[valid-type]
        default=[],
        description="Only these channels (empty: every channel). Other channels' rows are kept.",
    )

    def channel_names(self) -> list[str]:
        return [getattr(channel, "value", channel) for channel in self.channels]


def run_days(context: AssetExecutionContext) -> list[date]:
    """Every broadcast day of the run's partition range, in order."""
    return sorted(partition_day(key) for key in context.partition_keys)


def partition_day(key: str) -> date:
    return datetime.strptime(key, "%Y-%m-%d").date()


def run_channels(lake: Lake, config: DailyRunConfig) -> tuple[list[str], list[str] | None]:
    """(channels to process, the restriction or None) from the lake's channel list and config."""
    try:
        stored = lake.read_table("channels")
    except LakeMissingError as error:
        raise Failure(
            description=f"{error}: materialise the reference assets first "
            "(keyword_dictionary, channels, programme_grid: job reference_data)"
        ) from error
    known = [channel.name for channel in channels_from_table(stored)]
    wanted = config.channel_names()
    if not wanted:
        return known, None
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise Failure(
            description=f"unknown channel(s) {', '.join(unknown)} in run config; "
            f"known channels: {', '.join(known)}"
        )
    chosen = sorted(set(wanted))
    return chosen, chosen


def stored_day(lake: Lake, table: str, day: date, restricted: list[str] | None) -> pa.Table | None:
    """The stored day a channel-restricted run merges into (None for a full run or a new day)."""
    if restricted is None or not lake.has_day(table, day):
        return None
    return lake.read_day(table, day)


def write_channels_day(
    lake: Lake, table: str, day: date, fresh: pa.Table, restricted: list[str] | None
) -> pa.Table:
    """Store a day computed for the run's channels and return what was stored: the whole day on
    a full run, else those channels' rows put in place of theirs in the stored day."""
    stored = replace_channels(stored_day(lake, table, day, restricted), fresh, restricted)
    lake.write_day(table, day, stored)
    return stored


def last_days(count: int, today: date | None = None) -> tuple[date, date]:
    """The last `count` complete broadcast days before `today` (Paris time by default)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    today = today or datetime.now(ZoneInfo(TIMEZONE)).date()
    return today - timedelta(days=count), today - timedelta(days=1)


def range_tags(first: date, last: date) -> dict[str, str]:
    """Run tags making one run cover the partitions first..last (a multi-day run)."""
    return {
        RANGE_START_TAG: first.isoformat(),
        RANGE_END_TAG: last.isoformat(),
    }


if __name__ == "__main__":
    # `python -m assets.partitions N`: run tags for the last N days, for `dagster job execute`.
    print(json.dumps(range_tags(*last_days(int(sys.argv[1]) if len(sys.argv) > 1 else 7))))
