"""open_data[month]: the month's daily indicators per channel, published as CSV and Parquet.

Each release goes to `<lake>/open_data/indicators_<first>_<last>/` (or a folder given in run
config) with its data dictionary (`datapackage.json`) and `SHA256SUMS`.
"""

from pathlib import Path

import pyarrow.fs as pafs
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)
from pydantic import Field

from assets.periods import period_days
from observatoire.open_data import build_release, write_release
from resources.lake import LakeResource

GROUP = "publication"


class OpenDataConfig(Config):
    folder: str = Field(
        default="",
        description="Local folder receiving the release (empty: open_data/ in the lake).",
    )


def build_open_data_asset(monthly: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        deps=["channel_indicators", "channels"],
        partitions_def=monthly,
        group_name=GROUP,
        kinds={"csv", "parquet"},
        description="Public release of the month's daily indicators per channel: CSV, Parquet, "
        "a data dictionary (datapackage.json) and SHA-256 checksums.",
    )
    def open_data(
        context: AssetExecutionContext, config: OpenDataConfig, lake: LakeResource
    ) -> MaterializeResult:
        store = lake.lake()
        days = period_days(context)
        present = [d for d in days if store.has_day("channel_indicators", d)]
        if not present:
            raise ValueError(
                f"no channel_indicators between {days[0]} and {days[-1]}: materialise the "
                "daily stages for these days first"
            )
        indicators = store.read_days("channel_indicators", present)
        channels = store.read_table("channels") if store.has_table("channels") else None
        release = build_release(indicators, days[0], days[-1], channels=channels)
        if config.folder:
            folder = str(Path(config.folder).expanduser().resolve())
            written = write_release(release, pafs.LocalFileSystem(), folder)
        else:
            written = write_release(release, store.filesystem, f"{store.root}/open_data")
        missing = [d.isoformat() for d in days if d not in present]
        package = release.datapackage
        return MaterializeResult(
            metadata={
                "folder": MetadataValue.path(written[0].rsplit("/", 1)[0]),
                "files": MetadataValue.json(
                    {name: release.sha256(name) for name in sorted(release.files)}
                ),
                "rows": MetadataValue.int(int(package["rows"])),
                "days_published": MetadataValue.int(len(present)),
                "days_missing": MetadataValue.text(", ".join(missing) or "none"),
                "dictionary_versions": MetadataValue.text(
                    ", ".join(package["dictionary_versions"])
                ),
                "methodology_versions": MetadataValue.text(
                    ", ".join(package["methodology_versions"])
                ),
            }
        )

    return open_data
