"""One broadcast day from the caption provider's API, one query per channel and slot or day.

Each requested channel is queried either once for the whole broadcast day (``query_by="day"``) or
once per programme-grid slot of that day, widened by a margin on both sides (``query_by="slots"``:
it fetches only what the indicators use). Overlapping widened slots are merged before querying and
an item received twice is kept once. Items whose start falls on another broadcast day (fetched
because of a margin) are left to their own day's run.

A channel whose captions could not be fetched after the client's retries either stops the day
(``ChannelUndelivered``, when failing is asked for) or keeps the chunks already received and is
listed in ``CaptionFetch.incomplete`` (some received) or ``CaptionFetch.missing`` (none) with the
reason, which the lake records per channel-day.

Every item carries its origin (page, index in the page, and the channel asked for): an item of
another channel than the one asked for is quarantined at parsing ("asked for A, received B"),
never filed under either.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from observatoire.core.broadcast_day import PARIS, day_interval
from observatoire.intake.intake import CaptionFetch, day_elsewhere
from observatoire.intake.provider_client import MediatreeClient, MediatreeError, canonical_item_key
from observatoire.intake.records import Origin
from observatoire.reference.grid import ProgrammeGrid

PROVIDER_SOURCE = "mediatree"
QUERY_BY = ("slots", "day")


class ChannelUndelivered(Exception):
    """A channel's captions for a day could not be fetched, and the day must not go on without."""

    def __init__(self, channel: str, day: date, reason: str) -> None:
        super().__init__(
            f"captions of channel {channel} for {day} could not be fetched from the provider "
            f"API: {reason}"
        )
        self.channel = channel
        self.day = day


def day_bounds(day: date, zone: ZoneInfo = PARIS) -> tuple[int, int]:
    """[first, last] epoch second of a broadcast day in `zone`, inclusive as the provider API's
    ranges are."""
    start, end = day_interval(day, zone)
    return start, end - 1


def query_windows(
    slots: Sequence[tuple[int, int]], day: date, margin_seconds: int, zone: ZoneInfo = PARIS
) -> list[tuple[int, int]]:
    """Inclusive start ranges to query for slots [start, end): a chunk of 120 s starting in
    ``(start - 120, end)`` overlaps the slot, so the margin must be at least 120 s; ranges are
    clipped to the day and merged when they overlap or touch."""
    first, last = day_bounds(day, zone)
    windows = sorted(
        (max(first, start - margin_seconds), min(last, end + margin_seconds))
        for start, end in slots
    )
    merged: list[tuple[int, int]] = []
    for low, high in windows:
        if low > high:
            continue
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def query_ranges(
    grid: ProgrammeGrid, channel: str, day: date, query_by: str, margin_seconds: int
) -> list[tuple[int, int]]:
    """The inclusive epoch-second ranges queried for one channel and day (the grid's zone's)."""
    if query_by not in QUERY_BY:
        raise ValueError(f"query_by must be one of {', '.join(QUERY_BY)}, got {query_by!r}")
    if query_by == "day":
        return [day_bounds(day, grid.zone)]
    slots = [(low, high) for low, high, _, _ in grid.slot_bounds(channel, day)]
    return query_windows(slots, day, margin_seconds, grid.zone)


def fetch_provider_day(
    client: MediatreeClient,
    day: date,
    channels: Sequence[str],
    grid: ProgrammeGrid,
    *,
    query_by: str = "slots",
    margin_seconds: int = 300,
    fail_on_missing: bool = True,
    logger: logging.Logger | None = None,
) -> CaptionFetch:
    """Every item of the given channels whose broadcast day is `day`, each once, with its
    origin; a channel that cannot be fetched raises `ChannelUndelivered` when
    `fail_on_missing`, else is recorded missing or incomplete with the (masked) reason."""
    log = logger or logging.getLogger("observatoire.provider")
    seen: set[str] = set()
    items: list[object] = []
    origins: list[Origin] = []
    missing: list[tuple[str, str]] = []
    incomplete: list[tuple[str, str]] = []
    dropped_outside_day = 0
    for channel in channels:
        ranges = query_ranges(grid, channel, day, query_by, margin_seconds)
        pages, failure = _channel_pages(client, channel, ranges)
        if failure is not None and fail_on_missing:
            raise ChannelUndelivered(channel, day, failure)
        kept = 0
        for page, data in pages:
            for index, item in enumerate(data):
                if day_elsewhere(item, day, grid.zone) is not None:
                    dropped_outside_day += 1
                    continue
                key = canonical_item_key(item)
                if key in seen:
                    continue
                seen.add(key)
                items.append(item)
                origins.append(Origin(page=page, index=index, asked_for=channel))
                kept += 1
        if failure is not None:
            log.warning(
                f"channel {channel} on {day} recorded as "
                f"{'incomplete' if kept else 'missing'} ({kept} item(s) kept): {failure}"
            )
            (incomplete if kept else missing).append((channel, failure))
        log.info(f"channel {channel} on {day}: {kept} item(s) from {len(ranges)} query range(s)")
    if dropped_outside_day:
        log.info(f"{dropped_outside_day} item(s) outside {day} left to their own day")
    return CaptionFetch(
        items=items,
        source=PROVIDER_SOURCE,
        missing=missing,
        pre_rejected=[],
        origins=origins,
        incomplete=incomplete,
    )


def _channel_pages(
    client: MediatreeClient, channel: str, ranges: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int | None, list[Any]]], str | None]:
    """Every page of a channel's query ranges, and the (masked) failure that stopped them, if
    any: the pages received before a failure are kept."""
    pages: list[tuple[int | None, list[Any]]] = []
    for low, high in ranges:
        try:
            pages.extend(client.fetch_pages(channel, low, high))
        except MediatreeError as error:
            pages.extend(error.partial)
            return pages, client.mask(error)
    return pages, None
