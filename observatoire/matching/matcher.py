"""Keyword matching of caption chunks (METHODOLOGY §3) and their window counters (§4).

One Aho-Corasick automaton holds every inflected form of every keyword plus every stop phrase,
each written between spaces, so a single pass over `" " + normalised text + " "` finds every
whole-token occurrence. A batch of chunks is scanned as one string (each chunk's text between
spaces, so no pattern can straddle two chunks); per chunk, Python only normalises the text.
Stop-phrase masking, removal of occurrences nested in a longer one, token indices, timing,
excerpts, windows, promotion and counters (`observatoire.core.counting`) run on arrays.

Story boundaries, weather-framing cues and cost cues (`observatoire.matching.stories`) are patterns
of the same automaton. Profile `default`: a high-risk occurrence is promoted only by a direct one of
its crisis in its window or an adjacent window of the same story, said at most
`PROMOTION_REACH_MS` before it or `PROMOTION_REACH_AHEAD_MS` after it (`PROMOTION_REACH_MS`
when it is among the first `STORY_HEAD_TOKENS` words after a story boundary); three different
high-risk keywords of one crisis in one window of one story count together (`CLUSTER_KEYWORDS`),
two when one of them is a phrase of several words (`CLUSTER_SPECIFIC_KEYWORDS`); a weather event
counts only with a cue of its story in its window (and then, if high-risk, without
promotion); an energy word does not count in a window of its story that holds a cost or offer
cue. Profile `ome-2024` reproduces the 2024 reference for parity (each behaviour marked
"reproduced for parity" where it is coded): each keyword once per chunk, an optional final `s`/`x`
on every word, a keyword timed at the first word equal to its first word, words before the start
in window -1, promotion in one pass in list order, no stories, no framing and no cost cues.

Column names: counters are `number_of_keywords_<name>` for each crisis, causal link and theme,
except that a theme whose name is also a crisis or causal-link name (the theme `ressources`)
is written `number_of_keywords_theme_<name>`, so that no column means two things. Use
`crisis_column`, `causal_link_column` and `theme_column` rather than building names by hand.
"""

from __future__ import annotations

import gc
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

import ahocorasick
import numpy as np
import pyarrow as pa

from observatoire.core.broadcast_day import CHUNK_SECONDS
from observatoire.core.counting import (
    AS_A_COST,
    CLUSTERED,
    FRAMED,
    FRAMED_IN_WINDOW,
    REASONS,
    SOLD,
    is_member,
    number_of_windows,
    promote_clusters,
    promote_in_list_order,
    promote_in_stories,
    story_keys,
    window_counters,
    windows_of,
)
from observatoire.core.dictionary import KeywordDictionary
from observatoire.core.languages import COMPOUND_MARK
from observatoire.core.text import PROFILES, keyword_variants, normalize
from observatoire.core.themes import CAUSAL_LINKS, CRISES, THEMES
from observatoire.matching.stories import StoryRules, default_story_rules
from observatoire.matching.word_timing import BatchWordTimes, align_token_times

# An excerpt shows the keyword with five words either side (when the text has them).
EXCERPT_TOKENS: Final = 5
# Characters searched on each side; words longer than this on average shorten the excerpt.
_EXCERPT_REACH: Final = EXCERPT_TOKENS * 30
# Chunks scanned as one string; bounds the memory of a batch (about 2 KB of text per chunk).
_SCAN_BATCH_ROWS: Final = 4096
_TOTAL_MS: Final = CHUNK_SECONDS * 1000
_REASON_TEXTS: Final = pa.array(REASONS, pa.string())
# A direct occurrence in an adjacent window promotes a high-risk one said at most this long
# before or after it: further apart, the two are rarely about the same story.
PROMOTION_REACH_MS: Final = 20_000
# A direct occurrence said after the high-risk one, in the next window, promotes it only when
# said at most this long after: a high-risk word just before the first keyword of a story is
# more often the tail of the story before it, told without a transition the data knows (measured
# on the labelled chunks, 2026.4: trap windows counted fell from 6.2 % to 2.7 % on the fresh half
# for a loss of 1 point of F1; 0, 3, 10 and 20 s were measured too).
PROMOTION_REACH_AHEAD_MS: Final = 6_000
# ... unless the high-risk one is said within this many words after a story boundary (the
# boundary phrase included): it then opens the story that follows, and a direct occurrence of
# that story in the next window promotes it within `PROMOTION_REACH_MS` ("on part dans le jura
# le castor est revenu | ... pour la biodiversité"). Measured on the labelled chunks, 2026.6:
# subtle windows found on the tuning half rose from 78 % to 81 %, recall on the fresh half
# from 89.3 % to 90.3 %, with no more trap windows counted on any half; 8, 16 and 25 words
# gave the same figures.
STORY_HEAD_TOKENS: Final = 12
# High-risk keywords of one crisis in one window of one story count together when at least this
# many different keywords are said (lexical cohesion, METHODOLOGY §4 as extended in 2026.4).
CLUSTER_KEYWORDS: Final = 3
# ... or this many when one of them is a phrase of several words, narrower in meaning than a bare
# noun (`is_specific`). Measured on the labelled chunks, 2026.5: subtle windows found on the
# fresh half rose from 43 % to 65 % with no more trap windows counted; two keywords of any kind
# raised the trap windows counted from 2.7 % to 4.8 %.
CLUSTER_SPECIFIC_KEYWORDS: Final = 2
# Words that keep a phrase from being specific (`is_specific`).
_NUMBER_WORDS: Final = frozenset(
    [
        "un",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "treize",
        "quatorze",
        "quinze",
        "seize",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
        "cent",
        "cents",
        "mille",
        "million",
        "millions",
        "milliard",
        "milliards",
        "pour",
        "virgule",
        "et",
    ]
)
# Hesitations captions transcribe as words; one may fall inside a keyword phrase (profile default).
FILLERS: Final = ("euh",)
# Key space of (chunk, token) for story boundaries: tokens per chunk.
_TOKEN_SLOTS: Final = 1 << 24


def with_filler(form: str) -> list[str]:
    """A multi-word form with one filler word said between two of its words (`nappes euh
    phréatiques`): captions transcribe hesitations, which would otherwise break a phrase."""
    words = form.split(" ")
    return [
        " ".join([*words[:gap], filler, *words[gap:]])
        for gap in range(1, len(words))
        for filler in FILLERS
    ]


def is_specific(keyword: str) -> bool:
    """Whether a (normalised) keyword is a phrase narrower in meaning than a bare noun: several
    words, and not a bare figure ("trente pour cent", "deux mille trente" are said in any news)."""
    words = keyword.split(" ")
    return len(words) > 1 and not all(set(w.split("-")) <= _NUMBER_WORDS for w in words)


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
        ("story", pa.int32()),
        ("reason", pa.string()),
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
    story: int = 0  # story number within the chunk (0 before the first boundary)
    reason: str = ""  # why it counts or not (`counting.REASONS`)


class Boundary(NamedTuple):
    """A phrase that opens a new story in a chunk, where it was said."""

    phrase: str
    token_index: int
    second: float


class WindowSummary(NamedTuple):
    """What one window of a chunk holds among counted occurrences."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, which nothing calls
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
    boundaries: tuple[Boundary, ...] = ()

    @property
    def number_of_keywords(self) -> int:
        return self.counts["number_of_keywords"]

    def windows(self) -> list[WindowSummary]:
        """Every window of the chunk with the crises and themes counted in it (from window -1
        when profile `ome-2024` put a word timed before the start there)."""
        low = min([0, *(occ.window for occ in self.occurrences)])
        crises: dict[int, set[str]] = {i: set() for i in range(low, self.number_of_windows)}
        themes: dict[int, set[str]] = {i: set() for i in range(low, self.number_of_windows)}
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
            for i in range(low, self.number_of_windows)
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


# Token times of a batch's chunks: (row, normalised text) -> time of each token, or None when
# the word list does not align with the text.
_TokenTimer = Callable[[int, str], Sequence[int] | np.ndarray | None]


class _Spans(NamedTuple):
    """Keyword occurrence spans of a batch of chunks, in text order, before expansion into one
    occurrence per theme; parallel arrays, plus each chunk's timing."""

    chunk: np.ndarray  # row in the batch
    form: np.ndarray  # form id (index into Matcher._form_offsets)
    token: np.ndarray  # index of the first token in the chunk's normalised text
    token_count: np.ndarray
    t_ms: np.ndarray  # epoch milliseconds of the first token
    excerpt: list[str]
    timings: list[str]  # per chunk: "srt" or "estimated"


class _Occurrences(NamedTuple):
    """Occurrences of a batch of chunks as parallel arrays, plus every chunk's counters."""

    span: np.ndarray  # index into the batch's spans
    sense: np.ndarray  # index into Matcher senses
    chunk: np.ndarray
    window: np.ndarray
    counted: np.ndarray
    counts: np.ndarray  # (chunks, COUNTER_WIDTH)
    story: np.ndarray
    reason: np.ndarray  # codes of counting.REASONS


def _space_positions(text: str) -> np.ndarray:
    """Character offsets of every space of `text`, in order."""
    try:
        codes = np.frombuffer(text.encode("latin-1"), np.uint8)  # one byte per character
    except UnicodeEncodeError:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    return np.flatnonzero(codes == 32)


class Matcher:
    """Compiled dictionary: matches chunk texts and counts their windows.

    Compilation expands every keyword into its inflected forms (`observatoire.core.text`) and builds
    one automaton; matching a batch of chunks is then one pass over their joined texts. Per
    chunk, Python only normalises the text; the matches' masking, nesting, tokens, times and
    excerpts, their expansion into occurrences per theme, windows, promotion and counters run
    on arrays over the whole batch (`observatoire.core.counting`).
    """

    def __init__(
        self,
        dictionary: KeywordDictionary,
        window_seconds: int = 20,
        profile: str = "default",
        story_rules: StoryRules | None = None,
        language: str | None = None,
    ) -> None:
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
        self.dictionary = dictionary
        self.profile = profile
        # The caption language: its text rules normalise the captions and inflect the keywords.
        # By default the dictionary's own language (French when its entries mix languages).
        self.language = language or dictionary_language(dictionary)
        self.window_seconds = window_seconds
        self.number_of_windows = number_of_windows(window_seconds)
        # ome-2024 reproduces the 2024 reference for parity: each keyword once per chunk,
        # timed at the first word equal to its first word, words before the start in a
        # window -1, promotion in one pass in list order, no stories and no weather framing.
        self._parity = profile == "ome-2024"
        if self._parity:
            story_rules = StoryRules()
        elif story_rules is None:
            # The story and framing phrases are French: another language has none (yet).
            story_rules = default_story_rules() if self.language == "fr" else StoryRules()
        self.story_rules = story_rules
        self.reach_ms = PROMOTION_REACH_MS
        self.reach_ahead_ms = PROMOTION_REACH_AHEAD_MS
        # Compilation allocates some hundred thousand short-lived objects: collections they
        # trigger would re-scan the run process's whole heap (a tenth of a second in a Dagster
        # step), and promote temporaries that are freed by the end of it anyway.
        with _collector_paused():
            self._automaton = self._compile(dictionary)

    # One pass that builds the automaton and its parallel lookup arrays together, indexed
    # alike; the story and framing rules it compiles are still being tuned.
    def _compile(self, dictionary: KeywordDictionary) -> ahocorasick.Automaton:  # noqa: C901
        keyword_ids: dict[str, int] = {}
        senses: list[_Sense] = []
        senses_of_keyword: list[dict[str, int]] = []  # theme -> sense id, per keyword
        for entry in dictionary.entries:
            base = normalize(entry.keyword, self.language)
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
        weather = set(self.story_rules.weather_events)
        language = self.language
        self._sense_weather = np.array(
            [normalize(s.keyword, language) in weather for s in senses], bool
        )
        energy = set(self.story_rules.energy_words)
        self._sense_energy = np.array(
            [normalize(s.keyword, language) in energy for s in senses], bool
        )
        self._number_of_keywords = len(keyword_ids)
        self._keyword_words = [frozenset(base.split(" ")) for base in keyword_ids]

        # A form belongs to the keyword written that way, if any, then to every keyword whose
        # inflection it is (`déchets` is the keyword `déchets` and the plural of `déchet`).
        owners: dict[str, list[int]] = {base: [kid] for base, kid in keyword_ids.items()}
        for base, kid in keyword_ids.items():
            for variant in keyword_variants(base, self.profile, language)[1:]:
                owners.setdefault(variant, []).append(kid)
        if not self._parity:
            for form, kids in list(owners.items()):
                if " " not in form:
                    continue  # one word: no gap for a filler
                for variant in with_filler(form):
                    owners.setdefault(variant, []).extend(kids)
        stops = {normalize(p, language) for p in dictionary.stop_phrases} - {""}

        # Every pattern starts with a space, so the automaton's root has a single transition:
        # the scan stays fast on the many characters that start no match. A pattern's value is
        # its index in `_pattern_form` (form id, -1 for a stop phrase), `_pattern_width`
        # (characters from its leading to its trailing space) and `_pattern_tokens`.
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        cues = set(self.story_rules.framing_cues)
        cost_cues = set(self.story_rules.cost_cues)
        bases = list(keyword_ids)
        # Per keyword once, not per form: filler variants give each phrase several forms; and
        # per form in list comprehensions, the compilation's cost at the start of every run.
        base_specific = [is_specific(base) for base in bases]
        base_cue = [base in cues for base in bases]
        base_cost_cue = [base in cost_cues for base in bases]
        forms = [form for form in owners if form not in stops]
        form_owners = [owners[form] for form in forms]
        # A match of the form yields one occurrence per theme; when two keywords share the form
        # and a theme, the first owner's.
        occurrences_of: dict[tuple[int, ...], list[tuple[int, int]]] = {}
        for shared in map(tuple, form_owners):
            if shared not in occurrences_of:
                by_theme: dict[str, tuple[int, int]] = {}
                for kid in shared:
                    for theme, sense in senses_of_keyword[kid].items():
                        by_theme.setdefault(theme, (sense, kid))
                occurrences_of[shared] = list(by_theme.values())
        owned = [occurrences_of[tuple(form_kids)] for form_kids in form_owners]
        form_senses = [sense for pairs in owned for sense, _ in pairs]
        form_keywords = [kid for pairs in owned for _, kid in pairs]
        offsets = [0, *itertools.accumulate(map(len, owned))]
        first_owner = [form_kids[0] for form_kids in form_owners]
        # Only ome-2024 times a keyword at its first word (`_first_word_tokens`): one tuple
        # per form otherwise kept alive for nothing.
        form_first_words: list[tuple[str, ...]] = (
            [
                (bases[owner].split(" ", 1)[0], form.split(" ", 1)[0])
                for form, owner in zip(forms, first_owner, strict=True)
            ]
            if self._parity
            else []
        )
        form_cue = [
            base_cue[owner] or form in cues for form, owner in zip(forms, first_owner, strict=True)
        ]
        form_cost_cue = [
            base_cost_cue[owner] or form in cost_cues
            for form, owner in zip(forms, first_owner, strict=True)
        ]
        form_specific = [base_specific[owner] for owner in first_owner]
        # A compound head (`klimaat*`) has no trailing space, so it also matches at the start
        # of a longer token (its span still covers that whole token). A pattern's width is its
        # length but for the leading space.
        patterns = [
            f" {form[: -len(COMPOUND_MARK)]}" if form.endswith(COMPOUND_MARK) else f" {form} "
            for form in forms
        ]
        for index, pattern in enumerate(patterns):
            automaton.add_word(pattern, index)
        pattern_form = list(range(len(forms)))
        pattern_width = [len(pattern) - 1 for pattern in patterns]
        # a whole-token form outranks a head over the same tokens
        form_width = list(pattern_width)
        pattern_tokens = [form.count(" ") + 1 for form in forms]
        for phrase in sorted(stops):
            automaton.add_word(f" {phrase} ", len(pattern_form))
            pattern_form.append(-1)
            pattern_width.append(len(phrase) + 1)
            pattern_tokens.append(phrase.count(" ") + 1)
        # Story boundaries and framing cues: markers (pattern value <= -2), matched in the same
        # pass; a phrase already written as a keyword form or stop phrase is not added again
        # (a keyword that is a cue frames through `_form_cue`).
        marker_kind: list[int] = []  # 0 boundary, 1 framing cue, 2 cost cue
        marker_text: list[str] = []
        taken: set[tuple[int, str]] = set()
        for kind, phrases in ((0, self.story_rules.boundaries), (1, cues), (2, cost_cues)):
            for phrase in sorted(phrases):
                if (kind, phrase) in taken or phrase in owners or phrase in stops:
                    continue
                taken.add((kind, phrase))
                automaton.add_word(f" {phrase} ", len(pattern_form))
                pattern_form.append(-2 - len(marker_kind))
                pattern_width.append(len(phrase) + 1)
                pattern_tokens.append(phrase.count(" ") + 1)
                marker_kind.append(kind)
                marker_text.append(phrase)
        self._marker_kind = np.array(marker_kind, np.int64)
        self._marker_text = marker_text
        self._form_first_words = form_first_words
        self._form_cue = np.array(form_cue, bool)
        self._form_cost_cue = np.array(form_cost_cue, bool)
        self._form_specific = np.array(form_specific, bool)
        automaton.make_automaton()
        self._pattern_form = np.array(pattern_form, np.int64)
        self._pattern_width = np.array(pattern_width, np.int64)
        self._pattern_tokens = np.array(pattern_tokens, np.int64)
        self._form_offsets = np.array(offsets, np.int64)
        self._form_senses = np.array(form_senses, np.int64)
        self._form_keywords = np.array(form_keywords, np.int64)
        self._form_width = np.array(form_width, np.int64)
        self._has_heads = any(form.endswith(COMPOUND_MARK) for form in owners)
        return automaton

    # -- matching ---------------------------------------------------------------------------

    # The batch scan, the matcher's hot path, in one vectorised piece (benchmarks/matcher.py
    # measures it); its story and framing rules are still being tuned.
    def _spans(  # noqa: C901
        self,
        texts: Sequence[str],
        starts_ms: np.ndarray,
        has_words: Sequence[bool] | np.ndarray | None = None,
        token_times: _TokenTimer | None = None,
    ) -> _Spans:
        """Every surviving keyword occurrence of a batch of normalised chunk texts.

        The texts are scanned as one haystack `" t1  t2  ... tn "`; a match's leading and
        trailing spaces are spaces of that haystack, so counting the spaces before them gives
        its token indices (a chunk's first space numbers its token 0).

        Stop phrases mask their tokens: any keyword occurrence sharing a token with one is
        dropped, which is exactly what matching on the masked text would give. Then an
        occurrence whose span lies inside a longer occurrence's span is dropped.

        `token_times(row, text)` gives the time of each token of a chunk with a word list
        (`has_words`); it is called only for a chunk that holds an occurrence to time.
        """
        n = len(texts)
        timings = ["estimated"] * n
        if has_words is not None:
            timings = ["srt" if has else "estimated" for has in has_words]
        if n == 0:
            return _empty_spans(timings)
        bases = np.zeros(n + 1, np.int64)
        np.cumsum(np.fromiter(map(len, texts), np.int64, n) + 2, out=bases[1:])
        haystack = " " + "  ".join(texts) + " "
        with _collector_paused():
            matches = list(self._automaton.iter(haystack))
        if not matches:
            return _empty_spans(timings)
        pairs = np.fromiter(itertools.chain.from_iterable(matches), np.int64, 2 * len(matches))
        trail, pattern = pairs[0::2], pairs[1::2]  # offset of the last space, pattern id
        spaces = _space_positions(haystack)
        # Spaces are numbered across the haystack; a match covers the tokens after its
        # leading space up to its trailing space: [first_space, last_space).
        first_space = np.searchsorted(spaces, trail - self._pattern_width[pattern])
        last_space = first_space + self._pattern_tokens[pattern]
        form = self._pattern_form[pattern]

        stop = form == -1
        if stop.any():
            # Stop phrases mask keywords and cues, never a story boundary.
            boundary = form <= -2
            boundary[boundary] = self._marker_kind[-2 - form[boundary]] == 0
            keep = ~stop & (boundary | ~_overlaps_any(first_space, last_space, stop))
            first_space, last_space, form = first_space[keep], last_space[keep], form[keep]
            if not len(form):
                return _empty_spans(timings)

        # Earliest first, then longest first; one pattern per form, so no two spans are equal
        # and a span reaching no further than an earlier one lies inside it. Markers (story
        # boundaries, cues) are set aside: they never hide a keyword nor are hidden by one.
        marker = form < 0
        if marker.any():
            marks = first_space[marker], last_space[marker], form[marker]
            first_space, last_space, form = first_space[~marker], last_space[~marker], form[~marker]
        if self._has_heads:
            # A head and a whole word can cover the same tokens: the whole word first.
            order = np.lexsort((-self._form_width[form], -last_space, first_space))
        else:
            order = np.lexsort((-last_space, first_space))
        first_space, last_space, form = first_space[order], last_space[order], form[order]
        kept = np.ones(len(form), bool)
        kept[1:] = last_space[1:] > np.maximum.accumulate(last_space)[:-1]
        first_space, last_space, form = first_space[kept], last_space[kept], form[kept]
        keyword_spans = len(form)  # keyword spans first, then markers
        if marker.any():
            first_space = np.concatenate([first_space, marks[0]])
            last_space = np.concatenate([last_space, marks[1]])
            form = np.concatenate([form, marks[2]])

        lead = spaces[first_space]
        chunk = np.searchsorted(bases, lead, side="right") - 1
        chunk_space = np.searchsorted(spaces, bases)  # each chunk's first space
        token = first_space - chunk_space[chunk]
        tokens_in_chunk = np.diff(chunk_space) - 1
        token_count = last_space - first_space
        timed_token = token
        if self._parity:
            timed_token = self._first_word_tokens(texts, chunk, token, form)
        # No word times: tokens spread evenly over the chunk.
        t_ms = starts_ms[chunk] + timed_token * _TOTAL_MS // tokens_in_chunk[chunk]
        if token_times is not None and has_words is not None:
            self._word_times(
                texts, chunk, timed_token, t_ms, has_words, token_times, timings, keyword_spans
            )

        # An excerpt is whole tokens: up to EXCERPT_TOKENS either side, within _EXCERPT_REACH
        # characters of the match (nearly always the case; otherwise cut at the last space
        # within reach). Markers need none.
        first_space, last_space, lead = (
            first_space[:keyword_spans],
            last_space[:keyword_spans],
            lead[:keyword_spans],
        )
        chunk_of = chunk[:keyword_spans]
        low = np.maximum(first_space - EXCERPT_TOKENS, chunk_space[chunk_of])
        beyond = spaces[low] < lead - _EXCERPT_REACH
        if beyond.any():
            low[beyond] = np.searchsorted(spaces, lead[beyond] - _EXCERPT_REACH)
        trail = spaces[last_space]
        high = np.minimum(last_space + EXCERPT_TOKENS, chunk_space[chunk_of + 1] - 1)
        beyond = spaces[high] > trail + _EXCERPT_REACH
        if beyond.any():
            high[beyond] = np.searchsorted(spaces, trail[beyond] + _EXCERPT_REACH + 1) - 1
        excerpts = [
            haystack[a:b]
            for a, b in zip((spaces[low] + 1).tolist(), spaces[high].tolist(), strict=True)
        ]
        excerpts += [""] * (len(form) - keyword_spans)
        return _Spans(chunk, form, token, token_count, t_ms, excerpts, timings)

    def _first_word_tokens(
        self, texts: Sequence[str], chunk: np.ndarray, token: np.ndarray, form: np.ndarray
    ) -> np.ndarray:
        """ome-2024, reproduced for parity: a keyword is timed at the first word of the chunk
        equal to its first word, wherever it was said (failing that, equal to the first word
        of the form matched, which is at or before the occurrence)."""
        timed = token.copy()
        words: dict[int, list[str]] = {}
        for i, (row, form_id) in enumerate(zip(chunk.tolist(), form.tolist(), strict=True)):
            if form_id < 0:
                continue
            tokens = words.get(row)
            if tokens is None:
                tokens = words[row] = texts[row].split(" ")
            for word in self._form_first_words[form_id]:
                if word in tokens:
                    timed[i] = tokens.index(word)
                    break
        return timed

    @staticmethod
    def _word_times(
        texts: Sequence[str],
        chunk: np.ndarray,
        token: np.ndarray,
        t_ms: np.ndarray,
        has_words: Sequence[bool] | np.ndarray,
        token_times: _TokenTimer,
        timings: list[str],
        keyword_spans: int,
    ) -> None:
        """Replace the estimated times of spans in chunks whose word list aligns (in place);
        a chunk with a word list that does not align is marked estimated. Only chunks with a
        keyword (the first `keyword_spans` spans) are timed: markers alone need no time."""
        parts: list[Sequence[int] | np.ndarray] = []
        offset = np.full(len(texts), -1, np.int64)
        total = 0
        for row in np.unique(chunk[:keyword_spans]).tolist():
            if not has_words[row]:
                continue
            times = token_times(row, texts[row])
            if times is None:
                timings[row] = "estimated"
                continue
            offset[row] = total
            total += len(times)
            parts.append(times)
        if parts:
            timed = offset[chunk] >= 0
            all_times = np.concatenate([np.asarray(p, np.int64) for p in parts])
            t_ms[timed] = all_times[offset[chunk[timed]] + token[timed]]

    def _occurrences(self, spans: _Spans, starts_ms: np.ndarray) -> _Occurrences:
        """Spans expanded into one occurrence per theme, with windows, stories, promotion,
        the reason of each decision, and counters."""
        chunks = len(starts_ms)
        keyword_spans = np.flatnonzero(spans.form >= 0)
        span_form, span_t_ms = spans.form[keyword_spans], spans.t_ms
        first = self._form_offsets[span_form]
        per_span = self._form_offsets[span_form + 1] - first
        span = np.repeat(keyword_spans, per_span)
        position = np.repeat(first - np.cumsum(per_span) + per_span, per_span)
        position += np.arange(len(span), dtype=np.int64)
        sense = self._form_senses[position]
        chunk = spans.chunk[span]
        if self._parity:
            # ome-2024, reproduced for parity: each (keyword, theme) once per chunk, at its
            # first occurrence.
            keyword = self._form_keywords[position]
            key = (chunk * self._number_of_keywords + keyword) * len(THEMES)
            key += self._sense_theme[sense]
            _, first_index = np.unique(key, return_index=True)
            keep = np.sort(first_index)
            span, sense, chunk, position = span[keep], sense[keep], chunk[keep], position[keep]
        crisis = self._sense_crisis[sense]
        high_risk = self._sense_high_risk[sense]
        if self._parity:
            # Reproduced for parity: a word timed before the chunk start is in window -1.
            window = (span_t_ms[span] - starts_ms[chunk]) // (self.window_seconds * 1000)
            window = np.clip(window, -1, self.number_of_windows - 1).astype(np.int32)
            story = np.zeros(len(span), np.int32)
            counted, reason = promote_in_list_order(chunk, window, crisis, high_risk)
            direct = counted & ~high_risk
            offset = 1
        else:
            window = windows_of(span_t_ms[span], starts_ms[chunk], self.window_seconds)
            # The batch's story boundaries, found once for stories, framing and cost cues.
            boundaries = self._boundary_keys(spans)
            story, head = self._story_positions(boundaries, chunk, spans.token[span])
            weather = self._sense_weather[sense]
            where = (spans, span, chunk, window, story, starts_ms, boundaries)
            cued_here = self._framed(sense, *where)
            costed = self._costed(sense, *where)
            eligible = (~weather | cued_here) & ~costed
            offset_ms = span_t_ms[span] - starts_ms[chunk]
            counted, reason = promote_in_stories(
                chunk,
                window,
                crisis,
                high_risk,
                story,
                eligible,
                offset_ms,
                self.reach_ms,
                self.reach_ahead_ms,
                head,
            )
            # Weather events and energy words have their own context rules: they never
            # count by cohesion alone.
            cohesive = eligible & high_risk & ~weather & ~self._sense_energy[sense]
            keyword = self._form_keywords[position]
            clustered = ~counted & promote_clusters(
                chunk,
                story,
                crisis,
                window,
                keyword,
                cohesive,
                CLUSTER_KEYWORDS,
                self._form_specific[spans.form[span]],
                CLUSTER_SPECIFIC_KEYWORDS,
                self._keyword_words,
            )
            counted |= clustered
            reason[clustered] = CLUSTERED
            direct = counted & ~high_risk
            reason[direct & weather] = FRAMED
            reason[costed] = np.where(high_risk[costed], AS_A_COST, SOLD)
            # A high-risk weather event whose own window frames it counts: the framing, not
            # a neighbouring keyword, is what makes that window environmental (LABELLING 1).
            framed_here = cued_here & high_risk & ~counted
            counted |= framed_here
            reason[framed_here] = FRAMED_IN_WINDOW
            offset = 0
        counts = window_counters(
            chunk,
            window + offset,
            crisis,
            high_risk,
            self._sense_link[sense],
            self._sense_theme[sense],
            counted,
            direct,
            chunks,
            self.number_of_windows + offset,
        )
        return _Occurrences(span, sense, chunk, window, counted, counts, story, reason)

    def _boundary_keys(self, spans: _Spans) -> np.ndarray:
        """Sorted (chunk, token) keys of the story boundaries of a batch."""
        marker: np.ndarray = spans.form <= -2
        boundary = np.flatnonzero(marker)[self._marker_kind[-2 - spans.form[marker]] == 0]
        return np.sort(spans.chunk[boundary] * _TOKEN_SLOTS + spans.token[boundary])

    @staticmethod
    def _story_positions(
        keys: np.ndarray, chunk: np.ndarray, token: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Story number within its chunk of each (chunk, token) (`keys`: the batch's sorted
        boundary keys, `_boundary_keys`), and whether it lies within `STORY_HEAD_TOKENS` words
        of the boundary that opened that story (never in story 0)."""
        if not len(keys):
            return np.zeros(len(chunk), np.int32), np.zeros(len(chunk), bool)
        wanted = chunk * _TOKEN_SLOTS + token
        at = np.searchsorted(keys, wanted, side="right")
        story = np.asarray(at - np.searchsorted(keys, chunk * _TOKEN_SLOTS, side="left"), np.int32)
        head: np.ndarray = story > 0
        head[head] = wanted[head] - keys[at[head] - 1] <= STORY_HEAD_TOKENS
        return story, head

    def _framed(
        self,
        sense: np.ndarray,
        spans: _Spans,
        span: np.ndarray,
        chunk: np.ndarray,
        window: np.ndarray,
        story: np.ndarray,
        starts_ms: np.ndarray,
        boundaries: np.ndarray,
    ) -> np.ndarray:
        """Whether each weather event has a climate or trend cue of its own story in its window
        (LABELLING rule 1: the window links the event to climate change or frames it as a
        trend); False for every other occurrence. A cue next door is not enough: the climate
        words and trend phrases of the story before would frame a damage toll told right after.
        """
        weather = self._sense_weather[sense]
        if not weather.any():
            return np.zeros(len(sense), bool)
        # Cues: cue phrases, keywords listed as cues, direct climate occurrences (not events).
        climate = CRISES.index("climat")
        # A climate solution (green electricity, insulation) does not link an event to climate
        # change: only talk of its state, causes and consequences does.
        climate_talk = (self._sense_crisis[sense] == climate) & ~self._sense_high_risk[sense]
        climate_talk &= self._sense_link[sense] != CAUSAL_LINKS.index("solutions")
        is_cue = ~weather & (self._form_cue[spans.form[span]] | climate_talk)
        return self._cued(
            spans, span, chunk, window, story, starts_ms, boundaries, 1, is_cue, weather
        )

    def _costed(
        self,
        sense: np.ndarray,
        spans: _Spans,
        span: np.ndarray,
        chunk: np.ndarray,
        window: np.ndarray,
        story: np.ndarray,
        starts_ms: np.ndarray,
        boundaries: np.ndarray,
    ) -> np.ndarray:
        """Whether each energy word has a cost cue of its own story in its window (LABELLING
        rule 6: energy talked of as a price, or sold in an advert, is not environmental)."""
        asking = self._sense_energy[sense]
        if not asking.any():
            return np.zeros(len(sense), bool)
        is_cue = self._form_cost_cue[spans.form[span]]
        return self._cued(
            spans, span, chunk, window, story, starts_ms, boundaries, 2, is_cue, asking
        )

    def _cued(
        self,
        spans: _Spans,
        span: np.ndarray,
        chunk: np.ndarray,
        window: np.ndarray,
        story: np.ndarray,
        starts_ms: np.ndarray,
        boundaries: np.ndarray,
        kind: int,
        is_cue: np.ndarray,
        asking: np.ndarray,
    ) -> np.ndarray:
        """For the `asking` occurrences, whether their window holds, in their story, a marker
        of `kind` or an occurrence of `is_cue`; False elsewhere."""
        marker: np.ndarray = spans.form <= -2
        marker[marker] = self._marker_kind[-2 - spans.form[marker]] == kind
        marker = np.flatnonzero(marker)
        marker_chunk = spans.chunk[marker]
        cue_chunk = np.concatenate([chunk[is_cue], marker_chunk])
        cue_story = np.concatenate(
            [story[is_cue], self._story_positions(boundaries, marker_chunk, spans.token[marker])[0]]
        )
        cue_t_ms = np.concatenate([spans.t_ms[span[is_cue]], spans.t_ms[marker]])
        cue_window = windows_of(cue_t_ms, starts_ms[cue_chunk], self.window_seconds)
        no_crisis = np.zeros(len(cue_chunk), np.int64)
        cue_keys = np.sort(story_keys(cue_chunk, cue_story, no_crisis, cue_window))
        rows = np.flatnonzero(asking)
        key = story_keys(chunk[rows], story[rows], np.zeros(len(rows), np.int64), window[rows])
        cued = np.zeros(len(chunk), bool)
        cued[rows] = is_member(key, cue_keys)
        return cued

    def match_chunk(
        self, plaintext: str, start: int, srt: Sequence[Mapping[str, Any]] | None = None
    ) -> ChunkMatch:
        """Match one chunk; `start` in epoch seconds, `srt` the provider's word list if any."""
        if not plaintext and srt:
            plaintext = " ".join(word or "" for word in _word_list(srt)[0])
        start = int(start)
        text = normalize(plaintext or "", self.language)
        starts_ms = np.array([start * 1000], np.int64)
        if srt:
            words, times = _word_list(srt)
            spans = self._spans(
                [text],
                starts_ms,
                [True],
                lambda _row, normalised: align_token_times(
                    normalised.split(" "), words, times, self.language
                ),
            )
        else:
            spans = self._spans([text], starts_ms)
        result = self._occurrences(spans, starts_ms)
        tokens, token_counts = spans.token.tolist(), spans.token_count.tolist()
        span_t_ms = spans.t_ms.tolist()
        occurrences = []
        for span, sense_id, window, counted, story, reason in zip(
            result.span.tolist(),
            result.sense.tolist(),
            result.window.tolist(),
            result.counted.tolist(),
            result.story.tolist(),
            result.reason.tolist(),
            strict=True,
        ):
            token, ntok, t_ms = tokens[span], token_counts[span], span_t_ms[span]
            excerpt = spans.excerpt[span]
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
                    story=story,
                    reason=REASONS[reason],
                )
            )
        boundaries = tuple(
            Boundary(self._marker_text[-2 - form], token, (t_ms - start * 1000) / 1000)
            for form, token, t_ms in zip(spans.form.tolist(), tokens, span_t_ms, strict=True)
            if form <= -2 and self._marker_kind[-2 - form] == 0
        )
        return ChunkMatch(
            start=start,
            timing=spans.timings[0],
            window_seconds=self.window_seconds,
            number_of_windows=self.number_of_windows,
            occurrences=tuple(occurrences),
            counts=dict(zip(COUNTER_COLUMNS, result.counts[0].tolist(), strict=True)),
            text=text,
            boundaries=tuple(sorted(boundaries, key=lambda b: b.token_index)),
        )

    def match_table(self, captions: pa.Table) -> MatchResult:
        """Match every chunk of a CAPTION_SCHEMA table into segment counters and evidence.

        Needs the columns chunk_id, channel_name, start, day and plaintext; srt is optional.
        """
        n = captions.num_rows
        start_ts = _as_timestamp(captions.column("start"))
        start_values = start_ts.cast(pa.int64()).to_pylist()
        plaintexts = captions.column("plaintext").to_pylist()
        srt_column = captions.column("srt") if "srt" in captions.column_names else None
        if srt_column is not None and srt_column.null_count == n:
            srt_column = None
        word_times = BatchWordTimes(srt_column, self.language) if srt_column is not None else None
        has_words = word_times.present.tolist() if word_times is not None else None
        if word_times is not None and has_words is not None:
            for i, plaintext in enumerate(plaintexts):
                if not plaintext and has_words[i]:
                    plaintexts[i] = " ".join(word_times.words(i))
        language = self.language
        texts = [normalize(plaintext, language) if plaintext else "" for plaintext in plaintexts]
        starts_ms = np.array(start_values, np.int64) * 1000

        batches = []
        for low in range(0, n, _SCAN_BATCH_ROWS):
            high = min(n, low + _SCAN_BATCH_ROWS)
            timer = None
            if word_times is not None:
                timer = _shifted(word_times.token_times, low)
            batch = self._spans(
                texts[low:high],
                starts_ms[low:high],
                has_words[low:high] if has_words is not None else None,
                timer,
            )
            batches.append(batch._replace(chunk=batch.chunk + low))
        spans = _concat_spans(batches)
        timings = spans.timings
        result = self._occurrences(spans, starts_ms)

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
            keywords=self._keyword_table(captions, start_ts, starts_ms, spans, result),
        )

    def _keyword_table(
        self,
        captions: pa.Table,
        start_ts: pa.ChunkedArray,
        starts_ms: np.ndarray,
        spans: _Spans,
        result: _Occurrences,
    ) -> pa.Table:
        span = result.span
        t_ms = spans.t_ms[span]
        token = spans.token[span]
        excerpts = pa.array(spans.excerpt, pa.string()).take(pa.array(span))
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
            "story": pa.array(result.story.astype(np.int32)),
            "reason": _REASON_TEXTS.take(pa.array(result.reason)),
        }
        return pa.table(
            [_cast(columns[f.name], f.type) for f in KEYWORD_SCHEMA], schema=KEYWORD_SCHEMA
        )


def dictionary_language(dictionary: KeywordDictionary) -> str:
    """The one language of a dictionary's entries; French for an empty or mixed dictionary."""
    languages = {entry.language for entry in dictionary.entries}
    return languages.pop() if len(languages) == 1 else "fr"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the automaton lists a batch's matches.

    The scan allocates one small tuple per match, and they form no reference cycles; without
    the pause, the collections those allocations trigger re-scan every object of the process.
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


def _word_list(srt: Sequence[Mapping[str, Any]] | pa.ListScalar) -> tuple[list[str], list[int]]:
    """Texts and `cts_in_ms` of a word list given as provider dicts or as an Arrow list value."""
    if isinstance(srt, pa.ListScalar):
        words = srt.values
        return words.field("text").to_pylist(), words.field("cts_in_ms").to_pylist()
    return [str(word.get("text") or "") for word in srt], [int(word["cts_in_ms"]) for word in srt]


def _overlaps_any(first: np.ndarray, last: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each interval [first, last) shares a point with one of the intervals `among`
    selects (a boolean mask over the same arrays)."""
    order = np.argsort(first[among], kind="stable")
    other_first = first[among][order]
    reach = np.maximum.accumulate(last[among][order])
    # Intervals starting before `last` exist, and the furthest of them reaches past `first`.
    starting = np.searchsorted(other_first, last, side="left")
    overlaps = np.zeros(len(first), bool)
    some = starting > 0
    overlaps[some] = reach[starting[some] - 1] > first[some]
    return overlaps


def _shifted(token_times: _TokenTimer, offset: int) -> _TokenTimer:
    """A batch-row token timer reading table row `offset + row`."""
    return lambda row, text: token_times(offset + row, text)


def _empty_spans(timings: list[str]) -> _Spans:
    empty = np.zeros(0, np.int64)
    return _Spans(empty, empty, empty, empty, empty, [], timings)


def _concat_spans(batches: Sequence[_Spans]) -> _Spans:
    if len(batches) == 1:
        return batches[0]
    if not batches:
        return _empty_spans([])
    arrays = [np.concatenate(parts) for parts in zip(*(b[:5] for b in batches), strict=True)]
    excerpts = [excerpt for b in batches for excerpt in b.excerpt]
    timings = [timing for b in batches for timing in b.timings]
    chunk, form, token, token_count, t_ms = arrays
    return _Spans(chunk, form, token, token_count, t_ms, excerpts, timings)
