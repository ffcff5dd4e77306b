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
from assets.run_config import DailyRunConfig
from observatoire.intake.intake import conformed
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import deliveries_of
from observatoire.reference.monitoring import time_monitored as monitored_minutes
from observatoire.reference.reference import channels_from_table
from observatoire.storage.partial_days import only_channels
from resources.lake import LakeResource

# What coverage needs of raw_captions: the word lists and texts stay on disk.
CAPTION_COLUMNS = ["chunk_id", "channel_name", "start"]


def build_monitoring_asset(partitions: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=TIME_MONITORED,
        deps=[RAW_CAPTIONS, PROGRAMME_GRID, CHANNELS],
        group_name=DAILY_GROUP,
        kinds={"parquet"},
        code_version=monitoring_version(),
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        description="Per channel and day: grid minutes, covered minutes and coverage, which "
        "exposes the provider's gaps.",
    )
    def time_monitored(
        context: AssetExecutionContext, daily_run: DailyRunConfig, lake: LakeResource
    ) -> MaterializeResult:
        with day_writes(context, lake) as store:
            channels, restricted = daily_run.run_channels(store)
            grid = ProgrammeGrid.from_arrow(
                store.read_table(lake_table(PROGRAMME_GRID)),
                channels_from_table(store.read_table(lake_table(CHANNELS))),
            )
            summary = RunSummary(
                context,
                TIME_MONITORED,
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
