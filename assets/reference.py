"""Reference assets: keyword dictionary, channels and programme grid, written to the lake.

Each is versioned by a hash of its content, stored as its data version: once re-materialised with
new content, every downstream day shows as out of date (per partition, in the UI's partition
view) until it is re-matched. The hash is not a code version: a code version is fixed when the
code location loads, so an edited file would show the freshly materialised asset as "Unsynced"
until someone reloads the definitions.

The dictionary files themselves are an observable source asset, `dictionary_files`, whose data
version is the same content hash: observing it after an edit marks `keyword_dictionary` out of
date before anything is re-materialised.
"""

import pyarrow as pa
from dagster import (
    AssetKey,
    AssetsDefinition,
    DataVersion,
    MaterializeResult,
    MetadataValue,
    SourceAsset,
    asset,
    observable_source_asset,
)

from assets.country import LAKE, METHOD, CountryGraph, default_country
from assets.keys import (
    CHANNELS,
    DICTIONARY_FILES,
    KEYWORD_DICTIONARY,
    PROGRAMME_GRID,
    REFERENCE_GROUP,
    lake_table,
)
from assets.metadata import PREVIEW_ROWS, preview, table_shape
from observatoire.core.dictionary import DictionaryError
from observatoire.matching.stories import default_story_rules, method_data_version
from observatoire.reference.reference import (
    channels_reference_table,
    channels_version,
    grid_table,
)
from resources.lake import LakeResource
from resources.method import MethodResource


class ReferenceDataError(ValueError):
    """A reference file that cannot be used; raised while the code location loads."""


def check_reference_files(method: MethodResource) -> None:
    """Load the dictionary, story rules and grid once, so a broken or unreadable file stops the
    code location from loading (the UI shows this message on the location) instead of failing
    a run later or leaving an asset without a version."""
    try:
        method.dictionaries()
    except DictionaryError as error:
        raise ReferenceDataError(f"keyword dictionary refused: {error}") from None
    try:
        default_story_rules()
    except (OSError, ValueError) as error:
        raise ReferenceDataError(f"story boundaries or weather framing refused: {error}") from None
    try:
        method.grid()
    except (OSError, ValueError) as error:
        raise ReferenceDataError(f"programme grid refused: {error}") from None


def _stored(
    lake: LakeResource,
    key: AssetKey,
    table: pa.Table,
    version: str,
    metadata: dict[str, MetadataValue],
    preview_columns: list[str],
    preview_rows: int = PREVIEW_ROWS,
) -> MaterializeResult:
    """Write a reference table to the lake; its content version becomes the data version."""
    path = lake.lake().write_table(lake_table(key), table)
    return MaterializeResult(
        data_version=DataVersion(version),
        metadata={
            **metadata,
            "path": MetadataValue.path(path),
            "preview": preview(table, preview_columns, rows=preview_rows),
            **table_shape(table),
        },
    )


def build_reference_assets(
    method: MethodResource, country: CountryGraph | None = None
) -> list[AssetsDefinition | SourceAsset]:
    """The reference assets of `country` (default: the default country), read from `method`,
    the country's method resource (its profile's files)."""
    country = country or default_country()
    check_reference_files(method)
    group = country.name(REFERENCE_GROUP)
    keys = country.resource_keys(LAKE, METHOD)

    @observable_source_asset(
        key=country.key(DICTIONARY_FILES),
        group_name=group,
        description="The dictionary CSV, stop-phrase, story-boundary and weather-framing files the "
        "method reads; observing them records their content hash, and a new hash marks "
        "keyword_dictionary out of date.",
        required_resource_keys=country.resource_keys(METHOD),
    )
    def dictionary_files(context) -> DataVersion:
        method: MethodResource = country.resource(context, METHOD)
        return DataVersion(method_data_version(method.dictionary_version(), default_story_rules()))

    @asset(
        key=country.key(KEYWORD_DICTIONARY),
        group_name=group,
        deps=[country.key(DICTIONARY_FILES)],
        kinds={"parquet"},
        description="Keywords with theme, crisis, causal link and high-risk flag, plus stop "
        "phrases, story boundaries and weather framing; its version is a hash of the content.",
        required_resource_keys=keys,
    )
    def keyword_dictionary(context) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        method: MethodResource = country.resource(context, METHOD)
        dictionaries = method.dictionaries()
        version = method.dictionary_version()
        table = method.dictionary_table()
        per_theme = table.group_by("theme").aggregate([("keyword", "count")]).to_pylist()
        story_rules = default_story_rules()
        entries = [entry for d in dictionaries.values() for entry in d.entries]
        languages = (
            {
                "entries_per_language": MetadataValue.json(
                    {language: len(d) for language, d in dictionaries.items()}
                )
            }
            if len(dictionaries) > 1
            else {}
        )
        return _stored(
            lake,
            KEYWORD_DICTIONARY,
            table,
            method_data_version(version, story_rules),
            {
                "dictionary_version": MetadataValue.text(version),
                "story_rules_version": MetadataValue.text(story_rules.version),
                "story_boundaries": MetadataValue.int(len(story_rules.boundaries)),
                "entries": MetadataValue.int(len(entries)),
                "high_risk_entries": MetadataValue.int(sum(e.high_risk for e in entries)),
                "stop_phrases": MetadataValue.int(
                    sum(len(d.stop_phrases) for d in dictionaries.values())
                ),
                "entries_per_theme": MetadataValue.json(
                    {row["theme"]: row["keyword_count"] for row in per_theme}
                ),
                **languages,
            },
            ["keyword", "theme", "crisis", "high_risk", "category"],
        )

    @asset(
        key=country.key(CHANNELS),
        group_name=group,
        kinds={"parquet"},
        description="The monitored TV and radio channels (name, title, radio, all-news).",
        required_resource_keys=keys,
    )
    def channels(context) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        method: MethodResource = country.resource(context, METHOD)
        channel_list = method.channels()
        version = channels_version(channel_list)
        return _stored(
            lake,
            CHANNELS,
            channels_reference_table(channel_list),
            version,
            {
                "channels_version": MetadataValue.text(version),
                "channels": MetadataValue.int(len(channel_list)),
                "radio": MetadataValue.int(sum(c.radio for c in channel_list)),
                "all_news": MetadataValue.int(sum(c.all_news for c in channel_list)),
            },
            ["name", "title", "radio", "all_news"],
            preview_rows=20,
        )

    @asset(
        key=country.key(PROGRAMME_GRID),
        group_name=group,
        kinds={"parquet"},
        description="When each channel broadcasts the news in scope "
        f"({country.time_zone} wall-clock).",
        required_resource_keys=keys,
    )
    def programme_grid(context) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        method: MethodResource = country.resource(context, METHOD)
        grid = method.grid()
        table = grid_table(grid)
        return _stored(
            lake,
            PROGRAMME_GRID,
            table,
            grid.version,
            {
                "grid_version": MetadataValue.text(grid.version),
                "rows": MetadataValue.int(table.num_rows),
                "channels": MetadataValue.int(len(grid.channels)),
            },
            ["channel", "weekdays", "start", "end", "programme_name"],
            preview_rows=10,
        )

    return [dictionary_files, keyword_dictionary, channels, programme_grid]
