"""How assets read and write the lake's days: leases and staged writes for the daily stages, a
channel-restricted run merged into the stored day, and a published period's days checked."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pyarrow as pa
from dagster import AssetExecutionContext, DagsterInstance, Failure

from assets.keys import CHANNEL_INDICATORS, lake_table
from assets.partitions import last_days, run_days
from observatoire.storage.day_lease import DayLeases, StagedDays
from observatoire.storage.day_states import PeriodStates, VersionMixError, check_period, read_period
from observatoire.storage.lake import Lake
from observatoire.storage.partial_days import replace_channels
from resources.lake import LakeResource


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


def read_published_period(
    lake: Lake, days: list[date], allow_mixed: bool, timezone: str | None = None
) -> PeriodStates:
    """The daily indicators of a period up to the last complete day (in `timezone`, the
    country's), checked for a version mix (a Failure listing the days of each version unless
    allowed); missing days are gaps."""
    complete = [d for d in days if d <= last_days(1, timezone=timezone)[1]]
    period = read_period(lake, complete)
    if not period.present:
        raise Failure(
            description=f"no {lake_table(CHANNEL_INDICATORS)} between {days[0]} and {days[-1]}: "
            "materialise the daily stages for these days first"
        )
    try:
        check_period(period, allow_mixed=allow_mixed)
    except VersionMixError as error:
        raise Failure(
            description=f"{error} (run config allow_mixed_versions: true)".replace("\n", "; ")
        ) from error
    return period
