"""The provider's API (Mediatree-style) as a caption source resource.

What a day fetch does (query plan, completeness, items of other days, missing channels) is
`observatoire.intake.provider_days`; the HTTP client is `observatoire.intake.provider_client`.
This resource holds their configuration and turns a channel that could not be fetched into a
failed run when ``on_missing="fail"`` (the default).

Credentials are configuration like the rest: definitions.py binds ``username`` and ``password``
to ``dagster.EnvVar("OBSERVATOIRE_MEDIATREE_USER")`` / ``EnvVar("OBSERVATOIRE_MEDIATREE_PASSWORD")``
when the code location loads, so the Dagster UI shows the variables' names, never the values, and
nothing reads the environment during a run. They are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from typing import Literal

from dagster import Failure, MetadataValue, get_dagster_logger
from pydantic import Field

from observatoire.core.broadcast_day import CHUNK_SECONDS
from observatoire.intake.intake import CaptionFetch
from observatoire.intake.provider_client import MediatreeClient, RetryPolicy, SecretMask, Timeouts
from observatoire.intake.provider_days import (
    PROVIDER_SOURCE,
    ChannelUndelivered,
    fetch_provider_day,
    query_ranges,
)
from observatoire.reference.grid import ProgrammeGrid
from observatoire.settings import Settings
from resources.captions import CaptionSource
from resources.secrets import bound_secret, resolved_secret

USER_VARIABLES = ("OBSERVATOIRE_MEDIATREE_USER",)
PASSWORD_VARIABLES = ("OBSERVATOIRE_MEDIATREE_PASSWORD",)


class MediatreeCaptionSource(CaptionSource):
    """The provider's subtitle API, through a retrying, paging, token-renewing client."""

    base_url: str = Field(description="API root, e.g. https://keywords.mediatree.fr")
    username: str = Field(default="", description="API user name (EnvVar in deployments).")
    password: str = Field(default="", description="API password (EnvVar in deployments).")
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

    @classmethod
    def from_settings(cls, settings: Settings) -> MediatreeCaptionSource:
        """The source as configured by ``OBSERVATOIRE_MEDIATREE_*``, credentials bound to the
        variables that hold them."""
        if not settings.mediatree_url:
            raise ValueError("OBSERVATOIRE_MEDIATREE_URL is not set")
        return cls(
            base_url=settings.mediatree_url,
            username=bound_secret(settings.mediatree_user, USER_VARIABLES) or "",
            password=bound_secret(settings.mediatree_password, PASSWORD_VARIABLES) or "",
            query_by=settings.mediatree_query_by,
            on_missing=settings.mediatree_on_missing,
            page_size=settings.mediatree_page_size,
            paging=settings.mediatree_paging,
        )

    @property
    def source_name(self) -> str:
        return PROVIDER_SOURCE

    def fetch_day(self, day: date, channels: Sequence[str], grid: ProgrammeGrid) -> CaptionFetch:
        logger = get_dagster_logger()
        with self.client(logger) as client:
            client.mask.add(self._credentials()[0])
            try:
                return fetch_provider_day(
                    client,
                    day,
                    channels,
                    grid,
                    query_by=self.query_by,
                    margin_seconds=self.slot_margin_seconds,
                    fail_on_missing=self.on_missing == "fail",
                    logger=logger,
                )
            except ChannelUndelivered as error:
                raise Failure(
                    description=str(error),
                    metadata={"channel": error.channel, "day": day.isoformat()},
                ) from None

    def windows(self, channel: str, day: date, grid: ProgrammeGrid) -> list[tuple[int, int]]:
        """The inclusive epoch-second ranges queried for one channel and day."""
        return query_ranges(grid, channel, day, self.query_by, self.slot_margin_seconds)

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
        username = resolved_secret(self.username) or ""
        password = resolved_secret(self.password) or ""
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
            "provider_url": MetadataValue.text(
                SecretMask([resolved_secret(self.password) or ""])(self.base_url)
            ),
            "query_by": MetadataValue.text(self.query_by),
            "on_missing": MetadataValue.text(self.on_missing),
            "paging": MetadataValue.text(f"{self.paging}, {self.page_size} items a page"),
        }
