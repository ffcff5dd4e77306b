"""Matching a stored day reads only the words' texts and times, and stores the same files as
matching the day with its word lists read whole."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

import observatoire.matching.day_matching as day_matching
from observatoire.core.dictionary import default_dictionary
from observatoire.intake.demo import demo_day
from observatoire.intake.intake import captions_of_day
from observatoire.matching.day_matching import (
    LakeAddress,
    MatchingInputs,
    match_day,
    prepare_matching,
)
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channels_reference_table, dictionary_table, grid_table
from observatoire.storage.lake import Lake

DAY = date(2024, 3, 5)


def stored_hashes(root: Path, segments: pa.Table, keywords: pa.Table) -> dict[str, str]:
    lake = Lake(str(root))
    lake.write_day("theme_segments", DAY, segments)
    lake.write_day("theme_keywords", DAY, keywords)
    return {
        table: hashlib.sha256(Path(lake.day_path(table, DAY)).read_bytes()).hexdigest()
        for table in ("theme_segments", "theme_keywords")
    }


def test_the_day_matched_on_word_texts_and_times_is_stored_byte_for_byte_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    grid = ProgrammeGrid.default()
    channels = default_channels()[:4]
    generated = demo_day(DAY, channels, grid)
    lake = Lake(str(tmp_path / "lake"))
    raw = captions_of_day(generated.items, "demo", DAY, chunks=generated.chunks).table
    lake.write_day("raw_captions", DAY, raw)
    prepared = prepare_matching(
        MatchingInputs(
            lake=LakeAddress(str(tmp_path / "lake")),
            dictionary=dictionary_table(default_dictionary()),
            channels=channels_reference_table(default_channels()),
            grid=grid_table(grid),
            window_seconds=20,
            profile="default",
        )
    )

    reduced = day_matching.day_captions(lake, DAY)
    assert reduced.schema.field("srt").type.value_type.names == ["cts_in_ms", "text"]
    matched = match_day(prepared, DAY)
    whole = [c for c in day_matching.CAPTION_COLUMNS if not c.startswith("srt.")] + ["srt"]
    monkeypatch.setattr(day_matching, "CAPTION_COLUMNS", whole)
    assert (
        "duration_ms"
        in day_matching.day_captions(lake, DAY).schema.field("srt").type.value_type.names
    )
    former = match_day(prepared, DAY)

    assert matched.segments.num_rows > 0 and matched.keywords.num_rows > 0
    assert "srt" in matched.segments.column("timing").to_pylist()
    assert stored_hashes(tmp_path / "reduced", matched.segments, matched.keywords) == (
        stored_hashes(tmp_path / "whole", former.segments, former.keywords)
    )
