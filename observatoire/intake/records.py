"""Caption records: provider items parsed into a typed Arrow table, bad records set aside.

A caption chunk is identified by its channel and its start instant (METHODOLOGY §1); its broadcast
day is the date of that instant in the country's time zone. Parsing never crashes a batch and
never loses a record: every item either becomes a row of the caption table, is counted as an
exact duplicate of another row, or lands in the rejected table with a reason and its raw text.

The word lists (``srt``) are converted to Arrow in one call per batch and validated with vectorised
operations, because a broadcast day is ~13,000 chunks of ~350 words each and per-word Python work
would dominate the run time.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import PARIS, broadcast_day

if TYPE_CHECKING:
    from observatoire.reference.channel_names import ChannelNames

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
"""The columns a source delivers for a chunk (the demo generator builds them column-wise)."""

QUALITY_FIELDS = [
    pa.field("timing", pa.string()),
    pa.field("plaintext_agrees", pa.bool_()),
    pa.field("received_plaintext", pa.string()),
]
"""Per-chunk quality flags stored with raw_captions:

- ``timing``: ``words`` (word list in order), ``repaired`` (word times that went backwards were
  made non-decreasing), ``none`` (no word list);
- ``plaintext_agrees``: whether the plaintext is the word list's words joined by spaces (null
  without a word list); when it is not, ``plaintext`` holds the words joined (what is counted) and
  ``received_plaintext`` the text as received.
"""

RAW_CAPTIONS_SCHEMA = pa.schema([*CAPTION_SCHEMA, *QUALITY_FIELDS])

REJECT_SCHEMA = pa.schema(
    [
        ("day", pa.date32()),
        ("source", pa.string()),
        ("file", pa.string()),
        ("line", pa.int64()),
        ("page", pa.int64()),
        ("position", pa.int64()),
        ("reason", pa.string()),
        ("record", pa.string()),
    ]
)
"""A quarantined record: where it came from (drop file and line, or API page and its index in the
page as ``position``), why, and the record exactly as received, so that it can be re-ingested."""

EARLIEST_START = 946_684_800  # 2000-01-01T00:00:00Z
LATEST_START = 4_102_444_800  # 2100-01-01T00:00:00Z
"""A start outside [2000, 2100) is not a plausible broadcast instant in epoch seconds (a value in
milliseconds, for instance, lands far beyond 2100)."""

# Plausibility limits of one 2-minute chunk. Measured on the real corpora (../shared/corpora):
# COP15 export, 3,443 chunks: plaintext at most 3,176 characters (99th percentile 2,744) and 615
# words (99th percentile 510), lines at most 5,707 bytes; provider fixture with word lists: at most
# 350 srt words, 25,605 bytes per record, word times from 0.99 s before to 119.08 s after start.
# The limits leave a wide margin above what real chunks hold and stop what no chunk can be.
MAX_PLAINTEXT_CHARS = 20_000
MAX_WORDS = 3_000
"""Words of the plaintext and entries of the word list."""
MAX_RECORD_BYTES = 1_048_576
"""Bytes of one record as received (a JSON line); larger records are refused before decoding."""
SRT_EARLIEST_OFFSET_MS = -10_000
SRT_LATEST_OFFSET_MS = 130_000
"""Word times must lie within [start - 10 s, start + 130 s]; a word list beyond cannot belong to
the chunk (a shifted or mixed-up list would put every keyword in the wrong window)."""
STORED_OVERSIZED_BYTES = 65_536
"""Of a record refused for its size, this many characters are stored, with its length and hash."""


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was received: drop file and line, or API page and index in the page.

    ``asked_for`` is the channel a provider query asked for: a record of another channel is
    quarantined rather than filed under either."""

    file: str | None = None
    line: int | None = None
    page: int | None = None
    index: int | None = None
    asked_for: str | None = None


@dataclass(frozen=True)
class ParsedCaptions:
    """Result of parsing a batch of provider items."""

    table: pa.Table
    """Valid chunks (RAW_CAPTIONS_SCHEMA) by channel_name then start, one row per chunk_id."""
    rejected: pa.Table
    """Records set aside, REJECT_SCHEMA, in input order, each with its reason and raw text."""
    duplicates: int
    """Number of exact duplicates dropped (same chunk id and same content as a kept row)."""
    repaired: int = 0
    """Chunks whose word times went backwards and were made non-decreasing."""


class _Reject(Exception):
    """A record-level validation failure; the message is the reason stored in the reject table."""


def chunk_id(channel_name: str, start: int) -> str:
    """Deterministic 16-hex-digit identity of a chunk: its channel and its start instant."""
    return hashlib.sha256(f"{channel_name}\x1f{int(start)}".encode()).hexdigest()[:16]


def start_datetime(start: int) -> datetime:
    """Timezone-aware (UTC) datetime of an epoch-seconds start."""
    return datetime.fromtimestamp(int(start), tz=UTC)


def raw_record_text(record: object) -> str:
    """The record as received, as JSON text, stored whole so that a quarantined record can be
    re-ingested; only a line refused for its size is cut (see ``oversized_record_text``)."""
    try:
        return json.dumps(record, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):  # circular or too deeply nested structures
        return repr(record)


def oversized_record_text(head: str, size: int, digest: str) -> str:
    """What is kept of a record refused for its size: its first characters, length and hash."""
    return json.dumps(
        {"truncated": True, "bytes": size, "sha256": digest, "head": head[:STORED_OVERSIZED_BYTES]},
        ensure_ascii=False,
    )


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _require_str(container: Mapping[str, Any], key: str, where: str) -> str:
    if key not in container:
        raise _Reject(f"missing field {where}{key}")
    value = container[key]
    if not isinstance(value, str):
        raise _Reject(f"field {where}{key} must be a string, got {_type_name(value)}")
    return value


def plausible_start(value: object) -> int | None:
    """The start as whole epoch seconds when it is a plausible broadcast instant, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    return value if EARLIEST_START <= value < LATEST_START else None


def _parse_start(item: Mapping[str, Any]) -> int:
    if "start" not in item:
        raise _Reject("missing field start")
    value = item["start"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Reject(f"field start must be integer epoch seconds, got {_type_name(value)}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise _Reject(f"field start must be whole epoch seconds, got {value!r}")
    start = plausible_start(value)
    if start is None:
        hint = " (milliseconds?)" if value >= LATEST_START else ""
        raise _Reject(
            f"start {int(value)} is not a plausible epoch in seconds (years 2000-2099){hint}"
        )
    return start


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
    srt: list[Any] | None
    received_plaintext: str | None = None
    """The plaintext as received when it was replaced by the word list's words."""


def _channel(
    item: Mapping[str, Any], names: ChannelNames | None, origin: Origin | None
) -> tuple[str, str, bool]:
    """(canonical name, title, radio) of the record's channel, or _Reject with the reason."""
    if "channel" not in item and "channel_name" in item:
        # The flat export shape (channel_name, channel_title, channel_radio), as in real exports.
        item = {
            "channel": {
                key: item[f"channel_{key}"]
                for key in ("name", "title", "radio")
                if f"channel_{key}" in item
            }
        }
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
    if names is None:
        return name, title, radio
    known = names.resolve(name, radio)
    if known is None:
        raise _Reject(f"unknown channel {name!r}")
    if origin is not None and origin.asked_for is not None and known.name != origin.asked_for:
        shown = name if name == known.name else f"{name} ({known.name})"
        raise _Reject(f"asked for {origin.asked_for}, received {shown}")
    return known.name, known.title, known.radio


def _parse_fields(
    position: int,
    item: object,
    names: ChannelNames | None,
    origin: Origin | None,
    zone: ZoneInfo = PARIS,
) -> _Candidate:
    """Validate everything but the per-word content of srt (checked in bulk afterwards)."""
    if not isinstance(item, Mapping):
        raise _Reject(f"record is not an object, got {_type_name(item)}")
    name, title, radio = _channel(item, names, origin)
    start = _parse_start(item)
    plaintext = _require_str(item, "plaintext", "")
    if len(plaintext) > MAX_PLAINTEXT_CHARS:
        raise _Reject(
            f"plaintext of {len(plaintext)} characters exceeds the limit of "
            f"{MAX_PLAINTEXT_CHARS} for a 2-minute chunk"
        )
    words = plaintext.count(" ") + 1
    if words > MAX_WORDS and len(plaintext.split()) > MAX_WORDS:
        raise _Reject(
            f"plaintext of {len(plaintext.split())} words exceeds the limit of {MAX_WORDS}"
        )
    srt = item.get("srt")
    if srt is not None and not isinstance(srt, list):
        raise _Reject(f"field srt must be a list, got {_type_name(srt)}")
    if srt is not None and len(srt) > MAX_WORDS:
        raise _Reject(f"srt of {len(srt)} words exceeds the limit of {MAX_WORDS}")
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
        day=broadcast_day(start, zone),
        plaintext=plaintext,
        srt=srt,
    )


def _srt_entry_problem(srt: list[Any]) -> str:
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
) -> tuple[pa.ListArray, dict[int, str], np.ndarray]:
    """Vectorised per-word checks: entries complete, times within the chunk's plausible span.

    Word times that go backwards (overlapping words, interleaved caption streams) are repaired by
    making them non-decreasing within each list; returns the (possibly repaired) lists, the
    problems, and a per-list flag of repaired lists.
    """
    repaired = np.zeros(len(srt), dtype=bool)
    if len(srt) == 0:
        return srt, problems, repaired
    flat = srt.flatten()
    if len(flat) == 0:
        return srt, problems, repaired
    parents = pc.list_parent_indices(srt).to_numpy(zero_copy_only=False)
    offsets = srt.offsets.to_numpy()
    first_of_list = offsets[parents]

    def report(mask: np.ndarray, describe: Callable[..., str]) -> None:
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

    offset_ms = cts - starts[parents] * 1000
    outside = (offset_ms < SRT_EARLIEST_OFFSET_MS) | (offset_ms > SRT_LATEST_OFFSET_MS)
    report(
        outside,
        lambda p, i: (
            f"srt entry {i} is at {int(offset_ms[offsets[p] + i]) / 1000:+.3f} s from start "
            f"{int(starts[p])}, outside the chunk's plausible span "
            f"[{SRT_EARLIEST_OFFSET_MS / 1000:+.0f} s, {SRT_LATEST_OFFSET_MS / 1000:+.0f} s]: "
            "the word list cannot belong to this chunk (epoch milliseconds expected)"
        ),
    )
    decreasing = np.zeros(len(cts), dtype=bool)
    decreasing[1:] = (cts[1:] < cts[:-1]) & (parents[1:] == parents[:-1])
    if not decreasing.any():
        return srt, problems, repaired
    repaired[np.unique(parents[decreasing])] = True
    # Non-decreasing within each repaired list: a running maximum over that list's words.
    fixed = cts.copy()
    for parent in np.flatnonzero(repaired).tolist():
        low, high = int(offsets[parent]), int(offsets[parent + 1])
        fixed[low:high] = np.maximum.accumulate(fixed[low:high])
    words = pa.StructArray.from_arrays(
        [pa.array(fixed, pa.int64()), flat.field("duration_ms"), flat.field("text")],
        fields=list(SRT_WORD_TYPE),
        mask=pa.array(entry_null) if entry_null.any() else None,
    )
    rebuilt = pa.ListArray.from_arrays(srt.offsets, words, mask=srt.is_null())
    return rebuilt, problems, repaired


def _joined_words(srt: pa.ListArray) -> pa.Array:
    """Each word list's words joined by single spaces (null without a word list)."""
    texts = pa.ListArray.from_arrays(srt.offsets, srt.flatten().field("text"), mask=srt.is_null())
    return pc.binary_join(texts, " ")


def _normalised(text: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, r"\s+", " "))


def _agreement(plaintext: pa.Array, joined: pa.Array) -> np.ndarray:
    """Per chunk: 1 plaintext agrees with the word list, 0 disagrees, -1 no word list.

    Texts equal as received agree (normalising both gives equal texts); only the others are
    normalised and compared again. Nearly every chunk agrees as received, and the whitespace
    regex over a day's text was most of a demo day's parsing time."""
    values = pc.equal(plaintext, joined).fill_null(False).to_numpy(zero_copy_only=False)
    values = values.astype(np.int8)
    differing = np.flatnonzero(values == 0)
    if len(differing):
        rows = pa.array(differing)
        agrees = pc.equal(_normalised(plaintext.take(rows)), _normalised(joined.take(rows)))
        values[differing] = agrees.fill_null(False).to_numpy(zero_copy_only=False)
    values[joined.is_null().to_numpy(zero_copy_only=False)] = -1
    return np.asarray(values)


def _preferred(
    group: list[int], candidates: list[_Candidate], lengths: np.ndarray, agreement: np.ndarray
) -> int:
    """Order-independent choice among conflicting records: plaintext agreeing with its word list,
    then most srt words, then longest plaintext, then smallest content hash (to break a tie)."""

    def rank(index: int) -> tuple[int, int, int]:
        return (
            int(agreement[index] != 0),
            int(lengths[index]),
            len(candidates[index].plaintext),
        )

    best = max(rank(index) for index in group)
    tied = [index for index in group if rank(index) == best]
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


_RejectRow = tuple[date | None, int, Origin | None, str, object]


def parse_items(
    items: Iterable[object],
    source: str,
    *,
    origins: Sequence[Origin | None] | None = None,
    names: ChannelNames | None = None,
    zone: ZoneInfo = PARIS,
) -> ParsedCaptions:
    """Parse provider items into RAW_CAPTIONS_SCHEMA rows; set malformed, implausible and
    conflicting records aside. A row's `day` is its broadcast day in `zone`, the country's.

    ``names`` files every record under its canonical channel and quarantines unknown channels
    (without it, names are taken as they come: the ``match`` command); ``origins`` (parallel to
    ``items``) says where each record came from, for its quarantine row.

    Exact duplicates (same chunk id and same content) are dropped and counted. Conflicting records
    (same chunk id, different content) keep the one whose plaintext agrees with its word list, then
    the one with the most srt words, the longest plaintext, the smallest content hash, whatever the
    input order, and reject the others. An item whose plaintext is empty but whose srt has words
    gets its plaintext rebuilt from the words; an empty srt list is stored as null.
    """
    rejects: list[_RejectRow] = []
    candidates: list[_Candidate] = []
    candidate_origins: list[Origin | None] = []
    for position, item in enumerate(items):
        origin = origins[position] if origins is not None else None
        try:
            candidates.append(_parse_fields(position, item, names, origin, zone))
            candidate_origins.append(origin)
        except _Reject as error:
            rejects.append((_day_if_known(item, zone), position, origin, str(error), item))
        except RecursionError:
            rejects.append((None, position, origin, "record nested too deeply to read", item))

    starts = np.fromiter((c.start for c in candidates), dtype=np.int64, count=len(candidates))
    srt, problems = _convert_srt(candidates)
    srt, problems, repaired = _validate_srt(srt, starts, problems)
    for index, reason in problems.items():
        candidate = candidates[index]
        rejects.append(
            (candidate.day, candidate.position, candidate_origins[index], reason, candidate.raw)
        )
    keep = [index for index in range(len(candidates)) if index not in problems]

    lengths = pc.list_value_length(srt).fill_null(0).to_numpy()
    joined = _joined_words(srt)
    plaintexts = pa.array([c.plaintext for c in candidates], pa.string())
    agreement = _agreement(plaintexts, joined)
    received: dict[int, str] = {}
    for index in keep:
        candidate = candidates[index]
        if not candidate.plaintext.strip():
            candidate.plaintext = joined[index].as_py()
            agreement[index] = 1
        elif agreement[index] == 0:
            received[index] = candidate.received_plaintext = candidate.plaintext
            candidate.plaintext = joined[index].as_py()

    keep, duplicates = _resolve_duplicates(
        candidates, candidate_origins, keep, srt, lengths, agreement, rejects
    )

    keep.sort(key=lambda index: (candidates[index].channel_name, candidates[index].start))
    chosen = [candidates[index] for index in keep]
    taken = pa.array(keep, type=pa.int64())
    srt_column = srt.take(taken) if keep else pa.array([], SRT_TYPE)
    timing = ["none" if lengths[i] == 0 else ("repaired" if repaired[i] else "words") for i in keep]
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
            pa.array(timing, pa.string()),
            pa.array([None if agreement[i] < 0 else bool(agreement[i]) for i in keep], pa.bool_()),
            pa.array([received.get(i) for i in keep], pa.string()),
        ],
        schema=RAW_CAPTIONS_SCHEMA,
    )
    return ParsedCaptions(
        table=table,
        rejected=_reject_table(rejects, source),
        duplicates=duplicates,
        repaired=int(sum(1 for value in timing if value == "repaired")),
    )


def _resolve_duplicates(
    candidates: list[_Candidate],
    origins: list[Origin | None],
    keep: list[int],
    srt: pa.ListArray,
    lengths: np.ndarray,
    agreement: np.ndarray,
    rejects: list[_RejectRow],
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
        best = _preferred(group, candidates, lengths, agreement)
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
                f"kept {_where(origins[best], winner.position)}"
            )
            rejects.append((other.day, other.position, origins[index], reason, other.raw))
    return kept, duplicates


def _where(origin: Origin | None, position: int) -> str:
    if origin is None:
        return f"the record at position {position}"
    if origin.file is not None:
        at = f" line {origin.line}" if origin.line is not None else f" record {origin.index}"
        return f"the record of {origin.file}{at}"
    if origin.page is not None:
        return f"the record at page {origin.page} index {origin.index}"
    return f"the record at position {position}"


def _same_content(a: _Candidate, b: _Candidate, srt_a: pa.Scalar, srt_b: pa.Scalar) -> bool:
    return (
        a.channel_title == b.channel_title
        and a.channel_radio == b.channel_radio
        and a.plaintext == b.plaintext
        and a.received_plaintext == b.received_plaintext
        and srt_a.equals(srt_b)
    )


def _day_if_known(item: object, zone: ZoneInfo = PARIS) -> date | None:
    """Broadcast day of a rejected record when its start is still readable, else None."""
    if not isinstance(item, Mapping):
        return None
    start = plausible_start(item.get("start"))
    return broadcast_day(start, zone) if start is not None else None


def _reject_table(rejects: Sequence[_RejectRow], source: str) -> pa.Table:
    rows = sorted(rejects, key=lambda row: row[1])
    origins = [row[2] or Origin() for row in rows]
    return pa.Table.from_arrays(
        [
            pa.array([row[0] for row in rows], pa.date32()),
            pa.array([source] * len(rows), pa.string()),
            pa.array([o.file for o in origins], pa.string()),
            pa.array([o.line for o in origins], pa.int64()),
            pa.array([o.page for o in origins], pa.int64()),
            pa.array(
                [
                    o.index if o.index is not None else row[1]
                    for o, row in zip(origins, rows, strict=True)
                ],
                pa.int64(),
            ),
            pa.array([row[3] for row in rows], pa.string()),
            pa.array([raw_record_text(row[4]) for row in rows], pa.string()),
        ],
        schema=REJECT_SCHEMA,
    )


@dataclass(frozen=True, slots=True)
class PreRejected:
    """A record refused before item parsing (a line that is not JSON, a file that cannot be
    read): where it was, why, and its text as received."""

    origin: Origin
    reason: str
    record: str


def rejected_rows(
    rows: Iterable[PreRejected | tuple[int, str, str]], source: str, day: date | None = None
) -> pa.Table:
    """REJECT_SCHEMA table for records unreadable before item parsing (e.g. a bad JSON line)."""
    normalised = [
        row if isinstance(row, PreRejected) else PreRejected(Origin(index=row[0]), row[1], row[2])
        for row in rows
    ]
    return pa.Table.from_arrays(
        [
            pa.array([day] * len(normalised), pa.date32()),
            pa.array([source] * len(normalised), pa.string()),
            pa.array([r.origin.file for r in normalised], pa.string()),
            pa.array([r.origin.line for r in normalised], pa.int64()),
            pa.array([r.origin.page for r in normalised], pa.int64()),
            pa.array([r.origin.index for r in normalised], pa.int64()),
            pa.array([r.reason for r in normalised], pa.string()),
            pa.array([r.record for r in normalised], pa.string()),
        ],
        schema=REJECT_SCHEMA,
    )


def with_quality_columns(table: pa.Table) -> pa.Table:
    """CAPTION_SCHEMA rows a source built itself (demo) completed with the quality columns."""
    if "timing" in table.column_names:
        return table.select(RAW_CAPTIONS_SCHEMA.names).cast(RAW_CAPTIONS_SCHEMA)
    table = table.select(CAPTION_SCHEMA.names).cast(CAPTION_SCHEMA)
    srt = table["srt"].combine_chunks() if table.num_rows else pa.array([], SRT_TYPE)
    lengths = pc.list_value_length(srt).fill_null(0)
    timing = pc.if_else(pc.greater(lengths, 0), "words", "none")
    agreement = _agreement(table["plaintext"].combine_chunks(), _joined_words(srt))
    agrees = pa.array([None if a < 0 else bool(a) for a in agreement.tolist()], pa.bool_())
    return pa.Table.from_arrays(
        [*table.columns, timing, agrees, pa.nulls(table.num_rows, pa.string())],
        schema=RAW_CAPTIONS_SCHEMA,
    )
