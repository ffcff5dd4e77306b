"""Channels, programme grids, chunk scope and time monitored (METHODOLOGY §5).

A grid row states, in Europe/Paris wall-clock time, when a channel broadcasts news that the
observatory measures. Rows are turned into UTC intervals day by day with the time zone rules, so a
slot spanning a daylight-saving change lasts what it really lasted (2 hours for 01:00-04:00 on the
23-hour day, 4 hours on the 25-hour day).

Daylight-saving rule, applied to every slot: a slot is the set of instants whose local wall-clock
time lies in [start, end). Wall-clock times that do not exist (the skipped hour in March) contain
no instant, so a slot inside that hour is empty that day; wall-clock times that occur twice (the
repeated hour in October) are in the slot both times, so such a slot may become two intervals.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from observatoire.core.counting import CHUNK_SECONDS
from observatoire.intake.records import PARIS

CHANNELS_HEADER = ("name", "title", "radio", "all_news")
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

CHANNELS_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("title", pa.string()),
        ("radio", pa.bool_()),
        ("all_news", pa.bool_()),
    ]
)

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

TIME_MONITORED_SCHEMA = pa.schema(
    [
        ("channel_name", pa.string()),
        ("day", pa.date32()),
        ("grid_minutes", pa.float64()),
        ("covered_minutes", pa.float64()),
        ("coverage", pa.float64()),
        ("chunks_received", pa.int64()),
        ("chunks_in_scope", pa.int64()),
        ("delivery", pa.string()),
        ("delivery_reason", pa.string()),
    ]
)
"""``delivery`` says whether the source delivered the channel-day: ``complete``, ``incomplete``
(the fetch failed part-way; the chunks received are kept) or ``missing`` (nothing could be
fetched), with the source's reason: a hole is data, not a channel that was off air."""

DELIVERIES_KEY = b"observatoire.deliveries"
"""raw_captions day files carry, in their Parquet schema metadata, the channel-days the source
could not deliver in full: {channel: [status, reason]}."""


def with_deliveries(table: pa.Table, deliveries: dict[str, tuple[str, str]]) -> pa.Table:
    """``table`` with the undelivered channel-days recorded in its schema metadata."""
    metadata = dict(table.schema.metadata or {})
    metadata[DELIVERIES_KEY] = json.dumps(
        {channel: list(value) for channel, value in sorted(deliveries.items())},
        ensure_ascii=False,
    ).encode()
    return table.replace_schema_metadata(metadata)


def deliveries_of(table: pa.Table | None) -> dict[str, tuple[str, str]]:
    """The undelivered channel-days a raw_captions day file records ({} when none)."""
    if table is None:
        return {}
    raw = (table.schema.metadata or {}).get(DELIVERIES_KEY)
    if raw is None:
        return {}
    return {channel: (value[0], value[1]) for channel, value in json.loads(raw).items()}


class GridError(ValueError):
    """A channel list or programme grid that cannot be used, with the offending line named."""


# --------------------------------------------------------------------------------------------
# Channels


@dataclass(frozen=True, slots=True)
class Channel:
    """A monitored channel; all-news channels are in scope all day long (06:00-23:00)."""

    name: str
    title: str
    radio: bool
    all_news: bool


def _parse_bool(value: str, where: str) -> bool:
    lowered = value.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise GridError(f"{where}: expected true or false, got {value!r}")


def _data_rows(text: str, header: Sequence[str], origin: str) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) of a CSV text whose comment lines start with '#'."""
    lines = text.splitlines()
    content = [(number, line) for number, line in enumerate(lines, start=1)]
    content = [
        (n, line) for n, line in content if line.strip() and not line.lstrip().startswith("#")
    ]
    if not content:
        raise GridError(f"{origin}: empty file, expected the header {','.join(header)}")
    header_line, header_text = content[0]
    found = next(csv.reader([header_text]))
    if tuple(cell.strip() for cell in found) != tuple(header):
        raise GridError(
            f"{origin} line {header_line}: header must be {','.join(header)}, got {','.join(found)}"
        )
    for number, line in content[1:]:
        cells = next(csv.reader(io.StringIO(line)))
        if len(cells) != len(header):
            raise GridError(
                f"{origin} line {number}: expected {len(header)} fields, got {len(cells)}"
            )
        yield number, [cell.strip() for cell in cells]


def load_channels_csv(path: str | Path) -> list[Channel]:
    """Channels from a CSV file with the header name,title,radio,all_news."""
    path = Path(path)
    return _channels_from_text(path.read_text(encoding="utf-8"), str(path))


def _channels_from_text(text: str, origin: str) -> list[Channel]:
    channels: list[Channel] = []
    seen: dict[str, int] = {}
    for number, (name, title, radio, all_news) in _data_rows(text, CHANNELS_HEADER, origin):
        where = f"{origin} line {number}"
        if not name:
            raise GridError(f"{where}: empty channel name")
        if name in seen:
            raise GridError(f"{where}: channel {name!r} already defined on line {seen[name]}")
        seen[name] = number
        channels.append(
            Channel(
                name=name,
                title=title or name,
                radio=_parse_bool(radio, f"{where} (radio)"),
                all_news=_parse_bool(all_news, f"{where} (all_news)"),
            )
        )
    return channels


def default_channels() -> list[Channel]:
    """The 18 reference channels shipped with the package (observatoire/data/channels.csv)."""
    text = resources.files("observatoire").joinpath("data/channels.csv").read_text("utf-8")
    return _channels_from_text(text, "channels.csv")


def channels_table(channels: Iterable[Channel]) -> pa.Table:
    """Arrow table of channels (CHANNELS_SCHEMA), e.g. to join indicators with radio/TV."""
    channels = list(channels)
    return pa.Table.from_pydict(
        {
            "name": [c.name for c in channels],
            "title": [c.title for c in channels],
            "radio": [c.radio for c in channels],
            "all_news": [c.all_news for c in channels],
        },
        schema=CHANNELS_SCHEMA,
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
def _day_in_utc(day: date) -> tuple[int, int, int, int, int]:
    """(first second, end second, UTC offset before, offset after, transition second) of a day.

    Europe/Paris changes offset at most once a day; without change the transition is the end.
    """
    first = int(datetime.combine(day, clock_time(0), PARIS).timestamp())
    end = int(datetime.combine(day + timedelta(days=1), clock_time(0), PARIS).timestamp())
    before = _offset_at(first)
    after = _offset_at(end - 1)
    if before == after:
        return first, end, before, after, end
    low, high = first, end - 1  # offset(low) == before, offset(high) == after
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(middle) == before:
            low = middle
        else:
            high = middle
    return first, end, before, after, high


def _offset_at(instant: int) -> int:
    offset = datetime.fromtimestamp(instant, tz=PARIS).utcoffset()
    assert offset is not None
    return int(offset.total_seconds())


def local_interval_to_utc(day: date, start_minute: int, end_minute: int) -> list[tuple[int, int]]:
    """UTC epoch-second intervals of the instants whose wall-clock time on `day` is in
    [start_minute, end_minute) minutes after local midnight (see the module's DST rule)."""
    first, end, before, after, transition = _day_in_utc(day)
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


class ProgrammeGrid:
    """A validated set of grid rows, versioned by a hash of their content."""

    def __init__(self, slots: Iterable[GridRow]):
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
        cls, path: str | Path, channels: Iterable[Channel | str] | None = None
    ) -> ProgrammeGrid:
        """Load a grid CSV; channels default to the reference channels (unknown ones rejected)."""
        path = Path(path)
        return cls.from_text(path.read_text(encoding="utf-8"), str(path), channels)

    @classmethod
    def from_text(
        cls,
        text: str,
        origin: str = "programme grid",
        channels: Iterable[Channel | str] | None = None,
    ) -> ProgrammeGrid:
        known = _channel_names(channels if channels is not None else default_channels())
        rows: list[GridRow] = []
        lines: dict[GridRow, int] = {}
        for number, cells in _data_rows(text, GRID_HEADER, origin):
            where = f"{origin} line {number}"
            row = _parse_grid_row(cells, where, set(known))
            for other in rows:
                if _rows_overlap(row, other):
                    raise GridError(
                        f"{where}: overlaps line {lines[other]} for channel {row.channel!r}"
                    )
            rows.append(row)
            lines[row] = number
        return cls(rows)

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
            for low, high in local_interval_to_utc(day, row.start_minute, row.end_minute)
        ]
        return sorted(bounds)

    def slots_on(self, channel: str, day: date) -> list[Slot]:
        """The channel's slots on a local broadcast day, as UTC intervals sorted by start."""
        return [
            Slot(_to_datetime(low), _to_datetime(high), name, kind)
            for low, high, name, kind in self.slot_bounds(channel, day)
        ]


def _channel_names(channels: Iterable[Channel | str]) -> list[str]:
    return [c.name if isinstance(c, Channel) else str(c) for c in channels]


# --------------------------------------------------------------------------------------------
# Scope and time monitored


def _epoch_seconds(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Epoch seconds of a timestamp (any unit) or integer column."""
    if pa.types.is_timestamp(column.type):
        column = pc.cast(column, pa.timestamp("s", tz=column.type.tz)).cast(pa.int64())
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.int64)


def _local_days(starts: np.ndarray) -> np.ndarray:
    """Europe/Paris dates of epoch seconds, as numpy datetime64[D]."""
    instants = pa.array(starts, pa.timestamp("s", tz="Europe/Paris"))
    return pc.local_timestamp(instants).cast(pa.date32()).to_numpy(zero_copy_only=False)


def assign_programmes(grid: ProgrammeGrid, table: pa.Table) -> pa.Table:
    """Add in_scope, programme_name, programme_type to a table of chunks.

    A chunk covers [start, start + 120 s); it is in scope when that overlaps a slot of its
    channel by a positive duration, and takes the programme of the slot it overlaps most (the
    earliest slot on a tie). Slots of the chunk's broadcast day and of the next day are looked at,
    because a chunk starting just before midnight runs into the next day.

    The chunks are grouped by channel and local day with numpy (a day has a few dozen groups
    for thousands of chunks), each group's overlaps are one array operation, and the programme
    names are taken from the slots by index: no Python loop runs per chunk.
    """
    starts = _epoch_seconds(table["start"])
    encoded = pc.dictionary_encode(table["channel_name"].combine_chunks())
    channel_names = encoded.dictionary.to_pylist()
    channel_codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    day_numbers = _local_days(starts).astype(np.int64)  # days since 1970-01-01
    first_day = int(day_numbers.min()) if len(day_numbers) else 0
    day_span = int(day_numbers.max()) - first_day + 1 if len(day_numbers) else 1
    # One integer per (channel, day): channel code + 1 (0: no channel), then the day offset.
    keys = (channel_codes.astype(np.int64) + 1) * day_span + (day_numbers - first_day)
    groups, group_of_row = np.unique(keys, return_inverse=True)
    order = np.argsort(group_of_row, kind="stable")
    group_sizes = np.bincount(group_of_row, minlength=len(groups))
    group_ends = np.cumsum(group_sizes)

    chosen_slot = np.full(len(starts), -1, dtype=np.int64)  # index into slot_names, -1: none
    slot_names: list[str] = []
    slot_kinds: list[str] = []
    for key, low, high in zip(
        groups.tolist(), (group_ends - group_sizes).tolist(), group_ends.tolist(), strict=True
    ):
        code, day_offset = divmod(key, day_span)
        if code == 0:
            continue
        channel = channel_names[code - 1]
        day = _EPOCH_DAY + timedelta(days=first_day + day_offset)
        bounds = grid.slot_bounds(channel, day) + grid.slot_bounds(channel, day + timedelta(1))
        if not bounds:
            continue
        rows = order[low:high]
        chunk_start = starts[rows][:, None]
        chunk_end = chunk_start + CHUNK_SECONDS
        slot_start = np.array([b[0] for b in bounds])[None, :]
        slot_end = np.array([b[1] for b in bounds])[None, :]
        overlap = np.minimum(chunk_end, slot_end) - np.maximum(chunk_start, slot_start)
        best = overlap.argmax(axis=1)
        covered = overlap[np.arange(len(rows)), best] > 0
        chosen_slot[rows[covered]] = best[covered] + len(slot_names)
        slot_names.extend(b[2] for b in bounds)
        slot_kinds.extend(b[3] for b in bounds)

    in_scope = chosen_slot >= 0
    picks = pa.array(chosen_slot, mask=~in_scope)
    for column in ("in_scope", "programme_name", "programme_type"):
        if column in table.column_names:
            table = table.drop_columns([column])
    return (
        table.append_column("in_scope", pa.array(in_scope, pa.bool_()))
        .append_column("programme_name", pa.array(slot_names, pa.string()).take(picks))
        .append_column("programme_type", pa.array(slot_kinds, pa.string()).take(picks))
    )


def _merge(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1]:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return merged


def _intersection_seconds(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    """Total length of the intersection of two merged, sorted interval lists."""
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        low = max(a[i][0], b[j][0])
        high = min(a[i][1], b[j][1])
        if high > low:
            total += high - low
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def time_monitored(
    grid: ProgrammeGrid,
    captions: pa.Table,
    day: date,
    channels: Iterable[Channel | str],
    deliveries: dict[str, tuple[str, str]] | None = None,
) -> pa.Table:
    """Grid and covered minutes per channel on one broadcast day (TIME_MONITORED_SCHEMA).

    covered_minutes is the length of (union of chunk intervals) ∩ (grid slots), so duplicate or
    overlapping chunks never count twice. chunks_received counts distinct chunks of the day;
    chunks_in_scope those overlapping a slot. Channels listed with no chunk get 0 covered minutes;
    channels with chunks but absent from the list are added (with their grid minutes, often 0).
    ``deliveries`` (from the raw_captions day, see ``deliveries_of``) marks channel-days the source
    delivered incompletely or not at all; the others are ``complete``.
    """
    deliveries = deliveries or {}
    starts = _epoch_seconds(captions["start"])
    names = np.asarray(captions["channel_name"].to_numpy(zero_copy_only=False), dtype=object)
    days = _local_days(starts)
    ids = (
        captions["chunk_id"].to_pylist()
        if "chunk_id" in captions.column_names
        else list(zip(names.tolist(), starts.tolist(), strict=True))
    )
    day64 = np.datetime64(day, "D")
    wanted = _channel_names(channels)
    extra = sorted(set(names[days == day64].tolist()) - set(wanted))

    by_channel: dict[str, list[int]] = {}
    for index, name in enumerate(names.tolist()):
        by_channel.setdefault(name, []).append(index)

    rows: dict[str, list] = {field.name: [] for field in TIME_MONITORED_SCHEMA}
    for channel in sorted(set(wanted)) + extra:
        slots = _merge((low, high) for low, high, _, _ in grid.slot_bounds(channel, day))
        grid_seconds = sum(high - low for low, high in slots)
        received: set = set()
        in_scope: set = set()
        intervals: list[tuple[int, int]] = []
        for index in by_channel.get(channel, ()):
            start = int(starts[index])
            interval = (start, start + CHUNK_SECONDS)
            intervals.append(interval)
            if days[index] != day64:
                continue
            received.add(ids[index])
            if _intersection_seconds([interval], slots) > 0:
                in_scope.add(ids[index])
        covered_seconds = _intersection_seconds(_merge(intervals), slots)
        rows["channel_name"].append(channel)
        rows["day"].append(day)
        rows["grid_minutes"].append(grid_seconds / 60)
        rows["covered_minutes"].append(covered_seconds / 60)
        rows["coverage"].append(covered_seconds / grid_seconds if grid_seconds else None)
        rows["chunks_received"].append(len(received))
        rows["chunks_in_scope"].append(len(in_scope))
        status, reason = deliveries.get(channel, ("complete", None))
        rows["delivery"].append(status)
        rows["delivery_reason"].append(reason)
    return pa.Table.from_pydict(rows, schema=TIME_MONITORED_SCHEMA)
