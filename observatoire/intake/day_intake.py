"""One broadcast day of demo captions generated and parsed, as a pure function a worker can run.

Generating and parsing a day is most of ingestion's time; the worker returns the parsed day and
the run's own process merges it into the stored day and writes it, as for any other source.
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
from observatoire.reference.channel_names import ChannelNames
from observatoire.reference.channels import Channel, default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channel_names_from_table


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


@dataclass
class PreparedDemoIntake:
    days: DemoDays
    channels: list[str]
    names: ChannelNames


@dataclass(frozen=True)
class DayIntake:
    """A parsed day and the channels the source could not deliver."""

    day: date
    parsed: ParsedCaptions
    missing: list[tuple[str, str]]
    incomplete: list[tuple[str, str]]


def prepare_demo_intake(inputs: DemoIntakeInputs) -> PreparedDemoIntake:
    return PreparedDemoIntake(
        inputs.days, list(inputs.channels), channel_names_from_table(inputs.channels_table)
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


__all__ = [
    "DayIntake",
    "DemoDays",
    "DemoFetch",
    "DemoIntakeInputs",
    "PreparedDemoIntake",
    "demo_intake_day",
    "prepare_demo_intake",
]
