"""theme_segments[day]: window counters and programme per chunk; theme_keywords[day]: evidence.

The dictionary, channels and grid are read from the lake as the reference assets wrote them; the
dictionary version is stored in each day's files so the indicators can say which one they used.
"""

import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    multi_asset,
)

from assets.metadata import RunSummary, preview
from assets.partitions import (
    BACKFILL_POLICY,
    DailyRunConfig,
    day_writes,
    run_channels,
    run_days,
    stored_day,
)
from observatoire import METHODOLOGY_VERSION
from observatoire.grid import assign_programmes
from observatoire.intake import with_timing_flags
from observatoire.lake import LakeError
from observatoire.matcher import Matcher
from observatoire.partial_days import only_channels, replace_channels
from observatoire.reference import (
    VERSION_KEY,
    channels_from_table,
    dictionary_from_table,
    grid_from_table,
)
from resources.lake import LakeResource
from resources.method import MethodResource

GROUP = "daily"
# What matching needs of raw_captions (channel titles, radio flags and sources stay on disk).
CAPTION_COLUMNS = ["chunk_id", "channel_name", "start", "day", "plaintext", "srt"]


def _versioned(table: pa.Table, dictionary_version: str) -> pa.Table:
    return table.replace_schema_metadata({VERSION_KEY: dictionary_version.encode()})


def build_segment_assets(
    partitions: PartitionsDefinition, method: MethodResource
) -> AssetsDefinition:
    @multi_asset(
        name="match_themes",
        specs=[
            AssetSpec(
                "theme_segments",
                deps=["raw_captions", "keyword_dictionary", "programme_grid", "channels"],
                group_name=GROUP,
                kinds={"parquet"},
                code_version=f"{METHODOLOGY_VERSION}-w{method.window_seconds}-{method.profile}",
                description="One row per chunk: windows counted per crisis, causal link and "
                "theme, and whether the chunk is in a programme in scope.",
            ),
            AssetSpec(
                "theme_keywords",
                deps=["raw_captions", "keyword_dictionary"],
                group_name=GROUP,
                kinds={"parquet"},
                code_version=f"{METHODOLOGY_VERSION}-w{method.window_seconds}-{method.profile}",
                description="Evidence: every keyword occurrence with its second, window, "
                "whether it counted or was promoted, and the words around it.",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
    )
    def match_themes(
        context: AssetExecutionContext,
        config: DailyRunConfig,
        lake: LakeResource,
        method: MethodResource,
    ):
        with day_writes(context, lake) as store:
            _, restricted = run_channels(store, config)
            dictionary = dictionary_from_table(store.read_table("keyword_dictionary"))
            grid = grid_from_table(
                store.read_table("programme_grid"),
                channels_from_table(store.read_table("channels")),
            )
            dictionary_version = dictionary.version  # a content hash: computed once per run
            matcher = Matcher(
                dictionary, window_seconds=method.window_seconds, profile=method.profile
            )
            segments_summary = RunSummary(
                context,
                "theme_segments",
                ["channel_name", "start", "programme_name", "number_of_keywords", "timing"],
                preview_first="number_of_keywords",
            )
            keywords_summary = RunSummary(
                context,
                "theme_keywords",
                ["channel_name", "keyword", "theme", "second", "counted", "excerpt"],
            )
            segments = keywords = None
            day_versions = {"dictionary_version": MetadataValue.text(dictionary_version)}
            for day in run_days(context):
                captions = only_channels(_captions(store, day), restricted)
                result = matcher.match_table(captions)
                segments = replace_channels(
                    stored_day(store, "theme_segments", day, restricted),
                    assign_programmes(grid, with_timing_flags(result.segments, captions)),
                    restricted,
                )
                keywords = replace_channels(
                    stored_day(store, "theme_keywords", day, restricted),
                    result.keywords,
                    restricted,
                )
                store.write_day("theme_segments", day, _versioned(segments, dictionary_version))
                store.write_day("theme_keywords", day, _versioned(keywords, dictionary_version))
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
            versions = {
                "dictionary_version": MetadataValue.text(dictionary_version),
                "window_seconds": MetadataValue.int(method.window_seconds),
                "profile": MetadataValue.text(method.profile),
            }
            yield MaterializeResult(
                asset_key="theme_segments",
                metadata={
                    **segments_summary.metadata("segments", "in_scope", "with_keywords"),
                    **versions,
                    "preview": preview(
                        segments.sort_by([("number_of_keywords", "descending")]),
                        ["channel_name", "start", "programme_name", "number_of_keywords", "timing"],
                    ),
                },
            )
            yield MaterializeResult(
                asset_key="theme_keywords",
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


def _captions(store, day):
    """The day's chunks with their timing flag (days ingested before the flag existed lack it)."""
    try:
        return store.read_day("raw_captions", day, [*CAPTION_COLUMNS, "timing"])
    except (pa.ArrowInvalid, LakeError):
        return store.read_day("raw_captions", day, CAPTION_COLUMNS)
