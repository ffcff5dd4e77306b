"""Caption records: provider items parsed into a typed Arrow table, bad records set aside.

A caption chunk is identified by its channel and its start instant (METHODOLOGY §1); its broadcast
day is the Europe/Paris date of that instant. Parsing never crashes a batch and never loses a
record: every item either becomes a row of the caption table, is counted as an exact duplicate of
another row, or lands in the rejected table with a reason and its raw text.

The word lists (``srt``) are converted to Arrow in one call per batch and validated with vectorised
operations, because a broadcast day is ~13,000 chunks of ~350 words each and per-word Python work
would dominate the run time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PARIS = ZoneInfo("Europe/Paris")

SRT_WORD_TYPE = pa.struct(
    [("cts_in_ms", pa.int64()), ("duration_ms", pa.int32()), ("text", pa.string())]
)
SRT_TYPE = pa.list_(SRT_WORD_TYPE)

CAPTION_SCHEMA = pa.schema(
    [
        ("chunk_id", pa.string()),
        ("channel_name", pa.string()),
        ("channel_title", pa.string()),
        ("channel_radio", pa.bool_()),
        ("start", pa.timestamp("s", tz="UTC")),
        ("day", pa.date32()),
        ("plaintext", pa.string()),
        ("srt", SRT_TYPE),
        ("source", pa.string()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("source", pa.string()),
        ("position", pa.int64()),
        ("reason", pa.string()),
        ("record", pa.string()),
    ]
)

RECORD_TEXT_LIMIT = 10_000
"""Raw records kept in the rejected table are truncated to this many characters."""

EARLIEST_START = 946_684_800  # 2000-01-01T00:00:00Z
LATEST_START = 4_102_444_800  # 2100-01-01T00:00:00Z
"""A start outside [2000, 2100) is not a plausible broadcast instant in epoch seconds (a value in
milliseconds, for instance, lands far beyond 2100)."""

SRT_MARGIN_BEFORE_MS = 300_000
SRT_MARGIN_AFTER_MS = 420_000
"""Word times must fall within [start - 5 min, start + 7 min]. Real word lists start a second or so
before ``start`` and end near start + 120 s; a word list far outside this range has a unit or
channel mix-up and would put every keyword in a clamped window, so it is rejected."""


@dataclass(frozen=True)
class ParsedCaptions:
    """Result of parsing a batch of provider items."""

    table: pa.Table
    """Valid chunks, CAPTION_SCHEMA, sorted by channel_name then start, one row per chunk_id."""
    rejected: pa.Table
    """Records set aside, REJECT_SCHEMA, in input order, each with its reason and raw text."""
    duplicates: int
    """Number of exact duplicates dropped (same chunk id and same content as a kept row)."""


class _Reject(Exception):
    """A record-level validation failure; the message is the reason stored in the reject table."""


def chunk_id(channel_name: str, start: int) -> str:
    """Deterministic 16-hex-digit identity of a chunk: its channel and its start instant."""
    return hashlib.sha256(f"{channel_name}\x1f{int(start)}".encode()).hexdigest()[:16]


def broadcast_day(start: int) -> date:
    """Broadcast day of a chunk: the Europe/Paris local date of its start instant."""
    return datetime.fromtimestamp(int(start), tz=PARIS).date()


def start_datetime(start: int) -> datetime:
    """Timezone-aware (UTC) datetime of an epoch-seconds start."""
    return datetime.fromtimestamp(int(start), tz=UTC)


def raw_record_text(record: object) -> str:
    """JSON text of a raw record for the reject table (non-JSON values shown with repr)."""
    try:
        text = json.dumps(record, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):  # e.g. circular structures
        text = repr(record)
    return text[:RECORD_TEXT_LIMIT]


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _require_str(container: Mapping[str, Any], key: str, where: str) -> str:
    if key not in container:
        raise _Reject(f"missing field {where}{key}")
    value = container[key]
    if not isinstance(value, str):
        raise _Reject(f"field {where}{key} must be a string, got {_type_name(value)}")
    return value


def _parse_start(item: Mapping[str, Any]) -> int:
    if "start" not in item:
        raise _Reject("missing field start")
    value = item["start"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Reject(f"field start must be integer epoch seconds, got {_type_name(value)}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise _Reject(f"field start must be whole epoch seconds, got {value!r}")
        value = int(value)
    if not EARLIEST_START <= value < LATEST_START:
        hint = " (milliseconds?)" if value >= LATEST_START else ""
        raise _Reject(f"start {value} is not a plausible epoch in seconds (years 2000-2099){hint}")
    return value


@dataclass(slots=True)
class _Candidate:
    position: int
    raw: object
    chunk_id: str
    channel_name: str
    channel_title: str
    channel_radio: bool
    start: int
    day: date
    plaintext: str
    srt: list | None


def _parse_fields(position: int, item: object) -> _Candidate:
    """Validate everything but the per-word content of srt (checked in bulk afterwards)."""
    if not isinstance(item, Mapping):
        raise _Reject(f"record is not an object, got {_type_name(item)}")
    if "channel" not in item:
        raise _Reject("missing field channel")
    channel = item["channel"]
    if not isinstance(channel, Mapping):
        raise _Reject(f"field channel must be an object, got {_type_name(channel)}")
    name = _require_str(channel, "name", "channel.")
    if not name.strip():
        raise _Reject("field channel.name is empty")
    title = _require_str(channel, "title", "channel.")
    if "radio" not in channel:
        raise _Reject("missing field channel.radio")
    radio = channel["radio"]
    if not isinstance(radio, bool):
        raise _Reject(f"field channel.radio must be a boolean, got {_type_name(radio)}")
    start = _parse_start(item)
    plaintext = _require_str(item, "plaintext", "")
    srt = item.get("srt")
    if srt is not None and not isinstance(srt, list):
        raise _Reject(f"field srt must be a list, got {_type_name(srt)}")
    if srt is not None and len(srt) == 0:
        srt = None
    if not plaintext.strip() and srt is None:
        raise _Reject("empty text: empty plaintext and no srt words")
    return _Candidate(
        position=position,
        raw=item,
        chunk_id=chunk_id(name, start),
        channel_name=name,
        channel_title=title,
        channel_radio=radio,
        start=start,
        day=broadcast_day(start),
        plaintext=plaintext,
        srt=srt,
    )


def _srt_entry_problem(srt: list) -> str:
    """Precise reason for a word list that Arrow could not convert (slow path, rare)."""
    keys = ("cts_in_ms", "duration_ms", "text")
    for index, entry in enumerate(srt):
        if not isinstance(entry, Mapping):
            return f"srt entry {index} is not an object, got {_type_name(entry)}"
        for key in keys:
            if entry.get(key) is None:
                return f"srt entry {index} is missing {key}"
        for key in ("cts_in_ms", "duration_ms"):
            value = entry[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"srt entry {index} {key} must be an integer, got {_type_name(value)}"
            if isinstance(value, float) and not value.is_integer():
                return f"srt entry {index} {key} must be an integer, got {value!r}"
        if not isinstance(entry["text"], str):
            return f"srt entry {index} text must be a string, got {_type_name(entry['text'])}"
        if not -(2**31) <= entry["duration_ms"] < 2**31:
            return f"srt entry {index} duration_ms {entry['duration_ms']} is out of range"
    return "srt cannot be read"


def _convert_srt(candidates: list[_Candidate]) -> tuple[pa.ListArray, dict[int, str]]:
    """Arrow word lists for all candidates, plus {candidate index: reason} for unreadable ones.

    One conversion call for the whole batch; only if it fails are the lists converted one by one to
    find the offenders.
    """
    lists = [candidate.srt for candidate in candidates]
    try:
        return pa.array(lists, type=SRT_TYPE), {}
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass
    problems: dict[int, str] = {}
    for index, srt in enumerate(lists):
        if srt is None:
            continue
        try:
            pa.array([srt], type=SRT_TYPE)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            problems[index] = _srt_entry_problem(srt)
            lists[index] = None
    return pa.array(lists, type=SRT_TYPE), problems


def _validate_srt(
    srt: pa.ListArray, starts: np.ndarray, problems: dict[int, str]
) -> dict[int, str]:
    """Vectorised per-word checks: entries present and complete, times in order and in range."""
    if len(srt) == 0:
        return problems
    flat = srt.flatten()
    if len(flat) == 0:
        return problems
    parents = pc.list_parent_indices(srt).to_numpy(zero_copy_only=False)
    offsets = srt.offsets.to_numpy()
    first_of_list = offsets[parents]

    def report(mask: np.ndarray, describe) -> None:
        """Record the first flagged entry of each word list not already rejected."""
        flagged = np.flatnonzero(mask)
        lists, first = np.unique(parents[flagged], return_index=True)
        for parent, flat_index in zip(lists.tolist(), flagged[first].tolist(), strict=True):
            if parent not in problems:
                problems[parent] = describe(parent, int(flat_index - first_of_list[flat_index]))

    entry_null = flat.is_null().to_numpy(zero_copy_only=False)
    report(entry_null, lambda _p, i: f"srt entry {i} is not an object")
    for field in ("cts_in_ms", "duration_ms", "text"):
        missing = flat.field(field).is_null().to_numpy(zero_copy_only=False) & ~entry_null
        report(missing, lambda _p, i, f=field: f"srt entry {i} is missing {f}")

    cts = flat.field("cts_in_ms").fill_null(0).to_numpy()
    duration = flat.field("duration_ms").fill_null(0).to_numpy()
    report(duration < 0, lambda _p, i: f"srt entry {i} has a negative duration_ms")

    start_ms = starts[parents] * 1000
    out_of_range = (cts < start_ms - SRT_MARGIN_BEFORE_MS) | (cts > start_ms + SRT_MARGIN_AFTER_MS)
    report(
        out_of_range,
        lambda p, i: (
            f"srt entry {i} cts_in_ms {int(cts[offsets[p] + i])} is not within 5 minutes before "
            f"to 7 minutes after start {int(starts[p])} (epoch milliseconds expected)"
        ),
    )
    decreasing = np.zeros(len(cts), dtype=bool)
    decreasing[1:] = (cts[1:] < cts[:-1]) & (parents[1:] == parents[:-1])
    report(
        decreasing,
        lambda p, i: (
            f"srt out of order: entry {i} cts_in_ms {int(cts[offsets[p] + i])} is before "
            f"entry {i - 1} ({int(cts[offsets[p] + i - 1])})"
        ),
    )
    return problems


def _preferred(group: list[int], candidates: list[_Candidate], lengths: np.ndarray) -> int:
    """Order-independent choice among conflicting records: most srt words, longest plaintext, then
    smallest content hash (computed only to break a tie)."""

    def size(index: int) -> tuple[int, int]:
        return int(lengths[index]), len(candidates[index].plaintext)

    largest = max(size(index) for index in group)
    tied = [index for index in group if size(index) == largest]
    if len(tied) == 1:
        return tied[0]

    def digest(index: int) -> str:
        content = json.dumps(
            candidates[index].raw, sort_keys=True, ensure_ascii=False, default=repr
        )
        return hashlib.sha256(content.encode()).hexdigest()

    return min(tied, key=digest)


def _empty_table(schema: pa.Schema) -> pa.Table:
    return schema.empty_table()


def parse_items(items: Iterable[object], source: str) -> ParsedCaptions:
    """Parse provider items into CAPTION_SCHEMA rows; set malformed and conflicting records aside.

    Exact duplicates (same chunk id and same content) are dropped and counted. Conflicting records
    (same chunk id, different content) keep the one with the most srt words, then the longest
    plaintext, then the smallest content hash, whatever the input order, and reject the others.
    An item whose plaintext is empty but whose srt has words gets its plaintext rebuilt from the
    words; an empty srt list is stored as null (no word timings).
    """
    rejects: list[tuple[date | None, int, str, object]] = []
    candidates: list[_Candidate] = []
    for position, item in enumerate(items):
        try:
            candidates.append(_parse_fields(position, item))
        except _Reject as error:
            rejects.append((_day_if_known(item), position, str(error), item))

    starts = np.fromiter((c.start for c in candidates), dtype=np.int64, count=len(candidates))
    srt, problems = _convert_srt(candidates)
    problems = _validate_srt(srt, starts, problems)
    for index, reason in problems.items():
        candidate = candidates[index]
        rejects.append((candidate.day, candidate.position, reason, candidate.raw))
    keep = [index for index in range(len(candidates)) if index not in problems]

    lengths = pc.list_value_length(srt).fill_null(0).to_numpy()
    for index in keep:
        candidate = candidates[index]
        if not candidate.plaintext.strip():
            words = srt[index].values.field("text").to_pylist()
            candidate.plaintext = " ".join(words)

    keep, duplicates = _resolve_duplicates(candidates, keep, srt, lengths, rejects)

    keep.sort(key=lambda index: (candidates[index].channel_name, candidates[index].start))
    chosen = [candidates[index] for index in keep]
    srt_column = srt.take(pa.array(keep, type=pa.int64())) if keep else pa.array([], SRT_TYPE)
    table = pa.Table.from_arrays(
        [
            pa.array([c.chunk_id for c in chosen], pa.string()),
            pa.array([c.channel_name for c in chosen], pa.string()),
            pa.array([c.channel_title for c in chosen], pa.string()),
            pa.array([c.channel_radio for c in chosen], pa.bool_()),
            pa.array([c.start for c in chosen], pa.timestamp("s", tz="UTC")),
            pa.array([c.day for c in chosen], pa.date32()),
            pa.array([c.plaintext for c in chosen], pa.string()),
            srt_column,
            pa.array([source] * len(chosen), pa.string()),
        ],
        schema=CAPTION_SCHEMA,
    )
    return ParsedCaptions(
        table=table, rejected=_reject_table(rejects, source), duplicates=duplicates
    )


def _resolve_duplicates(
    candidates: list[_Candidate],
    keep: list[int],
    srt: pa.ListArray,
    lengths: np.ndarray,
    rejects: list[tuple[date | None, int, str, object]],
) -> tuple[list[int], int]:
    by_id: dict[str, list[int]] = {}
    for index in keep:
        by_id.setdefault(candidates[index].chunk_id, []).append(index)
    kept: list[int] = []
    duplicates = 0
    for group in by_id.values():
        if len(group) == 1:
            kept.append(group[0])
            continue
        best = _preferred(group, candidates, lengths)
        kept.append(best)
        winner = candidates[best]
        for index in group:
            if index == best:
                continue
            other = candidates[index]
            if _same_content(winner, other, srt[best], srt[index]):
                duplicates += 1
                continue
            reason = (
                f"conflicting duplicate of chunk {winner.chunk_id} "
                f"({winner.channel_name} at {start_datetime(winner.start).isoformat()}): "
                f"kept the record at position {winner.position}"
            )
            rejects.append((other.day, other.position, reason, other.raw))
    return kept, duplicates


def _same_content(a: _Candidate, b: _Candidate, srt_a: pa.Scalar, srt_b: pa.Scalar) -> bool:
    return (
        a.channel_title == b.channel_title
        and a.channel_radio == b.channel_radio
        and a.plaintext == b.plaintext
        and srt_a.equals(srt_b)
    )


def _day_if_known(item: object) -> date | None:
    """Broadcast day of a rejected record when its start is still readable, else None."""
    if not isinstance(item, Mapping):
        return None
    try:
        return broadcast_day(_parse_start(item))
    except _Reject:
        return None


def _reject_table(rejects: Sequence[tuple[date | None, int, str, object]], source: str) -> pa.Table:
    rows = sorted(rejects, key=lambda row: row[1])
    return pa.Table.from_arrays(
        [
            pa.array([row[0] for row in rows], pa.date32()),
            pa.array([source] * len(rows), pa.string()),
            pa.array([row[1] for row in rows], pa.int64()),
            pa.array([row[2] for row in rows], pa.string()),
            pa.array([raw_record_text(row[3]) for row in rows], pa.string()),
        ],
        schema=REJECT_SCHEMA,
    )


def rejected_rows(
    rows: Iterable[tuple[int, str, str]], source: str, day: date | None = None
) -> pa.Table:
    """REJECT_SCHEMA table for records unreadable before item parsing (e.g. a bad JSON line)."""
    rows = list(rows)
    return pa.Table.from_arrays(
        [
            pa.array([day] * len(rows), pa.date32()),
            pa.array([source] * len(rows), pa.string()),
            pa.array([position for position, _, _ in rows], pa.int64()),
            pa.array([reason for _, reason, _ in rows], pa.string()),
            pa.array([text[:RECORD_TEXT_LIMIT] for _, _, text in rows], pa.string()),
        ],
        schema=REJECT_SCHEMA,
    )


def filter_day(parsed: ParsedCaptions, day: date) -> ParsedCaptions:
    """Chunks of one broadcast day; rejects of that day plus those whose day is unknown.

    Rejects without a readable start cannot be attributed to a day, so they stay with whichever
    day's fetch produced them rather than disappearing.
    """
    table = parsed.table.filter(pc.equal(parsed.table["day"], pa.scalar(day, pa.date32())))
    rejected_day = parsed.rejected["day"]
    mask = pc.or_kleene(
        pc.equal(rejected_day, pa.scalar(day, pa.date32())), pc.is_null(rejected_day)
    )
    return ParsedCaptions(
        table=table, rejected=parsed.rejected.filter(mask), duplicates=parsed.duplicates
    )


def concat_parsed(parts: Iterable[ParsedCaptions]) -> ParsedCaptions:
    """Concatenate parse results of disjoint batches (tables re-sorted by channel, start)."""
    parts = list(parts)
    if not parts:
        return ParsedCaptions(_empty_table(CAPTION_SCHEMA), _empty_table(REJECT_SCHEMA), 0)
    table = pa.concat_tables([part.table for part in parts])
    if table.num_rows:
        table = table.sort_by([("channel_name", "ascending"), ("start", "ascending")])
    rejected = pa.concat_tables([part.rejected for part in parts])
    return ParsedCaptions(table, rejected, sum(part.duplicates for part in parts))
