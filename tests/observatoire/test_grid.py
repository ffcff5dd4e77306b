"""Channels, programme grids, scope and time monitored (METHODOLOGY §5), DST days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest

from observatoire.intake.records import chunk_id, parse_items
from observatoire.reference.channels import CHANNELS_SCHEMA, channels_table, default_channels
from observatoire.reference.grid import GRID_HEADER, ProgrammeGrid
from observatoire.reference.monitoring import TIME_MONITORED_SCHEMA, time_monitored
from observatoire.reference.reference_csv import GridError
from observatoire.reference.scope import assign_programmes

PARIS = ZoneInfo("Europe/Paris")
HEADER = ",".join(GRID_HEADER)
REFERENCE = [
    "tf1", "france2", "fr3-idf", "m6", "arte", "bfmtv", "lci", "franceinfotv", "itele", "europe1",
    "france-culture", "france-inter", "sud-radio", "rmc", "rtl", "france24", "france-info", "rfi",
]  # fmt: skip
ALL_NEWS = {"bfmtv", "lci", "franceinfotv", "itele", "france24", "france-info", "rfi"}
SPRING_FORWARD = date(2025, 3, 30)  # 23-hour day
FALL_BACK = date(2025, 10, 26)  # 25-hour day
ORDINARY = date(2025, 6, 4)  # a Wednesday


def grid(*rows: str) -> ProgrammeGrid:
    return ProgrammeGrid.from_text("\n".join([HEADER, *rows]) + "\n", "test grid")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS).timestamp())


def chunks(channel: str, starts: list[int]) -> pa.Table:
    return pa.table(
        {
            "chunk_id": [chunk_id(channel, s) for s in starts],
            "channel_name": [channel] * len(starts),
            "start": pa.array(starts, pa.timestamp("s", tz="UTC")),
        }
    )


# ---------------------------------------------------------------------------- channels


def test_default_channels_are_the_18_reference_channels() -> None:
    channels = default_channels()
    assert [c.name for c in channels] == REFERENCE
    assert {c.name for c in channels if c.all_news} == ALL_NEWS
    radios = {c.name for c in channels if c.radio}
    expected = {"europe1", "france-culture", "france-inter", "sud-radio", "rmc", "rtl"}
    assert radios == expected | {"france-info", "rfi"}
    table = channels_table(channels)
    assert table.schema == CHANNELS_SCHEMA and table.num_rows == 18


# ---------------------------------------------------------------------------- packaged grid


def minutes_on(g: ProgrammeGrid, channel: str, day: date) -> float:
    return sum(slot.minutes for slot in g.slots_on(channel, day))


def test_default_grid_covers_every_reference_channel() -> None:
    default = ProgrammeGrid.default()
    assert set(default.channels) == set(REFERENCE)
    for name in ALL_NEWS:
        for day in (ORDINARY, date(2025, 6, 7), SPRING_FORWARD, FALL_BACK):
            assert minutes_on(default, name, day) == 17 * 60, (name, day)
            (slot,) = default.slots_on(name, day)
            assert slot.start_utc.astimezone(PARIS).hour == 6
            assert slot.end_utc.astimezone(PARIS).hour == 23
    for name in set(REFERENCE) - ALL_NEWS:
        assert 0 < minutes_on(default, name, ORDINARY) < 8 * 60, name
    assert minutes_on(default, "tf1", ORDINARY) == 90
    assert default.to_arrow().num_rows == len(default.slots)


def test_itele_carries_cnews_after_the_2017_rename() -> None:
    default = ProgrammeGrid.default()
    assert minutes_on(default, "itele", date(2017, 2, 26)) == 17 * 60
    assert minutes_on(default, "itele", date(2024, 2, 27)) == 17 * 60


def test_general_channels_have_their_news_programmes() -> None:
    default = ProgrammeGrid.default()
    names = {s.programme_name for s in default.slots_on("france2", ORDINARY)}
    assert {"Journal de 13h", "Journal de 20h"} <= names
    radio_weekday = {s.programme_type for s in default.slots_on("france-inter", ORDINARY)}
    radio_saturday = default.slots_on("france-inter", date(2025, 6, 7))
    assert "matinale" in radio_weekday and radio_saturday
    assert radio_saturday != default.slots_on("france-inter", ORDINARY)


# ---------------------------------------------------------------------------- format and version


def test_version_is_a_content_hash() -> None:
    a = grid("tf1,all,13:00,13:45,,,Journal,journal", "m6,weekdays,12:45,13:20,,,Le 12.45,journal")
    b = ProgrammeGrid.from_text(
        f"# a comment\n{HEADER}\nm6,weekdays,12:45,13:20,,,Le 12.45,journal\n"
        "\n# another\ntf1,all,13:00,13:45,,,Journal,journal\n"
    )
    c = grid("tf1,all,13:00,13:50,,,Journal,journal", "m6,weekdays,12:45,13:20,,,Le 12.45,journal")
    assert a.version == b.version  # order and comments do not matter
    assert a.version != c.version
    assert len(a.version) == 16


def test_weekday_sets_and_inclusive_validity() -> None:
    g = grid(
        'tf1,"mon,wed",13:00,13:45,2025-06-02,2025-06-04,Journal,journal',
        "m6,weekend,12:45,13:20,,,Le 12.45,journal",
        "arte,weekdays,19:45,20:05,,,Arte Journal,journal",
    )
    assert [d.day for d in _days(date(2025, 6, 1), 7) if g.slots_on("tf1", d)] == [2, 4]
    assert [d.day for d in _days(date(2025, 6, 1), 7) if g.slots_on("m6", d)] == [1, 7]
    assert [d.day for d in _days(date(2025, 6, 1), 7) if g.slots_on("arte", d)] == [2, 3, 4, 5, 6]


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("tf1,lundi,13:00,13:45,,,J,journal", "line 2 (weekdays): unknown weekday 'lundi'"),
        ("tf1,all,13h00,13:45,,,J,journal", "line 2 (start): bad time '13h00'"),
        ("tf1,all,13:00,25:00,,,J,journal", "line 2 (end): bad time '25:00'"),
        ("tf1,all,24:00,24:00,,,J,journal", "line 2 (start): bad time '24:00'"),
        ("tf1,all,13:45,13:00,,,J,journal", "line 2: end 13:00 is not after start 13:45"),
        ("tf1,all,23:00,01:00,,,J,journal", "past midnight as two rows"),
        ("tf1,all,13:00,13:00,,,J,journal", "not after start"),
        ("canal-plus,all,13:00,13:45,,,J,journal", "line 2: unknown channel 'canal-plus'"),
        ("tf1,all,13:00,13:45,2025-13-01,,J,journal", "line 2 (valid_from): bad date"),
        ("tf1,all,13:00,13:45,2025-02-01,2025-01-01,J,journal", "valid_to 2025-01-01 is before"),
        ("tf1,all,13:00,13:45,,,,journal", "line 2: empty programme_name"),
        ("tf1,all,13:00,13:45,,,J,Journal TV", "line 2: bad programme_type"),
        ("tf1,all,13:00,13:45,,J,journal", "line 2: expected 8 fields, got 7"),
    ],
)
def test_loader_errors_name_the_line(row: str, message: str) -> None:
    with pytest.raises(GridError, match=None) as error:
        grid(row)
    assert message in str(error.value)


def test_overlapping_rows_are_refused_but_disjoint_validity_is_fine() -> None:
    with pytest.raises(GridError, match="line 3: overlaps line 2 for channel 'tf1'"):
        grid("tf1,weekdays,13:00,13:45,,,J,journal", "tf1,fri,13:30,14:00,,,K,journal")
    g = grid(
        "tf1,all,13:00,13:45,,2020-12-31,J,journal",
        "tf1,all,13:00,13:40,2021-01-01,,J,journal",
        "tf1,weekdays,20:00,20:45,,,J,journal",
        "tf1,weekend,20:00,20:30,,,J,journal",
    )
    assert minutes_on(g, "tf1", date(2020, 12, 31)) == 90  # Thursday
    assert minutes_on(g, "tf1", date(2021, 1, 2)) == 70  # Saturday


def test_bad_header_and_file_errors(tmp_path: Path) -> None:
    with pytest.raises(GridError, match="line 1: header must be"):
        ProgrammeGrid.from_text("channel,days,start,end\n")
    path = tmp_path / "grid.csv"
    path.write_text(
        f"{HEADER}\ntf1,all,13:00,13:45,,,J,journal\nrtl,xyz,06:00,09:00,,,M,matinale\n"
    )
    with pytest.raises(GridError, match=r"grid\.csv line 3 \(weekdays\): unknown weekday 'xyz'"):
        ProgrammeGrid.from_csv(path)
    path.write_text(f"{HEADER}\nlocal-tv,all,13:00,13:45,,,J,journal\n")
    assert ProgrammeGrid.from_csv(path, channels=["local-tv"]).channels == ("local-tv",)


def test_a_grid_rebuilt_from_its_arrow_table_is_the_same_grid() -> None:
    default = ProgrammeGrid.default()
    rebuilt = ProgrammeGrid.from_arrow(default.to_arrow(), default_channels())
    assert rebuilt.slots == default.slots and rebuilt.version == default.version


def test_a_grid_table_is_validated_again_with_its_rows_numbered_as_csv_lines() -> None:
    table = grid("tf1,all,13:00,13:45,,,J,journal", "rtl,all,06:00,09:00,,,M,matinale").to_arrow()
    with pytest.raises(GridError, match=r"grid \(lake\) line 3: unknown channel 'rtl'"):
        ProgrammeGrid.from_arrow(table, ["tf1"], "grid (lake)")


# ---------------------------------------------------------------------------- DST days


def test_slot_spanning_the_spring_change_lasts_two_hours() -> None:
    g = grid("rtl,all,01:00,04:00,,,Nuit,journal")
    (slot,) = g.slots_on("rtl", SPRING_FORWARD)
    assert (slot.start_utc, slot.end_utc) == (utc(2025, 3, 30, 0), utc(2025, 3, 30, 2))
    assert slot.minutes == 120
    assert minutes_on(g, "rtl", ORDINARY) == 180


def test_slot_spanning_the_autumn_change_lasts_four_hours() -> None:
    g = grid("rtl,all,01:00,04:00,,,Nuit,journal")
    (slot,) = g.slots_on("rtl", FALL_BACK)
    assert (slot.start_utc, slot.end_utc) == (utc(2025, 10, 25, 23), utc(2025, 10, 26, 3))
    assert slot.minutes == 240


def test_nonexistent_and_repeated_local_times() -> None:
    g = grid("rtl,all,02:00,02:30,,,Flash,flash", "rtl,all,23:00,24:00,,,Soir,journal")
    # 02:00-02:30 does not exist on the 23-hour day: no slot
    assert [s.programme_name for s in g.slots_on("rtl", SPRING_FORWARD)] == ["Soir"]
    # and is lived twice on the 25-hour day: two intervals, 60 minutes
    repeated = [s for s in g.slots_on("rtl", FALL_BACK) if s.programme_name == "Flash"]
    assert [(s.start_utc, s.end_utc) for s in repeated] == [
        (utc(2025, 10, 26, 0), utc(2025, 10, 26, 0, 30)),
        (utc(2025, 10, 26, 1), utc(2025, 10, 26, 1, 30)),
    ]
    # 24:00 is the next local midnight
    (evening,) = [s for s in g.slots_on("rtl", FALL_BACK) if s.programme_name == "Soir"]
    assert (evening.start_utc, evening.end_utc) == (utc(2025, 10, 26, 22), utc(2025, 10, 26, 23))


# ---------------------------------------------------------------------------- assign_programmes


def test_chunk_is_in_scope_only_with_positive_overlap() -> None:
    g = grid("tf1,all,13:00,13:45,,,Journal de 13h,journal")
    starts = [
        local(ORDINARY, 12, 58),  # ends exactly at 13:00: no overlap
        local(ORDINARY, 12, 59),  # one minute inside
        local(ORDINARY, 13, 44),  # one minute inside
        local(ORDINARY, 13, 45),  # starts at the end
    ]
    out = assign_programmes(g, chunks("tf1", starts))
    assert out["in_scope"].to_pylist() == [False, True, True, False]
    assert out["programme_name"].to_pylist() == [None, "Journal de 13h", "Journal de 13h", None]
    assert out["programme_type"].to_pylist() == [None, "journal", "journal", None]
    assert out.column_names[:3] == ["chunk_id", "channel_name", "start"]


def test_chunk_takes_the_programme_it_overlaps_most() -> None:
    g = grid("rtl,all,12:00,12:31,,,A,journal", "rtl,all,12:31,13:00,,,B,flash")
    out = assign_programmes(g, chunks("rtl", [local(ORDINARY, 12, 30) + 30]))
    assert out["programme_name"].to_pylist() == ["B"]  # 30 s in A, 90 s in B
    tie = assign_programmes(g, chunks("rtl", [local(ORDINARY, 12, 30)]))
    assert tie["programme_name"].to_pylist() == ["A"]  # 60 s each: the earlier slot


def test_chunk_before_midnight_reaches_next_days_slot_and_other_channels_are_out() -> None:
    g = grid("rtl,all,00:00,01:00,,,Nuit,journal")
    late = local(ORDINARY, 23, 59)
    out = assign_programmes(g, chunks("rtl", [late]))
    assert out["in_scope"].to_pylist() == [True]
    other = assign_programmes(g, chunks("tf1", [local(ORDINARY, 0, 10)]))
    assert other["in_scope"].to_pylist() == [False]


def test_chunks_of_several_channels_and_days_each_take_their_own_channels_day() -> None:
    g = grid(
        "rtl,weekdays,12:00,13:00,,,Midi,journal",
        "rtl,weekend,12:00,13:00,,,Midi week-end,journal",
        "tf1,all,20:00,20:45,,,Le 20h,journal",
    )
    saturday = ORDINARY + timedelta(days=3)
    rows = [
        ("tf1", local(ORDINARY, 20, 10)),
        ("rtl", local(saturday, 12, 30)),
        (None, local(ORDINARY, 12, 30)),
        ("rtl", local(ORDINARY, 12, 30)),
        ("france_inter", local(ORDINARY, 12, 30)),
        ("tf1", local(saturday, 20, 44)),
        ("rtl", local(ORDINARY, 20, 10)),
    ]
    table = pa.table(
        {
            "channel_name": pa.array([channel for channel, _ in rows], pa.string()),
            "start": pa.array([start for _, start in rows], pa.timestamp("s", tz="UTC")),
        }
    )
    for split in (table, pa.concat_tables([table.slice(0, 3), table.slice(3)])):
        out = assign_programmes(g, split)
        assert out["programme_name"].to_pylist() == [
            "Le 20h", "Midi week-end", None, "Midi", None, "Le 20h", None,
        ]  # fmt: skip
        assert out["in_scope"].to_pylist() == [True, True, False, True, False, True, False]
    empty = assign_programmes(g, table.slice(0, 0))
    assert empty.num_rows == 0 and empty.schema.field("programme_name").type == pa.string()


def test_assign_programmes_on_parsed_captions_replaces_previous_columns() -> None:
    g = ProgrammeGrid.default()
    start = local(ORDINARY, 20, 10)
    items = [
        {
            "channel": {"name": "tf1", "title": "TF1", "radio": False},
            "start": start,
            "plaintext": "bonsoir",
        }
    ]
    table = parse_items(items, "t").table
    once = assign_programmes(g, table)
    twice = assign_programmes(g, once)
    assert twice.column_names == [
        *table.column_names,
        "in_scope",
        "programme_name",
        "programme_type",
    ]
    assert twice["programme_name"].to_pylist() == ["Journal de 20h"]


# ---------------------------------------------------------------------------- time_monitored


def test_time_monitored_counts_union_of_chunks_within_slots() -> None:
    g = grid(
        "tf1,all,13:00,13:45,,,Journal,journal", "bfmtv,all,06:00,23:00,,,News,continuous_news"
    )
    base = local(ORDINARY, 13, 0)
    starts = [
        base - 60,  # 12:59-13:01: one minute inside
        base + 120,  # 13:02-13:04
        base + 120,  # the same chunk again (duplicate)
        base + 180,  # 13:03-13:05 overlaps the previous one
        base + 43 * 60,  # 13:43-13:45
        local(ORDINARY, 20, 0),  # out of scope
    ]
    table = chunks("tf1", starts)
    out = time_monitored(g, table, ORDINARY, ["tf1", "bfmtv", "arte"])
    assert out.schema == TIME_MONITORED_SCHEMA
    rows = {r["channel_name"]: r for r in out.to_pylist()}
    assert rows["tf1"] == {
        "channel_name": "tf1",
        "day": ORDINARY,
        "grid_minutes": 45.0,
        "covered_minutes": 1 + 3 + 2,
        "coverage": 6 / 45,
        "chunks_received": 5,
        "chunks_in_scope": 4,
        "delivery": "complete",
        "delivery_reason": None,
    }
    assert rows["bfmtv"]["covered_minutes"] == 0 and rows["bfmtv"]["coverage"] == 0
    assert rows["bfmtv"]["grid_minutes"] == 17 * 60
    assert rows["arte"]["grid_minutes"] == 0 and rows["arte"]["coverage"] is None


def test_time_monitored_slot_edges_and_chunks_that_touch() -> None:
    """A chunk ending as a slot begins, or beginning as it ends, is out of scope; one shared
    second puts it in. Chunks that touch make one covered stretch; slots apart are measured
    apart."""
    g = grid("tf1,all,13:00,13:10,,,Midi,journal", "tf1,all,13:20,13:30,,,Midi bis,journal")
    base = local(ORDINARY, 13, 0)
    starts = [
        base - 120,  # 12:58-13:00: ends as the slot begins
        base + 10 * 60,  # 13:10-13:12: begins as the slot ends
        base + 19 * 60 + 1,  # 13:19:01-13:21:01: one minute and a second in the second slot
        base + 2 * 60,  # 13:02-13:04
        base + 4 * 60,  # 13:04-13:06, touching the previous one
        base + 8 * 60 + 59,  # 13:08:59-13:10:59: one second in the first slot
    ]
    row = time_monitored(g, chunks("tf1", starts), ORDINARY, ["tf1"]).to_pylist()[0]
    assert row["chunks_received"] == 6
    assert row["chunks_in_scope"] == 4
    assert row["grid_minutes"] == 20
    assert row["covered_minutes"] == (4 * 60 + 61 + 61) / 60


def test_time_monitored_adds_unlisted_channels_and_ignores_other_days() -> None:
    g = grid("tf1,all,13:00,13:45,,,Journal,journal")
    table = pa.concat_tables(
        [
            chunks("tf1", [local(ORDINARY, 13, 0), local(ORDINARY + timedelta(1), 13, 0)]),
            chunks("cnews", [local(ORDINARY, 9, 0)]),
        ]
    )
    rows = {r["channel_name"]: r for r in time_monitored(g, table, ORDINARY, ["tf1"]).to_pylist()}
    assert rows["tf1"]["chunks_received"] == 1 and rows["tf1"]["covered_minutes"] == 2
    assert rows["cnews"]["chunks_received"] == 1 and rows["cnews"]["coverage"] is None


@pytest.mark.parametrize(("day", "hours"), [(SPRING_FORWARD, 2), (FALL_BACK, 4), (ORDINARY, 3)])
def test_time_monitored_on_dst_days(day: date, hours: int) -> None:
    g = grid("rtl,all,01:00,04:00,,,Nuit,journal")
    first = local(day, 0, 0)
    every_two_minutes = list(range(first, local(day, 6, 0), 120))
    full = time_monitored(g, chunks("rtl", every_two_minutes), day, ["rtl"]).to_pylist()[0]
    assert full["grid_minutes"] == hours * 60
    assert full["covered_minutes"] == hours * 60 and full["coverage"] == 1
    assert full["chunks_in_scope"] == hours * 30
    # drop the first hour after 01:00 local: coverage falls by exactly 60 minutes
    start_of_slot = local(day, 1, 0)
    gap = [s for s in every_two_minutes if not start_of_slot <= s < start_of_slot + 3600]
    partial = time_monitored(g, chunks("rtl", gap), day, ["rtl"]).to_pylist()[0]
    assert partial["covered_minutes"] == hours * 60 - 60
