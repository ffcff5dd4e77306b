"""The measurement method's inputs as a resource: dictionary, channels, programme grid, window.

The reference assets read the dictionary, channel list and grid from here (the packaged files, or
files named by the settings) and write them to the lake; daily stages then read them back from the
lake, never from here, so every figure is traceable to a materialised reference version.
"""

from __future__ import annotations

from dagster import ConfigurableResource
from pydantic import Field

from observatoire.core.dictionary import KeywordDictionary, default_dictionary, load_dictionary_csv
from observatoire.reference.channels import Channel, default_channels
from observatoire.reference.grid import ProgrammeGrid
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

    @classmethod
    def from_settings(cls, settings: Settings) -> MethodResource:
        return cls(
            dictionary_csv=settings.dictionary_csv,
            stop_phrases=settings.stop_phrases,
            programme_grid_csv=settings.programme_grid_csv,
            window_seconds=settings.window_seconds,
            profile=settings.profile,
        )

    def dictionary(self) -> KeywordDictionary:
        if self.dictionary_csv:
            return load_dictionary_csv(self.dictionary_csv, self.stop_phrases)
        return default_dictionary()

    def channels(self) -> list[Channel]:
        return default_channels()

    def grid(self) -> ProgrammeGrid:
        if self.programme_grid_csv:
            return ProgrammeGrid.from_csv(self.programme_grid_csv, self.channels())
        return ProgrammeGrid.default()
