"""Windows, high-risk promotion and window counters (METHODOLOGY §4), for many chunks at once.

Counters are numbers of windows, never numbers of keywords: ten keywords in one window count 1.
Promotion is a few array operations over keys of (chunk, story, crisis, window): only direct
occurrences promote, so the result cannot depend on the order occurrences are listed in. Working
on whole tables keeps per-occurrence Python work out of the hot path. The `ome-2024` profile
reproduces the reference's one pass in list order instead (`promote_in_list_order`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np

from observatoire.core.broadcast_day import CHUNK_SECONDS
from observatoire.core.themes import CAUSAL_LINKS, CRISES, THEMES

COUNTER_WIDTH: Final = 2 + 2 * len(CRISES) + len(CAUSAL_LINKS) + len(THEMES)
_LINK_OFFSET: Final = 2 + 2 * len(CRISES)
_THEME_OFFSET: Final = _LINK_OFFSET + len(CAUSAL_LINKS)


def number_of_windows(window_seconds: int) -> int:
    """Windows in a 2-minute chunk; the window length must divide 120 s so windows are equal."""
    if isinstance(window_seconds, bool) or not isinstance(window_seconds, int):
        raise ValueError(f"window_seconds must be an integer, got {window_seconds!r}")
    if window_seconds <= 0 or CHUNK_SECONDS % window_seconds:
        raise ValueError(
            f"window_seconds must be a positive divisor of {CHUNK_SECONDS}, got {window_seconds}"
        )
    return CHUNK_SECONDS // window_seconds


def window_of(t_ms: int, start: int, window_seconds: int) -> int:
    """Window of an instant (epoch ms) in the chunk starting at `start` (epoch s), clamped.

    Words timed slightly before `start` or after the 120 s fall in the first or last window:
    the word list may begin a second early, and that is never an error.
    """
    window = (t_ms - start * 1000) // (window_seconds * 1000)
    return min(max(window, 0), number_of_windows(window_seconds) - 1)


def windows_of(t_ms: np.ndarray, start_ms: np.ndarray, window_seconds: int) -> np.ndarray:
    """`window_of` for arrays of instants and chunk starts, both in epoch milliseconds."""
    windows = (t_ms - start_ms) // (window_seconds * 1000)
    return np.asarray(np.clip(windows, 0, number_of_windows(window_seconds) - 1), np.int32)


# Why an occurrence counts or not (the evidence's `reason` column), by code.
REASONS: Final[tuple[str, ...]] = (
    "direct",
    "direct weather event, framed by a climate or trend cue",
    "promoted: direct occurrence of its crisis in its window, same story",
    "promoted: direct occurrence of its crisis in an adjacent window, same story",
    "not promoted: no direct occurrence of its crisis in or next to its window",
    "not promoted: a story boundary separates it from the direct occurrence",
    "not counted: weather event without climate or trend framing in its story",
    "promoted: direct occurrence of its crisis in or next to its window (ome-2024 list order)",
    "not promoted: the direct occurrence in the adjacent window is too far away in time",
    "high-risk weather event framed by a climate or trend cue in its window",
    "not promoted: energy talked of as a cost (a price cue in its window, same story)",
    "promoted: three different high-risk keywords of its crisis in its window, same story",
    "not counted: energy on sale or as a cost (a price or offer cue in its window, same story)",
)
(
    DIRECT,
    FRAMED,
    SAME_WINDOW,
    ADJACENT,
    NO_ANCHOR,
    STORY_BOUNDARY,
    UNFRAMED,
    LIST_ORDER,
    OUT_OF_REACH,
    FRAMED_IN_WINDOW,
    AS_A_COST,
    CLUSTERED,
    SOLD,
) = range(13)
# Key space of (chunk, story, window): stories per chunk and windows (plus margins) per chunk.
_STORIES: Final = 1 << 12
_WINDOW_SLOTS: Final = 1 << 8


def story_keys(
    chunk: np.ndarray, story: np.ndarray, crisis: np.ndarray, window: np.ndarray
) -> np.ndarray:
    """One integer per (chunk, story, crisis, window); adjacent windows differ by one."""
    key = chunk.astype(np.int64) * _STORIES + story
    return np.asarray((key * len(CRISES) + crisis) * _WINDOW_SLOTS + window + 2)


def is_member(values: np.ndarray, sorted_keys: np.ndarray) -> np.ndarray:
    """Whether each value is in `sorted_keys` (sorted, duplicates allowed): a binary search,
    cheaper than `np.isin` for the few thousand keys of a batch."""
    if not len(sorted_keys):
        return np.zeros(len(values), bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return np.asarray(sorted_keys[at] == values)


def promote_in_stories(
    chunk: np.ndarray,
    window: np.ndarray,
    crisis: np.ndarray,
    high_risk: np.ndarray,
    story: np.ndarray,
    eligible: np.ndarray,
    offset_ms: np.ndarray | None = None,
    reach_ms: int | None = None,
    reach_ahead_ms: int | None = None,
    story_head: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Which occurrences count, and why (codes of REASONS), with story-aware promotion.

    A direct eligible occurrence counts. A high-risk one counts when a direct occurrence of its
    crisis is in its window or an adjacent one *of the same story* (`story`: story number
    within the chunk). With `reach_ms`, a direct occurrence in an adjacent window promotes only
    when said within that many milliseconds before it, or `reach_ahead_ms` after it (default
    `reach_ms`) (`offset_ms`: time of each occurrence from its chunk start). An occurrence
    marked in `story_head` (said among the first words after a story boundary) may be promoted
    by one said up to `reach_ms` after it: the boundary shows it opens the story that follows,
    where a word before the first keyword of a story is otherwise more often the tail of the
    story before.
    Only direct occurrences promote, so the result cannot depend on order. `eligible` is False
    for weather events without framing: they neither count nor promote.
    """
    direct = eligible & ~high_risk
    counted = direct.copy()
    reason = np.where(counted, DIRECT, NO_ANCHOR).astype(np.int8)
    reason[~eligible] = UNFRAMED
    asking = np.flatnonzero(eligible & high_risk)
    if not len(asking):
        return counted, reason
    key = story_keys(chunk, story, crisis, window)
    anchors = np.sort(key[direct])
    wanted = key[asking]
    same = is_member(wanted, anchors)
    adjacent = ~same & (is_member(wanted - 1, anchors) | is_member(wanted + 1, anchors))
    reason[asking[same]] = SAME_WINDOW
    reason[asking[adjacent]] = ADJACENT
    if reach_ms is not None and offset_ms is not None and adjacent.any():
        # Only the direct occurrences and the adjacent candidates take part.
        close = asking[adjacent]
        rows = np.concatenate([np.flatnonzero(direct), close])
        group = story_keys(chunk[rows], story[rows], crisis[rows], np.zeros(len(rows), np.int64))
        is_anchor = np.zeros(len(rows), bool)
        is_anchor[: len(rows) - len(close)] = True
        ahead: int | np.ndarray = reach_ms if reach_ahead_ms is None else reach_ahead_ms
        if story_head is not None:
            ahead = np.where(story_head[close], reach_ms, ahead)
        reached = _within_reach(group, offset_ms[rows], is_anchor, ~is_anchor, reach_ms, ahead)
        reason[close[~reached]] = OUT_OF_REACH
        adjacent[np.flatnonzero(adjacent)[~reached]] = False
    promoted = asking[same | adjacent]
    counted[promoted] = True
    # Without stories, would an anchor have been near? Then the boundary is why it was not.
    left = asking[reason[asking] == NO_ANCHOR]
    if len(left):
        blind = story_keys(chunk, np.zeros_like(story), crisis, window)
        anchors = np.sort(blind[direct])
        wanted = blind[left]
        near = is_member(wanted, anchors) | is_member(wanted - 1, anchors)
        near |= is_member(wanted + 1, anchors)
        reason[left[near]] = STORY_BOUNDARY
    return counted, reason


def promote_clusters(
    chunk: np.ndarray,
    story: np.ndarray,
    crisis: np.ndarray,
    window: np.ndarray,
    keyword: np.ndarray,
    candidate: np.ndarray,
    size: int,
    specific: np.ndarray | None = None,
    specific_size: int | None = None,
    keyword_words: Sequence[frozenset[str]] | None = None,
) -> np.ndarray:
    """Whether each `candidate` occurrence shares its window, story and crisis with candidates
    of at least `size` different keywords (itself included), or of at least `specific_size`
    different keywords when one of them is `specific`.

    Lexical cohesion: a story told without its obvious keyword ("les haies", "les chouettes",
    "le bocage") still names several high-risk words of one crisis in one breath, where an
    idiom or a homonym comes alone. A specific keyword (a phrase such as "de plus en plus
    rares" or "ne coule plus", narrower than a bare noun such as "eau" or "forêt") needs one
    other word of its crisis beside it, not two; with `keyword_words` (the words of each
    keyword), not one of its own words ("l' eau potable" and "l' eau" are one idea said twice).
    Order-free, like `promote_in_stories`.
    """
    clustered = np.zeros(len(chunk), bool)
    rows = np.flatnonzero(candidate)
    least = size if specific is None or specific_size is None else min(size, specific_size)
    if len(rows) < least:
        return clustered
    key = story_keys(chunk[rows], story[rows], crisis[rows], window[rows])
    pairs, first = np.unique(np.stack([key, keyword[rows]]), axis=1, return_index=True)
    groups, group_of, distinct = np.unique(pairs[0], return_inverse=True, return_counts=True)
    enough = distinct >= size
    if specific is not None and specific_size is not None:
        has_specific = np.zeros(len(groups), bool)
        np.logical_or.at(has_specific, group_of.ravel(), specific[rows][first])
        by_specific = has_specific & (distinct >= specific_size) & ~enough
        if keyword_words is not None and specific_size == 2:
            # A pair whose keywords share a word is one idea said twice.
            starts = np.concatenate([[0], np.cumsum(distinct)[:-1]])
            for g in np.flatnonzero(by_specific & (distinct == 2)).tolist():
                a, b = pairs[1, starts[g]], pairs[1, starts[g] + 1]
                if keyword_words[a] & keyword_words[b]:
                    by_specific[g] = False
        enough |= by_specific
    clustered[rows] = is_member(key, groups[enough])
    return clustered


_TIME_SLOTS: Final = 1 << 22  # milliseconds of a chunk, with room for words a little outside


def _within_reach(
    group: np.ndarray,
    offset_ms: np.ndarray,
    anchor: np.ndarray,
    asking: np.ndarray,
    reach: int,
    ahead: int | np.ndarray,
) -> np.ndarray:
    """For each `asking` occurrence, whether an `anchor` of its group was said at most `reach`
    ms before it or at most `ahead` ms (one figure, or one per asking occurrence) after it."""
    _, group = np.unique(group, return_inverse=True)  # small numbers: no overflow below
    position = group.astype(np.int64) * _TIME_SLOTS + np.clip(
        offset_ms + _TIME_SLOTS // 4, 0, _TIME_SLOTS - 1
    )
    anchors = np.sort(position[anchor])
    wanted = position[asking]
    first = np.searchsorted(anchors, wanted - reach, side="left")
    found: np.ndarray = first < len(anchors)
    if isinstance(ahead, np.ndarray):
        ahead = ahead[found]
    found[found] = anchors[first[found]] <= wanted[found] + ahead
    return found


def promote_in_list_order(
    chunk: np.ndarray, window: np.ndarray, crisis: np.ndarray, high_risk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """ome-2024 promotion, reproduced for parity: one pass over the occurrences in list order;
    a high-risk occurrence counts when a direct occurrence, or one promoted earlier in the
    list, of its crisis is in its window or an adjacent one. No stories, no framing."""
    counted = ~high_risk
    reason = np.where(counted, DIRECT, NO_ANCHOR).astype(np.int8)
    if not high_risk.any():
        return counted, reason
    anchors = set(
        zip(
            chunk[counted].tolist(), crisis[counted].tolist(), window[counted].tolist(), strict=True
        )
    )
    for i in np.flatnonzero(high_risk).tolist():
        c, k, w = int(chunk[i]), int(crisis[i]), int(window[i])
        if (c, k, w) in anchors or (c, k, w - 1) in anchors or (c, k, w + 1) in anchors:
            counted[i] = True
            reason[i] = LIST_ORDER
            anchors.add((c, k, w))
    return counted, reason


def window_counters(
    chunk: np.ndarray,
    window: np.ndarray,
    crisis: np.ndarray,
    high_risk: np.ndarray,
    causal_link: np.ndarray,
    theme: np.ndarray,
    counted: np.ndarray,
    direct: np.ndarray,
    number_of_chunks: int,
    windows_per_chunk: int,
) -> np.ndarray:
    """Counters of every chunk (as `count_windows`) from occurrences already decided: `counted`
    and `direct` (a direct occurrence that counts) per occurrence; `window` from 0."""
    shape = (number_of_chunks, len(CRISES), windows_per_chunk)
    counted_windows = np.zeros(shape, dtype=bool)
    direct_windows = np.zeros(shape, dtype=bool)
    counted_windows[chunk[counted], crisis[counted], window[counted]] = True
    direct_windows[chunk[direct], crisis[direct], window[direct]] = True
    counts = np.zeros((number_of_chunks, COUNTER_WIDTH), dtype=np.int32)
    counts[:, 0] = counted_windows.any(axis=1).sum(axis=1)
    counts[:, 1] = direct_windows.any(axis=1).sum(axis=1)
    counts[:, 2:_LINK_OFFSET:2] = counted_windows.sum(axis=2)
    counts[:, 3:_LINK_OFFSET:2] = direct_windows.sum(axis=2)
    for offset, labels, size in (
        (_LINK_OFFSET, causal_link, len(CAUSAL_LINKS)),
        (_THEME_OFFSET, theme, len(THEMES)),
    ):
        held = np.zeros((number_of_chunks, size, windows_per_chunk), dtype=bool)
        held[chunk[counted], labels[counted], window[counted]] = True
        counts[:, offset : offset + size] = held.sum(axis=2)
    return counts
