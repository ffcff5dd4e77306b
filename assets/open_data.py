"""open_data[month]: the month's daily indicators per channel, published as CSV and Parquet.

Each release goes to `<lake>/open_data/indicators_<first>_<last>/` (or a folder given in run
config) with its data dictionary (`datapackage.json`) and `SHA256SUMS`.
"""

from pathlib import Path
from typing import cast

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

from assets.country import LAKE, CountryGraph, default_country
from assets.failures import refused_as_failure
from assets.keys import CHANNEL_INDICATORS, CHANNELS, OPEN_DATA, PUBLICATION_GROUP, lake_table
from assets.lake_days import read_published_period
from assets.partitions import period_days
from observatoire.publish.open_data import build_release, write_release
from observatoire.storage.day_states import mix_note
from resources.lake import LakeResource


class OpenDataConfig(Config):
    folder: str = Field(
        default="",
        description="Local folder receiving the release (empty: open_data/ in the lake).",
    )
    allow_mixed_versions: bool = Field(
        default=False,
        description="Publish days counted with different dictionaries, windows or profiles "
        "(the data dictionary then says which days have which).",
    )


def build_open_data_asset(
    monthly: PartitionsDefinition, country: CountryGraph | None = None
) -> AssetsDefinition:
    country = country or default_country()

    @asset(
        key=country.key(OPEN_DATA),
        deps=country.keys([CHANNEL_INDICATORS, CHANNELS]),
        partitions_def=monthly,
        group_name=country.name(PUBLICATION_GROUP),
        required_resource_keys=country.resource_keys(LAKE),
        kinds={"csv", "parquet"},
        description="Public release of the month's daily indicators per channel: CSV, Parquet, "
        "a data dictionary (datapackage.json) and SHA-256 checksums.",
    )
    def open_data(context: AssetExecutionContext, config: OpenDataConfig) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        store = lake.lake()
        days = period_days(context)
        period = read_published_period(store, days, config.allow_mixed_versions, country.time_zone)
        present = period.present
        channels_table = lake_table(CHANNELS)
        channels = store.read_table(channels_table) if store.has_table(channels_table) else None
        with refused_as_failure():
            release = build_release(
                period.indicators,
                days[0],
                days[-1],
                channels=channels,
                missing_days=period.missing,
                mixed_versions=mix_note(period),
            )
        if config.folder:
            folder = str(Path(config.folder).expanduser().resolve())
            written = write_release(release, pafs.LocalFileSystem(), folder)
        else:
            written = write_release(release, store.filesystem, f"{store.root}/open_data")
        missing = [d.isoformat() for d in period.missing]
        package = release.datapackage
        return MaterializeResult(
            metadata={
                "folder": MetadataValue.path(written[0].rsplit("/", 1)[0]),
                "files": MetadataValue.json(
                    {name: release.sha256(name) for name in sorted(release.files)}
                ),
                "rows": MetadataValue.int(cast(int, package["rows"])),
                "days_published": MetadataValue.int(len(present)),
                "days_missing": MetadataValue.text(", ".join(missing) or "none"),
                "dictionary_versions": MetadataValue.text(
                    ", ".join(cast(list[str], package["dictionary_versions"]))
                ),
                "methodology_versions": MetadataValue.text(
                    ", ".join(cast(list[str], package["methodology_versions"]))
                ),
                "mixed_versions": MetadataValue.text(mix_note(period) or "no"),
            }
        )

    return open_data
