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

from assets.metadata import RunSummary, coverage_figures, preview
from assets.partitions import (
    BACKFILL_POLICY,
    DailyRunConfig,
    day_writes,
    run_channels,
    run_days,
    write_channels_day,
)
from observatoire import METHODOLOGY_VERSION
from observatoire.intake.intake import conformed
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import deliveries_of
from observatoire.reference.monitoring import time_monitored as monitored_minutes
from observatoire.reference.reference import channels_from_table
from observatoire.storage.partial_days import only_channels
from resources.lake import LakeResource

GROUP = "daily"
# What coverage needs of raw_captions: the word lists and texts stay on disk.
CAPTION_COLUMNS = ["chunk_id", "channel_name", "start"]


def build_monitoring_asset(partitions: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        deps=["raw_captions", "programme_grid", "channels"],
        group_name=GROUP,
        kinds={"parquet"},
        code_version=METHODOLOGY_VERSION,
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        description="Per channel and day: grid minutes, covered minutes and coverage, which "
        "exposes the provider's gaps.",
    )
    def time_monitored(
        context: AssetExecutionContext, config: DailyRunConfig, lake: LakeResource
    ) -> MaterializeResult:
        with day_writes(context, lake) as store:
            channels, restricted = run_channels(store, config)
            grid = ProgrammeGrid.from_arrow(
                store.read_table("programme_grid"),
                channels_from_table(store.read_table("channels")),
            )
            summary = RunSummary(
                context,
                "time_monitored",
                ["channel_name", "grid_minutes", "covered_minutes", "coverage"],
            )
            table = None
            for day in run_days(context):
                stored = store.read_day("raw_captions", day, CAPTION_COLUMNS)
                captions = only_channels(stored, restricted)
                fresh = monitored_minutes(grid, captions, day, channels, deliveries_of(stored))
                if restricted is not None and store.has_day("time_monitored", day):
                    earlier = store.read_day("time_monitored", day)
                    if "delivery" not in earlier.column_names:  # written before deliveries existed
                        store.write_day("time_monitored", day, conformed(earlier, fresh.schema))
                table = write_channels_day(store, "time_monitored", day, fresh, restricted)
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
