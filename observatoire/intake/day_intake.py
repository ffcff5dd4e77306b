"""One broadcast day of demo captions generated and parsed, as a pure function a worker can run.

Generating and parsing a day is most of ingestion's time; the worker returns the parsed day and
the run's own process merges it into the stored day and writes it, as for any other source. On a
run over every channel there is nothing to merge, so the worker also writes the day's files
under the step's staged names (`stage_demo_intake_day`) and the run's process only publishes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

import pyarrow as pa

from observatoire.intake.demo import DEMO_SOURCE, demo_day
from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import ParsedCaptions
from observatoire.matching.day_matching import LakeAddress
from observatoire.reference.channel_names import ChannelNames
from observatoire.reference.channels import Channel, default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import with_deliveries
from observatoire.reference.reference import channel_names_from_table
from observatoire.storage.lake import Lake
from observatoire.storage.partial_days import merge_rejected
from observatoire.storage.staged_files import StagedFile, stage_file

CAPTIONS_TABLE = "raw_captions"
REJECTED_TABLE = "raw_captions_rejected"


@dataclass(frozen=True)
class DemoDays:
    """The demo generator's days for some channels: picklable, so workers can generate them.

    `channels` are the country's channels, each speaking its language (None: France's
    reference channels); days are the grid's, in its time zone.
    """

    seed: int
    grid: ProgrammeGrid
    channels: tuple[Channel, ...] | None = None

    @property
    def zone(self) -> ZoneInfo:
        """The country's time zone, the grid's."""
        return self.grid.zone

    def generate(self, day: date, channels: Sequence[str]) -> DemoFetch:
        country = self.channels if self.channels is not None else default_channels()
        known = {channel.name: channel for channel in country}
        wanted: list[Channel] = [known[name] for name in channels if name in known]
        missing = [
            (name, "the demo generator has no such channel")
            for name in channels
            if name not in known
        ]
        generated = demo_day(day, wanted, self.grid, seed=self.seed)
        return DemoFetch(list(generated.items), generated.chunks, missing)


@dataclass
class DemoFetch:
    items: list[object]
    chunks: pa.Table | None
    missing: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class DemoIntakeInputs:
    """What a worker needs to ingest demo days: the generator, the run's channels and the
    channel identities of the run's channels reference table."""

    days: DemoDays
    channels: tuple[str, ...]
    channels_table: pa.Table
    staging: DayStaging | None = None


@dataclass(frozen=True)
class DayStaging:
    """Where a worker stages the day files it writes: the lake, and the step's owner (its run)."""

    lake: LakeAddress
    owner: str


@dataclass
class PreparedDemoIntake:
    days: DemoDays
    channels: list[str]
    names: ChannelNames
    lake: Lake | None = None
    owner: str = ""


@dataclass(frozen=True)
class DayIntake:
    """A parsed day and the channels the source could not deliver."""

    day: date
    parsed: ParsedCaptions
    missing: list[tuple[str, str]]
    incomplete: list[tuple[str, str]]


@dataclass(frozen=True)
class StagedIntake:
    """A day a worker ingested and staged: its two files, the deliveries it recorded and its
    parsing counts."""

    day: date
    captions: StagedFile
    rejected: StagedFile
    deliveries: dict[str, tuple[str, str]]
    duplicates: int
    repaired: int


def prepare_demo_intake(inputs: DemoIntakeInputs) -> PreparedDemoIntake:
    staging = inputs.staging
    return PreparedDemoIntake(
        inputs.days,
        list(inputs.channels),
        channel_names_from_table(inputs.channels_table),
        lake=staging.lake.open() if staging is not None else None,
        owner=staging.owner if staging is not None else "",
    )


def demo_intake_day(prepared: PreparedDemoIntake, day: date) -> DayIntake:
    """The day generated and parsed by the rules every source goes through."""
    fetch = prepared.days.generate(day, prepared.channels)
    parsed = captions_of_day(
        fetch.items,
        DEMO_SOURCE,
        day,
        chunks=fetch.chunks,
        channels=prepared.channels,
        names=prepared.names,
        zone=prepared.days.zone,
    )
    return DayIntake(day, parsed, fetch.missing, [])


def stage_demo_intake_day(prepared: PreparedDemoIntake, day: date) -> StagedIntake:
    """The day ingested as `demo_intake_day` does, on a run over every channel, and its
    raw_captions and raw_captions_rejected files staged as the run's process would write them:
    the channels not delivered recorded in the captions file, the quarantine replaced whole."""
    if prepared.lake is None:
        raise ValueError("stage_demo_intake_day needs DemoIntakeInputs.staging")
    got = demo_intake_day(prepared, day)
    deliveries = {
        **{channel: ("missing", reason) for channel, reason in got.missing},
        **{channel: ("incomplete", reason) for channel, reason in got.incomplete},
    }
    captions = with_deliveries(got.parsed.table, deliveries)
    rejected = merge_rejected(None, got.parsed.rejected, partial=False)
    return StagedIntake(
        day=day,
        captions=stage_file(prepared.lake, CAPTIONS_TABLE, day, captions, prepared.owner),
        rejected=stage_file(prepared.lake, REJECTED_TABLE, day, rejected, prepared.owner),
        deliveries=deliveries,
        duplicates=got.parsed.duplicates,
        repaired=got.parsed.repaired,
    )


__all__ = [
    "DayIntake",
    "DayStaging",
    "DemoDays",
    "DemoFetch",
    "DemoIntakeInputs",
    "PreparedDemoIntake",
    "StagedIntake",
    "demo_intake_day",
    "prepare_demo_intake",
    "stage_demo_intake_day",
]
