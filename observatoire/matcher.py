"""Keyword matching of caption chunks (METHODOLOGY §3) and their window counters (§4).

One Aho-Corasick automaton holds every inflected form of every keyword plus every stop phrase,
each written between spaces, so a single pass over `" " + normalised text + " "` finds every
whole-token occurrence. Python then works per match only: stop-phrase masking, removal of
occurrences nested in a longer one, timing, windows, promotion and counters
(`observatoire.counting`).

Column names: counters are `number_of_keywords_<name>` for each crisis, causal link and theme,
except that a theme whose name is also a crisis or causal-link name (the theme `ressources`)
is written `number_of_keywords_theme_<name>`, so that no column means two things. Use
`crisis_column`, `causal_link_column` and `theme_column` rather than building names by hand.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Final, NamedTuple

import ahocorasick
import numpy as np
import pyarrow as pa

from observatoire.counting import CHUNK_SECONDS, count_windows, number_of_windows, windows_of
from observatoire.dictionary import KeywordDictionary
from observatoire.text import PROFILES, keyword_variants, normalize
from observatoire.themes import CAUSAL_LINKS, CRISES, THEMES
from observatoire.word_timing import BatchWordTimes, align_token_times

# An excerpt shows the keyword with five words either side (when the text has them).
EXCERPT_TOKENS: Final = 5
# Characters searched on each side; words longer than this on average shorten the excerpt.
_EXCERPT_REACH: Final = EXCERPT_TOKENS * 30
_TOTAL_MS: Final = CHUNK_SECONDS * 1000


def crisis_column(crisis: str, no_hrfp: bool = False) -> str:
    """Segment column counting the windows of one crisis (direct occurrences only if no_hrfp)."""
    return f"number_of_keywords_{crisis}" + ("_no_hrfp" if no_hrfp else "")


def causal_link_column(causal_link: str) -> str:
    """Segment column counting the windows of one causal link."""
    return f"number_of_keywords_{causal_link}"


def theme_column(theme: str) -> str:
    """Segment column counting the windows of one theme (never equal to a crisis column)."""
    if theme in CRISES or theme in CAUSAL_LINKS:
        return f"number_of_keywords_theme_{theme}"
    return f"number_of_keywords_{theme}"


COUNTER_COLUMNS: Final[tuple[str, ...]] = (
    "number_of_keywords",
    "number_of_keywords_no_hrfp",
    *(col for c in CRISES for col in (crisis_column(c), crisis_column(c, no_hrfp=True))),
    *(causal_link_column(link) for link in CAUSAL_LINKS),
    *(theme_column(t) for t in THEMES),
)

SEGMENT_SCHEMA: Final = pa.schema(
    [
        ("chunk_id", pa.string()),
        ("channel_name", pa.string()),
        ("start", pa.timestamp("s", tz="UTC")),
        ("day", pa.date32()),
        ("timing", pa.string()),
        ("window_seconds", pa.int32()),
        ("number_of_windows", pa.int32()),
        *((name, pa.int32()) for name in COUNTER_COLUMNS),
    ]
)

KEYWORD_SCHEMA: Final = pa.schema(
    [
        ("chunk_id", pa.string()),
        ("channel_name", pa.string()),
        ("day", pa.date32()),
        ("start", pa.timestamp("s", tz="UTC")),
        ("keyword", pa.string()),
        ("theme", pa.string()),
        ("crisis", pa.string()),
        ("causal_link", pa.string()),
        ("category", pa.string()),
        ("high_risk", pa.bool_()),
        ("t_ms", pa.int64()),
        ("second", pa.float64()),
        ("window", pa.int32()),
        ("promoted", pa.bool_()),
        ("counted", pa.bool_()),
        ("token_index", pa.int32()),
        ("excerpt", pa.string()),
    ]
)


class Occurrence(NamedTuple):
    """One keyword said once, under one theme, with its time, window and counting status."""

    keyword: str
    theme: str
    crisis: str
    causal_link: str
    category: str
    high_risk: bool
    token_index: int
    token_count: int
    t_ms: int
    second: float
    window: int
    promoted: bool
    counted: bool
    excerpt: str


class WindowSummary(NamedTuple):
    """What one window of a chunk holds among counted occurrences."""

    index: int
    counted: bool
    crises: tuple[str, ...]
    themes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChunkMatch:
    """Result of matching one chunk: its occurrences (as evidence) and its window counters."""

    start: int
    timing: str  # "srt" when times come from the word list, "estimated" otherwise
    window_seconds: int
    number_of_windows: int
    occurrences: tuple[Occurrence, ...]
    counts: Mapping[str, int]  # COUNTER_COLUMNS -> number of windows
    text: str  # the normalised text, whose tokens `token_index` refers to

    @property
    def number_of_keywords(self) -> int:
        return self.counts["number_of_keywords"]

    def windows(self) -> list[WindowSummary]:
        """Every window of the chunk with the crises and themes counted in it."""
        crises: list[set[str]] = [set() for _ in range(self.number_of_windows)]
        themes: list[set[str]] = [set() for _ in range(self.number_of_windows)]
        for occ in self.occurrences:
            if occ.counted:
                crises[occ.window].add(occ.crisis)
                themes[occ.window].add(occ.theme)
        return [
            WindowSummary(
                index=i,
                counted=bool(crises[i]),
                crises=tuple(c for c in CRISES if c in crises[i]),
                themes=tuple(t for t in THEMES if t in themes[i]),
            )
            for i in range(self.number_of_windows)
        ]


class MatchResult(NamedTuple):
    """Per-chunk counters (SEGMENT_SCHEMA) and per-occurrence evidence (KEYWORD_SCHEMA)."""

    segments: pa.Table
    keywords: pa.Table


class _Sense(NamedTuple):
    """A keyword under one theme, as the dictionary states it."""

    keyword: str
    theme: str
    crisis: str
    causal_link: str
    category: str
    high_risk: bool


# One keyword occurrence span found in a chunk, before expansion into one occurrence per theme:
# (chunk row, form id, token index, token count, t_ms, excerpt).
_Span = tuple[int, int, int, int, int, str]


class _Occurrences(NamedTuple):
    """Occurrences of a batch of chunks as parallel arrays, plus every chunk's counters."""

    span: np.ndarray  # index into the batch's spans
    sense: np.ndarray  # index into Matcher senses
    chunk: np.ndarray
    window: np.ndarray
    counted: np.ndarray
    counts: np.ndarray  # (chunks, COUNTER_WIDTH)


def _excerpt(haystack: str, first: int, end: int) -> str:
    """The match at text offsets [first, end) of `haystack` (" " + text + " ") with up to
    EXCERPT_TOKENS words either side; only a bounded stretch of text is ever split."""
    low = max(0, first - _EXCERPT_REACH)
    before = haystack[low:first]
    start = low + len(before.rsplit(" ", EXCERPT_TOKENS)[0]) + 1
    after = haystack[end + 2 : end + 2 + _EXCERPT_REACH]
    stop = end + 1 + len(after) - len(after.split(" ", EXCERPT_TOKENS)[-1])
    return haystack[start:stop]


class Matcher:
    """Compiled dictionary: matches chunk texts and counts their windows.

    Compilation expands every keyword into its inflected forms (`observatoire.text`) and builds
    one automaton; matching a chunk is then one pass over its text. Per chunk, Python handles
    only the automaton's matches; expanding them into occurrences per theme, windows,
    promotion and counters run on arrays over the whole batch (`observatoire.counting`).
    """

    def __init__(
        self, dictionary: KeywordDictionary, window_seconds: int = 20, profile: str = "default"
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        self.dictionary = dictionary
        self.profile = profile
        self.window_seconds = window_seconds
        self.number_of_windows = number_of_windows(window_seconds)
        self._first_occurrence_only = profile == "ome-2024"
        self._automaton = self._compile(dictionary)

    def _compile(self, dictionary: KeywordDictionary) -> ahocorasick.Automaton:
        keyword_ids: dict[str, int] = {}
        senses: list[_Sense] = []
        senses_of_keyword: list[dict[str, int]] = []  # theme -> sense id, per keyword
        for entry in dictionary.entries:
            base = normalize(entry.keyword)
            if not base:
                continue
            kid = keyword_ids.setdefault(base, len(keyword_ids))
            if kid == len(senses_of_keyword):
                senses_of_keyword.append({})
            if entry.theme in senses_of_keyword[kid]:
                continue  # two spellings of one keyword under one theme: one occurrence
            crisis, link = THEMES[entry.theme]
            senses_of_keyword[kid][entry.theme] = len(senses)
            senses.append(
                _Sense(entry.keyword, entry.theme, crisis, link, entry.category, entry.high_risk)
            )
        self._senses = senses
        self._sense_columns = {
            "keyword": pa.array([s.keyword for s in senses], pa.string()),
            "theme": pa.array([s.theme for s in senses], pa.string()),
            "crisis": pa.array([s.crisis for s in senses], pa.string()),
            "causal_link": pa.array([s.causal_link for s in senses], pa.string()),
            "category": pa.array([s.category for s in senses], pa.string()),
            "high_risk": pa.array([s.high_risk for s in senses], pa.bool_()),
        }
        crisis_index = {c: i for i, c in enumerate(CRISES)}
        link_index = {link: i for i, link in enumerate(CAUSAL_LINKS)}
        theme_index = {t: i for i, t in enumerate(THEMES)}
        self._sense_crisis = np.array([crisis_index[s.crisis] for s in senses], np.int64)
        self._sense_link = np.array([link_index[s.causal_link] for s in senses], np.int64)
        self._sense_theme = np.array([theme_index[s.theme] for s in senses], np.int64)
        self._sense_high_risk = np.array([s.high_risk for s in senses], bool)
        self._number_of_keywords = len(keyword_ids)

        # A form belongs to the keyword written that way, if any, then to every keyword whose
        # inflection it is (`déchets` is the keyword `déchets` and the plural of `déchet`).
        owners: dict[str, list[int]] = {base: [kid] for base, kid in keyword_ids.items()}
        for base, kid in keyword_ids.items():
            for variant in keyword_variants(base, self.profile)[1:]:
                owners.setdefault(variant, []).append(kid)
        stops = {normalize(p) for p in dictionary.stop_phrases} - {""}

        # Every pattern starts with a space, so the automaton's root has a single transition:
        # the scan stays fast on the many characters that start no match.
        automaton = ahocorasick.Automaton()
        offsets = [0]
        form_senses: list[int] = []
        form_keywords: list[int] = []
        for form, kids in owners.items():
            if form in stops:
                continue
            # A match of the form yields one occurrence per theme; when two keywords share
            # the form and a theme, the first owner's.
            by_theme: dict[str, tuple[int, int]] = {}
            for kid in kids:
                for theme, sense in senses_of_keyword[kid].items():
                    by_theme.setdefault(theme, (sense, kid))
            for sense, kid in by_theme.values():
                form_senses.append(sense)
                form_keywords.append(kid)
            automaton.add_word(f" {form} ", (len(offsets) - 1, form.count(" ") + 1, len(form) + 1))
            offsets.append(len(form_senses))
        for phrase in stops:
            automaton.add_word(f" {phrase} ", (None, phrase.count(" ") + 1, len(phrase) + 1))
        automaton.make_automaton()
        self._form_offsets = np.array(offsets, np.int64)
        self._form_senses = np.array(form_senses, np.int64)
        self._form_keywords = np.array(form_keywords, np.int64)
        return automaton

    # -- matching ---------------------------------------------------------------------------

    def _spans(self, haystack: str) -> list[tuple[int, int, int, int, int]]:
        """Every surviving keyword occurrence in `" " + text + " "`, in text order, as
        (token index, -token count, form id, first char, end char) with text offsets.

        Stop phrases mask their tokens: any keyword occurrence sharing a token with one is
        dropped, which is exactly what matching on the masked text would give. Then an
        occurrence whose span lies inside a longer occurrence's span is dropped.
        """
        spans: list[tuple[int, int, int, int, int]] = []
        masked: list[tuple[int, int]] = []
        position = 0
        spaces = -1
        # Matches come in order of their end, the space after their last token: the spaces
        # before it number that token. In text offsets the match is [end - width, end - 1).
        for end, (form, ntok, width) in self._automaton.iter(haystack):
            spaces += haystack.count(" ", position, end)
            position = end
            if form is None:
                masked.append((spaces - ntok + 1, spaces + 1))
            else:
                spans.append((spaces - ntok + 1, -ntok, form, end - width, end - 1))
        if masked and spans:
            tokens = {token for low, high in masked for token in range(low, high)}
            spans = [span for span in spans if tokens.isdisjoint(range(span[0], span[0] - span[1]))]
        if len(spans) > 1:
            spans.sort()  # earliest first, then longest first (the count is negated)
        kept: list[tuple[int, int, int, int, int]] = []
        reach = -1
        for span in spans:
            # One pattern per form, so no two spans are equal: an earlier span reaching as far
            # starts no later and is longer.
            if span[0] - span[1] > reach:
                reach = span[0] - span[1]
                kept.append(span)
        return kept

    def _collect(
        self,
        row: int,
        plaintext: str,
        start: int,
        timer: Callable[[str], Sequence[int] | None] | None,
        found: list[_Span],
    ) -> tuple[str, str]:
        """Normalised text and timing of one chunk; its keyword spans are appended to `found`.

        `timer` gives the time of each token of the normalised text from the chunk's word list
        (None without a word list); it is called only when the chunk holds an occurrence to time.
        """
        timing = "srt" if timer is not None else "estimated"
        text = normalize(plaintext)
        haystack = f" {text} "
        spans = self._spans(haystack) if text else []
        if not spans:
            return text, timing
        times: Sequence[int] | None = None
        if timer is not None:
            times = timer(text)
            if times is None:
                timing = "estimated"
        if times is None:
            # No word times: tokens spread evenly over the chunk.
            start_ms = start * 1000
            n_tokens = text.count(" ") + 1
            for token, negative_count, form, first, end in spans:
                t_ms = start_ms + token * _TOTAL_MS // n_tokens
                excerpt = _excerpt(haystack, first, end)
                found.append((row, form, token, -negative_count, t_ms, excerpt))
        else:
            for token, negative_count, form, first, end in spans:
                excerpt = _excerpt(haystack, first, end)
                found.append((row, form, token, -negative_count, int(times[token]), excerpt))
        return text, timing

    def _occurrences(self, found: list[_Span], starts_ms: np.ndarray) -> _Occurrences:
        """Spans expanded into one occurrence per theme, with windows, promotion, counters."""
        chunks = len(starts_ms)
        span_chunk = np.fromiter((s[0] for s in found), np.int64, len(found))
        span_form = np.fromiter((s[1] for s in found), np.int64, len(found))
        span_t_ms = np.fromiter((s[4] for s in found), np.int64, len(found))
        first = self._form_offsets[span_form]
        per_span = self._form_offsets[span_form + 1] - first
        span = np.repeat(np.arange(len(found), dtype=np.int64), per_span)
        position = np.repeat(first - np.cumsum(per_span) + per_span, per_span)
        position += np.arange(len(span), dtype=np.int64)
        sense = self._form_senses[position]
        chunk = span_chunk[span]
        if self._first_occurrence_only:
            # ome-2024: each (keyword, theme) once per chunk, at its first occurrence.
            keyword = self._form_keywords[position]
            key = (chunk * self._number_of_keywords + keyword) * len(THEMES)
            key += self._sense_theme[sense]
            _, first_index = np.unique(key, return_index=True)
            keep = np.sort(first_index)
            span, sense, chunk = span[keep], sense[keep], chunk[keep]
        window = windows_of(span_t_ms[span], starts_ms[chunk], self.window_seconds)
        counted, counts = count_windows(
            chunk,
            window,
            self._sense_crisis[sense],
            self._sense_high_risk[sense],
            self._sense_link[sense],
            self._sense_theme[sense],
            chunks,
            self.number_of_windows,
        )
        return _Occurrences(span, sense, chunk, window, counted, counts)

    def match_chunk(
        self, plaintext: str, start: int, srt: Sequence[Mapping] | None = None
    ) -> ChunkMatch:
        """Match one chunk; `start` in epoch seconds, `srt` the provider's word list if any."""
        if not plaintext and srt:
            plaintext = " ".join(word or "" for word in _word_list(srt)[0])
        start = int(start)
        found: list[_Span] = []
        timer = partial(_times_from_word_list, *_word_list(srt)) if srt else None
        text, timing = self._collect(0, plaintext or "", start, timer, found)
        result = self._occurrences(found, np.array([start * 1000], np.int64))
        occurrences = []
        for span, sense_id, window, counted in zip(
            result.span.tolist(),
            result.sense.tolist(),
            result.window.tolist(),
            result.counted.tolist(),
            strict=True,
        ):
            _, _, token, ntok, t_ms, excerpt = found[span]
            sense = self._senses[sense_id]
            occurrences.append(
                Occurrence(
                    keyword=sense.keyword,
                    theme=sense.theme,
                    crisis=sense.crisis,
                    causal_link=sense.causal_link,
                    category=sense.category,
                    high_risk=sense.high_risk,
                    token_index=token,
                    token_count=ntok,
                    t_ms=t_ms,
                    second=(t_ms - start * 1000) / 1000,
                    window=window,
                    promoted=counted and sense.high_risk,
                    counted=counted,
                    excerpt=excerpt,
                )
            )
        return ChunkMatch(
            start=start,
            timing=timing,
            window_seconds=self.window_seconds,
            number_of_windows=self.number_of_windows,
            occurrences=tuple(occurrences),
            counts=dict(zip(COUNTER_COLUMNS, result.counts[0].tolist(), strict=True)),
            text=text,
        )

    def match_table(self, captions: pa.Table) -> MatchResult:
        """Match every chunk of a CAPTION_SCHEMA table into segment counters and evidence.

        Needs the columns chunk_id, channel_name, start, day and plaintext; srt is optional.
        """
        n = captions.num_rows
        start_ts = _as_timestamp(captions.column("start"))
        start_values = start_ts.cast(pa.int64()).to_pylist()
        texts = captions.column("plaintext").to_pylist()
        srt_column = captions.column("srt") if "srt" in captions.column_names else None
        if srt_column is not None and srt_column.null_count == n:
            srt_column = None
        word_times = BatchWordTimes(srt_column) if srt_column is not None else None

        timings: list[str] = []
        found: list[_Span] = []
        with _collector_paused():
            for i in range(n):
                plaintext = texts[i] or ""
                timer = None
                if word_times is not None and word_times.has_words(i):
                    timer = partial(word_times.token_times, i)
                    if not plaintext:
                        plaintext = " ".join(word_times.words(i))
                timings.append(self._collect(i, plaintext, start_values[i], timer, found)[1])
        starts_ms = np.array(start_values, np.int64) * 1000
        result = self._occurrences(found, starts_ms)

        segment_columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "chunk_id": captions.column("chunk_id"),
            "channel_name": captions.column("channel_name"),
            "start": start_ts,
            "day": captions.column("day"),
            "timing": pa.array(timings, pa.string()),
            "window_seconds": pa.array(np.full(n, self.window_seconds, np.int32)),
            "number_of_windows": pa.array(np.full(n, self.number_of_windows, np.int32)),
        }
        for j, name in enumerate(COUNTER_COLUMNS):
            segment_columns[name] = pa.array(result.counts[:, j])
        segments = pa.table(
            [_cast(segment_columns[f.name], f.type) for f in SEGMENT_SCHEMA],
            schema=SEGMENT_SCHEMA,
        )
        return MatchResult(
            segments=segments,
            keywords=self._keyword_table(captions, start_ts, starts_ms, found, result),
        )

    def _keyword_table(
        self,
        captions: pa.Table,
        start_ts: pa.ChunkedArray,
        starts_ms: np.ndarray,
        found: list[_Span],
        result: _Occurrences,
    ) -> pa.Table:
        span = result.span
        t_ms = np.fromiter((s[4] for s in found), np.int64, len(found))[span]
        token = np.fromiter((s[2] for s in found), np.int64, len(found))[span]
        excerpts = pa.array([s[5] for s in found], pa.string()).take(pa.array(span))
        take_chunk = pa.array(result.chunk)
        take_sense = pa.array(result.sense)
        high_risk = self._sense_high_risk[result.sense]
        columns: dict[str, pa.Array | pa.ChunkedArray] = {
            "chunk_id": captions.column("chunk_id").take(take_chunk),
            "channel_name": captions.column("channel_name").take(take_chunk),
            "day": captions.column("day").take(take_chunk),
            "start": start_ts.take(take_chunk),
            **{name: col.take(take_sense) for name, col in self._sense_columns.items()},
            "t_ms": pa.array(t_ms),
            "second": pa.array((t_ms - starts_ms[result.chunk]) / 1000.0),
            "window": pa.array(result.window),
            "promoted": pa.array(result.counted & high_risk),
            "counted": pa.array(result.counted),
            "token_index": pa.array(token.astype(np.int32)),
            "excerpt": excerpts,
        }
        return pa.table(
            [_cast(columns[f.name], f.type) for f in KEYWORD_SCHEMA], schema=KEYWORD_SCHEMA
        )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a day of chunks is matched.

    Matching allocates many small tuples that live until the batch's tables are built and form
    no reference cycles; without the pause, the collector re-scans them again and again (about
    a tenth of the run time on the COP15 corpus).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _as_timestamp(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp("s", tz="UTC"))
    return column.cast(pa.int64()).cast(pa.timestamp("s", tz="UTC"))


def _cast(column: pa.Array | pa.ChunkedArray, type_: pa.DataType) -> pa.Array | pa.ChunkedArray:
    return column if column.type == type_ else column.cast(type_)


def _word_list(srt: Sequence[Mapping] | pa.ListScalar) -> tuple[list[str], list[int]]:
    """Texts and `cts_in_ms` of a word list given as provider dicts or as an Arrow list value."""
    if isinstance(srt, pa.ListScalar):
        words = srt.values
        return words.field("text").to_pylist(), words.field("cts_in_ms").to_pylist()
    return [str(word.get("text") or "") for word in srt], [int(word["cts_in_ms"]) for word in srt]


def _times_from_word_list(words: list[str], times: list[int], text: str) -> list[int] | None:
    """Time of each token of a normalised text, from one chunk's word list."""
    return align_token_times(text.split(" "), words, times)
