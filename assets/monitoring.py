"""time_monitored[day]: per channel, the grid minutes in scope and the minutes captions covered."""

import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    PartitionsDefinition,
    asset,
)

from assets.code_versions import monitoring_version
from assets.country import DAILY_RUN, LAKE, CountryGraph, default_country
from assets.keys import (
    CHANNELS,
    DAILY_GROUP,
    PROGRAMME_GRID,
    RAW_CAPTIONS,
    TIME_MONITORED,
    lake_table,
)
from assets.lake_days import day_writes, write_channels_day
from assets.metadata import RunSummary, coverage_figures, preview
from assets.partitions import BACKFILL_POLICY, run_days
from assets.run_config import RunChannels
from observatoire.intake.intake import conformed
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import deliveries_of
from observatoire.reference.monitoring import time_monitored as monitored_minutes
from observatoire.reference.reference import channels_from_table
from observatoire.storage.partial_days import only_channels
from resources.lake import LakeResource

# What coverage needs of raw_captions: the word lists and texts stay on disk.
CAPTION_COLUMNS = ["chunk_id", "channel_name", "start"]


def build_monitoring_asset(
    partitions: PartitionsDefinition, country: CountryGraph | None = None
) -> AssetsDefinition:
    country = country or default_country()
    key = country.key(TIME_MONITORED)

    @asset(
        key=key,
        deps=country.keys([RAW_CAPTIONS, PROGRAMME_GRID, CHANNELS]),
        group_name=country.name(DAILY_GROUP),
        kinds={"parquet"},
        code_version=monitoring_version(),
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        description="Per channel and day: grid minutes, covered minutes and coverage, which "
        "exposes the provider's gaps.",
        required_resource_keys=country.resource_keys(DAILY_RUN, LAKE),
    )
    def time_monitored(context: AssetExecutionContext) -> MaterializeResult:
        daily_run: RunChannels = country.resource(context, DAILY_RUN)
        lake: LakeResource = country.resource(context, LAKE)
        with day_writes(context, lake) as store:
            channels, restricted = daily_run.run_channels(store)
            grid = ProgrammeGrid.from_arrow(
                store.read_table(lake_table(PROGRAMME_GRID)),
                channels_from_table(store.read_table(lake_table(CHANNELS))),
                zone=country.zone,
            )
            summary = RunSummary(
                context,
                key,
                ["channel_name", "grid_minutes", "covered_minutes", "coverage"],
            )
            table = None
            for day in run_days(context):
                stored = store.read_day(lake_table(RAW_CAPTIONS), day, CAPTION_COLUMNS)
                captions = only_channels(stored, restricted)
                fresh = monitored_minutes(grid, captions, day, channels, deliveries_of(stored))
                if restricted is not None and store.has_day(lake_table(TIME_MONITORED), day):
                    earlier = store.read_day(lake_table(TIME_MONITORED), day)
                    if "delivery" not in earlier.column_names:  # written before deliveries existed
                        store.write_day(
                            lake_table(TIME_MONITORED), day, conformed(earlier, fresh.schema)
                        )
                table = write_channels_day(
                    store, lake_table(TIME_MONITORED), day, fresh, restricted
                )
                gaps = pc.sum(pc.less(pc.fill_null(table["coverage"], 1.0), 1.0)).as_py() or 0
                summary.add(
                    day,
                    table["channel_name"].unique().to_pylist(),
                    table=table,
                    figures=coverage_figures(table),
                    rows=table.num_rows,
                    channels_with_gaps=int(gaps),
                    channels_not_delivered=int(
                        pc.sum(pc.not_equal(table["delivery"], "complete")).as_py() or 0
                    ),
                )
            if table is None:
                raise Failure(description="the run has no broadcast day to measure")
            return MaterializeResult(
                metadata={
                    **summary.metadata("rows", "channels_with_gaps", "channels_not_delivered"),
                    "preview": preview(
                        table.sort_by([("coverage", "ascending")]),
                        ["channel_name", "grid_minutes", "covered_minutes", "coverage", "delivery"],
                    ),
                }
            )

    return time_monitored
