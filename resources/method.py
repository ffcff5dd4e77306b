"""The measurement method's inputs as a resource: dictionary, channels, programme grid, window.

The reference assets read the dictionary, channel list and grid from here (the country's profile
files, or for the default country files named by the settings) and write them to the lake; daily
stages then read them back from the lake, never from here, so every figure is traceable to a
materialised reference version.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
from dagster import ConfigurableResource
from pydantic import Field

from observatoire.core.dictionary import (
    KeywordDictionary,
    default_dictionary,
    dictionaries_version,
    load_dictionary_csv,
)
from observatoire.reference.channels import Channel, default_channels
from observatoire.reference.countries import DEFAULT_COUNTRY, CountryProfile, load_country
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import dictionaries_table
from observatoire.settings import Settings


class MethodResource(ConfigurableResource):
    """Keyword dictionary, programme grid and counting parameters of the measurement."""

    dictionary_csv: str | None = Field(
        default=None, description="Dictionary CSV replacing the packaged French dictionary."
    )
    stop_phrases: str | None = Field(
        default=None, description="Stop-phrase file used with dictionary_csv."
    )
    programme_grid_csv: str | None = Field(
        default=None, description="Programme grid CSV replacing the packaged grid."
    )
    window_seconds: int = Field(default=20, description="Counting window W, in seconds.")
    profile: str = Field(default="default", description="Counting profile: default or ome-2024.")
    country: str = Field(
        default=DEFAULT_COUNTRY,
        description="Country whose profile gives the channels, grid and dictionaries.",
    )
    countries_root: str | None = Field(
        default=None,
        description="Folder of country profiles (default: the packaged ones).",
    )

    @classmethod
    def from_settings(
        cls, settings: Settings, country: str = DEFAULT_COUNTRY, countries_root: Path | None = None
    ) -> MethodResource:
        """The default country's method reads the dictionary and grid files the settings name
        (or the packaged ones); any other country's reads its profile's files."""
        default = country == DEFAULT_COUNTRY
        return cls(
            dictionary_csv=settings.dictionary_csv if default else None,
            stop_phrases=settings.stop_phrases if default else None,
            programme_grid_csv=settings.programme_grid_csv if default else None,
            window_seconds=settings.window_seconds,
            profile=settings.profile,
            country=country,
            countries_root=str(countries_root) if countries_root else None,
        )

    @property
    def is_default_country(self) -> bool:
        return self.country == DEFAULT_COUNTRY

    def country_profile(self) -> CountryProfile:
        return country_profile(self.country, self.countries_root)

    def dictionary(self) -> KeywordDictionary:
        """The default country's dictionary (or the one the settings name); for a country of
        several languages, see `dictionaries`."""
        if self.dictionary_csv:
            return load_dictionary_csv(self.dictionary_csv, self.stop_phrases)
        if self.is_default_country:
            return default_dictionary()
        return next(iter(self.dictionaries().values()))

    def dictionaries(self) -> dict[str, KeywordDictionary]:
        """One dictionary per caption language of the country (the default country: its one
        dictionary, in its language)."""
        if self.dictionary_csv or self.is_default_country:
            dictionary = self.dictionary()
            languages = {entry.language for entry in dictionary.entries} or {"fr"}
            return {sorted(languages)[0]: dictionary}
        return self.country_profile().dictionaries()

    def dictionary_table(self) -> pa.Table:
        """The keyword_dictionary table: for one language exactly that dictionary's table."""
        return dictionaries_table(self.dictionaries())

    def dictionary_version(self) -> str:
        """The content hash over every language's dictionary."""
        return dictionaries_version(self.dictionaries())

    def channels(self) -> list[Channel]:
        if self.is_default_country:
            return default_channels()
        return self.country_profile().channels()

    def grid(self) -> ProgrammeGrid:
        if self.programme_grid_csv:
            return ProgrammeGrid.from_csv(self.programme_grid_csv, self.channels())
        if self.is_default_country:
            return ProgrammeGrid.default()
        return self.country_profile().grid()


def country_profile(code: str, root: str | Path | None = None) -> CountryProfile:
    """A country's profile from `root` when it holds one (tests keep extra profiles there),
    else from the packaged profiles."""
    if root is not None and (Path(root) / code).is_dir():
        return load_country(code, Path(root))
    return load_country(code)
