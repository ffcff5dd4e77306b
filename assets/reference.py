"""Reference assets: keyword dictionary, channels and programme grid, written to the lake.

Each is versioned by a hash of its content, used both as the asset's code version (a changed
dictionary file shows the asset as changed in the UI) and as its data version (once re-materialised,
every downstream partition shows as stale until it is re-matched, which is a backfill).
"""

import pyarrow as pa
from dagster import AssetsDefinition, DataVersion, MaterializeResult, MetadataValue, asset

from assets.metadata import PREVIEW_ROWS, preview
from observatoire.reference import (
    channels_reference_table,
    channels_version,
    dictionary_table,
    grid_table,
)
from observatoire.stories import default_story_rules, method_data_version
from resources.lake import LakeResource
from resources.method import MethodResource

GROUP = "reference"


def _versions(method: MethodResource) -> dict[str, str | None]:
    """Content versions at load time; None when a file is unreadable (the run then says why)."""
    versions: dict[str, str | None] = {}
    for name, compute in (
        ("keyword_dictionary", lambda: method_data_version(method.dictionary().version)),
        ("channels", lambda: channels_version(method.channels())),
        ("programme_grid", lambda: method.grid().version),
    ):
        try:
            versions[name] = compute()
        except (OSError, ValueError):
            versions[name] = None
    return versions


def _stored(
    lake: LakeResource,
    name: str,
    table: pa.Table,
    version: str,
    metadata: dict[str, MetadataValue],
    preview_columns: list[str],
    preview_rows: int = PREVIEW_ROWS,
) -> MaterializeResult:
    """Write a reference table to the lake; its content version becomes the data version."""
    path = lake.lake().write_table(name, table)
    return MaterializeResult(
        data_version=DataVersion(version),
        metadata={
            **metadata,
            "path": MetadataValue.path(path),
            "preview": preview(table, preview_columns, rows=preview_rows),
        },
    )


def build_reference_assets(method: MethodResource) -> list[AssetsDefinition]:
    versions = _versions(method)

    @asset(
        group_name=GROUP,
        code_version=versions["keyword_dictionary"],
        kinds={"parquet"},
        description="Keywords with theme, crisis, causal link and high-risk flag, plus stop "
        "phrases, story boundaries and weather framing; its version is a hash of the content.",
    )
    def keyword_dictionary(lake: LakeResource, method: MethodResource) -> MaterializeResult:
        dictionary = method.dictionary()
        table = dictionary_table(dictionary)
        per_theme = table.group_by("theme").aggregate([("keyword", "count")]).to_pylist()
        story_rules = default_story_rules()
        return _stored(
            lake,
            "keyword_dictionary",
            table,
            method_data_version(dictionary.version, story_rules),
            {
                "dictionary_version": MetadataValue.text(dictionary.version),
                "story_rules_version": MetadataValue.text(story_rules.version),
                "story_boundaries": MetadataValue.int(len(story_rules.boundaries)),
                "entries": MetadataValue.int(len(dictionary)),
                "high_risk_entries": MetadataValue.int(
                    sum(e.high_risk for e in dictionary.entries)
                ),
                "stop_phrases": MetadataValue.int(len(dictionary.stop_phrases)),
                "entries_per_theme": MetadataValue.json(
                    {row["theme"]: row["keyword_count"] for row in per_theme}
                ),
            },
            ["keyword", "theme", "crisis", "high_risk", "category"],
        )

    @asset(
        group_name=GROUP,
        code_version=versions["channels"],
        kinds={"parquet"},
        description="The monitored TV and radio channels (name, title, radio, all-news).",
    )
    def channels(lake: LakeResource, method: MethodResource) -> MaterializeResult:
        channel_list = method.channels()
        version = channels_version(channel_list)
        return _stored(
            lake,
            "channels",
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
        group_name=GROUP,
        code_version=versions["programme_grid"],
        kinds={"parquet"},
        description="When each channel broadcasts the news in scope (Europe/Paris wall-clock).",
    )
    def programme_grid(lake: LakeResource, method: MethodResource) -> MaterializeResult:
        grid = method.grid()
        table = grid_table(grid)
        return _stored(
            lake,
            "programme_grid",
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

    return [keyword_dictionary, channels, programme_grid]
