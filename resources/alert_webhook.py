"""Posting an alert to a chat or incident webhook (Slack, Mattermost, Rocket.Chat, a custom URL).

The body is JSON with a `text` field, the format incoming webhooks of the common chat tools accept,
plus structured fields for anything else. Transient failures (connection errors, timeouts, HTTP 429
and 5xx) are retried a few times with backoff; the URL, which often embeds a secret token, never
appears in an error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import tenacity

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class AlertDeliveryError(RuntimeError):
    """The webhook did not accept the alert after the last attempt."""


class _Transient(Exception):
    pass


def redacted(url: str) -> str:
    """Scheme and host only, so a log line never leaks the token a webhook path carries."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…"


@dataclass(frozen=True)
class AlertWebhook:
    """A webhook URL and how patiently to deliver to it."""

    url: str
    timeout_seconds: float = 10.0
    attempts: int = 3
    backoff_seconds: float = 0.5

    def send(self, payload: Mapping[str, object]) -> int:
        """POST the payload as JSON; returns the HTTP status, raises AlertDeliveryError."""
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=tenacity.wait_exponential(multiplier=self.backoff_seconds, max=5),
            retry=tenacity.retry_if_exception_type(_Transient),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._post_once(payload)
        except _Transient as error:
            raise AlertDeliveryError(
                f"alert webhook {redacted(self.url)} failed after {self.attempts} attempts: {error}"
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, payload: Mapping[str, object]) -> int:
        try:
            response = requests.post(self.url, json=dict(payload), timeout=self.timeout_seconds)
        except (requests.ConnectionError, requests.Timeout) as error:
            raise _Transient(type(error).__name__) from None
        if response.status_code in RETRY_STATUSES:
            raise _Transient(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise AlertDeliveryError(
                f"alert webhook {redacted(self.url)} refused the alert: HTTP {response.status_code}"
            )
        return response.status_code
