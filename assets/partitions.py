"""The daily partitions every daily stage shares, the backfill policy and the run config."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from enum import Enum

import pyarrow as pa
from dagster import (
    AssetCheckExecutionContext,
    AssetExecutionContext,
    BackfillPolicy,
    Config,
    DagsterInstance,
    DailyPartitionsDefinition,
    Failure,
    PartitionsDefinition,
    TimeWindowPartitionsDefinition,
)
from pydantic import Field

from observatoire.core.broadcast_day import PARIS, PARIS_TIMEZONE
from observatoire.reference.channels import default_channels
from observatoire.reference.reference import channels_from_table
from observatoire.storage.day_lease import DayLeases, StagedDays
from observatoire.storage.lake import Lake, LakeMissingError
from observatoire.storage.partial_days import replace_channels
from resources.lake import LakeResource

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
PARTITION_TAG = "dagster/partition"
"""Dagster's run tags for a run covering a range of partitions, or one partition."""

MAX_DAYS_PER_RUN = 31
BACKFILL_POLICY = BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)
"""A backfill of a year is a dozen month-long runs, each writing its days one by one."""


def daily_partitions(start: str, end: str | None = None) -> DailyPartitionsDefinition:
    """One partition per broadcast day from `start` (YYYY-MM-DD) to the last complete broadcast
    day, Paris time (yesterday), or to `end` (YYYY-MM-DD, included) when configured."""
    if end is None:
        return DailyPartitionsDefinition(start_date=start, timezone=PARIS_TIMEZONE)
    after_end = (date.fromisoformat(end) + timedelta(days=1)).isoformat()
    return DailyPartitionsDefinition(start_date=start, end_date=after_end, timezone=PARIS_TIMEZONE)


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
            f"(the last partition is the last complete broadcast day, {PARIS_TIMEZONE}); "
            "nothing was written"
        )


ChannelName = Enum(  # type: ignore[misc]
    "ChannelName", {channel.name: channel.name for channel in default_channels()}, type=str
)
"""The monitored channels as a config enum, so a misspelt channel is refused when the run is
launched (the UI's launchpad underlines it) rather than after the first steps have run."""


class DailyRunConfig(Config):
    """Run configuration of the daily stages."""

    channels: list[ChannelName] = Field(
        default=[],
        description="Only these channels (empty: every channel). Other channels' rows are kept.",
    )

    def channel_names(self) -> list[str]:
        return [str(getattr(channel, "value", channel)) for channel in self.channels]


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


@contextmanager
def day_writes(context: AssetExecutionContext, lake: LakeResource) -> Iterator[StagedDays]:
    """The lake for a daily step that writes: its days checked against the partition range,
    their leases held (waiting for another run on the same day), every write staged and the
    step's days published together when the block ends without error."""
    store = lake.lake()
    days = run_days(context)
    leases = DayLeases(
        store,
        context.run.run_id,
        log=context.log.info,
        finished=lambda run_id: _run_ended(context.instance, run_id),
    )
    with StagedDays(store, leases, days) as staged:
        yield staged


def _run_ended(instance: DagsterInstance, run_id: str) -> bool:
    """Whether a run of this instance has ended: the lease it holds was left behind by a
    failure. A run unknown here (another instance) is not presumed ended."""
    run = instance.get_run_by_id(run_id)
    return run is not None and run.is_finished


def _daily_partitions_of(context: DailyContext) -> PartitionsDefinition:
    definition = getattr(context, "assets_def", None)
    partitions = definition.partitions_def if definition is not None else None
    if partitions is None:
        partitions = context.job_def.partitions_def
    if partitions is None:
        raise Failure(description="this step has no daily partitions")
    return partitions


def partition_day(key: str) -> date:
    return datetime.strptime(key, "%Y-%m-%d").date()


def run_channels(
    lake: Lake | StagedDays, config: DailyRunConfig
) -> tuple[list[str], list[str] | None]:
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


def stored_day(
    lake: Lake | StagedDays, table: str, day: date, restricted: list[str] | None
) -> pa.Table | None:
    """The stored day a channel-restricted run merges into (None for a full run or a new day)."""
    if restricted is None or not lake.has_day(table, day):
        return None
    return lake.read_day(table, day)


def write_channels_day(
    lake: Lake | StagedDays,
    table: str,
    day: date,
    fresh: pa.Table,
    restricted: list[str] | None,
    metadata: dict[bytes, bytes] | None = None,
) -> pa.Table:
    """Store a day computed for the run's channels and return what was stored: the whole day on
    a full run, else those channels' rows put in place of theirs in the stored day. `metadata`
    (what the day was computed from) replaces the file's schema metadata."""
    stored = replace_channels(stored_day(lake, table, day, restricted), fresh, restricted)
    if metadata is not None:
        stored = stored.replace_schema_metadata(metadata)
    lake.write_day(table, day, stored)
    return stored


def last_days(count: int, today: date | None = None) -> tuple[date, date]:
    """The last `count` complete broadcast days before `today` (Paris time by default)."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    today = today or datetime.now(PARIS).date()
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
