"""theme_segments[day]: window counters and programme per chunk; theme_keywords[day]: evidence.

The dictionary, channels and grid are read from the lake as the reference assets wrote them; the
dictionary version is stored in each day's files so the indicators can say which one they used.
"""

import pyarrow.compute as pc
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

from assets.code_versions import matching_version
from assets.country import DAILY_RUN, LAKE, METHOD, CountryGraph, default_country
from assets.keys import (
    CHANNELS,
    DAILY_GROUP,
    KEYWORD_DICTIONARY,
    PROGRAMME_GRID,
    RAW_CAPTIONS,
    THEME_KEYWORDS,
    THEME_SEGMENTS,
    lake_table,
)
from assets.lake_days import day_writes
from assets.metadata import RunSummary, preview
from assets.partitions import BACKFILL_POLICY, run_days
from assets.run_config import RunChannels
from observatoire.matching.day_matching import MatchingInputs, match_day, prepare_matching
from observatoire.reference.reference import dictionary_from_table
from observatoire.runs.day_workers import DayWorkers, worker_count
from resources.lake import LakeResource
from resources.method import MethodResource


def build_segment_assets(
    partitions: PartitionsDefinition,
    method: MethodResource,
    day_workers: int = 0,
    country: CountryGraph | None = None,
) -> AssetsDefinition:
    """`day_workers` caps the worker processes a multi-day run matches its days on (0: as many
    as the run's CPU allowance gives; 1: every day in the run's own process). `country`: whose
    assets and resources (default: the default country's)."""
    country = country or default_country()
    segments_key, keywords_key = country.key(THEME_SEGMENTS), country.key(THEME_KEYWORDS)

    @multi_asset(
        name=country.name("match_themes"),
        specs=[
            AssetSpec(
                segments_key,
                deps=country.keys([RAW_CAPTIONS, KEYWORD_DICTIONARY, PROGRAMME_GRID, CHANNELS]),
                group_name=country.name(DAILY_GROUP),
                kinds={"parquet"},
                code_version=matching_version(method),
                description="One row per chunk: windows counted per crisis, causal link and "
                "theme, and whether the chunk is in a programme in scope.",
            ),
            AssetSpec(
                keywords_key,
                deps=country.keys([RAW_CAPTIONS, KEYWORD_DICTIONARY]),
                group_name=country.name(DAILY_GROUP),
                kinds={"parquet"},
                code_version=matching_version(method),
                description="Evidence: every keyword occurrence with its second, window, "
                "whether it counted or was promoted, and the words around it.",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
        required_resource_keys=country.resource_keys(DAILY_RUN, LAKE, METHOD),
    )
    def match_themes(context: AssetExecutionContext):
        daily_run: RunChannels = country.resource(context, DAILY_RUN)
        lake: LakeResource = country.resource(context, LAKE)
        method: MethodResource = country.resource(context, METHOD)
        with day_writes(context, lake) as store:
            _, restricted = daily_run.run_channels(store)
            days = run_days(context)
            inputs = MatchingInputs(
                lake=lake.address(),
                dictionary=store.read_table(lake_table(KEYWORD_DICTIONARY)),
                channels=store.read_table(lake_table(CHANNELS)),
                grid=store.read_table(lake_table(PROGRAMME_GRID)),
                window_seconds=method.window_seconds,
                profile=method.profile,
                restricted=tuple(restricted) if restricted is not None else None,
                zone=country.zone,
            )
            dictionary_version = dictionary_from_table(inputs.dictionary).version
            segments_summary = RunSummary(
                context,
                segments_key,
                ["channel_name", "start", "programme_name", "number_of_keywords", "timing"],
                preview_first="number_of_keywords",
            )
            keywords_summary = RunSummary(
                context,
                keywords_key,
                ["channel_name", "keyword", "theme", "second", "counted", "excerpt"],
            )
            segments = keywords = None
            day_versions = {"dictionary_version": MetadataValue.text(dictionary_version)}
            workers = worker_count(len(days), cap=day_workers)
            context.log.info(f"matching {len(days)} day(s) on {workers} worker(s)")
            with DayWorkers(prepare_matching, inputs, workers) as pool:
                for matched in pool.map(match_day, days):
                    day, segments, keywords = matched.day, matched.segments, matched.keywords
                    store.write_day(lake_table(THEME_SEGMENTS), day, segments)
                    store.write_day(lake_table(THEME_KEYWORDS), day, keywords)
                    segments_summary.add(
                        day,
                        segments["channel_name"].unique().to_pylist(),
                        table=segments,
                        figures=day_versions,
                        segments=segments.num_rows,
                        in_scope=int(pc.sum(segments["in_scope"]).as_py() or 0),
                        with_keywords=int(
                            pc.sum(pc.greater(segments["number_of_keywords"], 0)).as_py() or 0
                        ),
                    )
                    keywords_summary.add(
                        day,
                        keywords["channel_name"].unique().to_pylist(),
                        table=keywords,
                        figures=day_versions,
                        occurrences=keywords.num_rows,
                        counted=int(pc.sum(keywords["counted"]).as_py() or 0),
                    )
            if segments is None:
                raise Failure(description="the run has no broadcast day to match")
            worker_memory = pool.peak_memory_per_worker_mb()
            context.log.info(
                f"peak memory per worker {worker_memory:,.0f} MB; matcher compiled "
                f"{pool.preparations()} time(s) for {len(days)} day(s)"
            )
            versions = {
                "dictionary_version": MetadataValue.text(dictionary_version),
                "window_seconds": MetadataValue.int(method.window_seconds),
                "profile": MetadataValue.text(method.profile),
            }
            yield MaterializeResult(
                asset_key=segments_key,
                metadata={
                    **segments_summary.metadata("segments", "in_scope", "with_keywords"),
                    **versions,
                    "day_workers": MetadataValue.int(workers),
                    "peak_memory_per_worker_mb": MetadataValue.float(round(worker_memory, 1)),
                    "matcher_compilations": MetadataValue.int(pool.preparations()),
                    "preview": preview(
                        segments.sort_by([("number_of_keywords", "descending")]),
                        ["channel_name", "start", "programme_name", "number_of_keywords", "timing"],
                    ),
                },
            )
            yield MaterializeResult(
                asset_key=keywords_key,
                metadata={
                    **keywords_summary.metadata("occurrences", "counted"),
                    **versions,
                    "preview": preview(
                        keywords,
                        ["channel_name", "keyword", "theme", "second", "counted", "excerpt"],
                    ),
                },
            )

    return match_themes
