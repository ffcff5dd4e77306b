"""Daily indicators and rollups (METHODOLOGY §6): minutes, shares, ratios of sums."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from observatoire import METHODOLOGY_VERSION
from observatoire.core.broadcast_day import broadcast_day
from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.intake.records import chunk_id, parse_items
from observatoire.matching.matcher import COUNTER_COLUMNS, SEGMENT_SCHEMA, Matcher
from observatoire.publish.indicators import (
    INDICATOR_SCHEMA,
    MINUTE_COLUMNS,
    SHARE_COLUMNS,
    channel_indicators,
    rollup,
)
from observatoire.reference.channels import Channel
from observatoire.reference.grid import GRID_HEADER, ProgrammeGrid
from observatoire.reference.monitoring import time_monitored
from observatoire.reference.scope import assign_programmes

DAY = date(2025, 6, 4)
NEXT = date(2025, 6, 5)
W = 20


def instant(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour - 2, minute, tzinfo=UTC)  # CEST


def segment(channel: str, start: datetime, in_scope: bool = True, **counts: int) -> dict:
    """A SEGMENT_SCHEMA row plus in_scope; counts are given by column suffix."""
    row: dict = {
        "chunk_id": chunk_id(channel, int(start.timestamp())),
        "channel_name": channel,
        "start": start,
        "day": broadcast_day(int(start.timestamp())),
        "timing": "srt",
        "window_seconds": W,
        "number_of_windows": 120 // W,
        **dict.fromkeys(COUNTER_COLUMNS, 0),
        "in_scope": in_scope,
    }
    for suffix, value in counts.items():
        column = "number_of_keywords" + ("" if suffix == "total" else "_" + suffix)
        assert column in COUNTER_COLUMNS, column
        row[column] = value
    return row


def segments(*rows: dict) -> pa.Table:
    schema = SEGMENT_SCHEMA.append(pa.field("in_scope", pa.bool_()))
    return pa.Table.from_pylist(list(rows), schema=schema)


def monitored(*rows: tuple[str, date, float, float]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "channel_name": channel,
                "day": day,
                "grid_minutes": grid,
                "covered_minutes": covered,
                "coverage": covered / grid if grid else None,
                "chunks_received": int(covered // 2),
                "chunks_in_scope": int(covered // 2),
            }
            for channel, day, grid, covered in rows
        ]
    )


def by_channel(table: pa.Table) -> dict[tuple[str, date], dict]:
    return {(r["channel_name"], r["day"]): r for r in table.to_pylist()}


# ---------------------------------------------------------------------------- channel_indicators


def test_env_minutes_are_windows_times_window_length() -> None:
    segs = segments(
        segment("tf1", instant(DAY, 13, 0), total=3, no_hrfp=2, climat=3, climat_no_hrfp=2,
                constat=2, solutions=1, changement_climatique_constat=2,
                attenuation_climatique_solutions=1),
        segment("tf1", instant(DAY, 13, 2), total=6, no_hrfp=6, ressources=6,
                ressources_no_hrfp=6, theme_ressources=4, ressources_solutions=2, constat=4,
                solutions=2),
        segment("tf1", instant(DAY, 13, 4)),  # quiet chunk
    )  # fmt: skip
    out = channel_indicators(segs, monitored(("tf1", DAY, 45.0, 6.0)), W, "dict-v1")
    assert out.schema == INDICATOR_SCHEMA
    (row,) = out.to_pylist()
    assert row["env_minutes"] == pytest.approx(9 * W / 60)  # 3 minutes
    assert row["env_minutes_no_hrfp"] == pytest.approx(8 * W / 60)
    assert row["env_minutes_climat"] == pytest.approx(1.0)
    assert row["env_minutes_climat_no_hrfp"] == pytest.approx(2 * W / 60)
    assert row["env_minutes_ressources"] == pytest.approx(2.0)
    assert row["env_minutes_theme_ressources"] == pytest.approx(4 * W / 60)
    assert row["env_minutes_ressources_solutions"] == pytest.approx(2 * W / 60)
    assert row["env_minutes_constat"] == pytest.approx(6 * W / 60)
    assert row["env_minutes_solutions"] == pytest.approx(3 * W / 60)
    assert row["env_minutes_biodiversite"] == 0
    # the quiet chunk's minutes are in the denominator: 3 env minutes over 6 covered
    assert row["share"] == pytest.approx(0.5)
    assert row["share_ressources"] == pytest.approx(2 / 6)
    assert row["share_climat"] == pytest.approx(1 / 6)
    assert (row["grid_minutes"], row["covered_minutes"], row["coverage"]) == (45, 6, 6 / 45)
    assert row["dictionary_version"] == "dict-v1"
    assert row["methodology_version"] == METHODOLOGY_VERSION
    assert row["window_seconds"] == W


def test_resources_share_includes_resources_solutions() -> None:
    segs = segments(
        segment("rtl", instant(DAY, 7), total=1, ressources=1, ressources_solutions=1, solutions=1)
    )
    (row,) = channel_indicators(segs, monitored(("rtl", DAY, 180.0, 2.0)), W, "d").to_pylist()
    assert row["env_minutes_ressources"] == pytest.approx(W / 60)
    assert row["share_ressources"] == pytest.approx(W / 60 / 2)


def test_quiet_day_share_uses_every_covered_minute() -> None:
    """One keyword window in a 60-chunk day: share is 1/3 min over 120 min, not over 2 min."""
    rows = [segment("tf1", instant(DAY, 13, 0), total=1, climat=1)]
    rows += [segment("tf1", instant(DAY, 13) + timedelta(minutes=2 * i)) for i in range(1, 60)]
    out = channel_indicators(segments(*rows), monitored(("tf1", DAY, 120.0, 120.0)), W, "d")
    (row,) = out.to_pylist()
    assert row["share"] == pytest.approx((W / 60) / 120)


def test_out_of_scope_and_repeated_chunks_do_not_count() -> None:
    chunk = segment("tf1", instant(DAY, 13, 0), total=2)
    segs = segments(
        chunk,
        chunk,  # the same chunk_id twice
        segment("tf1", instant(DAY, 18, 0), in_scope=False, total=5),
    )
    (row,) = channel_indicators(segs, monitored(("tf1", DAY, 45.0, 2.0)), W, "d").to_pylist()
    assert row["env_minutes"] == pytest.approx(2 * W / 60)


def test_window_length_scales_minutes_and_must_match_segments() -> None:
    rows = [segment("tf1", instant(DAY, 13, 0), total=2)]
    for row in rows:
        row["window_seconds"] = 15
    (out,) = channel_indicators(
        segments(*rows), monitored(("tf1", DAY, 45.0, 2.0)), 15, "d"
    ).to_pylist()
    assert out["env_minutes"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="window_seconds"):
        channel_indicators(segments(*rows), monitored(("tf1", DAY, 45.0, 2.0)), 20, "d")


def test_channels_with_grid_but_no_chunk_appear_with_zero_covered() -> None:
    segs = segments(segment("tf1", instant(DAY, 13), total=1))
    tm = monitored(("tf1", DAY, 45.0, 2.0), ("arte", DAY, 20.0, 0.0), ("m6", DAY, 0.0, 0.0))
    out = by_channel(channel_indicators(segs, tm, W, "d"))
    assert out[("arte", DAY)]["covered_minutes"] == 0
    assert out[("arte", DAY)]["env_minutes"] == 0
    assert out[("arte", DAY)]["share"] is None
    assert out[("arte", DAY)]["coverage"] == 0
    assert out[("m6", DAY)]["coverage"] is None
    assert [k[0] for k in out] == ["arte", "m6", "tf1"]  # sorted by day then channel


def test_segments_need_scope() -> None:
    segs = segments(segment("tf1", instant(DAY, 13))).drop_columns(["in_scope"])
    with pytest.raises(ValueError, match="in_scope"):
        channel_indicators(segs, monitored(("tf1", DAY, 45.0, 2.0)), W, "d")


# ---------------------------------------------------------------------------- rollup


def indicator_rows() -> pa.Table:
    """tf1 (TV) and rtl (radio) on two days with very different covered minutes."""
    segs = segments(
        segment("tf1", instant(DAY, 13), total=6),  # 2 env minutes over 10 covered
        segment("tf1", instant(NEXT, 13), total=3),  # 1 env minute over 90 covered
        segment("rtl", instant(DAY, 7), total=3),  # 1 env minute over 100 covered
    )
    tm = monitored(
        ("tf1", DAY, 90.0, 10.0),
        ("tf1", NEXT, 90.0, 90.0),
        ("rtl", DAY, 180.0, 100.0),
        ("rtl", NEXT, 180.0, 0.0),
    )
    return channel_indicators(segs, tm, W, "d")


def test_rollup_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    table = indicator_rows()
    tf1 = rollup(table, "channel_name").set_index("channel_name").loc["tf1"]
    assert tf1["env_minutes"] == pytest.approx(3.0)
    assert tf1["covered_minutes"] == pytest.approx(100.0)
    assert tf1["share"] == pytest.approx(3 / 100)
    daily = [r["share"] for r in table.to_pylist() if r["channel_name"] == "tf1"]
    mean_of_ratios = sum(daily) / len(daily)  # (0.2 + 1/90) / 2 ≈ 0.106
    assert mean_of_ratios == pytest.approx((0.2 + 1 / 90) / 2)
    assert abs(tf1["share"] - mean_of_ratios) > 0.07
    assert tf1["days"] == 2 and tf1["coverage"] == pytest.approx(100 / 180)


def test_rollup_by_channel_group_and_period() -> None:
    table = indicator_rows()
    kinds = rollup(table, "radio").set_index("radio")
    assert kinds.loc[True, "share"] == pytest.approx(1 / 100)
    assert kinds.loc[False, "share"] == pytest.approx(3 / 100)
    total = rollup(table, None)
    assert len(total) == 1 and total.loc[0, "share"] == pytest.approx(4 / 200)
    assert total.loc[0, "period"] is None
    assert total.loc[0, "first_day"] == DAY and total.loc[0, "last_day"] == NEXT
    per_day = rollup(table, None, period="day").set_index("period")
    assert per_day.loc[DAY, "share"] == pytest.approx(3 / 110)
    assert per_day.loc[NEXT, "share"] == pytest.approx(1 / 90)
    for period, first in (("week", date(2025, 6, 2)), ("month", date(2025, 6, 1)),
                          ("year", date(2025, 1, 1))):  # fmt: skip
        (row,) = (
            rollup(table, "channel_name", period=period)
            .query("channel_name == 'tf1'")
            .to_dict("records")
        )
        assert row["period"] == first and row["share"] == pytest.approx(0.03)
    assert set(SHARE_COLUMNS) <= set(total.columns) and set(MINUTE_COLUMNS) <= set(total.columns)
    assert total.loc[0, "dictionary_version"] == "d"


def test_rollup_of_a_group_with_no_covered_minutes_is_null() -> None:
    table = indicator_rows().filter(pa.compute.equal(indicator_rows()["channel_name"], "rtl"))
    per_day = rollup(table, "channel_name", period="day").set_index("period")
    assert pd.isna(per_day.loc[NEXT, "share"])  # 0 covered minutes


def test_rollup_errors() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        rollup(indicator_rows(), "channel_name", period="fortnight")
    with pytest.raises(ValueError, match="cannot group by"):
        rollup(indicator_rows(), "colour")
    with pytest.raises(ValueError, match="missing from the channel list"):
        rollup(indicator_rows(), "radio", channels=[Channel("tf1", "TF1", False, False)])


# ---------------------------------------------------------------------------- through the matcher


def test_records_grid_matcher_and_indicators_together() -> None:
    dictionary = KeywordDictionary(
        entries=(
            KeywordEntry("réchauffement climatique", "changement_climatique_constat"),
            KeywordEntry("biodiversité", "biodiversite_concepts_generaux"),
        )
    )
    grid = ProgrammeGrid.from_text(
        ",".join(GRID_HEADER) + "\ntf1,all,13:00,13:45,,,Journal de 13h,journal\n"
    )
    words = ["le", "réchauffement", "climatique"] + ["mot"] * 30 + ["la", "biodiversité"]
    start = int(instant(DAY, 13, 0).timestamp())

    def item(at: int, text: list[str]) -> dict:
        return {
            "channel": {"name": "tf1", "title": "TF1", "radio": False},
            "start": at,
            "plaintext": " ".join(text),
            "srt": [
                {"cts_in_ms": at * 1000 + 1000 * i, "duration_ms": 400, "text": w}
                for i, w in enumerate(text)
            ],
        }

    items = [item(start, words), item(start + 120, ["rien", "ici"]), item(start - 3600, words)]
    captions = parse_items(items, "t").table
    segs = assign_programmes(
        grid, Matcher(dictionary, window_seconds=W).match_table(captions).segments
    )
    tm = time_monitored(grid, captions, DAY, ["tf1"])
    (row,) = channel_indicators(segs, tm, W, dictionary.version).to_pylist()
    # windows 0 (second 1) and 1 (second 34) in the in-scope chunk; the 12:00 chunk is out
    assert row["env_minutes"] == pytest.approx(2 * W / 60)
    assert row["env_minutes_climat"] == pytest.approx(W / 60)
    assert row["env_minutes_biodiversite"] == pytest.approx(W / 60)
    assert row["covered_minutes"] == 4 and row["grid_minutes"] == 45
    assert row["share"] == pytest.approx(2 * W / 60 / 4)
