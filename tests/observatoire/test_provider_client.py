"""The provider API client against the loopback fake: paging, tokens, retries, failures, secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from observatoire.intake.provider_client import (
    MediatreeAuthError,
    MediatreeClient,
    MediatreeIncomplete,
    MediatreeUnavailable,
    RetryPolicy,
    Timeouts,
    parse_retry_after,
)
from observatoire.intake.records import parse_items
from tests.fakes.mediatree import FakeMediatree, running_fake, shifted_items

FRANCE2 = {"name": "france2", "title": "France 2", "radio": False}
TF1 = {"name": "tf1", "title": "TF1", "radio": False}
BASE = 1_707_552_000  # 2024-02-10T08:00:00Z


@pytest.fixture
def fake() -> Iterator[FakeMediatree]:
    with running_fake() as server:
        server.add_items(shifted_items(range(BASE, BASE + 25 * 120, 120), FRANCE2))
        server.add_items(shifted_items(range(BASE, BASE + 3 * 120, 120), TF1))
        yield server


class Sleeps(list):
    """Records requested backoff delays instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_client(fake: FakeMediatree, sleeps: Sleeps | None = None, **options) -> MediatreeClient:
    options.setdefault("page_size", 10)
    options.setdefault(
        "retry",
        RetryPolicy(max_attempts=4, backoff_initial_seconds=0.5, backoff_max_seconds=8.0),
    )
    # Margins that hold on a loaded machine: a normal answer takes milliseconds, never seconds.
    options.setdefault("timeouts", Timeouts(connect_seconds=5.0, read_seconds=10.0))
    return MediatreeClient(
        fake.base_url,
        fake.username,
        fake.password,
        sleep=sleeps if sleeps is not None else Sleeps(),
        **options,
    )


def test_every_page_is_fetched_with_the_documented_request_body(fake: FakeMediatree) -> None:
    with make_client(fake) as client:
        items = client.fetch_range("france2", BASE, BASE + 3600)
    assert [item["start"] for item in items] == list(range(BASE, BASE + 25 * 120, 120))
    bodies = [request.body for request in fake.subtitle_requests()]
    assert [body["page"] for body in bodies] == [1, 2, 3]
    token = fake.tokens_issued[0]
    assert bodies[0] == {
        "channel": "france2",
        "token": token,
        "start_gte": BASE,
        "start_lte": BASE + 3600,
        "type": "s2t",
        "size": 10,
        "page": 1,
    }


def test_range_bounds_are_inclusive_and_channels_separate(fake: FakeMediatree) -> None:
    with make_client(fake) as client:
        items = client.fetch_range("tf1", BASE + 120, BASE + 240)
        empty = client.fetch_range("tf1", BASE + 10_000, BASE + 20_000)
    assert [(i["channel"]["name"], i["start"]) for i in items] == [
        ("tf1", BASE + 120),
        ("tf1", BASE + 240),
    ]
    assert empty == []


def test_token_is_reused_across_requests(fake: FakeMediatree) -> None:
    with make_client(fake) as client:
        client.fetch_range("france2", BASE, BASE + 3600)
        client.fetch_range("tf1", BASE, BASE + 3600)
    assert len(fake.token_requests()) == 1
    assert client.token_requests == 1


def test_token_refused_by_the_server_is_renewed_once(fake: FakeMediatree) -> None:
    sleeps = Sleeps()
    with make_client(fake, sleeps) as client:
        client.fetch_range("tf1", BASE, BASE + 3600)
        fake.expire_all_tokens()
        items = client.fetch_range("france2", BASE, BASE + 3600)
    assert len(items) == 25
    assert len(fake.token_requests()) == 2
    statuses = [r.status for r in fake.subtitle_requests()]
    assert statuses.count(401) == 1
    assert sleeps == []  # a renewal is not a backoff


def test_token_is_renewed_before_its_announced_expiry(fake: FakeMediatree) -> None:
    now = [1000.0]
    with make_client(fake, clock=lambda: now[0]) as client:
        client.fetch_range("tf1", BASE, BASE + 3600)
        now[0] += fake.token_lifetime_seconds - 10  # inside the renewal margin
        client.fetch_range("tf1", BASE, BASE + 3600)
    assert len(fake.token_requests()) == 2
    assert all(r.status == 200 for r in fake.subtitle_requests())


def test_a_token_refused_twice_is_an_auth_error(fake: FakeMediatree) -> None:
    fake.inject("expire_token", times=None)
    with make_client(fake) as client, pytest.raises(MediatreeAuthError, match="france2"):
        client.fetch_range("france2", BASE, BASE + 3600)
    assert len(fake.token_requests()) == 2


def test_bad_credentials_fail_at_once_without_retrying(fake: FakeMediatree) -> None:
    sleeps = Sleeps()
    client = MediatreeClient(fake.base_url, fake.username, "wrong-password", sleep=sleeps)
    with pytest.raises(MediatreeAuthError, match="HTTP 401") as error:
        client.fetch_range("france2", BASE, BASE + 3600)
    assert "wrong-password" not in str(error.value)
    assert len(fake.token_requests()) == 1
    assert sleeps == []


def test_429_honours_retry_after(fake: FakeMediatree) -> None:
    fake.inject("status", status=429, retry_after="7", channel="france2", page=2)
    sleeps = Sleeps()
    with make_client(fake, sleeps) as client:
        items = client.fetch_range("france2", BASE, BASE + 3600)
    assert len(items) == 25
    assert sleeps == [7.0]


def test_retry_after_is_capped(fake: FakeMediatree) -> None:
    fake.inject("status", status=503, retry_after="86400")
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, retry_after_max_seconds=30.0)
    with make_client(fake, sleeps, retry=policy) as client:
        client.fetch_range("tf1", BASE, BASE + 3600)
    assert sleeps == [30.0]


def test_retry_after_http_date() -> None:
    now = datetime(2024, 2, 10, 12, 0, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Sat, 10 Feb 2024 12:00:42 GMT", now=lambda: now) == 42.0
    assert parse_retry_after("Sat, 10 Feb 2024 11:00:00 GMT", now=lambda: now) == 0.0
    assert parse_retry_after("3.5") == 3.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_server_errors_back_off_exponentially_with_jitter(fake: FakeMediatree) -> None:
    fake.inject("status", status=500, times=3)
    sleeps = Sleeps()
    with make_client(fake, sleeps) as client:
        items = client.fetch_range("tf1", BASE, BASE + 3600)
    assert len(items) == 3
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps, start=1):
        assert 0.0 <= delay <= min(8.0, 0.5 * 2**attempt)


def test_persistent_server_error_gives_up_after_max_attempts(fake: FakeMediatree) -> None:
    fake.inject("status", status=502, channel="tf1", times=None)
    with make_client(fake) as client, pytest.raises(MediatreeUnavailable) as error:
        client.fetch_range("tf1", BASE, BASE + 3600)
    assert "channel tf1 page 1" in str(error.value)
    assert "4 attempt(s)" in str(error.value)
    assert "HTTP 502" in str(error.value)
    assert len(fake.subtitle_requests()) == 4


def test_a_hang_longer_than_the_read_timeout_is_retried(fake: FakeMediatree) -> None:
    fake.inject("hang", hang_seconds=60.0, channel="tf1")
    timeouts = Timeouts(connect_seconds=5.0, read_seconds=3.0)
    with make_client(fake, timeouts=timeouts) as client:
        items = client.fetch_range("tf1", BASE, BASE + 3600)
    assert len(items) == 3


def test_a_persistent_hang_fails_naming_the_timeout(fake: FakeMediatree) -> None:
    fake.inject("hang", hang_seconds=60.0, times=None)
    timeouts = Timeouts(connect_seconds=5.0, read_seconds=3.0)
    policy = RetryPolicy(max_attempts=2, backoff_initial_seconds=0.0)
    client = make_client(fake, timeouts=timeouts, retry=policy)
    with client, pytest.raises(MediatreeUnavailable, match="timed out"):
        client.fetch_range("tf1", BASE, BASE + 3600)


@pytest.mark.parametrize("kind", ["malformed", "wrong_shape"])
def test_a_malformed_page_is_retried(fake: FakeMediatree, kind: str) -> None:
    fake.inject(kind, channel="france2", page=3)
    with make_client(fake) as client:
        items = client.fetch_range("france2", BASE, BASE + 3600)
    assert len(items) == 25
    assert [r.body["page"] for r in fake.subtitle_requests()] == [1, 2, 3, 3]


@pytest.mark.parametrize("kind", ["malformed", "wrong_shape"])
def test_a_page_malformed_on_every_attempt_fails(fake: FakeMediatree, kind: str) -> None:
    fake.inject(kind, channel="france2", page=2, times=None)
    with make_client(fake) as client, pytest.raises(MediatreeUnavailable, match="page 2"):
        client.fetch_range("france2", BASE, BASE + 3600)


def test_a_broken_record_in_a_good_page_goes_through_to_parsing(fake: FakeMediatree) -> None:
    fake.inject("broken_record", channel="france2", page=1)
    with make_client(fake) as client:
        items = client.fetch_range("france2", BASE, BASE + 3600)
    assert len(items) == 25
    parsed = parse_items(items, source="mediatree")
    assert parsed.table.num_rows == 24
    assert parsed.rejected.column("reason").to_pylist() == ["missing field channel"]


def test_fewer_items_than_announced_is_an_error(fake: FakeMediatree) -> None:
    fake.inject("short_page", channel="france2", page=2)
    with make_client(fake) as client, pytest.raises(MediatreeIncomplete, match="total_results=25"):
        client.fetch_range("france2", BASE, BASE + 3600)


def test_connection_refused_is_retried_then_fails() -> None:
    with running_fake() as server:
        base_url = server.base_url
    sleeps = Sleeps()
    client = MediatreeClient(
        base_url,
        "user",
        "password-xyz",
        retry=RetryPolicy(max_attempts=3, backoff_initial_seconds=0.1),
        timeouts=Timeouts(connect_seconds=3.0, read_seconds=3.0),
        sleep=sleeps,
    )
    with pytest.raises(MediatreeUnavailable, match="connection failed"):
        client.fetch_range("tf1", BASE, BASE + 3600)
    assert len(sleeps) == 2


def test_secrets_never_reach_logs_or_errors(
    fake: FakeMediatree, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    fake.inject("status", status=500, times=2)
    fake.inject("malformed", channel="tf1", times=None)
    with make_client(fake) as client:
        client.fetch_range("france2", BASE, BASE + 3600)
        fake.expire_all_tokens()
        try:
            client.fetch_range("tf1", BASE, BASE + 3600)
        except MediatreeUnavailable as error:
            errors.append(str(error))
            errors.append(repr(error))
        errors.append(repr(client))
    bad = MediatreeClient(fake.base_url, fake.username, fake.password + "x", sleep=Sleeps())
    with pytest.raises(MediatreeAuthError) as refused:
        bad.token()
    errors.append(str(refused.value))
    assert len(fake.tokens_issued) == 2
    secrets = [fake.password, fake.password + "x", *fake.tokens_issued]
    assert caplog.text  # the scenario did log
    for secret in secrets:
        assert secret not in caplog.text
        for text in errors:
            assert secret not in text
