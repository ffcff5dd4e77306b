"""Reference data as stored in the lake, and back: keyword dictionary, channels, programme grid.

Daily stages read the reference tables from the lake, not from the package, so that what a run
used is exactly what the reference assets materialised (serverless runs share nothing else), and a
dictionary change reaches the figures only through a new materialisation of keyword_dictionary.
Each table carries its content-hash version in its Parquet schema metadata; the dictionary also
carries its stop phrases there, since they are part of its version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import pyarrow as pa

from observatoire.core.dictionary import KeywordDictionary, KeywordEntry, dictionaries_version
from observatoire.reference.channel_names import (
    ChannelAlias,
    ChannelNames,
    channel_names,
    default_aliases,
)
from observatoire.reference.channels import DEFAULT_LANGUAGE, Channel, channels_table
from observatoire.reference.grid import ProgrammeGrid

VERSION_KEY = b"observatoire.version"
STOP_PHRASES_KEY = b"observatoire.stop_phrases"
ALIASES_KEY = b"observatoire.channel_aliases"


def _with_metadata(table: pa.Table, metadata: dict[bytes, bytes]) -> pa.Table:
    return table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})


def table_version(table: pa.Table) -> str | None:
    """The content-hash version a reference table was written with (None if absent)."""
    value = (table.schema.metadata or {}).get(VERSION_KEY)
    return value.decode() if value is not None else None


def dictionaries_table_version(table: pa.Table) -> str:
    """The version a keyword_dictionary table stands for, the one the day files matched with it
    are stamped with (`dictionaries_version`, over every language): the version it stores, which
    reading its rows checks, else its rows'. Not `dictionary_from_table(table).version`, which for
    several languages hashes their rows merged."""
    return table_version(table) or dictionaries_version(dictionaries_from_table(table))


def dictionary_table(dictionary: KeywordDictionary) -> pa.Table:
    """The dictionary's entries, with its version and stop phrases in the schema metadata."""
    return _with_metadata(
        dictionary.to_arrow(),
        {
            VERSION_KEY: dictionary.version.encode(),
            STOP_PHRASES_KEY: json.dumps(list(dictionary.stop_phrases)).encode(),
        },
    )


def dictionaries_table(dictionaries: Mapping[str, KeywordDictionary]) -> pa.Table:
    """A country's dictionaries as one keyword_dictionary table (entries carry their language).

    One language: exactly `dictionary_table`. Several: the stop phrases are stored per
    language (a JSON object) and the version is `dictionaries_version`, over every language.
    """
    if len(dictionaries) == 1:
        return dictionary_table(next(iter(dictionaries.values())))
    table = pa.concat_tables([d.to_arrow() for d in dictionaries.values()])
    phrases = {language: list(d.stop_phrases) for language, d in dictionaries.items()}
    return _with_metadata(
        table,
        {
            VERSION_KEY: dictionaries_version(dictionaries).encode(),
            STOP_PHRASES_KEY: json.dumps(phrases, ensure_ascii=False).encode(),
        },
    )


def dictionaries_from_table(table: pa.Table) -> dict[str, KeywordDictionary]:
    """The per-language dictionaries a keyword_dictionary table was written from (same version),
    in the order the languages first appear; a table without entries is French."""
    stored = json.loads((table.schema.metadata or {}).get(STOP_PHRASES_KEY, b"[]"))
    by_language: dict[str, list[KeywordEntry]] = {}
    for entry in _entries(table):
        by_language.setdefault(entry.language, []).append(entry)
    if isinstance(stored, dict):
        for language in stored:
            by_language.setdefault(language, [])
    elif not by_language:
        by_language[DEFAULT_LANGUAGE] = []
    dictionaries = {
        language: KeywordDictionary(
            entries=tuple(entries),
            stop_phrases=tuple(stored.get(language, []) if isinstance(stored, dict) else stored),
        )
        for language, entries in by_language.items()
    }
    version = table_version(table)
    if version is not None and version != dictionaries_version(dictionaries):
        raise ValueError(
            f"keyword_dictionary table says version {version} but its rows give "
            f"{dictionaries_version(dictionaries)}"
        )
    return dictionaries


def _entries(table: pa.Table) -> tuple[KeywordEntry, ...]:
    return tuple(
        KeywordEntry(
            keyword=row["keyword"],
            theme=row["theme"],
            high_risk=bool(row["high_risk"]),
            category=row["category"] or "",
            language=row["language"] or DEFAULT_LANGUAGE,
        )
        for row in table.select(
            ["keyword", "theme", "high_risk", "category", "language"]
        ).to_pylist()
    )


def dictionary_from_table(table: pa.Table) -> KeywordDictionary:
    """Rebuild the dictionary a keyword_dictionary table was written from (same version).

    A table of several languages gives all their entries and stop phrases in one dictionary
    (to list or explain them); its version is then the table's, see `dictionaries_from_table`.
    """
    phrases = json.loads((table.schema.metadata or {}).get(STOP_PHRASES_KEY, b"[]"))
    if isinstance(phrases, dict):
        dictionaries = dictionaries_from_table(table)
        return KeywordDictionary(
            entries=tuple(e for d in dictionaries.values() for e in d.entries),
            stop_phrases=tuple(
                dict.fromkeys(p for d in dictionaries.values() for p in d.stop_phrases)
            ),
        )
    dictionary = KeywordDictionary(entries=_entries(table), stop_phrases=tuple(phrases))
    stored = table_version(table)
    if stored is not None and stored != dictionary.version:
        raise ValueError(
            f"keyword_dictionary table says version {stored} but its rows give {dictionary.version}"
        )
    return dictionary


def channels_version(channels: list[Channel]) -> str:
    """Content hash of the channel list and the packaged aliases (an alias is part of identity)."""
    return hashlib.sha256(channel_names(channels).describe().encode()).hexdigest()[:12]


def channels_reference_table(channels: list[Channel]) -> pa.Table:
    """The channels with their version and their aliases (JSON) in the schema metadata."""
    names = channel_names(channels)
    aliases = [[a.alias, a.radio, a.channel] for a in names.aliases]
    return _with_metadata(
        channels_table(channels),
        {
            VERSION_KEY: channels_version(channels).encode(),
            ALIASES_KEY: json.dumps(aliases, ensure_ascii=False).encode(),
        },
    )


def channels_from_table(table: pa.Table) -> list[Channel]:
    """The channels of a channels table; without a `language` column they speak French."""
    return [
        Channel(
            name=row["name"],
            title=row["title"],
            radio=bool(row["radio"]),
            all_news=bool(row["all_news"]),
            language=row.get("language") or DEFAULT_LANGUAGE,
        )
        for row in table.to_pylist()
    ]


def channel_names_from_table(table: pa.Table) -> ChannelNames:
    """Channel identity as the channels asset stored it; a table written before aliases existed
    gets the packaged ones."""
    raw = (table.schema.metadata or {}).get(ALIASES_KEY)
    aliases = (
        default_aliases()
        if raw is None
        else tuple(ChannelAlias(alias, radio, channel) for alias, radio, channel in json.loads(raw))
    )
    return channel_names(channels_from_table(table), aliases)


def grid_table(grid: ProgrammeGrid) -> pa.Table:
    return _with_metadata(grid.to_arrow(), {VERSION_KEY: grid.version.encode()})
