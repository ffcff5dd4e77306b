"""raw_captions[day]: every caption chunk of the day from the configured source, and its quarantine.

Every record received lands in raw_captions (under its canonical channel) or in
raw_captions_rejected with its origin, reason and raw text; exact duplicates are dropped and
counted. Channel-days the source delivered incompletely or not at all are recorded in the day's
raw_captions file (and from there in time_monitored). Each day is written separately, replacing
what was there.
"""

from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    multi_asset,
)

from assets.country import CAPTIONS, DAILY_RUN, LAKE, CountryGraph, default_country
from assets.keys import (
    CHANNELS,
    DAILY_GROUP,
    PROGRAMME_GRID,
    RAW_CAPTIONS,
    RAW_CAPTIONS_REJECTED,
    lake_table,
)
from assets.lake_days import day_writes, stored_day, write_channels_day
from assets.metadata import RunSummary, preview
from assets.partitions import BACKFILL_POLICY, run_days
from assets.run_config import RunChannels
from observatoire.intake.day_intake import (
    DayIntake,
    DayStaging,
    StagedIntake,
    demo_intake_day,
    prepare_demo_intake,
    stage_demo_intake_day,
)
from observatoire.intake.intake import captions_of_day, conformed
from observatoire.intake.records import REJECT_SCHEMA, with_quality_columns
from observatoire.reference.channel_names import ChannelNames
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import deliveries_of, with_deliveries
from observatoire.reference.reference import (
    channel_names_from_table,
    channels_from_table,
)
from observatoire.runs.day_workers import DayWorkers, worker_count
from observatoire.storage.day_lease import StagedDays
from observatoire.storage.lake import Lake, LakeMissingError
from observatoire.storage.partial_days import merge_rejected
from observatoire.storage.staged_files import StagedFile
from resources.captions import CaptionSource
from resources.lake import LakeResource


def build_caption_assets(
    partitions: PartitionsDefinition,
    day_workers: int = 0,
    country: CountryGraph | None = None,
) -> AssetsDefinition:
    """`day_workers` caps the worker processes a multi-day run generates and parses its days on,
    for sources that allow it (0: the run's CPU allowance; 1: every day in the run's process).
    `country`: whose assets and resources (default: the default country's)."""
    country = country or default_country()
    raw_key, rejected_key = country.key(RAW_CAPTIONS), country.key(RAW_CAPTIONS_REJECTED)

    @multi_asset(
        name=country.name("ingest_captions"),
        specs=[
            AssetSpec(
                raw_key,
                deps=country.keys([CHANNELS, PROGRAMME_GRID]),
                group_name=country.name(DAILY_GROUP),
                kinds={"parquet"},
                description="Every 2-minute caption chunk received for the broadcast day.",
            ),
            AssetSpec(
                rejected_key,
                deps=country.keys([CHANNELS]),
                group_name=country.name(DAILY_GROUP),
                kinds={"parquet"},
                description="Records set aside for the day, each with its reason and raw text.",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        required_resource_keys=country.resource_keys(DAILY_RUN, LAKE, CAPTIONS),
    )
    def ingest_captions(context: AssetExecutionContext):
        daily_run: RunChannels = country.resource(context, DAILY_RUN)
        lake: LakeResource = country.resource(context, LAKE)
        captions: CaptionSource = country.resource(context, CAPTIONS)
        with day_writes(context, lake) as store, ExitStack() as stack:
            channels, restricted = daily_run.run_channels(store)
            channels_table = store.read_table(lake_table(CHANNELS))
            names = channel_names_from_table(channels_table)
            grid = lake_grid(store, channels_table, country.zone)
            summaries = (
                RunSummary(context, raw_key, ["channel_name", "start", "plaintext"]),
                RunSummary(context, rejected_key, ["day", "position", "reason", "record"]),
            )
            missing: list[str] = []
            days = run_days(context)
            intake = captions.worker_intake(channels, channels_table, grid)
            workers = 1 if intake is None else worker_count(len(days), cap=day_workers)
            if intake is not None and workers > 1:
                context.log.info(f"ingesting {len(days)} day(s) on {workers} worker(s)")
                if restricted is None:
                    # Nothing to merge: workers write the days' files, this process publishes.
                    store.stage_elsewhere(
                        [lake_table(RAW_CAPTIONS), lake_table(RAW_CAPTIONS_REJECTED)]
                    )
                    intake = replace(intake, staging=DayStaging(lake.address(), store.owner))
                    pool = stack.enter_context(DayWorkers(prepare_demo_intake, intake, workers))
                    staged = pool.map(stage_demo_intake_day, days)
                    last, rejected = _adopt_days(context, store, staged, summaries, missing)
                else:
                    pool = stack.enter_context(DayWorkers(prepare_demo_intake, intake, workers))
                    fetched = pool.map(demo_intake_day, days)
                    last, rejected = _write_days(
                        context, store, fetched, restricted, summaries, missing
                    )
            else:
                fetched = (
                    _fetched_day(captions, day, channels, names, grid, country.zone) for day in days
                )
                last, rejected = _write_days(
                    context, store, fetched, restricted, summaries, missing
                )
            raw_result: MaterializeResult[None] = MaterializeResult(
                asset_key=raw_key,
                metadata={
                    **summaries[0].metadata("chunks", "duplicates", "rejected", "timing_repaired"),
                    **captions.describe(),
                    "missing_channels": MetadataValue.text("; ".join(missing) or "none"),
                    "restricted_to": MetadataValue.text(
                        ", ".join(restricted or []) or "all channels"
                    ),
                    "preview": preview(last, ["channel_name", "start", "plaintext"]),
                },
            )
            rejected_result: MaterializeResult[None] = MaterializeResult(
                asset_key=rejected_key,
                metadata={
                    **summaries[1].metadata("rejected"),
                    "preview": preview(
                        rejected, ["day", "file", "line", "page", "position", "reason"]
                    ),
                },
            )
        # Recorded once the block has published the step's days: a day whose files never
        # reached the lake is not shown as materialised.
        yield raw_result
        yield rejected_result

    return ingest_captions


Summaries = tuple[RunSummary, RunSummary]
"""The run's summaries of raw_captions and raw_captions_rejected."""


def _write_days(
    context: AssetExecutionContext,
    store: StagedDays,
    fetched: Iterable[DayIntake],
    restricted: list[str] | None,
    summaries: Summaries,
    missing: list[str],
) -> tuple[pa.Table | None, pa.Table | None]:
    """Each parsed day merged into the stored day (a restricted run) and written by this
    process; returns the last day's captions and quarantine, for the run's preview."""
    last = rejected = None
    for got in fetched:
        day, parsed = got.day, got.parsed
        if restricted is not None:
            _conform_stored_day(store, day)
        deliveries = {
            **_kept_deliveries(store, day, restricted),
            **{channel: ("missing", reason) for channel, reason in got.missing},
            **{channel: ("incomplete", reason) for channel, reason in got.incomplete},
        }
        table = write_channels_day(
            store,
            lake_table(RAW_CAPTIONS),
            day,
            with_deliveries(parsed.table, deliveries),
            restricted,
        )
        rejected = merge_rejected(
            stored_day(store, lake_table(RAW_CAPTIONS_REJECTED), day, restricted),
            parsed.rejected,
            partial=restricted is not None,
        )
        store.write_day(lake_table(RAW_CAPTIONS_REJECTED), day, rejected)
        _summarise_day(
            context,
            day,
            (table, rejected),
            table["channel_name"].unique().to_pylist(),
            deliveries,
            (parsed.duplicates, parsed.repaired),
            summaries,
            missing,
        )
        last = table
    return last, rejected


def _adopt_days(
    context: AssetExecutionContext,
    store: StagedDays,
    staged: Iterable[StagedIntake],
    summaries: Summaries,
    missing: list[str],
) -> tuple[pa.Table | None, pa.Table | None]:
    """Each day's files staged by a worker taken into the step, to be published with it;
    returns the last day's first rows, for the run's preview."""
    last = rejected = None
    for got in staged:
        store.adopt(lake_table(RAW_CAPTIONS), got.day, got.captions.path)
        store.adopt(lake_table(RAW_CAPTIONS_REJECTED), got.day, got.rejected.path)
        _summarise_day(
            context,
            got.day,
            (got.captions, got.rejected),
            got.captions.channels,
            got.deliveries,
            (got.duplicates, got.repaired),
            summaries,
            missing,
        )
        last, rejected = got.captions.head, got.rejected.head
    return last, rejected


def _summarise_day(
    context: AssetExecutionContext,
    day: date,
    files: tuple[pa.Table | StagedFile, pa.Table | StagedFile],
    channels: list[str],
    deliveries: dict[str, tuple[str, str]],
    parsing: tuple[int, int],
    summaries: Summaries,
    missing: list[str],
) -> None:
    """The day's counts, shape and preview attached to its materialisations, and its log line."""
    table, rejected = files
    duplicates, repaired = parsing
    missing.extend(
        f"{day} {channel}: {status}: {reason}" for channel, (status, reason) in deliveries.items()
    )
    summaries[0].add(
        day,
        channels,
        table=table,
        chunks=table.num_rows,
        duplicates=duplicates,
        rejected=rejected.num_rows,
        timing_repaired=repaired,
    )
    summaries[1].add(day, table=rejected, rejected=rejected.num_rows)
    context.log.info(
        f"{day}: {table.num_rows} chunks, {duplicates} duplicates, "
        f"{rejected.num_rows} rejected, {repaired} with repaired word timing"
    )


def lake_grid(
    store: Lake | StagedDays, channels_table: pa.Table, zone: ZoneInfo | None = None
) -> ProgrammeGrid:
    """The programme grid as the reference job wrote it: the one grid sources and stages use,
    its wall-clock times in `zone`, the country's (default: the default country's)."""
    zone = zone or default_country().zone
    try:
        table = store.read_table("programme_grid")
    except LakeMissingError as error:
        raise Failure(
            description=f"{error}: the caption source needs the programme grid; materialise the "
            "reference assets first (job reference_data)"
        ) from error
    return ProgrammeGrid.from_arrow(table, channels_from_table(channels_table), zone=zone)


def _fetched_day(
    captions: CaptionSource,
    day: date,
    channels: list[str],
    names: ChannelNames,
    grid: ProgrammeGrid,
    zone: ZoneInfo,
) -> DayIntake:
    """A day fetched from the source by the run itself, parsed by the common rules, its
    broadcast day in the country's `zone`."""
    fetch = captions.fetch_day(day, channels, grid)
    parsed = captions_of_day(
        fetch.items,
        fetch.source,
        day,
        chunks=fetch.chunks,
        pre_rejected=fetch.pre_rejected,
        channels=channels,
        names=names,
        origins=fetch.origins,
        zone=zone,
    )
    return DayIntake(day, parsed, fetch.missing, fetch.incomplete)


def _conform_stored_day(store, day) -> None:
    """A day ingested before the quality and origin columns existed gets them, so that a run
    restricted to some channels can merge its rows into it."""
    if store.has_day(lake_table(RAW_CAPTIONS), day):
        stored = store.read_day(lake_table(RAW_CAPTIONS), day)
        if "timing" not in stored.column_names:
            store.write_day(lake_table(RAW_CAPTIONS), day, with_quality_columns(stored))
    if store.has_day(lake_table(RAW_CAPTIONS_REJECTED), day):
        rejected = store.read_day(lake_table(RAW_CAPTIONS_REJECTED), day)
        if "file" not in rejected.column_names:
            conformed_rejected = conformed(rejected, REJECT_SCHEMA)
            store.write_day(lake_table(RAW_CAPTIONS_REJECTED), day, conformed_rejected)


def _kept_deliveries(store, day, restricted: list[str] | None) -> dict[str, tuple[str, str]]:
    """A restricted run keeps what the stored day records about the other channels."""
    if restricted is None or not store.has_day(lake_table(RAW_CAPTIONS), day):
        return {}
    stored = store.read_day(lake_table(RAW_CAPTIONS), day, ["channel_name"])
    return {c: v for c, v in deliveries_of(stored).items() if c not in restricted}
