"""One broadcast day of matching, as a pure function a worker process can run.

The run reads the reference tables (dictionary, channels, programme grid) once and hands them to
every worker, which compiles its matcher once and then matches day after day: every day of a run
is matched against the same reference version, however many workers share the run. Reading a day
needs only the lake, so the matcher is compiled (`compile_matching`) while the first days are
read rather than before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import PARIS
from observatoire.core.dictionary import KeywordDictionary, dictionaries_version
from observatoire.intake.intake import with_timing_flags
from observatoire.matching.language_matchers import LanguageMatchers, country_matcher
from observatoire.matching.matcher import Matcher
from observatoire.matching.word_timing import word_list_columns
from observatoire.reference.channels import Channel
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import (
    VERSION_KEY,
    channels_from_table,
    dictionaries_from_table,
)
from observatoire.reference.scope import assign_programmes
from observatoire.storage.lake import Lake, LakeError
from observatoire.storage.partial_days import only_channels, replace_channels
from observatoire.storage.staged_files import StagedFile, stage_file

SEGMENTS_TABLE = "theme_segments"
KEYWORDS_TABLE = "theme_keywords"

CAPTION_COLUMNS = ["chunk_id", "channel_name", "start", "day", "plaintext", *word_list_columns()]
"""What matching needs of raw_captions: channel titles, radio flags, sources and the words'
durations stay on disk (reading the word lists whole was most of a day's reading time)."""
DICTIONARY_COLUMNS = ["srt.list.element.text"]
"""Read as stored, dictionary-encoded: word timing groups the words by value anyway, and decoding
a million words into strings to encode them again was a fifth of a day's reading and timing."""


@dataclass(frozen=True)
class LakeAddress:
    """How to open the lake in another process (credentials included: they stay in memory)."""

    url: str
    s3_endpoint: str | None = None
    s3_region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None

    def __repr__(self) -> str:
        return f"LakeAddress({self.url!r})"

    def open(self) -> Lake:
        return Lake(
            self.url,
            s3_endpoint=self.s3_endpoint,
            s3_region=self.s3_region,
            access_key=self.access_key,
            secret_key=self.secret_key,
        )


@dataclass(frozen=True)
class MatchingInputs:
    """Everything a worker needs to match days: the lake and the run's reference tables."""

    lake: LakeAddress
    dictionary: pa.Table
    channels: pa.Table
    grid: pa.Table
    window_seconds: int
    profile: str
    restricted: tuple[str, ...] | None = None
    zone: ZoneInfo = PARIS
    """The country's time zone, whose wall-clock times the grid states."""
    owner: str | None = None
    """The step's owner (its run) when workers stage the day files themselves
    (`stage_match_day`)."""


@dataclass
class PreparedMatching:
    """A worker's state: the lake, the grid and, once compiled, the matcher(s), built once per
    worker."""

    lake: Lake
    grid: ProgrammeGrid
    dictionary_version: str
    restricted: list[str] | None
    dictionaries: Mapping[str, KeywordDictionary]
    channels: list[Channel]
    window_seconds: int
    profile: str
    owner: str | None = None
    compiled: Matcher | LanguageMatchers | None = None

    @property
    def matcher(self) -> Matcher | LanguageMatchers:
        """The compiled matcher (one per language, each channel matched in its own); compiled on
        first use unless `compile_matching` compiled it ahead."""
        return compile_matching(self)


@dataclass(frozen=True)
class DayMatch:
    """The theme_segments and theme_keywords files of one day, ready to be written."""

    day: date
    segments: pa.Table
    keywords: pa.Table


def prepare_matching(inputs: MatchingInputs) -> PreparedMatching:
    """The lake, the dictionaries and the grid for the run's channels, in the country's time
    zone `zone`: what reading a day needs, and what compiling the matcher starts from."""
    dictionaries = dictionaries_from_table(inputs.dictionary)
    channels = channels_from_table(inputs.channels)
    return PreparedMatching(
        lake=inputs.lake.open(),
        grid=ProgrammeGrid.from_arrow(inputs.grid, channels, zone=inputs.zone),
        # a content hash over every language: computed once per worker
        dictionary_version=dictionaries_version(dictionaries),
        restricted=list(inputs.restricted) if inputs.restricted is not None else None,
        dictionaries=dictionaries,
        channels=channels,
        window_seconds=inputs.window_seconds,
        profile=inputs.profile,
        owner=inputs.owner,
    )


def compile_matching(prepared: PreparedMatching) -> Matcher | LanguageMatchers:
    """The prepared state's matcher, compiled once: `DayWorkers`' warm-up compiles it while the
    first day is read."""
    if prepared.compiled is None:
        prepared.compiled = country_matcher(
            prepared.dictionaries, prepared.channels, prepared.window_seconds, prepared.profile
        )
    return prepared.compiled


@dataclass(frozen=True)
class DayInputs:
    """What matching a day reads from the lake: its chunks and, when the run is restricted to
    some channels, the stored files its results are merged into."""

    day: date
    captions: pa.Table
    stored_segments: pa.Table | None
    stored_keywords: pa.Table | None


def read_day_inputs(prepared: PreparedMatching, day: date) -> DayInputs:
    """The day's chunks of the run's channels, and its stored files when the run is restricted."""
    lake, restricted = prepared.lake, prepared.restricted
    return DayInputs(
        day,
        only_channels(day_captions(lake, day), restricted),
        _stored_day(lake, SEGMENTS_TABLE, day, restricted),
        _stored_day(lake, KEYWORDS_TABLE, day, restricted),
    )


def match_day_inputs(prepared: PreparedMatching, inputs: DayInputs) -> DayMatch:
    """The day's segments and keywords as they are to be stored: the run's channels matched,
    merged into the stored day when the run is restricted to some channels, and stamped with
    the dictionary version."""
    restricted, captions = prepared.restricted, inputs.captions
    result = prepared.matcher.match_table(captions)
    segments = replace_channels(
        inputs.stored_segments,
        assign_programmes(prepared.grid, with_timing_flags(result.segments, captions)),
        restricted,
    )
    keywords = replace_channels(inputs.stored_keywords, result.keywords, restricted)
    return DayMatch(
        inputs.day,
        _versioned(segments, prepared.dictionary_version),
        _versioned(keywords, prepared.dictionary_version),
    )


def match_day(prepared: PreparedMatching, day: date) -> DayMatch:
    """The day read and matched (`read_day_inputs`, then `match_day_inputs`)."""
    return match_day_inputs(prepared, read_day_inputs(prepared, day))


@dataclass(frozen=True)
class StagedMatch:
    """A day a worker matched and staged: its two files and the counts its summary shows."""

    day: date
    segments: StagedFile
    keywords: StagedFile
    in_scope: int
    with_keywords: int
    counted: int


def stage_match_day(prepared: PreparedMatching, inputs: DayInputs) -> StagedMatch:
    """The day matched as `match_day_inputs` does, its theme_segments and theme_keywords files
    staged under the step's owner by the worker itself: the run's process only publishes them."""
    if prepared.owner is None:
        raise ValueError("stage_match_day needs MatchingInputs.owner")
    matched = match_day_inputs(prepared, inputs)
    day, segments, keywords = matched.day, matched.segments, matched.keywords
    lake, owner = prepared.lake, prepared.owner
    return StagedMatch(
        day=day,
        segments=stage_file(
            lake, SEGMENTS_TABLE, day, segments, owner, head_first="number_of_keywords"
        ),
        keywords=stage_file(lake, KEYWORDS_TABLE, day, keywords, owner),
        in_scope=int(pc.sum(segments["in_scope"]).as_py() or 0),
        with_keywords=int(pc.sum(pc.greater(segments["number_of_keywords"], 0)).as_py() or 0),
        counted=int(pc.sum(keywords["counted"]).as_py() or 0),
    )


def day_captions(lake: Lake, day: date) -> pa.Table:
    """The day's chunks with their timing flag (days ingested before the flag existed lack it)."""
    try:
        return lake.read_day(
            "raw_captions", day, [*CAPTION_COLUMNS, "timing"], as_dictionary=DICTIONARY_COLUMNS
        )
    except (pa.ArrowInvalid, LakeError):
        return lake.read_day("raw_captions", day, CAPTION_COLUMNS, as_dictionary=DICTIONARY_COLUMNS)


def _stored_day(lake: Lake, table: str, day: date, restricted: list[str] | None) -> pa.Table | None:
    if restricted is None or not lake.has_day(table, day):
        return None
    return lake.read_day(table, day)


def _versioned(table: pa.Table, dictionary_version: str) -> pa.Table:
    return table.replace_schema_metadata({VERSION_KEY: dictionary_version.encode()})


__all__ = [
    "CAPTION_COLUMNS",
    "DayInputs",
    "DayMatch",
    "LakeAddress",
    "MatchingInputs",
    "PreparedMatching",
    "StagedMatch",
    "compile_matching",
    "day_captions",
    "match_day",
    "match_day_inputs",
    "prepare_matching",
    "read_day_inputs",
    "stage_match_day",
]
