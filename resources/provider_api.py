"""Caption source reading the provider's API (Mediatree-style), one query per channel and slot.

``raw_captions[day]`` from the API is complete or fails loudly. Each requested channel is queried
either once for the whole broadcast day (``query_by="day"``) or once per programme-grid slot of
that day, widened by ``slot_margin_seconds`` on both sides (``query_by="slots"``, the default: it
fetches only what the indicators use). Overlapping widened slots are merged before querying and an
item received twice is kept once. Items whose start falls outside the broadcast day (fetched
because of a margin) are left to their own day's run.

A channel whose captions could not be fetched after the client's retries either fails the run with
the channel named (``on_missing="fail"``, the default) or, with ``on_missing="record"``, keeps the
chunks already received and is listed in ``CaptionFetch.incomplete`` (some received) or
``CaptionFetch.missing`` (none) with the reason, which the lake records per channel-day.

Every item carries its origin (page, index in the page, and the channel asked for): an item of
another channel than the one asked for is quarantined at parsing ("asked for A, received B"),
never filed under either.

Credentials: ``username`` and ``password`` may be left empty, in which case they are read from the
settings (``OBSERVATOIRE_MEDIATREE_USER`` / ``OBSERVATOIRE_MEDIATREE_PASSWORD``) when the run
starts, so they never appear in the Dagster UI's resource configuration. They are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from dagster import Failure, MetadataValue, get_dagster_logger
from pydantic import Field, PrivateAttr

from observatoire.core.broadcast_day import CHUNK_SECONDS, broadcast_day, day_interval
from observatoire.intake.records import Origin
from observatoire.reference.grid import ProgrammeGrid
from resources.captions import CaptionFetch, CaptionSource
from resources.mediatree_client import (
    MediatreeClient,
    MediatreeError,
    RetryPolicy,
    SecretMask,
    Timeouts,
    canonical_item_key,
)
from resources.settings import Settings


def day_bounds(day: date) -> tuple[int, int]:
    """[first, last] epoch second of a Europe/Paris broadcast day (23, 24 or 25 hours long)."""
    start, end = day_interval(day)
    return start, end - 1


def query_windows(
    slots: Sequence[tuple[int, int]], day: date, margin_seconds: int
) -> list[tuple[int, int]]:
    """Inclusive start ranges to query for slots [start, end): a chunk of 120 s starting in
    ``(start - 120, end)`` overlaps the slot, so the margin must be at least 120 s; ranges are
    clipped to the day and merged when they overlap or touch."""
    first, last = day_bounds(day)
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


class MediatreeCaptionSource(CaptionSource):
    """The provider's subtitle API, through a retrying, paging, token-renewing client."""

    base_url: str = Field(description="API root, e.g. https://keywords.mediatree.fr")
    username: str = Field(default="", description="Empty: taken from the settings at run time.")
    password: str = Field(default="", description="Empty: taken from the settings at run time.")
    query_by: Literal["slots", "day"] = "slots"
    slot_margin_seconds: int = Field(default=300, ge=CHUNK_SECONDS)
    on_missing: Literal["fail", "record"] = "fail"
    page_size: int = Field(default=1000, ge=1, le=1000)
    paging: Literal["one-based", "zero-based", "none"] = "one-based"
    caption_type: str = "s2t"
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 120.0
    max_attempts: int = Field(default=6, ge=1)
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    retry_after_max_seconds: float = 300.0
    programme_grid_csv: str | None = None

    _grid: ProgrammeGrid | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> MediatreeCaptionSource:
        """The source as configured by ``OBSERVATOIRE_MEDIATREE_*``; credentials are left out of
        the resource's configuration and read from the settings when a run starts."""
        if not settings.mediatree_url:
            raise ValueError("OBSERVATOIRE_MEDIATREE_URL is not set")
        return cls(
            base_url=settings.mediatree_url,
            query_by=settings.mediatree_query_by,
            on_missing=settings.mediatree_on_missing,
            page_size=settings.mediatree_page_size,
            paging=settings.mediatree_paging,
            programme_grid_csv=settings.programme_grid_csv,
        )

    @property
    def source_name(self) -> str:
        return "mediatree"

    def fetch_day(self, day: date, channels: Sequence[str]) -> CaptionFetch:
        logger = get_dagster_logger()
        with self.client(logger) as client:
            mask = client.mask
            mask.add(self._credentials()[0])
            seen: set[str] = set()
            items: list[object] = []
            origins: list[Origin] = []
            missing: list[tuple[str, str]] = []
            incomplete: list[tuple[str, str]] = []
            dropped_outside_day = 0
            for channel in channels:
                windows = self.windows(channel, day)
                pages, failure = _channel_pages(client, channel, windows)
                if failure is not None and self.on_missing == "fail":
                    raise Failure(
                        description=f"captions of channel {channel} for {day} could not be "
                        f"fetched from the provider API: {failure}",
                        metadata={"channel": channel, "day": day.isoformat()},
                    )
                kept = 0
                for page, data in pages:
                    for index, item in enumerate(data):
                        if _outside_day(item, day):
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
                    logger.warning(
                        f"channel {channel} on {day} recorded as "
                        f"{'incomplete' if kept else 'missing'} ({kept} item(s) kept): {failure}"
                    )
                    (incomplete if kept else missing).append((channel, failure))
                logger.info(
                    f"channel {channel} on {day}: {kept} item(s) from {len(windows)} query range(s)"
                )
        if dropped_outside_day:
            logger.info(f"{dropped_outside_day} item(s) outside {day} left to their own day")
        return CaptionFetch(
            items=items,
            source=self.source_name,
            missing=missing,
            pre_rejected=[],
            origins=origins,
            incomplete=incomplete,
        )

    def windows(self, channel: str, day: date) -> list[tuple[int, int]]:
        """The inclusive epoch-second ranges queried for one channel and day."""
        if self.query_by == "day":
            return [day_bounds(day)]
        slots = [(low, high) for low, high, _, _ in self.grid().slot_bounds(channel, day)]
        return query_windows(slots, day, self.slot_margin_seconds)

    def grid(self) -> ProgrammeGrid:
        if self._grid is None:
            self._grid = ProgrammeGrid.from_csv_or_default(self.programme_grid_csv)
        return self._grid

    def client(self, logger: logging.Logger | None = None) -> MediatreeClient:
        username, password = self._credentials()
        return MediatreeClient(
            self.base_url,
            username,
            password,
            page_size=self.page_size,
            paging=self.paging,
            caption_type=self.caption_type,
            timeouts=Timeouts(self.connect_timeout_seconds, self.read_timeout_seconds),
            retry=RetryPolicy(
                max_attempts=self.max_attempts,
                backoff_initial_seconds=self.backoff_initial_seconds,
                backoff_max_seconds=self.backoff_max_seconds,
                retry_after_max_seconds=self.retry_after_max_seconds,
            ),
            logger=logger,
        )

    def _credentials(self) -> tuple[str, str]:
        if self.username and self.password:
            return self.username, self.password
        settings = Settings.from_env()
        username = self.username or settings.mediatree_user or ""
        password = self.password or settings.mediatree_password or ""
        if not username or not password:
            raise Failure(
                description="the provider API needs OBSERVATOIRE_MEDIATREE_USER and "
                "OBSERVATOIRE_MEDIATREE_PASSWORD (or the resource's username and password)"
            )
        return username, password

    def describe(self) -> dict[str, MetadataValue]:
        """Non-secret description for run metadata."""
        return {
            "caption_source": MetadataValue.text(self.source_name),
            "provider_url": MetadataValue.text(SecretMask([self.password])(self.base_url)),
            "query_by": MetadataValue.text(self.query_by),
            "on_missing": MetadataValue.text(self.on_missing),
            "paging": MetadataValue.text(f"{self.paging}, {self.page_size} items a page"),
        }


def _channel_pages(
    client: MediatreeClient, channel: str, windows: Sequence[tuple[int, int]]
) -> tuple[list[tuple[int | None, list[Any]]], str | None]:
    """Every page of a channel's query ranges, and the (masked) failure that stopped them, if
    any: the pages received before a failure are kept."""
    pages: list[tuple[int | None, list[Any]]] = []
    for low, high in windows:
        try:
            pages.extend(client.fetch_pages(channel, low, high))
        except MediatreeError as error:
            pages.extend(error.partial)
            return pages, client.mask(error)
    return pages, None


def _outside_day(item: object, day: date) -> bool:
    if not isinstance(item, dict):
        return False
    start = item.get("start")
    if isinstance(start, bool) or not isinstance(start, int | float):
        return False
    try:
        return broadcast_day(int(start)) != day
    except (OverflowError, OSError, ValueError):
        return False
