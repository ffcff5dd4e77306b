"""Caption records (METHODOLOGY §1): parsing, identity, broadcast day, rejects and duplicates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from observatoire.core.broadcast_day import broadcast_day
from observatoire.intake.records import (
    RAW_CAPTIONS_SCHEMA,
    REJECT_SCHEMA,
    chunk_id,
    parse_items,
    rejected_rows,
)

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
FIXTURE = CORPORA / "fixtures" / "mediatree_light.json"

START = 1_718_000_040  # 2024-06-10T06:14:00Z, 08:14 in Paris


def item(
    name: str = "france2",
    start: object = START,
    words: tuple[str, ...] = ("le", "climat", "change"),
    **overrides: object,
) -> dict:
    """A valid provider item whose srt words are 1 s apart from start."""
    record: dict = {
        "channel": {"name": name, "title": name.upper(), "radio": False},
        "start": start,
        "plaintext": " ".join(words),
        "srt": [
            {"cts_in_ms": int(start) * 1000 + 1000 * i, "duration_ms": 500, "text": word}
            for i, word in enumerate(words)
        ]
        if isinstance(start, int)
        else [],
    }
    record.update(overrides)
    return record


# ---------------------------------------------------------------------------- real fixture


@pytest.fixture(scope="module")
def fixture_items() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))["data"]


def test_real_fixture_parses_every_record(fixture_items: list[dict]) -> None:
    parsed = parse_items(fixture_items, "mediatree_light")
    table = parsed.table
    assert table.schema == RAW_CAPTIONS_SCHEMA
    assert parsed.rejected.num_rows == 0
    assert parsed.duplicates == 0
    # sorted by channel then start, whereas the file is not in time order
    assert table["start"].to_pylist() == [
        datetime(2024, 2, 10, 11, 58, tzinfo=UTC),
        datetime(2024, 2, 11, 4, 58, tzinfo=UTC),
        datetime(2024, 2, 11, 6, 32, tzinfo=UTC),
    ]
    assert table["day"].to_pylist() == [date(2024, 2, 10), date(2024, 2, 11), date(2024, 2, 11)]
    assert [len(words) for words in table["srt"].to_pylist()] == [350, 101, 344]
    assert table["chunk_id"].to_pylist() == [
        chunk_id("france2", 1707566280),
        chunk_id("france2", 1707627480),
        chunk_id("france2", 1707633120),
    ]
    assert set(table["channel_title"].to_pylist()) == {"France 2"}
    assert table["channel_radio"].to_pylist() == [False] * 3
    assert table["source"].to_pylist() == ["mediatree_light"] * 3
    first = table.slice(0, 1).to_pylist()[0]
    original = fixture_items[0]
    assert first["plaintext"] == original["plaintext"]
    assert first["srt"][0] == original["srt"][0]
    # real word lists start a second or so before start: accepted as is
    assert first["srt"][0]["cts_in_ms"] < 1707566280 * 1000


# ---------------------------------------------------------------------------- identity and day


def test_chunk_id_is_deterministic_and_depends_on_channel_and_start() -> None:
    identity = chunk_id("france2", START)
    assert identity == chunk_id("france2", START)
    assert len(identity) == 16 and int(identity, 16) >= 0
    assert identity != chunk_id("tf1", START)
    assert identity != chunk_id("france2", START + 120)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2024, 2, 10, 22, 59, tzinfo=UTC), date(2024, 2, 10)),  # 23:59 CET
        (datetime(2024, 2, 10, 23, 0, tzinfo=UTC), date(2024, 2, 11)),  # 00:00 CET
        (datetime(2024, 6, 10, 21, 59, tzinfo=UTC), date(2024, 6, 10)),  # 23:59 CEST
        (datetime(2024, 6, 10, 22, 0, tzinfo=UTC), date(2024, 6, 11)),  # 00:00 CEST
    ],
)
def test_broadcast_day_is_the_paris_date(instant: datetime, expected: date) -> None:
    assert broadcast_day(int(instant.timestamp())) == expected


def test_chunk_after_local_midnight_belongs_to_next_day() -> None:
    start = int(datetime(2024, 6, 10, 22, 30, tzinfo=UTC).timestamp())
    table = parse_items([item(start=start)], "t").table
    assert table["day"].to_pylist() == [date(2024, 6, 11)]
    assert table["start"].type == pa.timestamp("s", tz="UTC")


# ---------------------------------------------------------------------------- accepted variants


def test_item_without_srt_keeps_plaintext_and_null_srt() -> None:
    record = item()
    del record["srt"]
    empty_list = item(name="tf1", srt=[])
    table = parse_items([record, empty_list], "t").table
    assert table["srt"].to_pylist() == [None, None]
    assert table["plaintext"].to_pylist() == ["le climat change"] * 2


def test_empty_plaintext_is_rebuilt_from_srt_words() -> None:
    table = parse_items([item(plaintext="")], "t").table
    assert table["plaintext"].to_pylist() == ["le climat change"]


def test_integral_float_start_is_accepted() -> None:
    record = item()
    record["start"] = float(START)
    table = parse_items([record], "t").table
    assert table["chunk_id"].to_pylist() == [chunk_id("france2", START)]


def test_any_iterable_is_accepted() -> None:
    parsed = parse_items((item(start=START + 120 * i) for i in range(3)), "t")
    assert parsed.table.num_rows == 3


def test_output_is_sorted_by_channel_then_start() -> None:
    items = [item("tf1", START + 120), item("france2", START + 240), item("tf1", START)]
    table = parse_items(items, "t").table
    assert list(
        zip(table["channel_name"].to_pylist(), table["start"].to_pylist(), strict=True)
    ) == [
        ("france2", datetime.fromtimestamp(START + 240, UTC)),
        ("tf1", datetime.fromtimestamp(START, UTC)),
        ("tf1", datetime.fromtimestamp(START + 120, UTC)),
    ]


# ---------------------------------------------------------------------------- rejects


def _with(**changes: object) -> dict:
    record = item()
    record.update(changes)
    return record


def _without(key: str) -> dict:
    record = item()
    del record[key]
    return record


def _channel(**changes: object) -> dict:
    record = item()
    record["channel"] = {**record["channel"], **changes}
    return record


def _channel_without(key: str) -> dict:
    record = item()
    del record["channel"][key]
    return record


def _srt(transform) -> dict:
    record = item()
    record["srt"] = transform(record["srt"])
    return record


MALFORMED = [
    pytest.param(["not", "a", "dict"], "record is not an object", id="list"),
    pytest.param("text", "record is not an object", id="string"),
    pytest.param(None, "record is not an object", id="null"),
    pytest.param(_without("channel"), "missing field channel", id="no-channel"),
    pytest.param(_with(channel="france2"), "channel must be an object", id="channel-str"),
    pytest.param(_channel_without("name"), "missing field channel.name", id="no-name"),
    pytest.param(_channel(name=""), "channel.name is empty", id="empty-name"),
    pytest.param(_channel(name=3), "channel.name must be a string", id="name-int"),
    pytest.param(_channel_without("title"), "missing field channel.title", id="no-title"),
    pytest.param(_channel_without("radio"), "missing field channel.radio", id="no-radio"),
    pytest.param(_channel(radio="false"), "channel.radio must be a boolean", id="radio-str"),
    pytest.param(_without("start"), "missing field start", id="no-start"),
    pytest.param(_with(start=str(START)), "start must be integer", id="start-str"),
    pytest.param(_with(start=True), "start must be integer", id="start-bool"),
    pytest.param(_with(start=START + 0.5), "whole epoch seconds", id="start-fraction"),
    pytest.param(_with(start=START * 1000), "milliseconds?", id="start-ms"),
    pytest.param(_with(start=-5), "not a plausible epoch", id="start-negative"),
    pytest.param(_without("plaintext"), "missing field plaintext", id="no-plaintext"),
    pytest.param(_with(plaintext=None), "plaintext must be a string", id="plaintext-null"),
    pytest.param(_with(srt={"text": "x"}), "srt must be a list", id="srt-dict"),
    pytest.param(_with(plaintext="", srt=[]), "empty text", id="empty-text"),
    pytest.param(_with(plaintext="   ", srt=None), "empty text", id="blank-text-null-srt"),
    pytest.param(
        _srt(lambda s: [s[0], {"cts_in_ms": s[1]["cts_in_ms"], "text": "x"}]),
        "srt entry 1 is missing duration_ms",
        id="srt-missing-key",
    ),
    pytest.param(_srt(lambda s: [s[0], None]), "srt entry 1 is not an object", id="srt-null"),
    pytest.param(_srt(lambda s: [s[0], "mot"]), "srt entry 1 is not an object", id="srt-str"),
    pytest.param(
        _srt(lambda s: [{**s[0], "cts_in_ms": "1718000040000"}]),
        "srt entry 0 cts_in_ms must be an integer",
        id="srt-cts-str",
    ),
    pytest.param(
        _srt(lambda s: [{**s[0], "text": 12}]), "srt entry 0 text must be a string", id="srt-text"
    ),
    pytest.param(
        _srt(lambda s: [{**w, "cts_in_ms": w["cts_in_ms"] // 1000} for w in s]),
        "epoch milliseconds expected",
        id="srt-seconds",
    ),
    pytest.param(
        _srt(lambda s: [{**s[0], "duration_ms": -3}]), "negative duration_ms", id="srt-negative"
    ),
]


@pytest.mark.parametrize(("record", "reason"), MALFORMED)
def test_malformed_record_is_rejected_with_reason_and_batch_continues(
    record: object, reason: str
) -> None:
    good_before = item("tf1")
    good_after = item("m6")
    parsed = parse_items([good_before, record, good_after], "batch-7")
    assert parsed.table["channel_name"].to_pylist() == ["m6", "tf1"]
    rejected = parsed.rejected.to_pylist()
    assert parsed.rejected.schema == REJECT_SCHEMA
    assert len(rejected) == 1, rejected
    assert reason in rejected[0]["reason"]
    assert rejected[0]["position"] == 1
    assert rejected[0]["source"] == "batch-7"
    assert json.loads(rejected[0]["record"]) == record


def test_reject_keeps_day_when_start_is_readable() -> None:
    parsed = parse_items([_with(plaintext="", srt=[]), _without("start")], "t")
    rejected = parsed.rejected.to_pylist()
    assert [r["day"] for r in rejected] == [broadcast_day(START), None]
    assert [r["position"] for r in rejected] == [0, 1]


def test_every_record_is_accounted_for() -> None:
    records = [item(start=START + 120 * i) for i in range(5)]
    records += [records[0], _without("start"), 42, records[1]]
    parsed = parse_items(records, "t")
    assert parsed.table.num_rows + parsed.rejected.num_rows + parsed.duplicates == len(records)


def test_raw_record_of_non_json_object_is_kept_as_text_and_whole() -> None:
    huge = _with(plaintext="", srt=[], padding="x" * 20_000)
    parsed = parse_items([object(), huge], "t")
    texts = parsed.rejected["record"].to_pylist()
    assert texts[0].startswith('"<object object')
    assert json.loads(texts[1]) == huge  # whole, so that it can be re-ingested


def test_srt_beginning_a_second_before_start_is_accepted() -> None:
    record = _srt(lambda s: [{**s[0], "cts_in_ms": START * 1000 - 1500}, *s[1:]])
    parsed = parse_items([record], "t")
    assert parsed.rejected.num_rows == 0
    assert parsed.table["srt"].to_pylist()[0][0]["cts_in_ms"] == START * 1000 - 1500


def test_equal_consecutive_word_times_are_in_order() -> None:
    record = _srt(lambda s: [s[0], {**s[1], "cts_in_ms": s[0]["cts_in_ms"]}, s[2]])
    assert parse_items([record], "t").rejected.num_rows == 0


# ---------------------------------------------------------------------------- duplicates


def test_exact_duplicates_are_dropped_and_counted() -> None:
    record = item()
    parsed = parse_items([record, json.loads(json.dumps(record)), record], "t")
    assert parsed.table.num_rows == 1
    assert parsed.duplicates == 2
    assert parsed.rejected.num_rows == 0


def test_conflicting_duplicates_keep_the_fullest_record_whatever_the_order() -> None:
    short = item(words=("le", "climat"))
    full = item(words=("le", "climat", "change", "vite"))
    for order in ([short, full], [full, short]):
        parsed = parse_items(order, "t")
        assert parsed.table["plaintext"].to_pylist() == ["le climat change vite"]
        assert parsed.duplicates == 0
        (rejected,) = parsed.rejected.to_pylist()
        assert "conflicting duplicate of chunk " + chunk_id("france2", START) in rejected["reason"]
        assert json.loads(rejected["record"]) == short
        assert rejected["position"] == order.index(short)


def test_conflicting_duplicates_of_equal_size_resolve_the_same_in_any_order() -> None:
    a = item(words=("le", "climat", "change"))
    b = item(words=("la", "planete", "brule"))
    first = parse_items([a, b], "t").table["plaintext"].to_pylist()
    second = parse_items([b, a], "t").table["plaintext"].to_pylist()
    assert first == second and len(first) == 1


def test_same_start_on_two_channels_is_not_a_duplicate() -> None:
    parsed = parse_items([item("tf1"), item("france2")], "t")
    assert parsed.table.num_rows == 2 and parsed.duplicates == 0


# ---------------------------------------------------------------------------- helpers


def test_records_rejected_before_parsing_get_reject_rows() -> None:
    extra = rejected_rows([(3, "invalid JSON", "{oops")], "file.jsonl")
    assert extra.schema == REJECT_SCHEMA
    assert extra.to_pylist() == [
        {
            "day": None,
            "source": "file.jsonl",
            "file": None,
            "line": None,
            "page": None,
            "position": 3,
            "reason": "invalid JSON",
            "record": "{oops",
        }
    ]
