"""channel_indicators[day]: environmental minutes and share of airtime per channel and day."""

import duckdb
import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from assets.code_versions import indicators_version
from assets.country import DAILY_RUN, LAKE, METHOD, WAREHOUSE, CountryGraph, default_country
from assets.failures import refused_as_failure
from assets.keys import (
    CHANNEL_INDICATORS,
    DAILY_GROUP,
    KEYWORD_DICTIONARY,
    THEME_SEGMENTS,
    TIME_MONITORED,
    lake_table,
)
from assets.lake_days import day_writes, write_channels_day
from assets.metadata import RunSummary, indicator_figures
from assets.partitions import BACKFILL_POLICY, run_days
from assets.run_config import RunChannels
from observatoire import METHODOLOGY_VERSION
from observatoire.publish.indicator_table import channel_summary, format_markdown
from observatoire.publish.indicators import channel_indicators as compute_indicators
from observatoire.reference.reference import table_version
from observatoire.storage.day_states import inputs_metadata
from observatoire.storage.partial_days import only_channels
from resources.lake import LakeResource
from resources.method import MethodResource
from resources.warehouse import WarehouseResource


def build_indicator_asset(
    partitions: PartitionsDefinition,
    method: MethodResource,
    country: CountryGraph | None = None,
) -> AssetsDefinition:
    country = country or default_country()
    key = country.key(CHANNEL_INDICATORS)

    @asset(
        key=key,
        deps=country.keys([THEME_SEGMENTS, TIME_MONITORED, KEYWORD_DICTIONARY]),
        group_name=country.name(DAILY_GROUP),
        kinds={"parquet"},
        code_version=indicators_version(method),
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        description="Per channel and day: environmental minutes and share of covered airtime, "
        "by crisis, causal link and theme, numerators and denominators kept.",
        required_resource_keys=country.resource_keys(DAILY_RUN, LAKE, METHOD, WAREHOUSE),
    )
    def channel_indicators(context: AssetExecutionContext) -> MaterializeResult:
        daily_run: RunChannels = country.resource(context, DAILY_RUN)
        lake: LakeResource = country.resource(context, LAKE)
        method: MethodResource = country.resource(context, METHOD)
        warehouse: WarehouseResource = country.resource(context, WAREHOUSE)
        with day_writes(context, lake) as store:
            _, restricted = daily_run.run_channels(store)
            summary = RunSummary(context, key)
            written = []
            versions: set[str] = set()
            for day in run_days(context):
                segments = store.read_day(lake_table(THEME_SEGMENTS), day)
                version = table_version(segments) or "unknown"
                with refused_as_failure():
                    fresh = compute_indicators(
                        segments,
                        store.read_day(lake_table(TIME_MONITORED), day),
                        method.window_seconds,
                        version,
                    )
                table = write_channels_day(
                    store,
                    lake_table(CHANNEL_INDICATORS),
                    day,
                    only_channels(fresh, restricted),
                    restricted,
                    inputs_metadata(version, method.window_seconds, method.profile),
                )
                versions.add(version)
                written.append(table)
                summary.add(
                    day,
                    table["channel_name"].unique().to_pylist(),
                    table=table,
                    figures=indicator_figures(table),
                    rows=table.num_rows,
                )
            shares = channel_summary(pa.concat_tables(written))
            _refresh_warehouse(context, warehouse)
            return MaterializeResult(
                metadata={
                    **summary.metadata("rows"),
                    "dictionary_version": MetadataValue.text(", ".join(sorted(versions))),
                    "methodology_version": MetadataValue.text(METHODOLOGY_VERSION),
                    "share_all_channels": MetadataValue.float(_number(shares["share"].iloc[-1])),
                    "shares_per_channel": MetadataValue.md(format_markdown(shares)),
                }
            )

    return channel_indicators


def _refresh_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> None:
    """Keep the analysts' DuckDB file in step with the lake at the end of the daily chain.

    Views read the lake through globs, so once a table has its view new days show up by
    themselves; a refresh that finds the file locked by another run can safely be skipped.
    """
    if not warehouse.lake.lake().is_local:
        return
    try:
        views = warehouse.refresh()
    except duckdb.IOException as exc:
        context.log.warning(f"warehouse views not refreshed (file busy): {exc}")
        return
    context.log.info(f"warehouse {warehouse.path}: views {', '.join(views)}")


def _number(value: float | None) -> float:
    """A float for metadata (NaN when the share is undefined, e.g. nothing covered)."""
    return float("nan") if value is None else float(value)
