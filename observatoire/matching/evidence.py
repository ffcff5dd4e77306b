"""The evidence behind a channel-day figure: which windows were counted, on which words, and why.

An analyst who doubts a share must be able to see every counted window with its keywords, the
second at which each was said and the words around it, and redo the arithmetic by hand:
`windows × W / 60 = environmental minutes`, `environmental minutes / covered minutes = share`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.broadcast_day import PARIS
from observatoire.core.themes import CRISES

DEFAULT_WINDOW_SECONDS = 20

EVIDENCE_SCHEMA = pa.schema(
    [
        ("channel_name", pa.string()),
        ("day", pa.date32()),
        ("chunk_id", pa.string()),
        ("chunk_start", pa.timestamp("s", tz="UTC")),
        ("window", pa.int32()),
        ("window_start", pa.timestamp("s", tz="UTC")),
        ("keywords", pa.string()),
        ("crises", pa.string()),
        ("themes", pa.string()),
        ("first_second", pa.float64()),
        ("promoted_only", pa.bool_()),
        ("excerpt", pa.string()),
    ]
)


@dataclass(frozen=True, slots=True)
class KeywordHit:
    """One counted keyword occurrence inside a window."""

    keyword: str
    theme: str
    crisis: str
    second: float
    high_risk: bool
    promoted: bool
    excerpt: str
    reason: str = ""  # why it counted or not (METHODOLOGY §4), from the evidence table


@dataclass(frozen=True, slots=True)
class WindowEvidence:
    """A counted window of a chunk and the occurrences that made it count."""

    chunk_id: str
    chunk_start: datetime
    window: int
    window_seconds: int
    hits: tuple[KeywordHit, ...]

    @property
    def window_start(self) -> datetime:
        return self.chunk_start + timedelta(seconds=self.window * self.window_seconds)

    @property
    def crises(self) -> tuple[str, ...]:
        return tuple(sorted({hit.crisis for hit in self.hits}))


@dataclass(frozen=True, slots=True)
class ChannelDayEvidence:
    """Everything needed to re-derive a channel's share for one broadcast day."""

    channel_name: str
    day: date
    window_seconds: int
    windows: tuple[WindowEvidence, ...]
    covered_minutes: float | None
    out_of_scope_windows: int = 0
    dictionary_version: str | None = None
    recorded_env_minutes: float | None = None
    recorded_share: float | None = None
    # Occurrences that did not count (high-risk not promoted, unframed weather), with why.
    not_counted: tuple[tuple[str, KeywordHit], ...] = ()

    @property
    def env_minutes(self) -> float:
        return len(self.windows) * self.window_seconds / 60

    @property
    def share(self) -> float | None:
        if not self.covered_minutes:
            return None
        return self.env_minutes / self.covered_minutes

    def windows_of(self, crisis: str) -> int:
        return sum(1 for w in self.windows if crisis in w.crises)

    @property
    def consistent(self) -> bool | None:
        """Whether the recomputed minutes agree with the published indicator (None if absent)."""
        if self.recorded_env_minutes is None:
            return None
        return abs(self.recorded_env_minutes - self.env_minutes) < 1e-6


def _as_utc(value: datetime | int | float) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromtimestamp(value, tz=UTC)


def counted_windows(
    keywords: pa.Table,
    window_seconds: int,
    in_scope_chunks: Iterable[str] | None = None,
) -> tuple[tuple[WindowEvidence, ...], int]:
    """Group counted occurrences into windows, in broadcast order.

    Returns the in-scope windows and the number of counted windows left out because their chunk
    is outside the programme grid (they do not enter the indicator).
    """
    counted = (
        keywords.filter(pc.equal(keywords["counted"], True)) if keywords.num_rows else keywords
    )
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    starts: dict[str, datetime] = {}
    for row in counted.to_pylist():
        grouped.setdefault((row["chunk_id"], int(row["window"])), []).append(row)
        starts[row["chunk_id"]] = _as_utc(row["start"])
    scope = None if in_scope_chunks is None else set(in_scope_chunks)
    windows: list[WindowEvidence] = []
    left_out = 0
    for (chunk, window), rows in grouped.items():
        if scope is not None and chunk not in scope:
            left_out += 1
            continue
        hits = tuple(
            KeywordHit(
                keyword=r["keyword"],
                theme=r["theme"],
                crisis=r["crisis"],
                second=float(r["second"]),
                high_risk=bool(r["high_risk"]),
                promoted=bool(r["promoted"]),
                excerpt=r.get("excerpt") or "",
                reason=r.get("reason") or "",
            )
            for r in sorted(rows, key=lambda r: (r["second"], r["keyword"], r["theme"]))
        )
        windows.append(WindowEvidence(chunk, starts[chunk], window, window_seconds, hits))
    windows.sort(key=lambda w: (w.chunk_start, w.window))
    return tuple(windows), left_out


def channel_day_evidence(
    keywords: pa.Table,
    channel_name: str,
    day: date,
    *,
    covered_minutes: float | None,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
    in_scope_chunks: Iterable[str] | None = None,
    indicator: Mapping[str, object] | None = None,
) -> ChannelDayEvidence:
    """Evidence for one channel-day from a day's `theme_keywords` table (all channels allowed).

    `indicator`, the channel's `channel_indicators` row when it exists, is kept for comparison so
    a mismatch between the evidence and the published figure is visible rather than hidden.
    """
    mine = keywords.filter(pc.equal(keywords["channel_name"], channel_name))
    windows, left_out = counted_windows(mine, window_seconds, in_scope_chunks)
    not_counted: list[tuple[str, KeywordHit]] = []
    if mine.num_rows and "reason" in mine.column_names:
        for r in mine.filter(pc.equal(mine["counted"], False)).to_pylist():
            hit = KeywordHit(
                r["keyword"], r["theme"], r["crisis"], float(r["second"]),
                bool(r["high_risk"]), False, r.get("excerpt") or "", r.get("reason") or "",
            )  # fmt: skip
            not_counted.append((r["chunk_id"], hit))
        not_counted.sort(key=lambda item: (item[0], item[1].second, item[1].keyword))
    indicator = indicator or {}
    env = indicator.get("env_minutes")
    share = indicator.get("share")
    return ChannelDayEvidence(
        channel_name=channel_name,
        day=day,
        window_seconds=window_seconds,
        windows=windows,
        covered_minutes=covered_minutes,
        out_of_scope_windows=left_out,
        dictionary_version=indicator.get("dictionary_version"),  # type: ignore[arg-type]
        recorded_env_minutes=None if env is None else float(env),  # type: ignore[arg-type]
        recorded_share=None if share is None else float(share),  # type: ignore[arg-type]
        not_counted=tuple(not_counted),
    )


def evidence_table(evidence: ChannelDayEvidence) -> pa.Table:
    """The counted windows as rows (EVIDENCE_SCHEMA), e.g. for a notebook or a CSV export."""
    rows = [
        {
            "channel_name": evidence.channel_name,
            "day": evidence.day,
            "chunk_id": w.chunk_id,
            "chunk_start": w.chunk_start,
            "window": w.window,
            "window_start": w.window_start,
            "keywords": ", ".join(sorted({h.keyword for h in w.hits})),
            "crises": ", ".join(w.crises),
            "themes": ", ".join(sorted({h.theme for h in w.hits})),
            "first_second": min(h.second for h in w.hits),
            "promoted_only": all(h.promoted for h in w.hits),
            "excerpt": w.hits[0].excerpt,
        }
        for w in evidence.windows
    ]
    return pa.Table.from_pylist(rows, schema=EVIDENCE_SCHEMA)


def _minutes(value: float) -> str:
    return f"{value:.2f} min"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f} %"


def format_evidence(evidence: ChannelDayEvidence, zone: ZoneInfo = PARIS) -> str:
    """Plain-text explanation: each counted window, then the arithmetic of the share; times
    are local times in `zone`, the country's time zone."""
    w_s = evidence.window_seconds
    lines = [
        f"Evidence for {evidence.channel_name} on {evidence.day.isoformat()}"
        f" (windows of {w_s} s"
        + (f", dictionary {evidence.dictionary_version}" if evidence.dictionary_version else "")
        + ")",
        f"Times are {zone.key} local time ({_abbreviations(zone, evidence.day)}).",
        "",
    ]
    lines += _window_lines(evidence, zone)
    lines += _not_counted_lines(evidence)
    lines += _arithmetic_lines(evidence)
    return "\n".join(lines) + "\n"


def _abbreviations(zone: ZoneInfo, day: date) -> str:
    """The zone's names in winter and summer of the day's year (`CET in winter, CEST in
    summer`; the larger offset is summer time, in January south of the equator), or its one
    name when it has no daylight-saving time that year."""
    january = datetime(day.year, 1, 15, 12, tzinfo=zone)
    july = datetime(day.year, 7, 15, 12, tzinfo=zone)
    if january.tzname() == july.tzname():
        return f"{january.tzname()} all year"
    zero = timedelta(0)
    if (january.utcoffset() or zero) < (july.utcoffset() or zero):
        standard, daylight = january, july
    else:
        standard, daylight = july, january
    return f"{standard.tzname()} in winter, {daylight.tzname()} in summer"


def _window_lines(evidence: ChannelDayEvidence, zone: ZoneInfo = PARIS) -> list[str]:
    """Each counted window with its keywords, their second and excerpt."""
    w_s = evidence.window_seconds
    lines: list[str] = []
    if not evidence.windows:
        lines.append("No counted window: no environmental keyword counted on this channel-day.")
        lines.append("")
    for w in evidence.windows:
        local = w.window_start.astimezone(zone)
        lines.append(
            f"{local:%H:%M:%S %Z}  chunk {w.chunk_id}  window {w.window}"
            f" ({w.window * w_s}-{(w.window + 1) * w_s} s)  [{', '.join(w.crises)}]"
        )
        for hit in w.hits:
            flag = " (high risk, promoted)" if hit.promoted else ""
            if hit.reason and hit.reason != "direct":
                flag += f"  — {hit.reason}"
            lines.append(f"    +{hit.second:6.1f} s  {hit.keyword}{flag}  <{hit.theme}>")
            if hit.excerpt:
                lines.append(f"              « {hit.excerpt} »")
    return lines


def _not_counted_lines(evidence: ChannelDayEvidence) -> list[str]:
    """The occurrences found but not counted, each with its reason."""
    lines: list[str] = []
    if evidence.not_counted:
        lines.append("Not counted, and why")
        for chunk_id, hit in evidence.not_counted:
            lines.append(
                f"    chunk {chunk_id} +{hit.second:6.1f} s  {hit.keyword}  <{hit.theme}>"
                f"  — {hit.reason}"
            )
    return lines


def _arithmetic_lines(evidence: ChannelDayEvidence) -> list[str]:
    """From counted windows to minutes and shares, overall and per crisis, against the
    recorded indicator."""
    w_s = evidence.window_seconds
    n = len(evidence.windows)
    lines = [
        "",
        "Arithmetic of the share",
        f"  counted windows (in scope)  {n}",
        f"  environmental minutes       {n} × {w_s} s / 60 = {_minutes(evidence.env_minutes)}",
    ]
    if evidence.covered_minutes is None:
        lines.append("  covered minutes             unknown (no time_monitored row)")
    else:
        lines.append(f"  covered minutes             {_minutes(evidence.covered_minutes)}")
        lines.append(
            f"  share                       {evidence.env_minutes:.2f} / "
            f"{evidence.covered_minutes:.2f} = {_percent(evidence.share)}"
        )
    for crisis in CRISES:
        k = evidence.windows_of(crisis)
        minutes = k * w_s / 60
        share = minutes / evidence.covered_minutes if evidence.covered_minutes else None
        lines.append(
            f"    {crisis:<12} {k:>4} windows × {w_s} / 60 = {_minutes(minutes):>11}"
            f"  share {_percent(share)}"
        )
    if evidence.out_of_scope_windows:
        lines.append(
            f"  ({evidence.out_of_scope_windows} counted windows outside the programme grid"
            " are not part of the indicator)"
        )
    if evidence.recorded_env_minutes is not None:
        verdict = "consistent" if evidence.consistent else "DIFFERENT from this evidence"
        lines.append(
            f"  channel_indicators: {_minutes(evidence.recorded_env_minutes)},"
            f" share {_percent(evidence.recorded_share)} — {verdict}"
        )
    else:
        lines.append("  channel_indicators: no row for this channel-day")
    return lines
