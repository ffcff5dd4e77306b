"""Caption sources: where the raw_captions asset gets a broadcast day of caption chunks.

Every source is a Dagster resource implementing `fetch_day(day, channels) -> CaptionFetch`; the
asset turns the fetch into typed rows with `observatoire.intake.intake`, so every source's records
are parsed, de-duplicated and quarantined by the same rules. The source in use is chosen by the
`OBSERVATOIRE_CAPTION_SOURCE` setting (see definitions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa
from dagster import ConfigurableResource, MetadataValue
from pydantic import Field, PrivateAttr

from observatoire.intake.day_intake import DemoDays, DemoIntakeInputs
from observatoire.intake.demo import DEMO_SOURCE
from observatoire.intake.records import Origin, PreRejected
from observatoire.reference.grid import ProgrammeGrid


@dataclass
class CaptionFetch:
    """What a source returned for one broadcast day.

    - `items`: provider-shaped records (the API item shape), parsed by the raw_captions asset.
    - `source`: the source's name, stored with every row and every rejected record.
    - `missing`: (channel, reason) for channels the source could not deliver that day.
    - `pre_rejected`: records unreadable before item parsing, such as a line that is not JSON,
      with where they were, the reason and their text as received.
    - `origins`: where each item came from (parallel to `items`; drop file and line, or API page
      and index, and the channel asked for), for its quarantine row.
    - `incomplete`: (channel, reason) for channels whose delivery failed part-way: the chunks
      received are kept, and the channel-day is recorded as incomplete.
    - `chunks`: chunks a source already holds as typed CAPTION_SCHEMA columns (the demo
      generator builds them column-wise); their chunk ids must not repeat those of `items`.
    """

    items: list[object]
    source: str
    missing: list[tuple[str, str]] = field(default_factory=list)
    pre_rejected: list[PreRejected] = field(default_factory=list)
    chunks: pa.Table | None = None
    origins: list[Origin] | None = None
    incomplete: list[tuple[str, str]] = field(default_factory=list)


class CaptionSource(ConfigurableResource):
    """Base of every caption source (demo generator, provider API, drop folder)."""

    @property
    def source_name(self) -> str:
        raise NotImplementedError

    def fetch_day(self, day: date, channels: Sequence[str]) -> CaptionFetch:
        """Every chunk of the given channels whose broadcast day (Europe/Paris) is `day`."""
        raise NotImplementedError

    def describe(self) -> dict[str, MetadataValue]:
        """Non-secret description of the source, attached to raw_captions materialisations."""
        return {}

    def worker_intake(
        self, channels: Sequence[str], channels_table: pa.Table
    ) -> DemoIntakeInputs | None:
        """What worker processes need to ingest this source's days in parallel, or None when
        the source is fetched day after day by the run itself (network sources, drop folder)."""
        return None


class DemoCaptionSource(CaptionSource):
    """Generated French captions (observatoire.intake.demo): the embedded default, no network."""

    seed: int = Field(default=0, description="Same seed, same captions.")
    programme_grid_csv: str | None = Field(
        default=None,
        description="Programme grid whose slots get captions (default: the packaged grid).",
    )

    _grid: ProgrammeGrid | None = PrivateAttr(default=None)

    @property
    def source_name(self) -> str:
        return DEMO_SOURCE

    def grid(self) -> ProgrammeGrid:
        if self._grid is None:
            self._grid = ProgrammeGrid.from_csv_or_default(self.programme_grid_csv)
        return self._grid

    def fetch_day(self, day: date, channels: Sequence[str]) -> CaptionFetch:
        generated = DemoDays(self.seed, self.grid()).generate(day, channels)
        return CaptionFetch(
            items=generated.items,
            source=self.source_name,
            missing=generated.missing,
            chunks=generated.chunks,
        )

    def worker_intake(self, channels: Sequence[str], channels_table: pa.Table) -> DemoIntakeInputs:
        return DemoIntakeInputs(DemoDays(self.seed, self.grid()), tuple(channels), channels_table)

    def describe(self) -> dict[str, MetadataValue]:
        return {
            "caption_source": MetadataValue.text(self.source_name),
            "demo_seed": MetadataValue.int(self.seed),
        }
