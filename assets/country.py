"""One country's part of the asset graph: its asset keys, groups, names and resource keys.

Every country measured by a deployment gets the same graph (reference data, daily stages, checks,
jobs, schedule, drop-folder sensor) in the one code location. The default country, France, keeps
the plain names it always had (`raw_captions`, group `daily`, job `daily_stages`, resource
`lake`), so nothing of France moves; any other country's names carry its code: asset keys under a
prefix (`be/raw_captions`), groups, jobs, schedules, sensors and resource keys with a `<code>_`
prefix (`be_daily`, `be_daily_stages`, `be_lake`). Asset bodies take their resources from the
run's context under the country's resource keys, since Dagster binds a resource to an asset by
its key and two countries cannot share one key with different lakes.

Lake table names stay unprefixed: each country has its own lake (`<lake>/<code>/` for a country
other than the default), so `be/raw_captions` is stored as `<lake>/be/raw_captions/day=…`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from dagster import AssetKey

from observatoire.reference.countries import DEFAULT_COUNTRY, CountryProfile, load_country

LAKE = "lake"
CAPTIONS = "captions"
METHOD = "method"
WAREHOUSE = "warehouse"
DAILY_RUN = "daily_run"
"""The resource keys of the default country; another country's are `<code>_<key>`."""


@dataclass(frozen=True)
class CountryGraph:
    """Names of one country's assets and resources, and the time zone of its broadcast days."""

    code: str
    time_zone: str

    @classmethod
    def of(cls, profile: CountryProfile) -> CountryGraph:
        return cls(profile.code, profile.time_zone)

    @property
    def prefixed(self) -> bool:
        """The default country keeps unprefixed names; every other country is prefixed."""
        return self.code != DEFAULT_COUNTRY

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def key(self, key: AssetKey) -> AssetKey:
        return key.with_prefix(self.code) if self.prefixed else key

    def keys(self, keys: Sequence[AssetKey]) -> list[AssetKey]:
        return [self.key(key) for key in keys]

    def name(self, name: str) -> str:
        """A group, job, schedule, sensor, op or resource key name of this country."""
        return f"{self.code}_{name}" if self.prefixed else name

    def resource_keys(self, *names: str) -> set[str]:
        return {self.name(name) for name in names}

    def resource(self, context: Any, name: str) -> Any:
        """The country's resource `name` (e.g. `lake`) from a run's context."""
        return getattr(context.resources, self.name(name))


@cache
def default_country() -> CountryGraph:
    """The default country's graph names and zone, from its profile."""
    return CountryGraph.of(load_country(DEFAULT_COUNTRY))
