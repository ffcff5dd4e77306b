"""The run configuration every daily stage shares: which channels a run processes.

It is one resource, `daily_run`, configured when a run is launched, so that restricting a run to
some channels is one entry of the run config whatever stages the run selects:

    resources: {daily_run: {config: {channels: [tf1, france2]}}}

A country other than the default has its own, `<code>_daily_run` (`be_daily_run`).
"""

from __future__ import annotations

from enum import Enum

from dagster import ConfigurableResource, Failure
from pydantic import Field

from assets.country import DAILY_RUN
from assets.keys import CHANNELS, REFERENCE_TABLES, lake_table
from observatoire.reference.channels import default_channels
from observatoire.reference.reference import channels_from_table
from observatoire.storage.day_lease import StagedDays
from observatoire.storage.lake import Lake, LakeMissingError
from sensors.schedules import REFERENCE_JOB

__all__ = ["DAILY_RUN", "CountryRunConfig", "DailyRunConfig", "RunChannels", "restricted_to"]

ChannelName = Enum(  # type: ignore[misc]
    "ChannelName", {channel.name: channel.name for channel in default_channels()}, type=str
)
"""The monitored channels as a config enum, so a misspelt channel is refused when the run is
launched (the UI's launchpad underlines it) rather than after the first steps have run."""


class DailyRunConfig(ConfigurableResource):
    """Run configuration of the daily stages, shared by every stage of the run."""

    channels: list[ChannelName] = Field(
        default=[],
        description="Only these channels (empty: every channel). Other channels' rows are kept.",
    )

    def channel_names(self) -> list[str]:
        return [str(getattr(channel, "value", channel)) for channel in self.channels]

    def run_channels(self, lake: Lake | StagedDays) -> tuple[list[str], list[str] | None]:
        """(channels to process, the restriction or None) from the lake's channel list."""
        return _run_channels(lake, self.channel_names())


class CountryRunConfig(ConfigurableResource):
    """Run configuration of the daily stages of a country other than the default one: its
    channels are checked against its lake's channel list when the first stage starts."""

    channels: list[str] = Field(
        default=[],
        description="Only these channels (empty: every channel). Other channels' rows are kept.",
    )

    def channel_names(self) -> list[str]:
        return list(self.channels)

    def run_channels(self, lake: Lake | StagedDays) -> tuple[list[str], list[str] | None]:
        return _run_channels(lake, self.channel_names())


RunChannels = DailyRunConfig | CountryRunConfig
"""A country's run configuration, as a daily stage reads it."""


def _run_channels(lake: Lake | StagedDays, wanted: list[str]) -> tuple[list[str], list[str] | None]:
    try:
        stored = lake.read_table(lake_table(CHANNELS))
    except LakeMissingError as error:
        raise Failure(
            description=f"{error}: materialise the reference assets first "
            f"({', '.join(REFERENCE_TABLES)}: job {REFERENCE_JOB})"
        ) from error
    known = [channel.name for channel in channels_from_table(stored)]
    if not wanted:
        return known, None
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise Failure(
            description=f"unknown channel(s) {', '.join(unknown)} in run config; "
            f"known channels: {', '.join(known)}"
        )
    chosen = sorted(set(wanted))
    return chosen, chosen


def restricted_to(channels: list[str], resource_key: str = DAILY_RUN) -> dict[str, object]:
    """The run config restricting a run's daily stages to `channels` (`resource_key`: the
    country's run configuration, `<code>_daily_run` for a country other than the default)."""
    return {"resources": {resource_key: {"config": {"channels": list(channels)}}}}
