"""The Dagster code location: every asset, job, schedule, sensor and resource, wired in one place.

Each country of OBSERVATOIRE_COUNTRIES (default: France only) gets its own graph, built from its
profile: partitions in its time zone, its lake, caption source and reference files, under its
own asset keys and resource keys (assets/country.py; France keeps its unprefixed names).

Resources are chosen and configured from `Settings.from_env()` (OBSERVATOIRE_* variables) when the
code location loads, secrets bound as `EnvVar`s so no run reads the environment: by default the
demo caption source, a Parquet lake under ./data/lake and a DuckDB warehouse at
./data/warehouse.duckdb. Steps run in-process: the stages are light, and a subprocess per step
would cost seconds each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dagster import DefaultSensorStatus, Definitions, in_process_executor

from assets.captions import build_caption_assets
from assets.checks import build_asset_checks
from assets.costs import build_cost_asset
from assets.countries import build_rollup_asset
from assets.country import CAPTIONS, DAILY_RUN, LAKE, METHOD, WAREHOUSE, CountryGraph
from assets.discovery import build_discovery_asset
from assets.indicators import build_indicator_asset
from assets.monitoring import build_monitoring_asset
from assets.open_data import build_open_data_asset
from assets.partitions import daily_partitions, monthly_partitions, weekly_partitions
from assets.reference import build_reference_assets
from assets.rematch import rematch_job
from assets.report import build_report_asset
from assets.run_config import CountryRunConfig, DailyRunConfig
from assets.segments import build_segment_assets
from observatoire.reference.countries import DEFAULT_COUNTRY, CountryProfile
from observatoire.settings import Settings
from resources.caption_files import FileCaptionSource
from resources.captions import CaptionSource, DemoCaptionSource
from resources.lake import LakeResource
from resources.method import MethodResource, country_profile
from resources.provider_api import MediatreeCaptionSource
from resources.warehouse import WarehouseResource
from sensors.alerts import build_run_failure_alert_sensor
from sensors.drop_folder import build_drop_folder_sensor
from sensors.schedules import daily_job, nightly_schedule, reference_job
from sensors.serverless_jobs import build_serverless_jobs_sensor


def caption_source(
    settings: Settings,
    profile: CountryProfile | None = None,
    countries_root: Path | None = None,
) -> CaptionSource:
    """The caption source of a country (default: the default country's,
    OBSERVATOIRE_CAPTION_SOURCE); see `Settings.caption_source_of`."""
    profile = profile or country_profile(DEFAULT_COUNTRY)
    kind = settings.caption_source_of(profile)
    if kind == "demo":
        if profile.code == DEFAULT_COUNTRY:
            return DemoCaptionSource(seed=settings.demo_seed)
        return DemoCaptionSource(
            seed=settings.demo_seed,
            country=profile.code,
            countries_root=str(countries_root) if countries_root else None,
        )
    if kind == "mediatree" and profile.code == DEFAULT_COUNTRY:
        return MediatreeCaptionSource.from_settings(settings)
    if kind == "files":
        return FileCaptionSource.from_settings(settings, profile.code, profile.time_zone)
    raise ValueError(
        f"caption source {kind!r} of country {profile.code!r} is not wired in definitions.py"
    )


def country_definitions(
    settings: Settings, profile: CountryProfile, countries_root: Path | None = None
) -> Definitions:
    """One country's graph: reference data, daily stages and their checks, publication (open
    data, report) and stop-phrase candidates, jobs, the nightly schedule at 02:00 local time and
    the drop-folder sensor, on the country's own resources."""
    country = CountryGraph.of(profile)
    zone = profile.time_zone
    partitions = daily_partitions(settings.partitions_start, settings.partitions_end, zone)
    method = MethodResource.from_settings(settings, profile.code, countries_root)
    source = caption_source(settings, profile, countries_root)
    daily = daily_job(country)
    assets: list[Any] = [
        *build_reference_assets(method, country),
        build_caption_assets(partitions, settings.day_workers, country),
        build_segment_assets(partitions, method, settings.day_workers, country),
        build_monitoring_asset(partitions, country),
        build_indicator_asset(partitions, method, country),
    ]
    monthly = monthly_partitions(settings.partitions_start, zone)
    assets += [
        build_open_data_asset(monthly, country),
        build_report_asset(monthly, country),
        build_discovery_asset(weekly_partitions(settings.partitions_start, zone), country),
    ]
    jobs = [reference_job(country), daily, rematch_job(partitions, country)]
    return Definitions(
        assets=assets,
        asset_checks=build_asset_checks(partitions, country=country),
        jobs=jobs,
        schedules=[nightly_schedule(daily, country)],
        sensors=[
            build_drop_folder_sensor(
                partitions,
                target=daily,
                resource_key=country.name(CAPTIONS),
                name=country.name("drop_folder_sensor"),
                default_status=DefaultSensorStatus.RUNNING
                if isinstance(source, FileCaptionSource)
                else DefaultSensorStatus.STOPPED,
            ),
        ],
        resources={
            country.name(LAKE): LakeResource.from_settings(settings, profile.code),
            country.name(WAREHOUSE): WarehouseResource.from_settings(settings, profile.code),
            country.name(CAPTIONS): source,
            country.name(METHOD): method,
            country.name(DAILY_RUN): (
                CountryRunConfig if country.prefixed else DailyRunConfig
            ).configure_at_launch(),
        },
    )


def build_definitions(settings: Settings, countries_root: Path | None = None) -> Definitions:
    """Every country of `settings.countries` in one code location, each with its own graph,
    partitions in its time zone and lake; across countries, the operations assets and sensors
    and, with several countries, their rollup. `countries_root` holds extra profiles (tests)."""
    profiles = [country_profile(code, countries_root) for code in settings.countries]
    parts = [country_definitions(settings, profile, countries_root) for profile in profiles]
    first_zone = profiles[0].time_zone
    shared_assets: list[Any] = [
        build_cost_asset(monthly_partitions(settings.partitions_start, first_zone))
    ]
    if len(profiles) > 1:
        shared_assets.append(build_rollup_asset([CountryGraph.of(p) for p in profiles]))
    shared = Definitions(
        assets=shared_assets,
        sensors=[
            build_run_failure_alert_sensor(settings.alert_webhook_url, settings.ui_url),
            build_serverless_jobs_sensor(settings.job_prices),
        ],
        executor=in_process_executor,
    )
    return Definitions.merge(*parts, shared)


defs = build_definitions(Settings.from_env())
