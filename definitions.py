"""The Dagster code location: every asset, job, schedule, sensor and resource, wired in one place.

Resources are chosen and configured from `Settings.from_env()` (OBSERVATOIRE_* variables) when the
code location loads, secrets bound as `EnvVar`s so no run reads the environment: by default the
demo caption source, a Parquet lake under ./data/lake and a DuckDB warehouse at
./data/warehouse.duckdb. Steps run in-process: the stages are light, and a subprocess per step
would cost seconds each.
"""

from __future__ import annotations

from dagster import DefaultSensorStatus, Definitions, in_process_executor

from assets.captions import build_caption_assets
from assets.checks import build_asset_checks
from assets.costs import build_cost_asset
from assets.discovery import build_discovery_asset
from assets.indicators import build_indicator_asset
from assets.monitoring import build_monitoring_asset
from assets.open_data import build_open_data_asset
from assets.partitions import daily_partitions, monthly_partitions, weekly_partitions
from assets.reference import build_reference_assets
from assets.rematch import rematch_job
from assets.report import build_report_asset
from assets.run_config import DAILY_RUN, DailyRunConfig
from assets.segments import build_segment_assets
from observatoire.settings import Settings
from resources.caption_files import FileCaptionSource
from resources.captions import CaptionSource, DemoCaptionSource
from resources.lake import LakeResource
from resources.method import MethodResource
from resources.provider_api import MediatreeCaptionSource
from resources.warehouse import WarehouseResource
from sensors.alerts import build_run_failure_alert_sensor
from sensors.drop_folder import build_drop_folder_sensor
from sensors.schedules import daily_job, nightly_schedule, reference_job
from sensors.serverless_jobs import build_serverless_jobs_sensor


def caption_source(settings: Settings) -> CaptionSource:
    """The caption source named by OBSERVATOIRE_CAPTION_SOURCE."""
    if settings.caption_source == "demo":
        return DemoCaptionSource(seed=settings.demo_seed)
    if settings.caption_source == "mediatree":
        return MediatreeCaptionSource.from_settings(settings)
    if settings.caption_source == "files":
        return FileCaptionSource.from_settings(settings)
    raise ValueError(f"caption source {settings.caption_source!r} is not wired in definitions.py")


def build_definitions(settings: Settings) -> Definitions:
    partitions = daily_partitions(settings.partitions_start, settings.partitions_end)
    method = MethodResource.from_settings(settings)
    lake = LakeResource.from_settings(settings)
    daily = daily_job()
    monthly = monthly_partitions(settings.partitions_start)
    return Definitions(
        assets=[
            *build_reference_assets(method),
            build_caption_assets(partitions, settings.day_workers),
            build_segment_assets(partitions, method, settings.day_workers),
            build_monitoring_asset(partitions),
            build_indicator_asset(partitions, method),
            build_open_data_asset(monthly),
            build_report_asset(monthly),
            build_discovery_asset(weekly_partitions(settings.partitions_start)),
            build_cost_asset(monthly),
        ],
        asset_checks=build_asset_checks(partitions),
        jobs=[reference_job(), daily, rematch_job(partitions)],
        schedules=[nightly_schedule(daily)],
        sensors=[
            build_run_failure_alert_sensor(settings.alert_webhook_url, settings.ui_url),
            build_drop_folder_sensor(
                partitions,
                target=daily,
                default_status=DefaultSensorStatus.RUNNING
                if settings.caption_source == "files"
                else DefaultSensorStatus.STOPPED,
            ),
            build_serverless_jobs_sensor(settings.job_prices),
        ],
        resources={
            "lake": lake,
            "warehouse": WarehouseResource.from_settings(settings),
            "captions": caption_source(settings),
            "method": method,
            DAILY_RUN: DailyRunConfig.configure_at_launch(),
        },
        executor=in_process_executor,
    )


defs = build_definitions(Settings.from_env())
