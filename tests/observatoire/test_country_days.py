"""Broadcast days and programme grids in each country's time zone (São Paulo, Brussels)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa

from observatoire.core.broadcast_day import PARIS, broadcast_day, broadcast_days
from observatoire.intake.drop_folder import DropFolder
from observatoire.intake.intake import captions_of_day
from observatoire.intake.provider_days import query_ranges
from observatoire.intake.records import parse_items
from observatoire.reference.countries import load_country
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import time_monitored
from observatoire.reference.scope import assign_programmes

TEST_COUNTRIES = Path(__file__).parent / "countries"
SAO_PAULO_DST = date(2018, 11, 4)
"""São Paulo sprang forward at 00:00 that Sunday: the day has 23 hours."""


def _epoch(year: int, month: int, day: int, hour: int, minute: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())


def _item(channel: str, start: int, text: str = "la planète se réchauffe") -> dict[str, object]:
    return {
        "channel": {"name": channel, "title": channel, "radio": False},
        "start": start,
        "plaintext": text,
    }


def _brazil():
    return load_country("br", root=TEST_COUNTRIES)


def test_a_chunk_before_and_after_sao_paulo_midnight_fall_on_two_days():
    zone = _brazil().zone
    before, after = _epoch(2024, 3, 10, 2, 59), _epoch(2024, 3, 10, 3, 1)  # 23:59 and 00:01
    assert broadcast_day(before, zone) == date(2024, 3, 9)
    assert broadcast_day(after, zone) == date(2024, 3, 10)
    # In Paris both are the morning of 10 March.
    assert broadcast_day(before) == broadcast_day(after) == date(2024, 3, 10)
    days = broadcast_days(np.array([before, after]), zone)
    assert days.tolist() == [date(2024, 3, 9), date(2024, 3, 10)]

    table = parse_items([_item("globo", before), _item("globo", after)], "t", zone=zone).table
    assert table["day"].to_pylist() == [date(2024, 3, 9), date(2024, 3, 10)]
    parsed = captions_of_day(
        [_item("globo", before), _item("globo", after)], "t", date(2024, 3, 10), zone=zone
    )
    assert parsed.table["start"].to_pylist() == [datetime.fromtimestamp(after, UTC)]
    assert parsed.rejected.num_rows == 1
    assert "chunk of broadcast day 2024-03-09" in parsed.rejected["reason"][0].as_py()


def test_sao_paulo_daylight_saving_day_chunks():
    zone = _brazil().zone
    first = _epoch(2018, 11, 4, 3)  # 01:00 local, UTC-2: the day's first instant
    assert broadcast_day(first - 60, zone) == date(2018, 11, 3)
    assert broadcast_day(first, zone) == SAO_PAULO_DST
    assert broadcast_day(_epoch(2018, 11, 5, 1, 59), zone) == SAO_PAULO_DST  # 23:59 local
    assert broadcast_day(_epoch(2018, 11, 5, 2), zone) == date(2018, 11, 5)


def test_sao_paulo_grid_slots_on_the_daylight_saving_day():
    brazil = _brazil()
    grid = brazil.grid()
    assert grid.zone == brazil.zone
    # GloboNews 06:00-23:00 local: UTC-3 on Saturday, UTC-2 from Sunday 00:00.
    assert grid.slot_bounds("globonews", date(2018, 11, 3))[0][:2] == (
        _epoch(2018, 11, 3, 9),
        _epoch(2018, 11, 4, 2),
    )
    assert grid.slot_bounds("globonews", SAO_PAULO_DST)[0][:2] == (
        _epoch(2018, 11, 4, 8),
        _epoch(2018, 11, 5, 1),
    )
    # Jornal Nacional on Monday 20:30-21:15 at UTC-2.
    assert grid.slot_bounds("globo", date(2018, 11, 5))[0][:2] == (
        _epoch(2018, 11, 5, 22, 30),
        _epoch(2018, 11, 5, 23, 15),
    )
    # The same grid read in Paris's zone would be wrong by hours.
    paris = ProgrammeGrid.from_csv(brazil.grid_file, brazil.channels())
    assert paris.zone == PARIS
    assert paris.slot_bounds("globonews", SAO_PAULO_DST) != grid.slot_bounds(
        "globonews", SAO_PAULO_DST
    )
    rebuilt = ProgrammeGrid.from_arrow(grid.to_arrow(), brazil.channels(), zone=brazil.zone)
    assert rebuilt.slot_bounds("globonews", SAO_PAULO_DST) == grid.slot_bounds(
        "globonews", SAO_PAULO_DST
    )
    assert rebuilt.version == grid.version == paris.version


def test_a_slot_inside_the_skipped_hour_is_empty():
    brazil = _brazil()
    text = (
        "channel,weekdays,start,end,valid_from,valid_to,programme_name,programme_type\n"
        "cbn,all,00:00,02:00,,,Madrugada,journal\n"
    )
    grid = ProgrammeGrid.from_text(text, "grid", brazil.channels(), brazil.zone)
    # 00:00-01:00 did not exist: only 01:00-02:00 local (03:00-04:00 UTC) is left.
    assert [b[:2] for b in grid.slot_bounds("cbn", SAO_PAULO_DST)] == [
        (_epoch(2018, 11, 4, 3), _epoch(2018, 11, 4, 4))
    ]


def _chunks(channel: str, starts: list[int]) -> pa.Table:
    return pa.table(
        {
            "chunk_id": [f"{channel}-{s}" for s in starts],
            "channel_name": [channel] * len(starts),
            "start": pa.array([s * 1_000_000 for s in starts], pa.timestamp("us", tz="UTC")),
        }
    )


def test_scope_and_time_monitored_in_the_country_zone():
    brazil = _brazil()
    grid = brazil.grid()
    starts = [_epoch(2018, 11, 4, 8, 30), _epoch(2018, 11, 3, 8, 30), _epoch(2018, 11, 5, 1, 58)]
    scoped = assign_programmes(grid, _chunks("globonews", starts))
    # 06:30 on the DST day, 05:30 the day before (before the slot), 23:58 on the DST day.
    assert scoped["in_scope"].to_pylist() == [True, False, False]
    monitored = time_monitored(grid, _chunks("globonews", starts), SAO_PAULO_DST, ["globonews"])
    row = monitored.to_pylist()[0]
    assert row["grid_minutes"] == 17 * 60
    assert row["chunks_received"] == 2  # 06:30 and 23:58 local; 05:30 the day before is not


def test_belgian_grid_on_daylight_saving_days():
    belgium = load_country("be")
    grid = belgium.grid()
    spring, autumn, summer = date(2024, 3, 31), date(2024, 10, 27), date(2024, 7, 1)
    assert grid.slot_bounds("ln24", spring)[0][:2] == (
        _epoch(2024, 3, 31, 4),
        _epoch(2024, 3, 31, 21),
    )
    assert grid.slot_bounds("ln24", autumn)[0][:2] == (
        _epoch(2024, 10, 27, 5),
        _epoch(2024, 10, 27, 22),
    )
    assert grid.slot_bounds("vrt1", summer)[1][:2] == (
        _epoch(2024, 7, 1, 17),
        _epoch(2024, 7, 1, 17, 45),
    )
    monitored = time_monitored(grid, _chunks("ln24", []), spring, ["ln24"])
    assert monitored["grid_minutes"].to_pylist() == [17 * 60]
    assert query_ranges(grid, "ln24", spring, "day", 300) == [
        (_epoch(2024, 3, 30, 23), _epoch(2024, 3, 31, 22) - 1)
    ]


def test_drop_folder_files_chunks_by_the_country_day(tmp_path):
    zone = _brazil().zone
    folder = tmp_path / "2024-03-09"
    folder.mkdir()
    late, next_day = _epoch(2024, 3, 10, 2, 59), _epoch(2024, 3, 10, 3, 1)
    lines = [json.dumps(_item("globo", late)), json.dumps(_item("globo", next_day))]
    (folder / "globo.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    read = DropFolder(str(tmp_path), zone=zone).read_day(date(2024, 3, 9))
    assert [item["start"] for item in read.items] == [late]  # type: ignore[index]
    assert len(read.pre_rejected) == 1
    assert "2024-03-10 (America/Sao_Paulo)" in read.pre_rejected[0].reason
    assert DropFolder(str(tmp_path)).naive_timezone == "Europe/Paris"
    assert DropFolder(str(tmp_path), zone=zone).naive_timezone == "America/Sao_Paulo"


def test_one_day_later_in_paris_is_the_default():
    start = _epoch(2024, 3, 9, 23, 30)
    assert broadcast_day(start) == date(2024, 3, 10)
    assert broadcast_day(start, "America/Sao_Paulo") == date(2024, 3, 9)


def test_france_time_zone_comes_from_its_profile():
    from observatoire.core.broadcast_day import PARIS_TIMEZONE

    assert PARIS_TIMEZONE == load_country().time_zone == PARIS.key


def test_evidence_names_the_country_time_zone():
    from observatoire.matching.evidence import _abbreviations

    assert _abbreviations(PARIS, date(2024, 1, 1)) == "CET in winter, CEST in summer"
    assert _abbreviations(_brazil().zone, date(2024, 1, 1)) == "-03 all year"
    assert _abbreviations(_brazil().zone, date(2018, 1, 1)) == "-03 in winter, -02 in summer"


def test_a_belgian_day_matched_from_the_stored_tables(tmp_path):
    from observatoire.intake.demo import demo_day
    from observatoire.matching.day_matching import (
        LakeAddress,
        MatchingInputs,
        match_day,
        prepare_matching,
    )
    from observatoire.matching.language_matchers import LanguageMatchers
    from observatoire.reference.reference import (
        VERSION_KEY,
        channels_reference_table,
        dictionaries_table,
        grid_table,
    )
    from observatoire.storage.lake import Lake

    belgium = load_country("be")
    day = date(2024, 3, 31)  # the 23-hour day of spring
    grid, channels = belgium.grid(), belgium.channels()
    generated = demo_day(day, channels, grid, seed=2)
    raw = captions_of_day(
        generated.items, "demo", day, chunks=generated.chunks, zone=belgium.zone
    ).table
    Lake(str(tmp_path)).write_day("raw_captions", day, raw)
    prepared = prepare_matching(
        MatchingInputs(
            lake=LakeAddress(str(tmp_path)),
            dictionary=dictionaries_table(belgium.dictionaries()),
            channels=channels_reference_table(channels),
            grid=grid_table(grid),
            window_seconds=20,
            profile="default",
            zone=belgium.zone,
        )
    )
    assert isinstance(prepared.matcher, LanguageMatchers)
    assert prepared.dictionary_version == belgium.dictionaries_version()
    matched = match_day(prepared, day)
    assert matched.segments.schema.metadata[VERSION_KEY] == belgium.dictionaries_version().encode()
    # Every generated chunk lies in its channel's slots, read in Brussels time.
    assert all(matched.segments["in_scope"].to_pylist())
    dutch = {entry.keyword for entry in belgium.dictionary("nl").entries}
    keywords = matched.keywords.select(["channel_name", "keyword"]).to_pylist()
    on_dutch_channels = [r["keyword"] for r in keywords if r["channel_name"] in {"vrt1", "vtm"}]
    assert on_dutch_channels and set(on_dutch_channels) <= dutch
