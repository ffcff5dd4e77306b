"""What a dictionary edit changes: keywords added, removed and re-themed, and the windows it
would gain or lose on a sample of stored days, before anyone re-matches a year of captions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa

from observatoire.core.dictionary import KeywordDictionary, KeywordEntry
from observatoire.core.themes import CRISES
from observatoire.matching.matcher import Matcher, crisis_column
from observatoire.matching.word_timing import word_list_columns
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.scope import assign_programmes

# What matching needs of a stored caption day (of the words, only their texts and times).
CAPTION_COLUMNS = ["chunk_id", "channel_name", "start", "day", "plaintext", *word_list_columns()]


@dataclass(frozen=True)
class Retheme:
    """A keyword kept in both dictionaries under a different set of themes."""

    keyword: str
    before: tuple[str, ...]
    after: tuple[str, ...]


@dataclass(frozen=True)
class FlagChange:
    """An entry (keyword, theme) kept in both whose high_risk, category or language changed."""

    keyword: str
    theme: str
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class DictionaryDiff:
    before_version: str
    after_version: str
    added: tuple[KeywordEntry, ...]
    removed: tuple[KeywordEntry, ...]
    rethemed: tuple[Retheme, ...]
    flags: tuple[FlagChange, ...]
    stop_phrases_added: tuple[str, ...]
    stop_phrases_removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return self.before_version == self.after_version


def _by_keyword(dictionary: KeywordDictionary) -> dict[str, dict[str, KeywordEntry]]:
    entries: dict[str, dict[str, KeywordEntry]] = {}
    for entry in dictionary.entries:
        entries.setdefault(entry.keyword, {})[entry.theme] = entry
    return entries


def diff_dictionaries(before: KeywordDictionary, after: KeywordDictionary) -> DictionaryDiff:
    """Compare by keyword: a keyword only in one side is added or removed; one in both under
    other themes is re-themed; an entry in both with another flag is a flag change."""
    old, new = _by_keyword(before), _by_keyword(after)
    added = tuple(e for k in sorted(new.keys() - old.keys()) for e in new[k].values())
    removed = tuple(e for k in sorted(old.keys() - new.keys()) for e in old[k].values())
    rethemed = []
    flags = []
    for keyword in sorted(old.keys() & new.keys()):
        if old[keyword].keys() != new[keyword].keys():
            rethemed.append(
                Retheme(keyword, tuple(sorted(old[keyword])), tuple(sorted(new[keyword])))
            )
        for theme in sorted(old[keyword].keys() & new[keyword].keys()):
            was, now = old[keyword][theme], new[keyword][theme]
            for field in ("high_risk", "category", "language"):
                then, later = str(getattr(was, field)), str(getattr(now, field))
                if then != later:
                    flags.append(FlagChange(keyword, theme, field, then, later))
    old_phrases, new_phrases = set(before.stop_phrases), set(after.stop_phrases)
    return DictionaryDiff(
        before_version=before.version,
        after_version=after.version,
        added=added,
        removed=removed,
        rethemed=tuple(rethemed),
        flags=tuple(flags),
        stop_phrases_added=tuple(sorted(new_phrases - old_phrases)),
        stop_phrases_removed=tuple(sorted(old_phrases - new_phrases)),
    )


def sample_days(days: Sequence[date], count: int) -> list[date]:
    """`count` days spread evenly over the stored days, the latest included (deterministic)."""
    ordered = sorted(days)
    if count >= len(ordered):
        return ordered
    if count <= 0:
        return []
    step = len(ordered) / count
    return sorted({ordered[len(ordered) - 1 - int(i * step)] for i in range(count)})


IMPACT_COLUMNS = ["channel_name", "crisis", "windows_before", "windows_after", "gained", "lost"]


def _crisis_windows(
    matcher: Matcher, captions: pa.Table, grid: ProgrammeGrid | None
) -> pd.DataFrame:
    segments = matcher.match_table(captions).segments
    if grid is not None:
        segments = assign_programmes(grid, segments)
        segments = segments.filter(segments["in_scope"])
    columns = ["chunk_id", "channel_name", *(crisis_column(c) for c in CRISES)]
    return segments.select(columns).to_pandas().set_index(["chunk_id", "channel_name"])


def impact(
    before: KeywordDictionary,
    after: KeywordDictionary,
    captions: pa.Table,
    *,
    window_seconds: int = 20,
    profile: str = "default",
    grid: ProgrammeGrid | None = None,
) -> pd.DataFrame:
    """Counted windows per channel and crisis under each dictionary, on the same captions.

    Gained and lost are counted chunk by chunk, so a change that moves windows from one chunk
    to another shows both; with a grid, only chunks in programmes in scope count (as published).
    """
    old = _crisis_windows(Matcher(before, window_seconds, profile), captions, grid)
    new = _crisis_windows(Matcher(after, window_seconds, profile), captions, grid)
    rows = []
    for crisis in CRISES:
        column = crisis_column(crisis)
        delta = (new[column] - old[column]).groupby(level="channel_name")
        frame = pd.DataFrame(
            {
                "windows_before": old[column].groupby(level="channel_name").sum(),
                "windows_after": new[column].groupby(level="channel_name").sum(),
                "gained": delta.agg(lambda d: int(d[d > 0].sum())),
                "lost": delta.agg(lambda d: int(-d[d < 0].sum())),
            }
        )
        frame.insert(0, "crisis", crisis)
        rows.append(frame.reset_index())
    if not rows or all(frame.empty for frame in rows):
        return pd.DataFrame(columns=IMPACT_COLUMNS)
    result = pd.concat(rows, ignore_index=True)[IMPACT_COLUMNS]
    for column in IMPACT_COLUMNS[2:]:
        result[column] = result[column].astype("int64")
    return result.sort_values(["channel_name", "crisis"], ignore_index=True)


def format_diff(diff: DictionaryDiff) -> str:
    """The keyword changes, one line each, for a terminal or a review."""
    lines = [f"dictionary {diff.before_version} -> {diff.after_version}"]
    if diff.empty:
        return lines[0] + ": no change\n"
    for entry in diff.added:
        risk = ", high risk" if entry.high_risk else ""
        lines.append(f"+ {entry.keyword!r} under {entry.theme} ({entry.category}{risk})")
    for entry in diff.removed:
        lines.append(f"- {entry.keyword!r} under {entry.theme}")
    for change in diff.rethemed:
        lines.append(
            f"~ {change.keyword!r} re-themed: {', '.join(change.before)} -> "
            f"{', '.join(change.after)}"
        )
    for flag in diff.flags:
        lines.append(
            f"~ {flag.keyword!r} under {flag.theme}: {flag.field} {flag.before} -> {flag.after}"
        )
    lines.extend(f"+ stop phrase {phrase!r}" for phrase in diff.stop_phrases_added)
    lines.extend(f"- stop phrase {phrase!r}" for phrase in diff.stop_phrases_removed)
    counts = (
        f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.rethemed)} re-themed, "
        f"{len(diff.flags)} flag changes, stop phrases +{len(diff.stop_phrases_added)} "
        f"-{len(diff.stop_phrases_removed)}"
    )
    return "\n".join([*lines, counts]) + "\n"


def format_impact(frame: pd.DataFrame, days: Sequence[date]) -> str:
    """The previewed impact, per channel and crisis, with the rows that change first."""
    heading = (
        f"Impact on {len(days)} sampled day(s) ({', '.join(d.isoformat() for d in days)}): "
        "counted windows per channel and crisis (windows = keyword windows of "
        "the chunks in programmes in scope)"
    )
    if frame.empty:
        return heading + "\nno captions on the sampled days\n"
    changed = frame[(frame["gained"] > 0) | (frame["lost"] > 0)]
    header = f"{'channel':<16} {'crisis':<13} {'before':>7} {'after':>7} {'gained':>7} {'lost':>7}"
    lines = [heading, header]
    for row in changed.itertuples(index=False):
        lines.append(
            f"{row.channel_name:<16} {row.crisis:<13} {row.windows_before:>7} "
            f"{row.windows_after:>7} {row.gained:>7} {row.lost:>7}"
        )
    total_gained, total_lost = int(frame["gained"].sum()), int(frame["lost"].sum())
    unchanged = len(frame) - len(changed)
    lines.append(
        f"total: {total_gained} windows gained, {total_lost} lost; "
        f"{unchanged} channel-crisis pairs unchanged"
    )
    return "\n".join(lines) + "\n"
