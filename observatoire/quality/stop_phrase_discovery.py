"""Candidate stop phrases: keyword contexts repeated word for word, like advertising.

An advertisement or a programme jingle that says "climat" is broadcast many times a week with the
very same words, and each broadcast adds environmental minutes that no journalist said. Ordinary
news rarely repeats twenty words verbatim across days. So, for the keywords a channel says most,
we look at the words around each occurrence and keep the longest contexts that come back
identically in many different chunks on several days. A human then reads the candidates and
accepts the real ones into the stop-phrase list; nothing here changes the measure by itself.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.text import normalize, tokenize

CANDIDATE_SCHEMA = pa.schema(
    [
        ("phrase", pa.string()),
        ("keyword", pa.string()),
        ("tokens", pa.int32()),
        ("channels", pa.string()),
        ("channel_count", pa.int32()),
        ("chunks", pa.int64()),
        ("max_chunks_per_channel", pa.int64()),
        ("days", pa.int32()),
        ("example_chunk_id", pa.string()),
        ("example_start", pa.timestamp("s", tz="UTC")),
    ]
)


@dataclass(frozen=True, slots=True)
class DiscoveryParameters:
    """Thresholds of the search; the defaults suit a week of one channel's captions."""

    top_keywords: int = 30
    """Keywords examined per channel, the most frequent first."""
    context_tokens: int = 8
    """Words looked at on each side of a keyword occurrence."""
    min_tokens: int = 7
    """Shortest candidate, keyword included: short contexts repeat by chance."""
    min_chunks: int = 4
    """Distinct chunks of one channel in which the phrase must appear."""
    min_days: int = 2
    """Distinct days: a report re-aired the same evening is news, an advert comes back."""
    subsumed_ratio: float = 0.8
    """A shorter phrase is dropped when a longer accepted one covers this share of its chunks."""
    max_per_keyword: int = 5


def _occurrences(
    keywords: pa.Table, top_keywords: int
) -> dict[str, list[tuple[str, str, int, int]]]:
    """Per channel, (chunk_id, keyword, token_index, token_count) of its most frequent keywords.

    A keyword listed under two themes yields two evidence rows for one occurrence; they collapse.
    """
    rows = keywords.select(["channel_name", "chunk_id", "keyword", "token_index"]).to_pylist()
    distinct = sorted(
        {(r["channel_name"], r["chunk_id"], r["token_index"], r["keyword"]) for r in rows}
    )
    frequency: dict[str, Counter[str]] = defaultdict(Counter)
    for channel, _, _, keyword in distinct:
        frequency[channel][keyword] += 1
    chosen = {
        channel: {
            k for k, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top_keywords]
        }
        for channel, counter in frequency.items()
    }
    sizes = {k: max(1, len(tokenize(k))) for _, _, _, k in distinct}
    out: dict[str, list[tuple[str, str, int, int]]] = defaultdict(list)
    for channel, chunk, index, keyword in distinct:
        if keyword in chosen[channel]:
            out[channel].append((chunk, keyword, int(index), sizes[keyword]))
    return out


def _contexts(
    tokens: list[str], index: int, count: int, params: DiscoveryParameters
) -> Iterable[tuple[str, ...]]:
    """Every phrase made of the occurrence plus up to `context_tokens` words on each side."""
    left = tokens[max(0, index - params.context_tokens) : index]
    core = tokens[index : index + count]
    right = tokens[index + count : index + count + params.context_tokens]
    for n_left in range(len(left) + 1):
        before = left[len(left) - n_left :]
        for n_right in range(len(right) + 1):
            if n_left + count + n_right >= params.min_tokens:
                yield (*before, *core, *right[:n_right])


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


def discover_stop_phrases(
    keywords: pa.Table,
    captions: pa.Table,
    *,
    existing_stop_phrases: Iterable[str] = (),
    params: DiscoveryParameters | None = None,
) -> pa.Table:
    """Candidate stop phrases (CANDIDATE_SCHEMA), most repeated first.

    `keywords` is the `theme_keywords` evidence of a period (its `token_index` refers to the
    normalised chunk text) and `captions` the `raw_captions` of the same period (chunk_id,
    channel_name, start, day, plaintext).
    """
    params = params or DiscoveryParameters()
    if keywords.num_rows == 0 or captions.num_rows == 0:
        return CANDIDATE_SCHEMA.empty_table()
    chunks = _ChunkFacts.of(captions, set(keywords["chunk_id"].to_pylist()))
    known = {normalize(p) for p in existing_stop_phrases}

    # phrase -> keyword, and (phrase, channel) -> chunks where it was said
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    phrase_keyword: dict[str, str] = {}
    for channel, occurrences in _occurrences(keywords, params.top_keywords).items():
        per_keyword = _phrases_per_keyword(occurrences, chunks.texts, params)
        for keyword, phrases in per_keyword.items():
            for phrase, said_in in _accepted_phrases(phrases, chunks.day, known, params):
                seen[(phrase, channel)] |= said_in
                phrase_keyword.setdefault(phrase, keyword)
    rows = _candidate_rows(seen, phrase_keyword, chunks)
    return pa.Table.from_pylist(rows, schema=CANDIDATE_SCHEMA)


@dataclass(frozen=True)
class _ChunkFacts:
    """Normalisable text, broadcast day and start of the chunks holding a keyword."""

    texts: dict[str, str]
    day: dict[str, object]
    start: dict[str, object]

    @classmethod
    def of(cls, captions: pa.Table, wanted: set[str]) -> _ChunkFacts:
        chunk_rows = captions.filter(
            pc.is_in(captions["chunk_id"], value_set=pa.array(sorted(wanted), pa.string()))
        ).select(["chunk_id", "start", "day", "plaintext"])
        facts = cls({}, {}, {})
        for row in chunk_rows.to_pylist():
            facts.texts[row["chunk_id"]] = row["plaintext"] or ""
            facts.day[row["chunk_id"]] = row["day"]
            facts.start[row["chunk_id"]] = row["start"]
        return facts


def _phrases_per_keyword(
    occurrences: Iterable[tuple[str, str, int, int]],
    texts: dict[str, str],
    params: DiscoveryParameters,
) -> dict[str, dict[str, set[str]]]:
    """keyword -> phrase around it -> chunks where that phrase was said, on one channel."""
    per_keyword: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk, keyword, index, count in occurrences:
        if chunk not in texts:
            continue
        tokens = tokenize(texts[chunk])
        if index + count > len(tokens):
            continue
        for context in _contexts(tokens, index, count, params):
            per_keyword[keyword][" ".join(context)].add(chunk)
    return per_keyword


def _accepted_phrases(
    phrases: dict[str, set[str]],
    chunk_day: dict[str, object],
    known: set[str],
    params: DiscoveryParameters,
) -> list[tuple[str, set[str]]]:
    """A keyword's phrases said often enough on enough days, longest first, without those a
    longer accepted phrase already covers, at most `max_per_keyword`."""
    qualifying = [
        (phrase, chunks)
        for phrase, chunks in phrases.items()
        if len(chunks) >= params.min_chunks
        and len({chunk_day[c] for c in chunks}) >= params.min_days
        and not any(_contains(stop, phrase) for stop in known)
    ]
    qualifying.sort(key=lambda pc_: (-len(pc_[0].split(" ")), -len(pc_[1]), pc_[0]))
    accepted: list[tuple[str, set[str]]] = []
    for phrase, chunks in qualifying:
        covered = any(
            _contains(longer, phrase) and len(longer_chunks) >= params.subsumed_ratio * len(chunks)
            for longer, longer_chunks in accepted
        )
        if not covered:
            accepted.append((phrase, chunks))
        if len(accepted) >= params.max_per_keyword:
            break
    return accepted


def _candidate_rows(
    seen: dict[tuple[str, str], set[str]], phrase_keyword: dict[str, str], chunks: _ChunkFacts
) -> list[dict[str, Any]]:
    """One row per phrase over its channels, most repeated first."""
    by_phrase: dict[str, dict[str, set[str]]] = defaultdict(dict)
    for (phrase, channel), said_in in seen.items():
        by_phrase[phrase][channel] = said_in
    rows: list[dict[str, Any]] = []
    for phrase, channels in by_phrase.items():
        all_chunks: set[str] = set().union(*channels.values())
        example = min(all_chunks, key=lambda c: (chunks.start[c], c))
        rows.append(
            {
                "phrase": phrase,
                "keyword": phrase_keyword[phrase],
                "tokens": len(phrase.split(" ")),
                "channels": ", ".join(sorted(channels)),
                "channel_count": len(channels),
                "chunks": len(all_chunks),
                "max_chunks_per_channel": max(len(c) for c in channels.values()),
                "days": len({chunks.day[c] for c in all_chunks}),
                "example_chunk_id": example,
                "example_start": chunks.start[example],
            }
        )
    rows.sort(key=lambda r: (-r["chunks"], -r["tokens"], r["phrase"]))
    return rows


def candidates_markdown(candidates: pa.Table, limit: int = 20) -> str:
    """A short table for the UI, with the exact lines to paste into the stop-phrase file."""
    if candidates.num_rows == 0:
        return "No candidate stop phrase this week."
    lines = [
        "| phrase | keyword | chunks | days | channels |",
        "|---|---|---:|---:|---|",
    ]
    for row in candidates.slice(0, limit).to_pylist():
        lines.append(
            f"| {row['phrase']} | {row['keyword']} | {row['chunks']} | {row['days']} "
            f"| {row['channels']} |"
        )
    lines += [
        "",
        "To accept a candidate, add its phrase as one line of "
        "`observatoire/data/stop_phrases_fr.txt` and re-match the affected days.",
    ]
    return "\n".join(lines)
