from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.intake.records import REJECT_SCHEMA
from observatoire.quality.data_quality import (
    captions_without_grid,
    dictionary_version_current,
    duplicate_chunk_ids,
    low_coverage,
    rejected_rate,
    segments_consistent,
    shares_out_of_range,
)
from observatoire.reference.monitoring import TIME_MONITORED_SCHEMA
from tests.observatoire.analyst_fixtures import DAY, indicator_table, matched


def _monitored(rows: list[tuple[str, float, float, int]]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "channel_name": name,
                "day": DAY,
                "grid_minutes": grid,
                "covered_minutes": covered,
                "coverage": covered / grid if grid else None,
                "chunks_received": received,
                "chunks_in_scope": received,
            }
            for name, grid, covered, received in rows
        ],
        schema=TIME_MONITORED_SCHEMA,
    )


def test_duplicate_chunk_ids_are_found():
    captions, _, _ = matched()
    assert duplicate_chunk_ids(captions).passed
    doubled = pa.concat_tables([captions, captions.slice(0, 1)])
    outcome = duplicate_chunk_ids(doubled)
    assert not outcome.passed
    assert outcome.numbers["duplicate_chunk_ids"] == 1
    assert outcome.offending == [{"chunk_id": captions["chunk_id"][0].as_py(), "chunk_id_count": 2}]


def test_rejected_rate_against_limit():
    rejected = pa.Table.from_pylist(
        [
            {
                "day": DAY,
                "source": "demo",
                "position": 3,
                "reason": "missing start",
                "record": "{}",
            },
            {
                "day": DAY,
                "source": "demo",
                "position": 9,
                "reason": "missing start",
                "record": "{}",
            },
        ],
        schema=REJECT_SCHEMA,
    )
    assert rejected_rate(198, rejected, max_rate=0.01).passed
    outcome = rejected_rate(98, rejected, max_rate=0.01)
    assert not outcome.passed
    assert outcome.numbers["rejected_rate"] == 0.02
    assert outcome.summary == "2 of 100 records rejected (2.00%, limit 1.00%): missing start (2)"
    assert rejected_rate(0, REJECT_SCHEMA.empty_table()).passed


def test_low_coverage_names_the_channels():
    monitored = _monitored(
        [("tf1", 600.0, 600.0, 300), ("france2", 120.0, 60.0, 30), ("arte", 0.0, 0.0, 0)]
    )
    outcome = low_coverage(monitored, min_coverage=0.8)
    assert not outcome.passed
    assert outcome.summary == "1 channel-days below 80% coverage: france2"
    assert outcome.offending[0]["coverage"] == 0.5
    assert outcome.numbers["min_coverage_seen"] == 0.5
    assert low_coverage(monitored, min_coverage=0.5).passed


def test_captions_without_grid_minutes():
    monitored = _monitored([("tf1", 600.0, 600.0, 300), ("lci", 0.0, 0.0, 12)])
    outcome = captions_without_grid(monitored)
    assert not outcome.passed
    assert "lci" in outcome.summary and "tf1" not in outcome.summary
    assert captions_without_grid(monitored.slice(0, 1)).passed


def test_shares_outside_zero_one():
    days = [DAY + timedelta(days=i) for i in range(2)]
    indicators = indicator_table(days, ["tf1", "france2"])
    assert shares_out_of_range(indicators).passed
    shares = indicators["share_climat"].to_pylist()
    shares[1] = 1.5
    broken = indicators.set_column(
        indicators.column_names.index("share_climat"), "share_climat", pa.array(shares)
    )
    outcome = shares_out_of_range(broken)
    assert not outcome.passed and outcome.numbers["rows_out_of_range"] == 1
    assert outcome.offending[0]["channel_name"] == broken["channel_name"][1].as_py()
    assert outcome.offending[0]["day"] == date.isoformat(broken["day"][1].as_py())


def test_segments_consistent_with_captions_and_evidence():
    captions, segments, keywords = matched()
    assert segments_consistent(captions, segments, keywords, 20).passed
    # a lost segment
    outcome = segments_consistent(captions, segments.slice(1), keywords, 20)
    assert not outcome.passed and "1 caption chunks without a segment" in outcome.summary
    # evidence that no longer supports a counter
    first = captions["chunk_id"][0].as_py()
    fewer = keywords.filter(pc.invert(pc.equal(keywords["chunk_id"], first)))
    outcome = segments_consistent(captions, segments, fewer, 20)
    assert not outcome.passed
    assert outcome.offending[0] == {
        "chunk_id": first,
        "number_of_keywords": 3,
        "evidence_windows": 0,
    }
    # a different window length than configured
    assert (
        "window_seconds [20] instead of 15"
        in segments_consistent(captions, segments, keywords, 15).summary
    )


def test_days_of_another_dictionary_are_reported():
    days = [DAY + timedelta(days=i) for i in range(3)]
    indicators = indicator_table(days, ["tf1"])
    assert dictionary_version_current(indicators, "abc123def456").passed
    versions = ["abc123def456", "000000000000", "000000000000"]
    mixed = indicators.set_column(
        indicators.column_names.index("dictionary_version"),
        "dictionary_version",
        pa.array(versions),
    )
    outcome = dictionary_version_current(mixed, "abc123def456")
    assert not outcome.passed
    assert outcome.summary.startswith("2 days produced by dictionary 000000000000")
    assert outcome.offending == [{"day": "2024-03-13"}, {"day": "2024-03-14"}]
