"""Country profiles: a monitored country is configuration and data, not a fork of the code.

A profile is `observatoire/data/countries/<code>/profile.toml`: the country's name, time zone,
caption languages, caption source kind, and the files of its channels, programme grid, and one
keyword dictionary and one stop-phrase list per language. Paths are relative to the profile's
folder, so France's profile points at the files the package has always shipped and France's
figures stay what they were.

Loading is strict and eager: every referenced file is read and validated with the loader the
pipeline uses, and any mistake is refused with the profile file and the field named, because a
country that loads half-configured would publish figures measured with the wrong dictionary.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from observatoire.core.broadcast_day import day_bounds
from observatoire.core.dictionary import (
    DictionaryError,
    KeywordDictionary,
    dictionaries_version,
    load_dictionary_csv,
)
from observatoire.core.languages import LANGUAGES, check_compound_head
from observatoire.reference.channels import Channel, channels_from_text
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference_csv import GridError

PROFILE_FILE: Final = "profile.toml"
DEFAULT_COUNTRY: Final = "fr"
CAPTION_SOURCE_KINDS: Final = ("demo", "mediatree", "files")
"""The caption sources the pipeline can read (OBSERVATOIRE_CAPTION_SOURCE)."""
_CODE: Final = re.compile(r"^[a-z]{2}$")
_REQUIRED: Final = {
    "code": str,
    "name": str,
    "time_zone": str,
    "languages": list,
    "caption_source": str,
    "channels": str,
    "programme_grid": str,
    "dictionaries": dict,
    "stop_phrases": dict,
}


class CountryError(ValueError):
    """A country profile that cannot be used, with its file and field named."""


@dataclass(frozen=True)
class CountryProfile:
    """A validated country profile; file paths are absolute."""

    code: str
    name: str
    time_zone: str
    languages: tuple[str, ...]
    caption_source: str
    channels_file: Path
    grid_file: Path
    dictionary_files: Mapping[str, Path] = field(hash=False)
    stop_phrase_files: Mapping[str, Path] = field(hash=False)
    profile_file: Path = field(compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def channels(self) -> list[Channel]:
        """The country's channels, each speaking one of its languages (the first by default)."""
        return channels_from_text(
            self.channels_file.read_text(encoding="utf-8"),
            str(self.channels_file),
            self.languages,
        )

    def grid(self) -> ProgrammeGrid:
        """The programme grid, its channels checked against the country's channel list, its
        wall-clock times read in the country's time zone."""
        return ProgrammeGrid.from_csv(self.grid_file, self.channels(), self.zone)

    def dictionary(self, language: str) -> KeywordDictionary:
        """The keyword dictionary and stop phrases of one of the country's languages."""
        if language not in self.dictionary_files:
            raise CountryError(
                f"{self.profile_file}: country {self.code!r} has no language {language!r} "
                f"(languages: {', '.join(self.languages)})"
            )
        return load_dictionary_csv(
            self.dictionary_files[language], self.stop_phrase_files[language]
        )

    def dictionaries(self) -> dict[str, KeywordDictionary]:
        """One dictionary per caption language, in the profile's order of languages."""
        return {language: self.dictionary(language) for language in self.languages}

    def dictionaries_version(self) -> str:
        """The content hash over every language's dictionary (France's: its dictionary's)."""
        return dictionaries_version(self.dictionaries())

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """UTC bounds of a broadcast day in the country's time zone (see `day_bounds`)."""
        return day_bounds(day, self.zone)


# --------------------------------------------------------------------------------------------
# Loading


def countries_root() -> Path:
    """The packaged profiles folder, observatoire/data/countries."""
    return Path(str(resources.files("observatoire").joinpath("data", "countries")))


def available_countries(root: Path | None = None) -> tuple[str, ...]:
    """Codes of the folders of `root` (default: the packaged profiles) that hold a profile."""
    root = root or countries_root()
    if not root.is_dir():
        return ()
    return tuple(
        sorted(p.name for p in root.iterdir() if p.is_dir() and (p / PROFILE_FILE).is_file())
    )


def load_country(code: str = DEFAULT_COUNTRY, root: Path | None = None) -> CountryProfile:
    """Load and validate `<root>/<code>/profile.toml` and every file it names."""
    root = root or countries_root()
    path = root / code / PROFILE_FILE
    if not path.is_file():
        known = ", ".join(available_countries(root)) or "none"
        raise CountryError(f"{path}: no profile for country {code!r} (available: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CountryError(f"{path}: not a valid TOML profile: {error}") from None
    return _validated(data, path, code)


_Fail = Callable[[str, str], CountryError]


def _validated(data: dict[str, Any], path: Path, code: str) -> CountryProfile:
    def fail(field_name: str, message: str) -> CountryError:
        return CountryError(f"{path}: field {field_name!r}: {message}")

    def file(field_name: str, value: Any) -> Path:
        return _profile_file(path, field_name, value, fail)

    _check_fields(data, fail)
    _check_code(data["code"], code, fail)
    _check_time_zone(data["time_zone"], fail)
    _check_caption_source(data["caption_source"], fail)
    languages = data["languages"]
    _check_languages(languages, fail)
    per_language = {
        table: _per_language_files(data[table], table, languages, file, fail)
        for table in ("dictionaries", "stop_phrases")
    }
    profile = CountryProfile(
        code=code,
        name=data["name"],
        time_zone=data["time_zone"],
        languages=tuple(languages),
        caption_source=data["caption_source"],
        channels_file=file("channels", data["channels"]),
        grid_file=file("programme_grid", data["programme_grid"]),
        dictionary_files=per_language["dictionaries"],
        stop_phrase_files=per_language["stop_phrases"],
        profile_file=path,
    )
    try:
        profile.grid()  # reads the channels too, and checks the grid's channels against them
    except (GridError, OSError) as error:
        raise fail("channels / programme_grid", str(error)) from None
    for language in languages:
        _check_dictionary(profile, language, fail)
    return profile


def _check_fields(data: dict[str, Any], fail: _Fail) -> None:
    """Exactly the known fields, each of its type: a typo must not pass for a missing field."""
    unknown = sorted(set(data) - set(_REQUIRED))
    if unknown:
        raise fail(unknown[0], f"unknown field (known: {', '.join(_REQUIRED)})")
    for name, kind in _REQUIRED.items():
        if name not in data:
            raise fail(name, "missing")
        if not isinstance(data[name], kind):
            raise fail(name, f"must be a {kind.__name__}, got {type(data[name]).__name__}")


def _check_code(value: str, code: str, fail: _Fail) -> None:
    if not _CODE.match(value) or value != code:
        raise fail("code", f"must be the folder name {code!r} (two lowercase letters)")


def _check_time_zone(time_zone: str, fail: _Fail) -> None:
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise fail(
            "time_zone", f"unknown time zone {time_zone!r} (an IANA name: 'Europe/Brussels')"
        ) from None


def _check_caption_source(kind: str, fail: _Fail) -> None:
    if kind not in CAPTION_SOURCE_KINDS:
        raise fail(
            "caption_source",
            f"unknown kind {kind!r} (known: {', '.join(CAPTION_SOURCE_KINDS)})",
        )


def _check_languages(languages: list[Any], fail: _Fail) -> None:
    if not languages:
        raise fail("languages", "at least one caption language is needed")
    for language in languages:
        if language not in LANGUAGES:
            known = ", ".join(LANGUAGES)
            raise fail("languages", f"unknown language {language!r} (known: {known})")
    if len(set(languages)) != len(languages):
        raise fail("languages", "a language is listed twice")


def _per_language_files(
    table: dict[str, Any],
    table_name: str,
    languages: list[str],
    file: Callable[[str, Any], Path],
    fail: _Fail,
) -> dict[str, Path]:
    """One file per caption language, no more and no less: each language is measured."""
    files: dict[str, Path] = {}
    for language, value in table.items():
        if language not in languages:
            raise fail(f"{table_name}.{language}", f"language {language!r} is not in languages")
        files[language] = file(f"{table_name}.{language}", value)
    for language in languages:
        if language not in files:
            raise fail(
                table_name, f"language {language!r} has no file; add {table_name}.{language}"
            )
    return files


def _profile_file(path: Path, field_name: str, value: Any, fail: _Fail) -> Path:
    """A file named relative to the profile's folder, resolved, and present."""
    if not isinstance(value, str) or not value:
        raise fail(field_name, "must be a file name relative to the profile's folder")
    resolved = (path.parent / value).resolve()
    if not resolved.is_file():
        raise fail(field_name, f"file {value!r} not found (looked for {resolved})")
    return resolved


def _check_dictionary(profile: CountryProfile, language: str, fail: _Fail) -> None:
    """The dictionary loads, every entry is in its language, and compound heads are allowed."""
    try:
        dictionary = profile.dictionary(language)
    except DictionaryError as error:
        raise fail(f"dictionaries.{language}", str(error)) from None
    where = profile.dictionary_files[language]
    for entry in dictionary.entries:
        if entry.language != language:
            raise fail(
                f"dictionaries.{language}",
                f"{where}: keyword {entry.keyword!r} is marked language {entry.language!r}",
            )
        try:
            check_compound_head(entry.keyword, language)
        except ValueError as error:
            raise fail(f"dictionaries.{language}", f"{where}: {error}") from None
