"""Demo captions: a deterministic generator of provider-shaped caption chunks, in each channel's
language (French and Dutch sentences: observatoire/data/demo_sentences_<language>.toml).

The demo source lets anyone run the whole pipeline without a provider account. It writes its own
caption-style text (lowercase, no punctuation, `l' eau`, numbers in words, fillers, `<unk>`), with
per-word timings, only during each channel's programme-grid slots, and it reproduces the
irregularities of a real feed so that their handling is visible: a missing quarter hour, a
duplicated chunk, a chunk without word timings and one malformed record per day.

Output depends only on (seed, day, channel): a run restricted to some channels produces, for each of
them, the very chunks a full run produces. Sentences are tokenised once into pools; a chunk is a
slice of a pre-built word stream, so a year of 18 channels takes seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import json
import random
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import CHUNK_SECONDS, PARIS, day_interval
from observatoire.intake.records import CAPTION_SCHEMA, SRT_TYPE, SRT_WORD_TYPE, chunk_id

DEMO_SOURCE = "demo"


class _ChannelLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def radio(self) -> bool: ...


class _GridLike(Protocol):
    @property
    def channels(self) -> Sequence[str]: ...

    def slots_on(self, channel: str, day: date) -> Sequence[Any]: ...


# --------------------------------------------------------------------------- numbers in words

_UNITS = (
    *("zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix"),
    *("onze", "douze", "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf"),
)
_TENS = {2: "vingt", 3: "trente", 4: "quarante", 5: "cinquante", 6: "soixante"}


def _below_hundred(n: int) -> str:
    if n < 20:
        return _UNITS[n]
    if n < 70:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _TENS[tens]
        if unit == 1:
            return f"{_TENS[tens]} et un"
        return f"{_TENS[tens]}-{_UNITS[unit]}"
    if n < 80:
        return "soixante et onze" if n == 71 else f"soixante-{_UNITS[n - 60]}"
    if n == 80:
        return "quatre-vingts"
    return f"quatre-vingt-{_UNITS[n - 80]}"


def number_in_words(n: int, language: str = "fr") -> str:
    """Words for 0 ≤ n < 1,000,000 as speech-to-text writes them (`deux mille dix-neuf`,
    `tweeduizend negentien`)."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number out of range: {n}")
    if language == "nl":
        return _dutch_number(n)
    if language != "fr":
        raise ValueError(f"no demo numbers in language {language!r} (known: fr, nl)")
    if n < 100:
        return _below_hundred(n)
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "cent" if hundreds == 1 else f"{_UNITS[hundreds]} cent"
        if rest == 0:
            return head if hundreds == 1 else head + "s"
        return f"{head} {_below_hundred(rest)}"
    thousands, rest = divmod(n, 1000)
    head = "mille" if thousands == 1 else f"{number_in_words(thousands)} mille"
    return head if rest == 0 else f"{head} {number_in_words(rest)}"


_NL_UNITS = (
    *("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"),
    *("elf", "twaalf", "dertien", "veertien", "vijftien", "zestien", "zeventien", "achttien"),
    "negentien",
)
_NL_TENS = {
    2: "twintig", 3: "dertig", 4: "veertig", 5: "vijftig",
    6: "zestig", 7: "zeventig", 8: "tachtig", 9: "negentig",
}  # fmt: skip


def _dutch_number(n: int) -> str:
    """Dutch number words: units before tens (`vierentwintig`, `tweeëntwintig`), hundreds glued
    (`tweehonderdvijftig`), thousands apart (`tweeduizend zesentwintig`)."""
    if n < 20:
        return _NL_UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        if unit == 0:
            return _NL_TENS[tens]
        word = _NL_UNITS[unit]
        return word + ("ën" if word.endswith("e") else "en") + _NL_TENS[tens]
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = "honderd" if hundreds == 1 else _NL_UNITS[hundreds] + "honderd"
        return head if rest == 0 else head + _dutch_number(rest)
    thousands, rest = divmod(n, 1000)
    head = "duizend" if thousands == 1 else _dutch_number(thousands) + "duizend"
    return head if rest == 0 else f"{head} {_dutch_number(rest)}"


# --------------------------------------------------------------------------- sentence templates


@dataclass(frozen=True)
class _Sentences:
    """The sentence templates of observatoire/data/demo_sentences_<language>.toml, in file
    order."""

    language: str
    hesitation: str
    fill: dict[str, list[str]]
    numbers: dict[str, tuple[int, int]]
    topics: dict[str, list[str]]
    ordinary_weights: dict[str, int]
    environment_weights: dict[str, int]


DEMO_LANGUAGES = ("fr", "nl")
"""The languages the demo speaks: those with a sentence file and number words."""


@cache
def _sentences(language: str = "fr") -> _Sentences:
    """Read once: the text lives in a data file so that editing sentences is not a code change;
    ordinary topics come first, then the environmental ones, as the file lists them."""
    if language not in DEMO_LANGUAGES:
        raise ValueError(
            f"the demo has no sentences in language {language!r} "
            f"(known: {', '.join(DEMO_LANGUAGES)}): add data/demo_sentences_{language}.toml"
        )
    path = resources.files("observatoire").joinpath(f"data/demo_sentences_{language}.toml")
    data = tomllib.loads(path.read_text("utf-8"))
    ordinary, environment = data["ordinary"], data["environment"]
    return _Sentences(
        language=language,
        hesitation=data.get("hesitation", "euh"),
        fill=data["fill"],
        numbers={name: (low, high) for name, (low, high) in data["numbers"].items()},
        topics={
            name: topic["sentences"]
            for group in (ordinary, environment)
            for name, topic in group.items()
        },
        ordinary_weights={
            name: topic["weight"] for name, topic in ordinary.items() if "weight" in topic
        },
        environment_weights={name: topic["weight"] for name, topic in environment.items()},
    )


_VARIANTS_PER_TEMPLATE = 6
_UNK_RATE = 0.012
_FILLER_RATE = 0.05
_PUB_RATE = 0.08


def _fill(template: str, rng: random.Random, language: str = "fr") -> str:
    sentences = _sentences(language)
    out = template
    while "{" in out:
        before, rest = out.split("{", 1)
        name, after = rest.split("}", 1)
        if name in sentences.numbers:
            low, high = sentences.numbers[name]
            value = number_in_words(rng.randint(low, high), language)
        else:
            value = rng.choice(sentences.fill[name])
        out = before + value + after
    return out


def caption_tokens(text: str, language: str = "fr") -> list[str]:
    """Split as speech-to-text writes: French elided words apart (`l'eau` -> `l'`, `eau`);
    other languages keep an apostrophe inside its word (`auto's`)."""
    if language != "fr":
        return text.lower().split()
    tokens: list[str] = []
    for word in text.lower().split():
        while "'" in word[:-1]:
            elided, word = word.split("'", 1)
            tokens.append(elided + "'")
        tokens.append(word)
    return tokens


def _spoken(text: str, rng: random.Random, language: str = "fr") -> list[str]:
    hesitation = _sentences(language).hesitation
    words: list[str] = []
    for word in caption_tokens(text, language):
        if rng.random() < _FILLER_RATE:
            words.append(hesitation)
        words.append("<unk>" if rng.random() < _UNK_RATE else word)
    return words


@dataclass(frozen=True)
class _Pools:
    """Every sentence variant tokenised once, flattened into numpy arrays.

    Sentence s has words `word_ids[first[s]:first[s] + size[s]]`, spoken at `offsets_ms` after the
    sentence starts. Topic t owns sentences `topic_first[t]` onwards, grouped by template
    (`_VARIANTS_PER_TEMPLATE` consecutive variants each), `topic_templates[t]` templates.
    """

    vocabulary: pa.Array
    word_ids: np.ndarray
    offsets_ms: np.ndarray
    durations_ms: np.ndarray
    first: np.ndarray
    size: np.ndarray
    length_ms: np.ndarray
    topics: tuple[str, ...]
    topic_first: np.ndarray
    topic_templates: np.ndarray
    ordinary: np.ndarray
    ordinary_p: np.ndarray
    environment: np.ndarray
    environment_p: np.ndarray
    pub: int


@cache
def _pools(language: str = "fr") -> _Pools:
    rng = random.Random(
        "observatoire-demo-pools" if language == "fr" else f"observatoire-demo-pools-{language}"
    )
    sentences = _sentences(language)
    templates = sentences.topics
    vocabulary: dict[str, int] = {}
    word_ids: list[int] = []
    offsets: list[int] = []
    durations: list[int] = []
    first: list[int] = []
    size: list[int] = []
    length: list[int] = []
    topic_first: list[int] = []
    topic_templates: list[int] = []
    for items in templates.values():
        topic_first.append(len(first))
        topic_templates.append(len(items))
        for template in items:
            for _ in range(_VARIANTS_PER_TEMPLATE):
                words = _spoken(_fill(template, rng, language), rng, language)
                first.append(len(word_ids))
                size.append(len(words))
                clock = 0
                for word in words:
                    duration = 300 if word == "<unk>" else min(900, 70 + 48 * len(word))
                    duration += rng.randint(0, 40)
                    word_ids.append(vocabulary.setdefault(word, len(vocabulary)))
                    offsets.append(clock)
                    durations.append(duration)
                    clock += duration + rng.randint(15, 70)
                length.append(clock)
    topics = tuple(templates)

    def weights(table: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        index = np.array([topics.index(name) for name in table], dtype=np.int64)
        p = np.array(list(table.values()), dtype=np.float64)
        return index, p / p.sum()

    ordinary, ordinary_p = weights(sentences.ordinary_weights)
    environment, environment_p = weights(sentences.environment_weights)
    return _Pools(
        vocabulary=pa.array(list(vocabulary), pa.string()),
        word_ids=np.array(word_ids, dtype=np.int32),
        offsets_ms=np.array(offsets, dtype=np.int64),
        durations_ms=np.array(durations, dtype=np.int32),
        first=np.array(first, dtype=np.int64),
        size=np.array(size, dtype=np.int64),
        length_ms=np.array(length, dtype=np.int64),
        topics=topics,
        topic_first=np.array(topic_first, dtype=np.int64),
        topic_templates=np.array(topic_templates, dtype=np.int64),
        ordinary=ordinary,
        ordinary_p=ordinary_p,
        environment=environment,
        environment_p=environment_p,
        pub=topics.index("pub"),
    )


# --------------------------------------------------------------------------- airtime mix


def _stable_fraction(text: str) -> float:
    """A number in [0, 1) fixed by the text (independent of PYTHONHASHSEED)."""
    return random.Random(text).random()


def environment_story_rate(day: date, channel_name: str, seed: int = 0) -> float:
    """Probability that a news story is about the environment, for a channel on a day.

    A few percent, higher on some channels than on others, higher in the summer heat and around
    the November-December climate conferences, and noisy from day to day.
    """
    channel_factor = 0.55 + 1.1 * _stable_fraction(f"{seed}:channel:{channel_name}")
    day_of_year = day.timetuple().tm_yday
    summer = 0.8 if 180 <= day_of_year <= 240 else 0.0
    conference = (day.month == 11 and day.day >= 10) or (day.month == 12 and day.day <= 12)
    noise = 0.5 + _stable_fraction(f"{seed}:day:{day.isoformat()}")
    return 0.02 * channel_factor * (1.0 + summer + 0.7 * conference) * noise


# --------------------------------------------------------------------------- speech streams


def _generator(*parts: object) -> np.random.Generator:
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _speech(
    rng: np.random.Generator, start_ms: int, end_ms: int, env_rate: float, language: str = "fr"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Word ids (in the language's pools), times and durations of continuous news speech over
    [start_ms, end_ms)."""
    pools = _pools(language)
    stories = max(4, int((end_ms - start_ms) / 25_000) + 4)
    sentences = np.zeros(0, dtype=np.int64)
    gaps = np.zeros(0, dtype=np.int64)
    while True:
        environmental = rng.random(stories) < env_rate
        topic = np.where(
            environmental,
            rng.choice(pools.environment, size=stories, p=pools.environment_p),
            rng.choice(pools.ordinary, size=stories, p=pools.ordinary_p),
        )
        topic = np.where(rng.random(stories) < _PUB_RATE, pools.pub, topic)
        templates = pools.topic_templates[topic]
        count = np.where(environmental, rng.integers(4, 13, stories), rng.integers(3, 11, stories))
        count = np.minimum(np.where(topic == pools.pub, 1, count), templates)
        story = np.repeat(np.arange(stories), count)
        position = np.arange(len(story)) - np.repeat(np.cumsum(count) - count, count)
        # Consecutive templates of the topic, so a story reads as one report.
        template = (rng.integers(0, 1 << 30, stories)[story] + position) % templates[story]
        variant = rng.integers(0, _VARIANTS_PER_TEMPLATE, len(story))
        chosen = (
            pools.topic_first[topic[story]] + template * _VARIANTS_PER_TEMPLATE + variant
        ).astype(np.int64)
        pause: np.ndarray = rng.integers(250, 700, len(story))
        story_end = np.zeros(len(story), dtype=bool)
        story_end[np.cumsum(count) - 1] = True
        pause = pause + story_end * rng.integers(500, 2500, len(story))
        sentences = np.concatenate([sentences, chosen])
        gaps = np.concatenate([gaps, pause])
        if (pools.length_ms[sentences] + gaps).sum() >= end_ms - start_ms:
            break
    sentence_start = start_ms + np.concatenate(
        [[0], np.cumsum(pools.length_ms[sentences] + gaps)[:-1]]
    )
    keep = sentence_start < end_ms
    sentences, sentence_start = sentences[keep], sentence_start[keep]
    sizes = pools.size[sentences]
    owner = np.repeat(np.arange(len(sentences)), sizes)
    flat = np.repeat(pools.first[sentences] - (np.cumsum(sizes) - sizes), sizes) + np.arange(
        sizes.sum()
    )
    times = sentence_start[owner] + pools.offsets_ms[flat]
    return pools.word_ids[flat], times, pools.durations_ms[flat]


def _epoch(value: Any) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp())
    return int(value)


def _chunk_starts(slots: Sequence[Any], day_start: int, day_end: int) -> list[int]:
    """Starts (epoch s, multiples of 120) of the chunks overlapping the slots, within the day."""
    starts: set[int] = set()
    for slot in slots:
        begin = max(_epoch(slot.start_utc), day_start)
        end = min(_epoch(slot.end_utc), day_end)
        first = begin - begin % CHUNK_SECONDS
        starts.update(range(first, end, CHUNK_SECONDS))
    return sorted(s for s in starts if day_start <= s < day_end)


def _runs(starts: list[int]) -> list[tuple[int, int]]:
    """Consecutive chunk starts grouped into (first, last + 120) runs of continuous speech."""
    runs: list[tuple[int, int]] = []
    for start in starts:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], start + CHUNK_SECONDS)
        else:
            runs.append((start, start + CHUNK_SECONDS))
    return runs


@dataclass
class _ChannelSpeech:
    starts: list[int]
    word_ids: np.ndarray
    times: np.ndarray
    durations: np.ndarray
    bounds: np.ndarray
    """Chunk i holds words bounds[i]:bounds[i + 1]."""


def _channel_speech(
    starts: list[int], rng: np.random.Generator, env_rate: float, language: str = "fr"
) -> _ChannelSpeech:
    ids: list[np.ndarray] = []
    times: list[np.ndarray] = []
    durations: list[np.ndarray] = []
    bounds: list[np.ndarray] = []
    offset = 0
    for run_start, run_end in _runs(starts):
        # The provider cuts words a second or so before each chunk's start (METHODOLOGY §1).
        lead_ms = int(rng.integers(0, 1500))
        run_ids, run_times, run_durations = _speech(
            rng, run_start * 1000 - lead_ms, run_end * 1000 - lead_ms, env_rate, language
        )
        edges = np.arange(run_start, run_end, CHUNK_SECONDS, dtype=np.int64) * 1000 - lead_ms
        bounds.append(offset + np.searchsorted(run_times, edges))
        ids.append(run_ids)
        times.append(run_times)
        durations.append(run_durations)
        offset += len(run_ids)
    if not ids:
        empty = np.zeros(0, dtype=np.int64)
        return _ChannelSpeech([], empty.astype(np.int32), empty, empty.astype(np.int32), empty)
    return _ChannelSpeech(
        starts=starts,
        word_ids=np.concatenate(ids),
        times=np.concatenate(times),
        durations=np.concatenate(durations),
        bounds=np.concatenate([*bounds, [offset]]),
    )


# --------------------------------------------------------------------------- irregularities


def _drop_quarter_hour(starts: list[int], rng: np.random.Generator) -> list[int]:
    """Remove the chunks of one quarter hour, as when the provider's recorder was down."""
    if len(starts) < 16:
        return starts
    gap_start = starts[int(rng.integers(0, len(starts) - 8))]
    gap_start -= gap_start % 900
    return [s for s in starts if not gap_start <= s < gap_start + 900]


def _malformed(item: dict[str, Any], day: date) -> dict[str, Any]:
    """A broken copy of an item; which defect depends on the day, so each kind shows up."""
    broken = dict(item)
    kind = day.toordinal() % 3
    if kind == 0:
        broken["start"] = item["start"] * 1000  # milliseconds where seconds are expected
    elif kind == 1:
        broken["plaintext"] = None
    else:
        broken["channel"] = {"title": item["channel"]["title"], "radio": item["channel"]["radio"]}
    return broken


def _pick(names: list[str], day: date, salt: int) -> str:
    return names[(day.toordinal() * 7 + salt) % len(names)]


# --------------------------------------------------------------------------- the demo day


@dataclass(frozen=True)
class DemoDay:
    """One generated broadcast day: regular chunks as typed columns, irregular records as items.

    `chunks` (CAPTION_SCHEMA) holds every regular chunk, built column-wise so a year takes
    seconds. `items` are provider-shaped records that must go through item parsing: a chunk sent
    twice, a chunk without word timings and one malformed record; their chunk ids never collide
    with `chunks`.
    """

    chunks: pa.Table
    items: list[dict[str, Any]]

    def all_items(self) -> list[dict[str, Any]]:
        """Everything as provider items (the API shape), sorted by channel and start."""
        rows = self.chunks.to_pylist()
        items = [
            {
                "channel": {
                    "name": row["channel_name"],
                    "title": row["channel_title"],
                    "radio": row["channel_radio"],
                },
                "start": int(row["start"].timestamp()),
                "plaintext": row["plaintext"],
                "srt": row["srt"],
            }
            for row in rows
        ]
        return sorted(items + self.items, key=_item_order)


def _item_order(item: dict[str, Any]) -> tuple[str, int]:
    channel = item.get("channel") or {}
    start = item.get("start")
    return str(channel.get("name", "")), start if isinstance(start, int) else 0


def _item(
    channel: _ChannelLike,
    start: int,
    words: list[str],
    times: Sequence[int] | np.ndarray,
    durations: Sequence[int] | np.ndarray,
) -> dict[str, Any]:
    srt = [
        {"cts_in_ms": int(t), "duration_ms": int(d), "text": w}
        for w, t, d in zip(words, times, durations, strict=True)
    ]
    head = {"name": channel.name, "title": channel.title, "radio": bool(channel.radio)}
    return {"channel": head, "start": start, "plaintext": " ".join(words), "srt": srt}


def _special_chunks(
    channel: str, starts: list[int], names: list[str], day: date, rng: np.random.Generator
) -> dict[int, str]:
    """Which chunks of a channel's day are made irregular (untimed, duplicate, malformed): each
    kind goes to one channel of the day, on a chunk drawn from the channel's generator."""
    special: dict[int, str] = {}
    if not starts:
        return special
    for kind, salt in (("untimed", 4), ("duplicate", 3), ("malformed", 5)):
        if channel == _pick(names, day, salt):
            index = int(rng.integers(0, len(starts)))
            while index in special and len(special) < len(starts):
                index = (index + 1) % len(starts)
            special.setdefault(index, kind)
    return special


def channel_language(channel: _ChannelLike) -> str:
    """The language a channel speaks (French for a channel-like object without one)."""
    return str(getattr(channel, "language", "fr"))


def demo_day(
    day: date,
    channels: Sequence[_ChannelLike],
    grid: _GridLike,
    seed: int = 0,
    zone: ZoneInfo | None = None,
) -> DemoDay:
    """Generate one broadcast day for the given channels (see the module docstring), each in
    its language, in the grid's time zone unless `zone` says otherwise."""
    local: ZoneInfo = zone or getattr(grid, "zone", None) or PARIS
    day_start, day_end = day_interval(day, local)
    columns: dict[str, list[Any]] = {
        "channel": [],
        "start": [],
        "words": [],
        "times": [],
        "durations": [],
        "sizes": [],
    }
    irregular: list[dict[str, Any]] = []
    ordered = sorted(channels, key=lambda c: c.name)
    universe = set(getattr(grid, "channels", ())) | {channel.name for channel in ordered}
    planned = {
        name: _chunk_starts(grid.slots_on(name, day), day_start, day_end) for name in universe
    }
    # Irregularities land on channels of the whole grid that broadcast something that day, so a
    # run restricted to some channels gets exactly the chunks a full run gets for them.
    names = [name for name in sorted(planned) if planned[name]] or sorted(planned)
    for channel in ordered:
        rng = _generator(seed, day.isoformat(), channel.name)
        language = channel_language(channel)
        vocabulary = _pools(language).vocabulary
        starts = planned[channel.name]
        if channel.name == _pick(names, day, 1):
            starts = _drop_quarter_hour(starts, rng)
        speech = _channel_speech(
            starts, rng, environment_story_rate(day, channel.name, seed), language
        )
        special = _special_chunks(channel.name, starts, names, day, rng)
        for index, start in enumerate(speech.starts):
            low, high = int(speech.bounds[index]), int(speech.bounds[index + 1])
            kind = special.get(index)
            if kind in ("untimed", "duplicate"):
                words = vocabulary.take(pa.array(speech.word_ids[low:high])).to_pylist()
                item = _item(
                    channel, start, words, speech.times[low:high], speech.durations[low:high]
                )
                if kind == "untimed":
                    del item["srt"]
                    irregular.append(item)
                else:
                    irregular.extend([item, dict(item)])
                continue
            if kind == "malformed":
                words = vocabulary.take(pa.array(speech.word_ids[low:high])).to_pylist()
                item = _item(
                    channel, start, words, speech.times[low:high], speech.durations[low:high]
                )
                irregular.append(_malformed(item, day))
            columns["channel"].append(channel)
            columns["start"].append(start)
            columns["sizes"].append(high - low)
            columns["words"].append(vocabulary.take(pa.array(speech.word_ids[low:high])))
            columns["times"].append(speech.times[low:high])
            columns["durations"].append(speech.durations[low:high])
    return DemoDay(chunks=_chunks_table(columns, day), items=irregular)


def _chunks_table(columns: dict[str, list[Any]], day: date) -> pa.Table:
    count = len(columns["start"])
    if count == 0:
        return CAPTION_SCHEMA.empty_table()
    sizes = np.array(columns["sizes"], dtype=np.int64)
    offsets = pa.array(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int32))
    words = pa.concat_arrays(columns["words"])
    srt_words = pa.StructArray.from_arrays(
        [
            pa.array(np.concatenate(columns["times"]), pa.int64()),
            pa.array(np.concatenate(columns["durations"]), pa.int32()),
            words,
        ],
        fields=list(SRT_WORD_TYPE),
    )
    plaintext = pc.binary_join(pa.ListArray.from_arrays(offsets, words), " ")
    channels = columns["channel"]
    starts = columns["start"]
    return pa.Table.from_arrays(
        [
            pa.array([chunk_id(c.name, s) for c, s in zip(channels, starts, strict=True)]),
            pa.array([c.name for c in channels], pa.string()),
            pa.array([c.title for c in channels], pa.string()),
            pa.array([bool(c.radio) for c in channels], pa.bool_()),
            pa.array(starts, pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            pa.array([day] * count, pa.date32()),
            plaintext,
            pa.ListArray.from_arrays(offsets, srt_words, type=SRT_TYPE),
            pa.array([DEMO_SOURCE] * count, pa.string()),
        ],
        schema=CAPTION_SCHEMA,
    )


def demo_items(
    day: date, channels: Sequence[_ChannelLike], grid: _GridLike, seed: int = 0
) -> list[dict[str, Any]]:
    """Provider-shaped caption items of one broadcast day for the given channels.

    One item per channel per 2 minutes of its grid slots, in the API item shape
    (`channel`, `start`, `plaintext`, `srt`), including the day's irregular records: a missing
    quarter hour, an exact duplicate of a chunk, a chunk without word timings and one malformed
    record, each on a channel picked by the day.
    """
    return demo_day(day, channels, grid, seed).all_items()


def write_demo_drop_folder(
    folder: str | Path,
    days: Iterable[date],
    channels: Sequence[_ChannelLike],
    grid: _GridLike,
    seed: int = 0,
) -> list[Path]:
    """Write demo days as a caption drop folder (`<folder>/YYYY-MM-DD/<channel>.jsonl`, one
    provider item per line), so a country's demo runs through its real files source.

    The files hold every item of `demo_items`, irregular records included: the duplicate, the
    untimed chunk and the malformed record reach the source as they would from a provider (a
    malformed record without a channel name goes to `records.jsonl`). Day folders are the
    grid's days, in its time zone. Existing files of the same names are replaced.
    """
    root = Path(folder)
    written: list[Path] = []
    for day in days:
        by_file: dict[str, list[str]] = {}
        for item in demo_items(day, channels, grid, seed):
            head = item.get("channel")
            name = head.get("name") if isinstance(head, dict) else None
            line = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            by_file.setdefault(f"{name}.jsonl" if name else "records.jsonl", []).append(line)
        day_folder = root / day.isoformat()
        day_folder.mkdir(parents=True, exist_ok=True)
        for file_name, lines in sorted(by_file.items()):
            path = day_folder / file_name
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            written.append(path)
    return written
