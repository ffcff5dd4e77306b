"""Ingestion rules of METHODOLOGY §1 and §3.6: channel identity, plausibility limits, repaired
word timing, plaintext that disagrees with its word list, conflicting copies, origins."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime

import pyarrow as pa
import pytest

from observatoire.core.broadcast_day import PARIS, broadcast_day
from observatoire.intake.intake import day_elsewhere, with_timing_flags
from observatoire.intake.records import (
    MAX_PLAINTEXT_CHARS,
    MAX_WORDS,
    Origin,
    parse_items,
)
from observatoire.reference.channel_names import (
    ChannelAlias,
    ChannelNames,
    aliases_from_text,
    channel_names,
)
from observatoire.reference.channels import default_channels
from observatoire.reference.reference import (
    channel_names_from_table,
    channels_reference_table,
    channels_version,
)
from observatoire.reference.reference_csv import GridError
from tests.fakes.mediatree import fixture_items

NAMES = channel_names(default_channels())


def real(index: int = 0) -> dict:
    return copy.deepcopy(fixture_items()[index])


def renamed(record: dict, name: str, radio: bool = False) -> dict:
    record["channel"] = {"name": name, "title": name, "radio": radio}
    return record


# ------------------------------------------------------------------------- channel identity


@pytest.mark.parametrize(
    ("name", "radio", "canonical"),
    [
        ("france-2", False, "france2"),
        ("france-24", False, "france24"),
        ("france-3-idf", False, "fr3-idf"),
        ("europe-1", True, "europe1"),
        ("sud-radio-paris", True, "sud-radio"),
        ("cnews", False, "itele"),
        ("france-info", False, "franceinfotv"),
        ("france-info", True, "france-info"),
        ("france2", False, "france2"),
    ],
)
def test_spellings_of_real_exports_resolve_to_the_canonical_channel(
    name: str, radio: bool, canonical: str
) -> None:
    resolved = NAMES.resolve(name, radio)
    assert resolved is not None and resolved.name == canonical


@pytest.mark.parametrize("name", ["France2", "../../x", "france 2", "euronews", ""])
def test_other_names_are_unknown_never_guessed(name: str) -> None:
    assert NAMES.resolve(name, False) is None


def test_records_land_under_canonical_names_with_reference_titles() -> None:
    records = [
        renamed(real(0), "france-2"),
        renamed(real(1), "France2"),
        renamed(real(2), "../../x"),
    ]
    parsed = parse_items(records, "t", names=NAMES)
    assert parsed.table["channel_name"].to_pylist() == ["france2"]
    assert parsed.table["channel_title"].to_pylist() == ["France 2"]
    assert parsed.rejected["reason"].to_pylist() == [
        "unknown channel 'France2'",
        "unknown channel '../../x'",
    ]
    assert json.loads(parsed.rejected["record"][1].as_py()) == records[2]


def test_a_record_of_another_channel_than_asked_for_is_quarantined() -> None:
    records = [real(0), renamed(real(1), "tf1"), renamed(real(2), "france-2")]
    origins = [Origin(page=1, index=i, asked_for="france2") for i in range(3)]
    parsed = parse_items(records, "mediatree", names=NAMES, origins=origins)
    assert parsed.table.num_rows == 2
    rejected = parsed.rejected.to_pylist()
    assert [(r["page"], r["position"], r["reason"]) for r in rejected] == [
        (1, 1, "asked for france2, received tf1")
    ]


def test_aliases_are_reference_data_carried_by_the_channels_table() -> None:
    channels = default_channels()
    table = channels_reference_table(channels)
    names = channel_names_from_table(table)
    assert names.resolve("cnews", False).name == "itele"
    extra = aliases_from_text("alias,radio,channel\nc-news,,itele\n", "extra.csv")
    assert channel_names(channels, extra).resolve("c-news", False).name == "itele"
    assert channels_version(channels) == channels_version(list(channels))
    # An alias of a channel left out of a reduced list is dropped with it; listed, it is an error.
    assert channel_names(channels, [ChannelAlias("x", None, "nowhere")]).resolve("x") is None
    with pytest.raises(GridError, match="unknown channel"):
        ChannelNames(tuple(channels), (ChannelAlias("x", None, "nowhere"),))
    with pytest.raises(GridError, match="already a channel"):
        channel_names(channels, [ChannelAlias("tf1", None, "france2")])


# ----------------------------------------------------------------------- plausibility limits


def test_oversized_plaintext_and_word_lists_are_quarantined_with_the_measured_value() -> None:
    long_text = real(0)
    long_text["plaintext"] = "mot " * 6000
    many_words = real(1)
    many_words["srt"] = many_words["srt"] * 10
    parsed = parse_items([long_text, many_words, real(2)], "t")
    reasons = parsed.rejected["reason"].to_pylist()
    assert reasons[0] == (
        f"plaintext of 24000 characters exceeds the limit of {MAX_PLAINTEXT_CHARS} "
        "for a 2-minute chunk"
    )
    assert reasons[1] == f"srt of 3440 words exceeds the limit of {MAX_WORDS}"
    assert parsed.table.num_rows == 1


def test_a_word_list_shifted_by_200_seconds_cannot_belong_to_the_chunk() -> None:
    shifted = real(1)
    for word in shifted["srt"]:
        word["cts_in_ms"] += 200_000
    parsed = parse_items([shifted, real(0)], "t")
    (reason,) = parsed.rejected["reason"].to_pylist()
    assert "srt entry 0 is at +199.010 s from start" in reason
    assert "outside the chunk's plausible span [-10 s, +130 s]" in reason
    assert parsed.table.num_rows == 1


@pytest.mark.parametrize("start", [0, -120, 1_707_566_280_000])
def test_implausible_starts_say_so(start: int) -> None:
    record = real(0)
    record["start"] = start
    (reason,) = parse_items([record], "t").rejected["reason"].to_pylist()
    assert reason.startswith(f"start {start} is not a plausible epoch in seconds")
    assert "1970" not in reason


# ------------------------------------------------------------------------ word timing §3.6


def test_overlapping_word_times_are_repaired_flagged_and_counted_never_rejected() -> None:
    record = real(0)
    record["srt"][10]["cts_in_ms"] = record["srt"][9]["cts_in_ms"] - 50
    record["srt"][20]["cts_in_ms"] = record["srt"][19]["cts_in_ms"] - 2000
    parsed = parse_items([record, real(1)], "t")
    assert parsed.rejected.num_rows == 0
    assert parsed.repaired == 1
    rows = {row["start"].timestamp(): row for row in parsed.table.to_pylist()}
    fixed = rows[record["start"]]
    assert fixed["timing"] == "repaired"
    times = [word["cts_in_ms"] for word in fixed["srt"]]
    assert times == sorted(times)
    assert times[10] == times[9] and times[20] == times[19]
    assert rows[real(1)["start"]]["timing"] == "words"


def test_the_repaired_flag_follows_the_chunk_to_its_segment() -> None:
    captions = pa.table({"chunk_id": ["a", "b", "c"], "timing": ["repaired", "words", "none"]})
    segments = pa.table(
        {"chunk_id": ["a", "b", "c"], "timing": ["srt", "srt", "estimated"], "n": [1, 2, 3]}
    )
    flagged = with_timing_flags(segments, captions)
    assert flagged["timing"].to_pylist() == ["repaired", "srt", "estimated"]


# ------------------------------------------------------- plaintext versus word list, copies


def test_plaintext_disagreeing_with_its_word_list_is_flagged_and_the_words_are_counted() -> None:
    altered = real(2)
    altered["plaintext"] = altered["plaintext"].replace("eau", "air")
    parsed = parse_items([altered], "t")
    (row,) = parsed.table.to_pylist()
    assert row["plaintext_agrees"] is False
    assert row["plaintext"] == " ".join(word["text"] for word in altered["srt"])
    assert row["received_plaintext"] == altered["plaintext"]


def test_of_two_conflicting_copies_the_one_agreeing_with_its_words_is_kept() -> None:
    genuine = real(0)
    altered = real(0)
    altered["plaintext"] = genuine["plaintext"] + " et une phrase ajoutée plus longue"
    for order in ([genuine, altered], [altered, genuine]):
        parsed = parse_items(order, "t")
        assert parsed.table["plaintext_agrees"].to_pylist() == [True]
        assert parsed.table["received_plaintext"].to_pylist() == [None]
        (reason,) = parsed.rejected["reason"].to_pylist()
        assert reason.startswith("conflicting duplicate")
    copies = parse_items([real(0), real(0)], "t")
    assert copies.duplicates == 1 and copies.rejected.num_rows == 0


def test_flat_export_records_parse_like_provider_items() -> None:
    item = real(2)
    flat = {
        "channel_name": "france-2",
        "channel_title": "France 2",
        "channel_radio": False,
        "start": item["start"],
        "plaintext": item["plaintext"],
    }
    parsed = parse_items([flat], "t", names=NAMES)
    assert parsed.table["channel_name"].to_pylist() == ["france2"]
    assert parsed.table["day"].to_pylist() == [broadcast_day(item["start"])]
    assert parsed.table["timing"].to_pylist() == ["none"]
    assert parsed.table["day"].to_pylist()[0] == date(2024, 2, 11)


def test_the_quality_rule_lists_chunks_whose_plaintext_disagrees() -> None:
    from observatoire.quality.data_quality import plaintext_disagrees

    altered = real(2)
    altered["plaintext"] = "autre chose"
    table = parse_items([altered, real(0)], "t").table
    outcome = plaintext_disagrees(table)
    assert not outcome.passed
    assert outcome.numbers["plaintext_disagrees"] == 1
    assert outcome.offending[0]["chunk_id"] == table["chunk_id"][1].as_py()
    assert plaintext_disagrees(parse_items([real(0)], "t").table).passed


def test_day_elsewhere_names_the_day_of_a_chunk_delivered_for_another() -> None:
    midnight = int(datetime(2024, 2, 11, tzinfo=PARIS).timestamp())
    day = date(2024, 2, 10)
    assert day_elsewhere({"start": midnight - 120}, day) is None
    assert day_elsewhere({"start": midnight}, day) == date(2024, 2, 11)
    assert day_elsewhere({"start": float(midnight)}, day) == date(2024, 2, 11)
    # Not judged here: parsing rejects these with their own reason.
    for unreadable in ({"start": "x"}, {"start": True}, {"start": 5}, {}, ["start"], None):
        assert day_elsewhere(unreadable, day) is None
