"""theme_segments[day]: window counters and programme per chunk; theme_keywords[day]: evidence.

The dictionary, channels and grid are read from the lake as the reference assets wrote them; the
dictionary version is stored in each day's files so the indicators can say which one they used.
"""

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date

import pyarrow as pa
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
from observatoire.matching.day_matching import (
    DayMatch,
    MatchingInputs,
    StagedMatch,
    compile_matching,
    match_day_inputs,
    prepare_matching,
    read_day_inputs,
    stage_match_day,
)
from observatoire.reference.reference import dictionaries_table_version
from observatoire.runs.day_workers import DayWorkers, worker_count
from observatoire.storage.day_lease import StagedDays
from observatoire.storage.staged_files import StagedFile
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
            dictionary_version = dictionaries_table_version(inputs.dictionary)
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
            summaries = (segments_summary, keywords_summary)
            day_versions = {"dictionary_version": MetadataValue.text(dictionary_version)}
            workers = worker_count(len(days), cap=day_workers)
            context.log.info(f"matching {len(days)} day(s) on {workers} worker(s)")
            if workers > 1:
                # Workers write the days' files themselves; this process only publishes them.
                store.stage_elsewhere([lake_table(THEME_SEGMENTS), lake_table(THEME_KEYWORDS)])
                inputs = replace(inputs, owner=store.owner)
            with DayWorkers(prepare_matching, inputs, workers, compile_matching) as pool:
                if workers > 1:
                    staged = pool.map_read_ahead(read_day_inputs, stage_match_day, days)
                    segments, keywords = _adopt_days(store, staged, summaries, day_versions)
                else:
                    matched = pool.map_read_ahead(read_day_inputs, match_day_inputs, days)
                    segments, keywords = _write_days(store, matched, summaries, day_versions)
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
            segments_result: MaterializeResult[None] = MaterializeResult(
                asset_key=segments_key,
                metadata={
                    **segments_summary.metadata("segments", "in_scope", "with_keywords"),
                    **versions,
                    "day_workers": MetadataValue.int(workers),
                    "peak_memory_per_worker_mb": MetadataValue.float(round(worker_memory, 1)),
                    "matcher_compilations": MetadataValue.int(pool.preparations()),
                    # Where the step's time went, summed over the workers: compiling the
                    # matcher (and reading the grid), and matching the days, reads aside.
                    "preparation_seconds": MetadataValue.float(
                        round(pool.preparation_seconds(), 3)
                    ),
                    "computing_seconds": MetadataValue.float(round(pool.computing_seconds(), 3)),
                    "preview": preview(
                        segments.sort_by([("number_of_keywords", "descending")]),
                        ["channel_name", "start", "programme_name", "number_of_keywords", "timing"],
                    ),
                },
            )
            keywords_result: MaterializeResult[None] = MaterializeResult(
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
        # Recorded once the block has published the step's days: a day whose files never
        # reached the lake is not shown as materialised.
        yield segments_result
        yield keywords_result

    return match_themes


def _write_days(
    store: StagedDays,
    matched: Iterable[DayMatch],
    summaries: tuple[RunSummary, RunSummary],
    day_versions: Mapping[str, MetadataValue],
) -> tuple[pa.Table | None, pa.Table | None]:
    """Each matched day written by this process; returns the last day's tables."""
    segments = keywords = None
    for match in matched:
        day, segments, keywords = match.day, match.segments, match.keywords
        store.write_day(lake_table(THEME_SEGMENTS), day, segments)
        store.write_day(lake_table(THEME_KEYWORDS), day, keywords)
        _summarise_day(
            day,
            (segments, keywords),
            (
                segments["channel_name"].unique().to_pylist(),
                keywords["channel_name"].unique().to_pylist(),
            ),
            (
                int(pc.sum(segments["in_scope"]).as_py() or 0),
                int(pc.sum(pc.greater(segments["number_of_keywords"], 0)).as_py() or 0),
                int(pc.sum(keywords["counted"]).as_py() or 0),
            ),
            summaries,
            day_versions,
        )
    return segments, keywords


def _adopt_days(
    store: StagedDays,
    staged: Iterable[StagedMatch],
    summaries: tuple[RunSummary, RunSummary],
    day_versions: Mapping[str, MetadataValue],
) -> tuple[pa.Table | None, pa.Table | None]:
    """Each day's files staged by a worker taken into the step, to be published with it;
    returns the last day's first rows (segments with the most keywords first)."""
    segments = keywords = None
    for match in staged:
        store.adopt(lake_table(THEME_SEGMENTS), match.day, match.segments.path)
        store.adopt(lake_table(THEME_KEYWORDS), match.day, match.keywords.path)
        _summarise_day(
            match.day,
            (match.segments, match.keywords),
            (match.segments.channels, match.keywords.channels),
            (match.in_scope, match.with_keywords, match.counted),
            summaries,
            day_versions,
        )
        segments, keywords = match.segments.head, match.keywords.head
    return segments, keywords


def _summarise_day(
    day: date,
    files: tuple[pa.Table | StagedFile, pa.Table | StagedFile],
    channels: tuple[list[str], list[str]],
    counts: tuple[int, int, int],
    summaries: tuple[RunSummary, RunSummary],
    day_versions: Mapping[str, MetadataValue],
) -> None:
    """The day's counts, shape and preview attached to its two materialisations."""
    segments, keywords = files
    in_scope, with_keywords, counted = counts
    summaries[0].add(
        day,
        channels[0],
        table=segments,
        figures=day_versions,
        segments=segments.num_rows,
        in_scope=in_scope,
        with_keywords=with_keywords,
    )
    summaries[1].add(
        day,
        channels[1],
        table=keywords,
        figures=day_versions,
        occurrences=keywords.num_rows,
        counted=counted,
    )
