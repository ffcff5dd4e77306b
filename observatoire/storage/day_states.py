"""Which state each published day is in, so that no publication mixes states silently.

A figure over several days is only meaningful when every day was counted the same way: the same
keyword dictionary, window length and counting profile. Each `channel_indicators` file records
them (rows: dictionary version and window; file metadata: profile and the dictionary version of
the `theme_segments` it was computed from). Readers of several days (the `indicators` command,
open data, the report) collect the state of every day, list the days missing, and refuse a mix
unless asked to allow it, in which case the mix is marked wherever the figures are shown.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import pyarrow as pa

from observatoire.storage.lake import Lake, LakeMissingError

INDICATORS = "channel_indicators"
SEGMENTS = "theme_segments"
INPUTS_KEY = b"observatoire.inputs"
"""Schema metadata of a channel_indicators file: JSON of what it was computed from."""
SEGMENTS_VERSION_KEY = b"observatoire.version"


@dataclass(frozen=True, order=True)
class DayState:
    """How a day was counted."""

    dictionary_version: str
    window_seconds: int
    profile: str

    def describe(self) -> str:
        return (
            f"dictionary {self.dictionary_version}, window {self.window_seconds} s, "
            f"profile {self.profile}"
        )


def inputs_metadata(segments_version: str, window_seconds: int, profile: str) -> dict[bytes, bytes]:
    """What a channel_indicators file records about its inputs (its schema metadata): the
    dictionary version of the theme_segments it read, the window length and the profile."""
    inputs = {
        "dictionary_version": segments_version,
        "window_seconds": window_seconds,
        "profile": profile,
    }
    return {INPUTS_KEY: json.dumps(inputs, sort_keys=True).encode()}


def _inputs(table: pa.Table) -> dict[str, object]:
    raw = (table.schema.metadata or {}).get(INPUTS_KEY)
    return json.loads(raw) if raw else {}


def _single(values: Iterable[object], default: object) -> object:
    distinct = sorted({str(v) for v in values if v is not None})
    return distinct[0] if len(distinct) == 1 else (", ".join(distinct) or default)


@dataclass
class PeriodStates:
    """The days of a period: their indicator rows, each day's state, missing and stale days."""

    days: list[date]
    indicators: pa.Table
    states: dict[date, DayState] = field(default_factory=dict)
    missing: list[date] = field(default_factory=list)
    stale: dict[date, str] = field(default_factory=dict)
    """Days whose indicators were not computed from the theme_segments now stored, and why."""

    @property
    def present(self) -> list[date]:
        return sorted(self.states)

    def by_state(self) -> dict[DayState, list[date]]:
        grouped: dict[DayState, list[date]] = {}
        for day in self.present:
            grouped.setdefault(self.states[day], []).append(day)
        return dict(sorted(grouped.items(), key=lambda item: item[1][0]))

    @property
    def mixed(self) -> bool:
        return len(self.by_state()) > 1 or bool(self.stale)

    def changes(self) -> list[tuple[date, DayState]]:
        """(first day, state) each time the state differs from the previous present day's."""
        out: list[tuple[date, DayState]] = []
        for day in self.present:
            if not out or out[-1][1] != self.states[day]:
                out.append((day, self.states[day]))
        return out

    def describe_mix(self) -> str:
        """One line per state with its days, then the stale days: what a reader must fix."""
        lines = [f"{state.describe()}: {day_list(days)}" for state, days in self.by_state().items()]
        lines += [f"{day}: {reason}" for day, reason in sorted(self.stale.items())]
        return "\n".join(lines)


def day_list(days: Sequence[date]) -> str:
    """2024-03-01..2024-03-05, 2024-03-09 (6 days): consecutive days folded into ranges."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and (day - runs[-1][-1]).days == 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    text = ", ".join(f"{r[0]}..{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)
    return f"{text} ({len(days)} day{'s' if len(days) != 1 else ''})"


class VersionMixError(ValueError):
    """Days counted in different ways, or indicators older than their segments."""


def read_period(lake: Lake, days: Sequence[date]) -> PeriodStates:
    """Read the indicators of `days` day by day, with each day's state; missing days are listed,
    not skipped silently."""
    parts: list[pa.Table] = []
    period = PeriodStates(days=list(days), indicators=pa.table({}))
    stored = set(lake.days(INDICATORS))
    for day in days:
        try:
            if day not in stored:
                raise LakeMissingError(f"{INDICATORS} for {day}")
            table = lake.read_day(INDICATORS, day)
        except LakeMissingError:
            period.missing.append(day)
            continue
        inputs = _inputs(table)
        version = str(
            _single(table["dictionary_version"].to_pylist(), inputs.get("dictionary_version"))
        )
        window = _single(table["window_seconds"].to_pylist(), inputs.get("window_seconds"))
        period.states[day] = DayState(
            dictionary_version=version,
            window_seconds=int(str(window)) if str(window).isdigit() else -1,
            profile=str(inputs.get("profile") or "unknown"),
        )
        segments_now = lake.day_metadata(SEGMENTS, day).get(SEGMENTS_VERSION_KEY)
        if segments_now is not None and segments_now.decode() != version:
            period.stale[day] = (
                f"channel_indicators made with dictionary {version} but theme_segments now "
                f"hold dictionary {segments_now.decode()}"
            )
        parts.append(table.replace_schema_metadata(None))
    if parts:
        period.indicators = pa.concat_tables(parts, promote_options="default")
    return period


def check_period(period: PeriodStates, *, allow_mixed: bool = False) -> None:
    """Raise VersionMixError listing which days have which state, unless mixing is allowed."""
    if not period.mixed or allow_mixed:
        return
    days = period.present
    raise VersionMixError(
        "the days combined were not counted the same way:\n"
        f"{period.describe_mix()}\n"
        "re-match them with the current dictionary "
        f"(make rematch START={days[0]} END={days[-1]}) or allow the mix explicitly"
    )


def mix_note(period: PeriodStates) -> str | None:
    """The one-line mark of an allowed mix, for headings and data dictionaries."""
    if not period.mixed:
        return None
    return "MIXED VERSIONS: " + "; ".join(period.describe_mix().splitlines())


__all__ = [
    "DayState",
    "PeriodStates",
    "VersionMixError",
    "check_period",
    "day_list",
    "inputs_metadata",
    "mix_note",
    "read_period",
]
