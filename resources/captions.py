"""Caption sources: where the raw_captions asset gets a broadcast day of caption chunks.

Every source is a Dagster resource implementing `fetch_day(day, channels, grid) -> CaptionFetch`;
the asset reads the programme grid from the lake (the `programme_grid` asset, the one grid every
stage uses) and turns the fetch into typed rows with `observatoire.intake.intake`, so every
source's records are parsed, de-duplicated and quarantined by the same rules. The source in use is
chosen by the `OBSERVATOIRE_CAPTION_SOURCE` setting (see definitions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
from dagster import ConfigurableResource, MetadataValue
from pydantic import Field

from observatoire.intake.day_intake import DemoDays, DemoIntakeInputs
from observatoire.intake.demo import DEMO_SOURCE
from observatoire.intake.intake import CaptionFetch
from observatoire.reference.countries import DEFAULT_COUNTRY
from observatoire.reference.grid import ProgrammeGrid
from resources.method import country_profile


class CaptionSource(ConfigurableResource):
    """Base of every caption source (demo generator, provider API, drop folder)."""

    @property
    def source_name(self) -> str:
        raise NotImplementedError

    def fetch_day(self, day: date, channels: Sequence[str], grid: ProgrammeGrid) -> CaptionFetch:
        """Every chunk of the given channels whose broadcast day (in the country's time zone)
        is `day`;
        `grid` is the lake's programme grid, for sources that fetch or generate by slot."""
        raise NotImplementedError

    def describe(self) -> dict[str, MetadataValue]:
        """Non-secret description of the source, attached to raw_captions materialisations."""
        return {}

    def worker_intake(
        self, channels: Sequence[str], channels_table: pa.Table, grid: ProgrammeGrid
    ) -> DemoIntakeInputs | None:
        """What worker processes need to ingest this source's days in parallel, or None when
        the source is fetched day after day by the run itself (network sources, drop folder)."""
        return None


class DemoCaptionSource(CaptionSource):
    """Generated captions (observatoire.intake.demo): the embedded default, no network.

    Captions are generated for the slots of the lake's programme grid, in its time zone; each
    channel of the country speaks its language (France's channels when `country` is the
    default)."""

    seed: int = Field(default=0, description="Same seed, same captions.")
    country: str = Field(default=DEFAULT_COUNTRY, description="Whose channels speak.")
    countries_root: str | None = Field(
        default=None, description="Folder of country profiles (default: the packaged ones)."
    )

    def demo_days(self, grid: ProgrammeGrid) -> DemoDays:
        """The generator over `grid`: the default country's reference channels, or another
        country's channels from its profile, each with its language."""
        if self.country == DEFAULT_COUNTRY:
            return DemoDays(self.seed, grid)
        profile = country_profile(self.country, self.countries_root)
        return DemoDays(self.seed, grid, tuple(profile.channels()))

    @property
    def source_name(self) -> str:
        return DEMO_SOURCE

    def fetch_day(self, day: date, channels: Sequence[str], grid: ProgrammeGrid) -> CaptionFetch:
        generated = self.demo_days(grid).generate(day, channels)
        return CaptionFetch(
            items=generated.items,
            source=self.source_name,
            missing=generated.missing,
            chunks=generated.chunks,
        )

    def worker_intake(
        self, channels: Sequence[str], channels_table: pa.Table, grid: ProgrammeGrid
    ) -> DemoIntakeInputs:
        return DemoIntakeInputs(self.demo_days(grid), tuple(channels), channels_table)

    def describe(self) -> dict[str, MetadataValue]:
        return {
            "caption_source": MetadataValue.text(self.source_name),
            "demo_seed": MetadataValue.int(self.seed),
        }
