"""Programme grids (METHODOLOGY §5).

A grid row states, in wall-clock time of the country's time zone, when a channel broadcasts news
that the observatory measures. Rows are turned into UTC intervals day by day with the time zone
rules, so a slot spanning a daylight-saving change lasts what it really lasted (2 hours for
01:00-04:00 on the 23-hour day, 4 hours on the 25-hour day).

Daylight-saving rule, applied to every slot: a slot is the set of instants whose local wall-clock
time lies in [start, end). Wall-clock times that do not exist (the skipped hour in March) contain
no instant, so a slot inside that hour is empty that day; wall-clock times that occur twice (the
repeated hour in October) are in the slot both times, so such a slot may become two intervals.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa

from observatoire.core.broadcast_day import PARIS, day_interval
from observatoire.reference.channels import Channel, default_channels, names_of
from observatoire.reference.reference_csv import GridError, data_rows

GRID_HEADER = (
    "channel",
    "weekdays",
    "start",
    "end",
    "valid_from",
    "valid_to",
    "programme_name",
    "programme_type",
)
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_SETS = {
    "all": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekend": frozenset({5, 6}),
}
_TIME = re.compile(r"^(\d{2}):(\d{2})$")
_PROGRAMME_TYPE = re.compile(r"^[a-z][a-z0-9_]*$")
_EPOCH_DAY = date(1970, 1, 1)

GRID_SCHEMA = pa.schema(
    [
        ("channel", pa.string()),
        ("weekdays", pa.string()),
        ("start", pa.string()),
        ("end", pa.string()),
        ("valid_from", pa.date32()),
        ("valid_to", pa.date32()),
        ("programme_name", pa.string()),
        ("programme_type", pa.string()),
    ]
)


# --------------------------------------------------------------------------------------------
# Grid rows and slots


@dataclass(frozen=True, slots=True)
class GridRow:
    """One grid line: a programme broadcast on some weekdays at fixed local times."""

    channel: str
    weekdays: frozenset[int]
    start_minute: int
    end_minute: int
    valid_from: date | None
    valid_to: date | None
    programme_name: str
    programme_type: str

    def applies_on(self, day: date) -> bool:
        """Whether the row is in force on a local day (validity dates are inclusive)."""
        if day.weekday() not in self.weekdays:
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return self.valid_to is None or day <= self.valid_to

    @property
    def weekdays_text(self) -> str:
        for name, days in WEEKDAY_SETS.items():
            if self.weekdays == days:
                return name
        return ",".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))

    @property
    def start_text(self) -> str:
        return _minute_text(self.start_minute)

    @property
    def end_text(self) -> str:
        return _minute_text(self.end_minute)

    def canonical(self) -> str:
        """One line of text that identifies the row's meaning (used by the grid version)."""
        return "|".join(
            [
                self.channel,
                self.weekdays_text,
                self.start_text,
                self.end_text,
                self.valid_from.isoformat() if self.valid_from else "",
                self.valid_to.isoformat() if self.valid_to else "",
                self.programme_name,
                self.programme_type,
            ]
        )


@dataclass(frozen=True, slots=True)
class Slot:
    """A grid row made concrete on one day: a UTC interval [start_utc, end_utc)."""

    start_utc: datetime
    end_utc: datetime
    programme_name: str
    programme_type: str

    @property
    def minutes(self) -> float:
        return (self.end_utc - self.start_utc).total_seconds() / 60


def _minute_text(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _parse_weekdays(text: str, where: str) -> frozenset[int]:
    key = text.strip().lower()
    if key in WEEKDAY_SETS:
        return WEEKDAY_SETS[key]
    days: set[int] = set()
    for part in key.split(","):
        part = part.strip()
        if part not in WEEKDAY_NAMES:
            raise GridError(
                f"{where}: unknown weekday {part!r} (use all, weekdays, weekend or a list of "
                f"{', '.join(WEEKDAY_NAMES)})"
            )
        days.add(WEEKDAY_NAMES.index(part))
    return frozenset(days)


def _parse_time(text: str, where: str, *, is_end: bool) -> int:
    match = _TIME.match(text)
    if match is None:
        raise GridError(f"{where}: bad time {text!r}, expected HH:MM")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if is_end and (hours, minutes) == (24, 0):
        return 24 * 60
    if hours > 23 or minutes > 59:
        raise GridError(f"{where}: bad time {text!r} (00:00-23:59, or 24:00 as an end)")
    return hours * 60 + minutes


def _parse_date(text: str, where: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise GridError(f"{where}: bad date {text!r}, expected YYYY-MM-DD or empty") from None


def _parse_grid_row(cells: list[str], where: str, known: set[str] | None) -> GridRow:
    channel, weekdays, start, end, valid_from, valid_to, name, programme_type = cells
    if not channel:
        raise GridError(f"{where}: empty channel")
    if known is not None and channel not in known:
        raise GridError(f"{where}: unknown channel {channel!r}")
    start_minute = _parse_time(start, f"{where} (start)", is_end=False)
    end_minute = _parse_time(end, f"{where} (end)", is_end=True)
    if end_minute <= start_minute:
        raise GridError(
            f"{where}: end {end} is not after start {start} "
            "(write a programme running past midnight as two rows)"
        )
    first = _parse_date(valid_from, f"{where} (valid_from)")
    last = _parse_date(valid_to, f"{where} (valid_to)")
    if first is not None and last is not None and last < first:
        raise GridError(f"{where}: valid_to {valid_to} is before valid_from {valid_from}")
    if not name:
        raise GridError(f"{where}: empty programme_name")
    if not _PROGRAMME_TYPE.match(programme_type):
        raise GridError(
            f"{where}: bad programme_type {programme_type!r} (lowercase identifier such as "
            "journal, matinale, flash, continuous_news)"
        )
    return GridRow(
        channel=channel,
        weekdays=_parse_weekdays(weekdays, f"{where} (weekdays)"),
        start_minute=start_minute,
        end_minute=end_minute,
        valid_from=first,
        valid_to=last,
        programme_name=name,
        programme_type=programme_type,
    )


def _rows_overlap(a: GridRow, b: GridRow) -> bool:
    if a.channel != b.channel or not (a.weekdays & b.weekdays):
        return False
    if a.start_minute >= b.end_minute or b.start_minute >= a.end_minute:
        return False
    a_first, a_last = a.valid_from or date.min, a.valid_to or date.max
    b_first, b_last = b.valid_from or date.min, b.valid_to or date.max
    return a_first <= b_last and b_first <= a_last


# --------------------------------------------------------------------------------------------
# Local days in UTC


@lru_cache(maxsize=4096)
def _day_in_utc(day: date, zone: ZoneInfo = PARIS) -> tuple[int, int, int, int, int]:
    """(first second, end second, UTC offset before, offset after, transition second) of a day.

    A zone changes offset at most once a day; without change the transition is the end. A day
    that starts at a change (São Paulo's midnight skipped in 2018) has one offset all along.
    """
    first, end = day_interval(day, zone)
    before = _offset_at(first, zone)
    after = _offset_at(end - 1, zone)
    if before == after:
        return first, end, before, after, end
    low, high = first, end - 1  # offset(low) == before, offset(high) == after
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle, zone) == before:
            low = middle
        else:
            high = middle
    return first, end, before, after, high


def _offset_at(instant: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(instant, tz=zone).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def local_interval_to_utc(
    day: date, start_minute: int, end_minute: int, zone: ZoneInfo = PARIS
) -> list[tuple[int, int]]:
    """UTC epoch-second intervals of the instants whose wall-clock time on `day` in `zone` is
    in [start_minute, end_minute) minutes after local midnight (see the module's DST rule)."""
    first, end, before, after, transition = _day_in_utc(day, zone)
    wall_midnight = (day - _EPOCH_DAY).days * 86_400
    wall_start = wall_midnight + start_minute * 60
    wall_end = wall_midnight + end_minute * 60
    pieces = [
        (max(wall_start - before, first), min(wall_end - before, transition)),
        (max(wall_start - after, transition), min(wall_end - after, end)),
    ]
    intervals: list[tuple[int, int]] = []
    for low, high in pieces:
        if high <= low:
            continue
        if intervals and intervals[-1][1] == low:
            intervals[-1] = (intervals[-1][0], high)
        else:
            intervals.append((low, high))
    return intervals


def _to_datetime(instant: int) -> datetime:
    return datetime.fromtimestamp(instant, tz=UTC)


# --------------------------------------------------------------------------------------------
# The grid


def _cell_text(value: object) -> str:
    """A grid table cell as the CSV file writes it (dates in ISO format, nulls empty)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value).strip()


class ProgrammeGrid:
    """A validated set of grid rows, versioned by a hash of their content.

    `zone` is the country's time zone, whose wall-clock times the rows state; it is not part of
    the version (the rows' meaning is the same text), the country is.
    """

    def __init__(self, slots: Iterable[GridRow], zone: ZoneInfo = PARIS):
        self.zone = zone
        rows = tuple(slots)
        for index, row in enumerate(rows):
            for other in rows[:index]:
                if _rows_overlap(row, other):
                    raise GridError(
                        f"grid rows overlap for channel {row.channel!r}: "
                        f"{other.canonical()} and {row.canonical()}"
                    )
        self._rows = rows
        self._by_channel: dict[str, tuple[GridRow, ...]] = {}
        for row in rows:
            self._by_channel[row.channel] = (*self._by_channel.get(row.channel, ()), row)
        canonical = "\n".join(sorted(row.canonical() for row in rows))
        self._version = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @property
    def slots(self) -> tuple[GridRow, ...]:
        """The grid rows, in file order."""
        return self._rows

    @property
    def version(self) -> str:
        """Content hash: changes whenever a row's meaning changes, not with comments or order."""
        return self._version

    @property
    def channels(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_channel))

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        channels: Iterable[Channel | str] | None = None,
        zone: ZoneInfo = PARIS,
    ) -> ProgrammeGrid:
        """Load a grid CSV of wall-clock times in `zone`; channels default to the reference
        channels (unknown ones rejected)."""
        path = Path(path)
        return cls.from_text(path.read_text(encoding="utf-8"), str(path), channels, zone)

    @classmethod
    def from_text(
        cls,
        text: str,
        origin: str = "programme grid",
        channels: Iterable[Channel | str] | None = None,
        zone: ZoneInfo = PARIS,
    ) -> ProgrammeGrid:
        """Parse grid CSV text; channels default to the reference channels."""
        return cls._from_cells(data_rows(text, GRID_HEADER, origin), origin, channels, zone)

    @classmethod
    def from_arrow(
        cls,
        table: pa.Table,
        channels: Iterable[Channel | str],
        origin: str = "programme_grid (lake)",
        zone: ZoneInfo = PARIS,
    ) -> ProgrammeGrid:
        """Rebuild a grid from its Arrow table (GRID_SCHEMA), validated again like a CSV file;
        errors number the rows as the lines of that file would be (the header is line 1).
        The table holds wall-clock times: `zone` is the country's, pass it by name."""
        cells = ([_cell_text(row[name]) for name in GRID_HEADER] for row in table.to_pylist())
        return cls._from_cells(enumerate(cells, start=2), origin, channels, zone)

    @classmethod
    def _from_cells(
        cls,
        numbered_cells: Iterable[tuple[int, list[str]]],
        origin: str,
        channels: Iterable[Channel | str] | None,
        zone: ZoneInfo = PARIS,
    ) -> ProgrammeGrid:
        known = names_of(channels if channels is not None else default_channels())
        rows: list[GridRow] = []
        lines: dict[GridRow, int] = {}
        for number, cells in numbered_cells:
            where = f"{origin} line {number}"
            row = _parse_grid_row(cells, where, set(known))
            for other in rows:
                if _rows_overlap(row, other):
                    raise GridError(
                        f"{where}: overlaps line {lines[other]} for channel {row.channel!r}"
                    )
            rows.append(row)
            lines[row] = number
        return cls(rows, zone)

    @classmethod
    def default(cls) -> ProgrammeGrid:
        """The packaged grid of the 18 reference channels (observatoire/data/programme_grid.csv)."""
        text = resources.files("observatoire").joinpath("data/programme_grid.csv")
        return cls.from_text(text.read_text("utf-8"), "programme_grid.csv")

    @classmethod
    def from_csv_or_default(cls, path: str | Path | None) -> ProgrammeGrid:
        """The grid CSV a deployment configured, else the packaged grid."""
        return cls.from_csv(path) if path else cls.default()

    def to_arrow(self) -> pa.Table:
        rows = self._rows
        return pa.Table.from_pydict(
            {
                "channel": [r.channel for r in rows],
                "weekdays": [r.weekdays_text for r in rows],
                "start": [r.start_text for r in rows],
                "end": [r.end_text for r in rows],
                "valid_from": [r.valid_from for r in rows],
                "valid_to": [r.valid_to for r in rows],
                "programme_name": [r.programme_name for r in rows],
                "programme_type": [r.programme_type for r in rows],
            },
            schema=GRID_SCHEMA,
        )

    def slot_bounds(self, channel: str, day: date) -> list[tuple[int, int, str, str]]:
        """(start, end, programme_name, programme_type) in UTC epoch seconds, sorted by start."""
        bounds = [
            (low, high, row.programme_name, row.programme_type)
            for row in self._by_channel.get(channel, ())
            if row.applies_on(day)
            for low, high in local_interval_to_utc(day, row.start_minute, row.end_minute, self.zone)
        ]
        return sorted(bounds)

    def slots_on(self, channel: str, day: date) -> list[Slot]:
        """The channel's slots on a local broadcast day, as UTC intervals sorted by start."""
        return [
            Slot(_to_datetime(low), _to_datetime(high), name, kind)
            for low, high, name, kind in self.slot_bounds(channel, day)
        ]
