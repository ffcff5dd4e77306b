"""The client against providers that page differently from what it assumes: every paging mode of
the fake either delivers every chunk or fails naming the channel and the counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from observatoire.intake.intake import captions_of_day
from observatoire.intake.provider_client import (
    MediatreeClient,
    MediatreeIncomplete,
    MediatreeRequestError,
    RetryPolicy,
    Timeouts,
)
from observatoire.intake.provider_days import day_bounds
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channel_names_from_table, channels_reference_table
from tests.fakes.mediatree import FakeMediatree, running_fake, shifted_items, source_for

ALL_NEWS = {"name": "bfmtv", "title": "BFMTV", "radio": False}
BASE = 1_707_541_200  # 2024-02-10T05:00:00Z, 06:00 in Paris
COUNT = 515  # an all-news channel from 06:00 to 23:10: more than one page of 500
DAY = date(2024, 2, 10)
GRID = ProgrammeGrid.default()


@pytest.fixture
def fake() -> Iterator[FakeMediatree]:
    with running_fake() as server:
        items = shifted_items(range(BASE, BASE + COUNT * 120, 120), ALL_NEWS)
        for item in items:
            del item["srt"]  # paging is about counts; word lists only make the pages heavy
        server.add_items(items)
        yield server


def client(fake: FakeMediatree, **options) -> MediatreeClient:
    return MediatreeClient(
        fake.base_url,
        fake.username,
        fake.password,
        retry=RetryPolicy(max_attempts=2, backoff_initial_seconds=0.0, backoff_max_seconds=0.0),
        timeouts=Timeouts(connect_seconds=5.0, read_seconds=30.0),
        sleep=lambda _seconds: None,
        **options,
    )


def fetch(fake: FakeMediatree, **options) -> list:
    with client(fake, **options) as api:
        return api.fetch_range("bfmtv", BASE, BASE + COUNT * 120)


@pytest.mark.parametrize(
    ("mode", "paging"),
    [("one_based", "one-based"), ("zero_based", "zero-based")],
)
def test_every_chunk_arrives_when_numbering_matches(
    fake: FakeMediatree, mode: str, paging: str
) -> None:
    fake.paging = mode
    items = fetch(fake, page_size=100, paging=paging)
    assert sorted(item["start"] for item in items) == list(range(BASE, BASE + COUNT * 120, 120))


@pytest.mark.parametrize(
    ("mode", "paging", "message"),
    [
        (
            "ignore_page",
            "one-based",
            r"channel bfmtv: page 2 repeats 500 of its 500 item\(s\) already received on page 1; "
            r"500 distinct item\(s\) received of total_results=515",
        ),
        (
            "repeat_page",
            "one-based",
            r"channel bfmtv: page 2 repeats 500 .* received on page 1; 500 distinct item\(s\) "
            r"received of total_results=515",
        ),
        (
            "short_last",
            "one-based",
            r"channel bfmtv: received 514 distinct item\(s\) in 3 page\(s\) but the API "
            r"announced total_results=515",
        ),
        (
            "zero_based",
            "one-based",
            r"channel bfmtv: received 15 distinct item\(s\) in 2 page\(s\) but the API "
            r"announced total_results=515 \(page size 500, pages numbered from 1\)",
        ),
    ],
)
def test_a_provider_paging_otherwise_fails_loudly_with_the_counts(
    fake: FakeMediatree, mode: str, paging: str, message: str
) -> None:
    fake.paging = mode
    with pytest.raises(MediatreeIncomplete, match=message) as error:
        fetch(fake, page_size=500, paging=paging)
    assert error.value.partial  # what did arrive is kept for the caller to record


def test_a_zero_based_client_against_a_one_based_provider_fails(fake: FakeMediatree) -> None:
    with pytest.raises(MediatreeRequestError, match="page 0"):
        fetch(fake, page_size=500, paging="zero-based")


@pytest.mark.parametrize("mode", ["one_based", "zero_based", "ignore_page", "repeat_page"])
def test_the_default_page_size_holds_a_whole_all_news_day_in_one_page(
    fake: FakeMediatree, mode: str
) -> None:
    """1,000 items a page (the default) never pages for a channel-day of 720 chunks, so a
    provider that ignores or renumbers pages cannot cut it."""
    fake.paging = mode
    items = fetch(fake, paging="zero-based" if mode == "zero_based" else "one-based")
    assert len(items) == COUNT
    assert len(fake.subtitle_requests()) == 1


def test_without_paging_one_request_must_hold_everything(fake: FakeMediatree) -> None:
    assert len(fetch(fake, paging="none")) == COUNT
    assert "page" not in fake.subtitle_requests()[0].body
    with pytest.raises(MediatreeIncomplete, match=r"returned 100 item\(s\) but the API announced"):
        fetch(fake, paging="none", page_size=100)


def test_an_incomplete_channel_day_keeps_its_chunks_and_says_so(fake: FakeMediatree) -> None:
    fake.paging = "short_last"
    source = source_for(
        fake,
        username=fake.username,
        password=fake.password,
        query_by="day",
        on_missing="record",
        page_size=200,
    )
    result = source.fetch_day(DAY, ["bfmtv", "tf1"], GRID)
    assert [channel for channel, _ in result.incomplete] == ["bfmtv"]
    assert "received 514 distinct item(s)" in result.incomplete[0][1]
    assert len(result.items) == 514
    assert result.missing == []
    assert day_bounds(DAY)[0] <= min(item["start"] for item in result.items)


def test_an_item_of_another_channel_than_asked_for_is_quarantined(fake: FakeMediatree) -> None:
    names = channel_names_from_table(channels_reference_table(default_channels()))
    fake.add_items(shifted_items([BASE + 60], {"name": "lci", "title": "LCI", "radio": False}))
    fake.served_under["lci"] = "bfmtv"
    source = source_for(fake, username=fake.username, password=fake.password, query_by="day")
    fetched = source.fetch_day(DAY, ["bfmtv"], GRID)
    parsed = captions_of_day(
        fetched.items,
        fetched.source,
        DAY,
        names=names,
        origins=fetched.origins,
        channels=["bfmtv"],
    )
    (row,) = parsed.rejected.to_pylist()
    assert row["reason"] == "asked for bfmtv, received lci"
    assert (row["page"], row["position"]) == (1, 1)
    assert parsed.table.num_rows == COUNT
