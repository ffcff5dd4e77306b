"""Loopback fake of the caption provider's API, spoken to through the real HTTP client.

It implements what the client relies on: password-grant tokens with an expiry, the subtitle search
(channel, epoch-seconds range, page size, 1-based pages, ``total_results`` / ``number_pages``), and
failure injection: an expired token, 429 with ``Retry-After``, 5xx, a hang longer than the
client's read timeout, a page that is not JSON, a page of the wrong shape, a page holding a broken
record, and a page silently short of an item.
Every request is recorded so tests can check what the client actually sent.

``paging`` makes the fake page the way other providers do, so that the client is tested against
behaviours it did not assume: ``one_based`` (the default), ``zero_based`` (pages numbered from 0),
``ignore_page`` (every request answers the first page), ``repeat_page`` (page 2 repeats page 1,
later pages shift by one), ``short_last`` (the last page lacks its final item while
``total_results`` still counts it). A request without ``page`` gets the first page.
"""

from __future__ import annotations

import copy
import json
import math
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from resources.provider_api import MediatreeCaptionSource


@dataclass
class Fault:
    """A failure the fake applies to matching subtitle requests, ``times`` times (None: always).

    kind: "status" (answer ``status`` with an error body, ``retry_after`` header if set),
    "hang" (answer nothing for ``hang_seconds``), "malformed" (200 with a body that is not JSON),
    "wrong_shape" (200 with JSON lacking ``data``), "broken_record" (the first item of the page
    loses its channel, the rest of the page is intact), "short_page" (the page silently lacks its
    last item), "expire_token" (the token presented is treated as expired: 401).
    """

    kind: str
    channel: str | None = None
    page: int | None = None
    times: int | None = 1
    status: int = 500
    retry_after: str | None = None
    hang_seconds: float = 5.0

    def matches(self, channel: object, page: object) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if self.channel is not None and channel != self.channel:
            return False
        return self.page is None or page == self.page


@dataclass
class RecordedRequest:
    path: str
    body: dict[str, Any]
    status: int
    fault: str | None = None


@dataclass
class FakeMediatree:
    """State of the fake API: accounts, tokens, items served, faults and the request log."""

    username: str = "analyst@example.org"
    password: str = "s3cret-Pa55word!"
    token_lifetime_seconds: int = 3600
    max_page_size: int = 1000
    paging: str = "one_based"
    served_under: dict[str, str] = field(default_factory=dict)
    """{channel of the items: channel whose queries return them}: a provider mixing channels."""
    items: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)
    base_url: str = ""
    _tokens: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    # -- set-up helpers used by tests -----------------------------------------------------------

    def add_items(self, items: Iterable[dict[str, Any]]) -> None:
        self.items.extend(copy.deepcopy(list(items)))

    def inject(self, kind: str, **options: Any) -> Fault:
        fault = Fault(kind=kind, **options)
        with self._lock:
            self.faults.append(fault)
        return fault

    def expire_all_tokens(self) -> None:
        with self._lock:
            for token in self._tokens:
                self._tokens[token] = 0.0

    def subtitle_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/subtitle/")]

    def token_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/token/")]

    # -- request handling -----------------------------------------------------------------------

    def handle_token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if form.get("grant_type") != "password":
            return _json(400, {"error": "unsupported_grant_type"})
        if form.get("username") != self.username or form.get("password") != self.password:
            return _json(401, {"error": "invalid_grant", "message": "bad credentials"})
        token = secrets.token_hex(16)
        with self._lock:
            self._tokens[token] = time.monotonic() + self.token_lifetime_seconds
            self.tokens_issued.append(token)
        payload = {"data": {"access_token": token, "expires_in": self.token_lifetime_seconds}}
        return _json(200, payload)

    def handle_subtitle(
        self, body: dict[str, Any]
    ) -> tuple[int, dict[str, str], bytes, Fault | None]:
        channel, page = body.get("channel"), body.get("page")
        fault = self._take_fault(channel, page)
        refused = self._refusal(body, fault)
        if refused is not None:
            return (*refused, fault)
        first = 0 if self.paging == "zero_based" else 1
        try:
            start_gte, start_lte = int(body["start_gte"]), int(body["start_lte"])
            size, page = int(body.get("size", 10)), int(body.get("page", first))
        except (KeyError, TypeError, ValueError):
            return (*_json(400, {"error": "bad parameters"}), fault)
        if not 1 <= size <= self.max_page_size or page < first or body.get("type") != "s2t":
            return (*_json(400, {"error": "bad parameters"}), fault)
        selected = sorted(
            (
                item
                for item in self.items
                if channel in (_channel_name(item), self.served_under.get(_channel_name(item)))
                and start_gte <= _start(item) <= start_lte
            ),
            key=_start,
        )
        index = self._page_index(page - first)
        page_items = copy.deepcopy(selected[index * size : (index + 1) * size])
        if self.paging == "short_last" and index == self._last_index(len(selected), size):
            page_items = page_items[:-1]
        if fault is not None and fault.kind == "broken_record" and page_items:
            page_items[0].pop("channel", None)
        if fault is not None and fault.kind == "short_page" and page_items:
            page_items.pop()
        if fault is not None and fault.kind == "wrong_shape":
            return (*_json(200, {"total_results": len(selected), "items": page_items}), fault)
        payload = {
            "total_results": len(selected),
            "number_pages": math.ceil(len(selected) / size),
            "data": page_items,
            "elapsed_time_ms": 3,
        }
        return (*_json(200, payload), fault)

    def _refusal(
        self, body: dict[str, Any], fault: Fault | None
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The answer of a request refused before any paging: an injected failure or a bad
        token; None when the request goes on."""
        if fault is not None and fault.kind == "hang":
            self._stopping.wait(fault.hang_seconds)
            return _json(504, {"error": "gateway timeout"})
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            status, base_headers, payload = _json(fault.status, {"error": "injected failure"})
            return status, {**base_headers, **headers}, payload
        if fault is not None and fault.kind == "expire_token":
            return _json(401, {"error": "token expired"})
        if not self._token_valid(body.get("token")):
            return _json(401, {"error": "invalid or expired token"})
        if fault is not None and fault.kind == "malformed":
            return 200, {"Content-Type": "application/json"}, b'{"total_results": 3, "data": [{'
        return None

    def _page_index(self, index: int) -> int:
        """The page served for the asked one (0 for the first), as the paging mode misbehaves."""
        if self.paging == "ignore_page":
            return 0
        if self.paging == "repeat_page" and index >= 1:
            return index - 1
        return index

    @staticmethod
    def _last_index(count: int, size: int) -> int:
        return max(math.ceil(count / size) - 1, 0)

    def _take_fault(self, channel: object, page: object) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(channel, page):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _token_valid(self, token: object) -> bool:
        with self._lock:
            expiry = self._tokens.get(token) if isinstance(token, str) else None
        return expiry is not None and time.monotonic() < expiry

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)


def _json(status: int, payload: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def _channel_name(item: dict[str, Any]) -> object:
    channel = item.get("channel")
    return channel.get("name") if isinstance(channel, dict) else None


def _start(item: dict[str, Any]) -> int:
    start = item.get("start")
    return int(start) if isinstance(start, int | float) else -1


def _handler_for(fake: FakeMediatree) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fault: Fault | None = None
            if self.path == "/api/auth/token/":
                form = {key: values[0] for key, values in parse_qs(raw.decode()).items()}
                status, headers, payload = fake.handle_token(form)
                recorded_body: dict[str, Any] = {
                    key: value for key, value in form.items() if key != "password"
                }
            elif self.path == "/api/v2/subtitle/":
                try:
                    body = json.loads(raw or b"{}")
                    if not isinstance(body, dict):
                        raise ValueError("not an object")
                except ValueError:
                    body = {}
                    status, headers, payload = _json(400, {"error": "body must be JSON"})
                else:
                    status, headers, payload, fault = fake.handle_subtitle(body)
                recorded_body = body
            else:
                status, headers, payload = _json(404, {"error": "not found"})
                recorded_body = {}
            fake.record(
                RecordedRequest(self.path, recorded_body, status, fault.kind if fault else None)
            )
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client gave up first (a hang longer than its read timeout)

    return Handler


@contextmanager
def running_fake(fake: FakeMediatree | None = None) -> Iterator[FakeMediatree]:
    """Serve ``fake`` on 127.0.0.1 (a free port) for the duration of the block."""
    fake = fake or FakeMediatree()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="fake-mediatree",
        daemon=True,
    )
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        fake._stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
LIGHT_FIXTURE = CORPORA / "fixtures" / "mediatree_light.json"


def fixture_items() -> list[dict[str, Any]]:
    """The three real France 2 items of the provider-response fixture."""
    return json.loads(LIGHT_FIXTURE.read_text(encoding="utf-8"))["data"]


def shifted_items(
    starts: Iterable[int], channel: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Real fixture items moved to the given starts (word times moved with them), round-robin."""
    templates = fixture_items()
    items = []
    for index, start in enumerate(starts):
        template = templates[index % len(templates)]
        delta = int(start) - int(template["start"])
        item = copy.deepcopy(template)
        item["start"] = int(start)
        for word in item["srt"]:
            word["cts_in_ms"] += delta * 1000
        if channel is not None:
            item["channel"] = dict(channel)
        items.append(item)
    return items


def source_for(fake: FakeMediatree, **options: Any) -> MediatreeCaptionSource:
    """The provider API source speaking to ``fake``, with short timeouts and no back-off waits
    so that a failure shows within a test; credentials only when given."""
    defaults: dict[str, Any] = dict(
        base_url=fake.base_url,
        page_size=100,
        connect_timeout_seconds=5.0,
        read_timeout_seconds=10.0,
        max_attempts=3,
        backoff_initial_seconds=0.0,
        backoff_max_seconds=0.0,
    )
    return MediatreeCaptionSource(**{**defaults, **options})
