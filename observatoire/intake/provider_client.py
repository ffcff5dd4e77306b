"""HTTP client of the caption provider's API (Mediatree-style speech-to-text subtitles).

The API hands out a bearer token for a user name and password (`POST {base}/api/auth/token/`,
form fields, token in ``data.access_token``) and serves caption chunks page by page
(`POST {base}/api/v2/subtitle/`, JSON body with the token, a channel and an epoch-seconds range).

What the client guarantees, because a day of captions must be complete or fail loudly:

- every page of a range is fetched and the distinct items received must add up to
  ``total_results`` exactly: a page that repeats items of an earlier page (an API that ignores
  ``page`` or numbers pages differently), a short page or a count that does not add up fails the
  range with the channel and the numbers, never a silently shorter day;
- transient failures (HTTP 429 and 5xx, connection errors, timeouts, a page that is not valid JSON
  or not shaped like a page) are retried with exponential backoff and full jitter, and a
  ``Retry-After`` header is honoured; what still fails after the last attempt raises
  ``MediatreeUnavailable``;
- the token is reused until it expires (``expires_in`` when the API gives one) and is renewed once
  when the API answers 401 or 403;
- the password and the token never appear in a log line or an error message.

Paging is a setting: ``one-based`` (the default: pages 1, 2, ...), ``zero-based`` (0, 1, ...) or
``none`` (one request of ``page_size`` items without ``page``, failing when ``total_results`` is
larger). With the default page size of 1,000, a programme slot or an all-news channel-day (720
chunks) fits in one page, so paging is rarely exercised; when it is, the checks above hold.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import tenacity

TOKEN_PATH = "/api/auth/token/"
SUBTITLE_PATH = "/api/v2/subtitle/"
TOKEN_RENEWAL_MARGIN_SECONDS = 30.0
"""A token is renewed this long before the expiry the API announced, so it cannot lapse mid-call."""

PAGING_MODES = ("one-based", "zero-based", "none")

RESPONSE_EXCERPT_CHARS = 200
"""Characters of an unexpected response body quoted in an error message (after masking)."""

_log = logging.getLogger("observatoire.mediatree")


class MediatreeError(Exception):
    """The provider API could not deliver what was asked; ``partial`` holds the pages of the
    range received before the failure (page number, items), which a caller may keep."""

    def __init__(
        self, message: str = "", partial: list[tuple[int | None, list[Any]]] | None = None
    ):
        super().__init__(message)
        self.partial: list[tuple[int | None, list[Any]]] = partial or []


class MediatreeAuthError(MediatreeError):
    """The API refused the credentials or a freshly issued token: retrying will not help."""


class MediatreeRequestError(MediatreeError):
    """The API rejected a request as invalid (HTTP 4xx other than 401, 403, 429)."""


class MediatreeUnavailable(MediatreeError):
    """A request kept failing transiently (429, 5xx, timeout, malformed page) until the last try."""


class MediatreeIncomplete(MediatreeError):
    """The pages received do not add up to what the API announced (short, repeated or missing
    pages)."""


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the server's requested delay, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _TokenRejected(Exception):
    """The API answered 401/403 to a data request: the token must be renewed."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before declaring a request failed."""

    max_attempts: int = 6
    backoff_initial_seconds: float = 1.0
    backoff_max_seconds: float = 60.0
    retry_after_max_seconds: float = 300.0
    """A longer ``Retry-After`` is shortened to this, so one answer cannot stall a run for hours."""


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts of every HTTP call, in seconds."""

    connect_seconds: float = 10.0
    read_seconds: float = 120.0


@dataclass(frozen=True)
class PageRequest:
    """Position of a page in a range, to name it in errors and logs."""

    channel: str
    start_gte: int
    start_lte: int
    page: int | None

    def describe(self) -> str:
        start = datetime.fromtimestamp(self.start_gte, tz=UTC).isoformat()
        end = datetime.fromtimestamp(self.start_lte, tz=UTC).isoformat()
        page = "" if self.page is None else f" page {self.page}"
        return f"channel {self.channel}{page} ({start} .. {end})"


class SecretMask:
    """Replaces known secret values with ``***`` in any text that may be logged or raised."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 3:
            self._secrets.add(secret)

    def __call__(self, text: object) -> str:
        masked = str(text)
        for secret in sorted(self._secrets, key=len, reverse=True):
            masked = masked.replace(secret, "***")
        return masked


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class MediatreeClient:
    """Authenticated, retrying, paging client of the subtitle API; one per run, not thread-safe."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        page_size: int = 1000,
        paging: str = "one-based",
        caption_type: str = "s2t",
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        logger: logging.Logger | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("the provider API base URL is empty")
        if not username or not password:
            raise ValueError("the provider API user name and password must both be set")
        if not 1 <= page_size <= 1000:
            raise ValueError(f"page_size must be within 1..1000, got {page_size}")
        if paging not in PAGING_MODES:
            raise ValueError(f"paging must be one of {', '.join(PAGING_MODES)}, got {paging!r}")
        if retry.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._username = username
        self._password = password
        self._page_size = page_size
        self._paging = paging
        self._caption_type = caption_type
        self._timeouts = timeouts
        self._retry = retry
        self._session = session or requests.Session()
        self._owns_session = session is None
        self._sleep = sleep
        self._clock = clock
        self._log = logger or _log
        self.mask = SecretMask([password])
        self._token: str | None = None
        self._token_expires_at: float | None = None
        self.token_requests = 0
        """Number of tokens obtained so far (observability and tests)."""

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> MediatreeClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"MediatreeClient(base_url={self.mask(self._base_url)!r})"

    # -- authentication -------------------------------------------------------------------------

    def token(self) -> str:
        """A valid token: the one held, or a new one when none is held or it is about to lapse."""
        if self._token is not None and not self._token_lapsing():
            return self._token
        return self._renew_token()

    def _token_lapsing(self) -> bool:
        if self._token_expires_at is None:
            return False
        return self._clock() >= self._token_expires_at - TOKEN_RENEWAL_MARGIN_SECONDS

    def _renew_token(self) -> str:
        self._token = None
        self._token_expires_at = None
        payload = self._with_retries("token request", self._request_token)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            data = {}
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise MediatreeAuthError("the token response has no data.access_token")
        self.mask.add(token)
        expires_in = data.get("expires_in")
        if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
            self._token_expires_at = self._clock() + float(expires_in)
        self._token = token
        self.token_requests += 1
        self._log.info("obtained a provider API token (expires in %s s)", expires_in)
        return token

    def _request_token(self) -> Any:
        form = {"grant_type": "password", "username": self._username, "password": self._password}
        response = self._post(TOKEN_PATH, data=form, what="token request")
        if response.status_code in (400, 401, 403):
            raise MediatreeAuthError(
                f"the provider API refused the credentials (HTTP {response.status_code}): "
                f"{self._excerpt(response)}"
            )
        self._raise_for_status(response, "token request")
        return self._decode(response, "token response")

    # -- captions -------------------------------------------------------------------------------

    def fetch_range(self, channel: str, start_gte: int, start_lte: int) -> list[dict[str, Any]]:
        """Every item of one channel whose start lies in [start_gte, start_lte], all pages read."""
        return [
            item for _, page in self.fetch_pages(channel, start_gte, start_lte) for item in page
        ]

    def _fetch_unpaged(
        self, channel: str, low: int, high: int
    ) -> list[tuple[int | None, list[Any]]]:
        """The range in one request, for an API without paging; all of it or an error."""
        body = self._fetch_page(PageRequest(channel, low, high, None))
        data, announced = body["data"], body["total_results"]
        if len(data) != announced:
            raise MediatreeIncomplete(
                f"channel {channel}: one request without paging returned {len(data)} "
                f"item(s) but the API announced total_results={announced} (page size "
                f"{self._page_size}): enable paging or query narrower ranges",
                [(None, data)],
            )
        return [(None, data)]

    def fetch_pages(
        self, channel: str, start_gte: int, start_lte: int
    ) -> list[tuple[int | None, list[Any]]]:
        """(page number, items) of every page of a range; the items add up to ``total_results``
        or ``MediatreeIncomplete`` names the channel and the counts. A transient failure that
        outlasts the retries raises with the pages already received in ``partial``."""
        low, high = int(start_gte), int(start_lte)
        if self._paging == "none":
            return self._fetch_unpaged(channel, low, high)
        first = 0 if self._paging == "zero-based" else 1
        pages: list[tuple[int | None, list[Any]]] = []
        seen: dict[str, int] = {}
        received = 0
        total: int | None = None
        page = first
        try:
            while True:
                body = self._fetch_page(PageRequest(channel, low, high, page))
                data = body["data"]
                if total is None:
                    total = body["total_results"]
                elif body["total_results"] != total:
                    raise MediatreeIncomplete(
                        f"channel {channel}: total_results changed from {total} to "
                        f"{body['total_results']} at page {page}"
                    )
                keys = [canonical_item_key(item) for item in data]
                repeated = [key for key in keys if key in seen]
                if repeated:
                    raise MediatreeIncomplete(
                        f"channel {channel}: page {page} repeats {len(repeated)} of its "
                        f"{len(data)} item(s) already received on page {seen[repeated[0]]}; "
                        f"{received} distinct item(s) received of total_results={total} "
                        f"(page size {self._page_size}, pages numbered from {first}): the API "
                        "ignores or numbers `page` differently (OBSERVATOIRE_MEDIATREE_PAGING)"
                    )
                for key in keys:
                    seen[key] = page
                received += len(data)
                pages.append((page, data))
                if received >= total or not data:
                    break
                page += 1
        except MediatreeError as error:
            error.partial = pages
            raise
        if received != total:
            raise MediatreeIncomplete(
                f"channel {channel}: received {received} distinct item(s) in {len(pages)} "
                f"page(s) but the API announced total_results={total} (page size "
                f"{self._page_size}, pages numbered from {first})",
                pages,
            )
        self._log.debug(
            "channel %s %s..%s: %d items in %d page(s)", channel, low, high, received, len(pages)
        )
        return pages

    def _fetch_page(self, where: PageRequest) -> dict[str, Any]:
        def attempt() -> dict[str, Any]:
            try:
                return self._request_page(where, self.token())
            except _TokenRejected:
                self._log.info("token refused for %s; renewing it", where.describe())
                self._renew_token()
            try:
                return self._request_page(where, self.token())
            except _TokenRejected as error:
                raise MediatreeAuthError(
                    f"{where.describe()}: a freshly issued token was refused ({error})"
                ) from None

        page: dict[str, Any] = self._with_retries(where.describe(), attempt)
        return page

    def _request_page(self, where: PageRequest, token: str) -> dict[str, Any]:
        body = {
            "channel": where.channel,
            "token": token,
            "start_gte": where.start_gte,
            "start_lte": where.start_lte,
            "type": self._caption_type,
            "size": self._page_size,
        }
        if where.page is not None:
            body["page"] = where.page
        response = self._post(SUBTITLE_PATH, json=body, what=where.describe())
        if response.status_code in (401, 403):
            raise _TokenRejected(f"HTTP {response.status_code}")
        self._raise_for_status(response, where.describe())
        return self._page_shape(self._decode(response, where.describe()), where)

    @staticmethod
    def _page_shape(payload: Any, where: PageRequest) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise _Transient(f"{where.describe()}: the page is not a JSON object")
        data = payload.get("data")
        if not isinstance(data, list):
            raise _Transient(f"{where.describe()}: the page has no 'data' list")
        for field in ("total_results", "number_pages"):
            value = payload.get(field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise _Transient(f"{where.describe()}: the page has no valid '{field}'")
        return payload

    # -- transport ------------------------------------------------------------------------------

    def _post(self, path: str, *, what: str, **kwargs: Any) -> requests.Response:
        url = self._base_url + path
        try:
            return self._session.post(
                url,
                timeout=(self._timeouts.connect_seconds, self._timeouts.read_seconds),
                **kwargs,
            )
        except requests.Timeout as error:
            raise _Transient(f"{what}: timed out ({type(error).__name__})") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise _Transient(f"{what}: connection failed: {self.mask(error)}") from None

    def _raise_for_status(self, response: requests.Response, what: str) -> None:
        status = response.status_code
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _Transient(f"{what}: HTTP {status}", retry_after=retry_after)
        if status >= 400:
            raise MediatreeRequestError(f"{what}: HTTP {status}: {self._excerpt(response)}")

    def _decode(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise _Transient(
                f"{what}: the response is not valid JSON: {self._excerpt(response)}"
            ) from None

    def _excerpt(self, response: requests.Response) -> str:
        text = response.text[:RESPONSE_EXCERPT_CHARS]
        return self.mask(text).replace("\n", " ")

    # -- retries --------------------------------------------------------------------------------

    def _with_retries(self, what: str, call: Callable[[], Any]) -> Any:
        policy = self._retry
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Transient),
            stop=tenacity.stop_after_attempt(policy.max_attempts),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=False,
        )
        try:
            return retrying(call)
        except tenacity.RetryError as error:
            last = error.last_attempt.exception()
            raise MediatreeUnavailable(
                f"{what}: still failing after {policy.max_attempts} attempt(s): {self.mask(last)}"
            ) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _Transient) and error.retry_after is not None:
            return min(error.retry_after, self._retry.retry_after_max_seconds)
        backoff = tenacity.wait_random_exponential(
            multiplier=self._retry.backoff_initial_seconds, max=self._retry.backoff_max_seconds
        )
        return backoff(state)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.upcoming_sleep
        self._log.warning(
            "attempt %d failed: %s; retrying in %.2f s",
            state.attempt_number,
            self.mask(error),
            delay,
        )


def canonical_item_key(item: object) -> str:
    """Content key of an item, so the same chunk fetched by two overlapping queries counts once."""
    return json.dumps(item, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)
