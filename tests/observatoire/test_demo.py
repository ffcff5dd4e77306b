"""The demo caption generator: provider shape, caption style, determinism, irregularities."""

from __future__ import annotations

import hashlib
import json
import re
import sys
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from observatoire.core.broadcast_day import PARIS, broadcast_day
from observatoire.intake.demo import demo_day, demo_items, environment_story_rate, number_in_words
from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import parse_items, with_quality_columns
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid

DAY = date(2024, 6, 11)
GRID = ProgrammeGrid.default()
CHANNELS = default_channels()


@pytest.fixture(scope="module")
def items():
    return demo_items(DAY, CHANNELS, GRID)


def test_items_have_the_provider_shape_and_word_timings(items):
    timed = [item for item in items if "srt" in item and isinstance(item.get("start"), int)]
    assert len(timed) > 3000
    for item in timed[:200]:
        assert set(item) == {"channel", "start", "plaintext", "srt"}
        assert set(item["channel"]) == {"name", "title", "radio"}
        assert item["start"] % 120 == 0
        assert item["plaintext"] == " ".join(word["text"] for word in item["srt"])
        times = [word["cts_in_ms"] for word in item["srt"]]
        assert times == sorted(times)
        assert item["start"] * 1000 - 1500 <= times[0] < item["start"] * 1000 + 120_000
        assert all(word["duration_ms"] > 0 for word in item["srt"])


def test_text_is_written_like_speech_to_text(items):
    text = " ".join(item["plaintext"] for item in items[:500] if isinstance(item["plaintext"], str))
    assert text == text.lower()
    assert not re.search(r"[.,;:!?«»\"()]", text)
    assert " l' " in text and "<unk>" in text and " euh " in text
    assert re.search(r"\b(deux|trois|quatre|vingt)\b", text)
    assert not re.search(r"\d", text)


def test_chunks_only_during_grid_slots():
    for channel in CHANNELS:
        slots = [
            (s.start_utc.timestamp(), s.end_utc.timestamp())
            for s in GRID.slots_on(channel.name, DAY)
        ]
        for item in demo_items(DAY, [channel], GRID):
            start = item["start"]
            if not isinstance(start, int) or start > 10**11:
                continue
            assert any(low - 120 < start < high for low, high in slots), (channel.name, start)
            assert broadcast_day(start) == DAY


def test_same_seed_same_day_same_captions_and_other_seeds_differ():
    first = demo_day(DAY, CHANNELS[:3], GRID, seed=1)
    again = demo_day(DAY, CHANNELS[:3], GRID, seed=1)
    other = demo_day(DAY, CHANNELS[:3], GRID, seed=2)
    assert first.chunks.equals(again.chunks) and first.items == again.items
    assert not first.chunks["plaintext"].equals(other.chunks["plaintext"])


def test_a_channel_gets_the_same_chunks_whatever_else_is_asked():
    alone = demo_day(DAY, [c for c in CHANNELS if c.name == "tf1"], GRID)
    full = demo_day(DAY, CHANNELS, GRID)
    tf1 = full.chunks.filter(pc.equal(full.chunks["channel_name"], "tf1"))
    assert tf1.equals(alone.chunks)


def test_each_day_has_a_gap_a_duplicate_an_untimed_chunk_and_one_malformed_record():
    for day in (date(2024, 3, 31), date(2024, 6, 11), date(2024, 10, 27), date(2025, 1, 1)):
        generated = demo_day(day, CHANNELS, GRID)
        parsed = parse_items(generated.all_items(), "demo")
        assert parsed.duplicates == 1
        assert parsed.rejected.num_rows == 1
        untimed = parsed.table.filter(pc.is_null(parsed.table["srt"]))
        assert untimed.num_rows == 1
        day_table = captions_of_day(generated.items, "demo", day, chunks=generated.chunks)
        assert day_table.table.equals(parsed.table)
        # A quarter hour is missing on one channel: some grid slot is not fully covered.
        starts = parsed.table.group_by("channel_name").aggregate([("start", "count")])
        expected = {
            c.name: sum(
                len(
                    range(
                        int(s.start_utc.timestamp()) // 120 * 120, int(s.end_utc.timestamp()), 120
                    )
                )
                for s in GRID.slots_on(c.name, day)
            )
            for c in CHANNELS
        }
        short = [
            row["channel_name"]
            for row in starts.to_pylist()
            if expected[row["channel_name"]] - row["start_count"] >= 7
        ]
        assert len(short) == 1, short


def test_typed_chunks_equal_what_parsing_the_same_items_gives():
    generated = demo_day(DAY, CHANNELS, GRID)
    parsed = parse_items(generated.all_items(), "demo")
    regular = parsed.table.filter(pc.is_in(parsed.table["chunk_id"], generated.chunks["chunk_id"]))
    assert regular.equals(with_quality_columns(generated.chunks))


def test_environmental_rate_is_a_few_percent_and_varies():
    rates = [
        environment_story_rate(date(2024, 1, 1) + (date(2024, 1, 2) - date(2024, 1, 1)) * n, c.name)
        for n in range(0, 360, 7)
        for c in CHANNELS
    ]
    assert 0.005 < min(rates) < max(rates) < 0.2
    assert 0.01 < sum(rates) / len(rates) < 0.06


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zéro"),
        (21, "vingt et un"),
        (71, "soixante et onze"),
        (80, "quatre-vingts"),
        (99, "quatre-vingt-dix-neuf"),
        (200, "deux cents"),
        (2024, "deux mille vingt-quatre"),
        (1_000, "mille"),
    ],
)
def test_numbers_are_written_in_words(number, words):
    assert number_in_words(number) == words


def test_dst_days_have_their_real_length():
    # 31 March 2024 has 23 hours; the all-news slot 06:00-23:00 is still 17 hours of chunks.
    for day in (date(2024, 3, 31), date(2024, 10, 27)):
        table = demo_day(day, [c for c in CHANNELS if c.name == "bfmtv"], GRID).chunks
        starts = pc.cast(table["start"], pa.int64()).to_pylist()
        local = [datetime.fromtimestamp(s, PARIS) for s in starts]
        assert local[0].hour == 6 and local[-1].hour == 22
        assert all(t.date() == day for t in local)


# --------------------------------------------------------------------------------------------
# Byte-identical output (tests/snapshots/demo_days.json; rewrite it with
# `.venv/bin/python -m tests.observatoire.test_demo` after an intended change to the captions)

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "demo_days.json"
PINNED = [(date(2024, 3, 31), 0), (date(2024, 6, 11), 0), (date(2024, 10, 27), 7)]


def demo_day_hash(day: date, seed: int) -> str:
    """SHA-256 of a generated day for every channel: the chunks as an Arrow stream, then the
    irregular items as JSON."""
    generated = demo_day(day, CHANNELS, GRID, seed=seed)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, generated.chunks.schema) as writer:
        writer.write_table(generated.chunks)
    digest = hashlib.sha256(sink.getvalue().to_pybytes())
    digest.update(json.dumps(generated.items, sort_keys=True, ensure_ascii=False).encode())
    return digest.hexdigest()


def pinned_hashes() -> dict[str, str]:
    return {f"{day.isoformat()} seed {seed}": demo_day_hash(day, seed) for day, seed in PINNED}


def test_generated_days_are_byte_identical_to_the_snapshot():
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert pinned_hashes() == expected, (
        "the demo captions changed; if intended, run "
        "`.venv/bin/python -m tests.observatoire.test_demo` and review the snapshot diff"
    )


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(pinned_hashes(), indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT}\n")
