"""The provider API caption source: query plan, completeness, missing channels, credentials."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

import dagster as dg
import pytest
from dagster import Failure

from observatoire.intake.provider_days import day_bounds, query_windows
from observatoire.intake.records import broadcast_day, parse_items
from observatoire.reference.grid import ProgrammeGrid
from observatoire.settings import Settings, SettingsError
from resources.provider_api import MediatreeCaptionSource
from tests.fakes.mediatree import FakeMediatree, running_fake, shifted_items, source_for

DAY = date(2024, 2, 10)
GRID = ProgrammeGrid.default()
FIRST, LAST = day_bounds(DAY)
FRANCE2 = {"name": "france2", "title": "France 2", "radio": False}
TF1 = {"name": "tf1", "title": "TF1", "radio": False}


@pytest.fixture
def fake() -> Iterator[FakeMediatree]:
    with running_fake() as server:
        # Every 10 minutes from 22:00 the day before to 02:00 the day after (Paris time).
        starts = range(FIRST - 2 * 3600, LAST + 1 + 2 * 3600, 600)
        server.add_items(shifted_items(starts, FRANCE2))
        server.add_items(shifted_items(starts, TF1))
        yield server


def source(fake: FakeMediatree, **options) -> MediatreeCaptionSource:
    defaults = dict(username=fake.username, password=fake.password, page_size=50)
    return source_for(fake, **{**defaults, **options})


def test_day_bounds_follow_paris_days_including_dst_changes() -> None:
    assert FIRST == 1_707_519_600  # 2024-02-10T00:00+01:00
    assert LAST - FIRST + 1 == 86_400
    spring_first, spring_last = day_bounds(date(2024, 3, 31))
    assert spring_last - spring_first + 1 == 23 * 3600
    autumn_first, autumn_last = day_bounds(date(2024, 10, 27))
    assert autumn_last - autumn_first + 1 == 25 * 3600


def test_query_windows_widen_clip_and_merge() -> None:
    slots = [(FIRST + 3600, FIRST + 7200), (FIRST + 7300, FIRST + 9000), (FIRST + 60, FIRST + 600)]
    assert query_windows(slots, DAY, 300) == [(FIRST, FIRST + 900), (FIRST + 3300, FIRST + 9300)]
    late = [(LAST - 600, LAST + 1)]
    assert query_windows(late, DAY, 300) == [(LAST - 900, LAST)]
    assert query_windows([], DAY, 300) == []


def test_day_query_returns_exactly_the_broadcast_day(fake: FakeMediatree) -> None:
    fetch = source(fake, query_by="day").fetch_day(DAY, ["france2", "tf1"], GRID)

    assert fetch.source == "mediatree"
    assert fetch.missing == [] and fetch.pre_rejected == []
    assert len(fetch.items) == 2 * 144
    assert {broadcast_day(item["start"]) for item in fetch.items} == {DAY}
    ranges = {(r.body["start_gte"], r.body["start_lte"]) for r in fake.subtitle_requests()}
    assert ranges == {(FIRST, LAST)}
    pages = sorted(r.body["page"] for r in fake.subtitle_requests() if r.body["channel"] == "tf1")
    assert pages == [1, 2, 3]


def test_slot_queries_fetch_the_grid_slots_with_their_margin(fake: FakeMediatree) -> None:
    grid = ProgrammeGrid.default()
    windows = query_windows(
        [
            (int(s.start_utc.timestamp()), int(s.end_utc.timestamp()))
            for s in grid.slots_on("france2", DAY)
        ],
        DAY,
        300,
    )
    fetch = source(fake, query_by="slots", slot_margin_seconds=300).fetch_day(
        DAY, ["france2"], GRID
    )

    expected = [
        item["start"]
        for item in fake.items
        if item["channel"]["name"] == "france2"
        and any(low <= item["start"] <= high for low, high in windows)
    ]
    assert sorted(item["start"] for item in fetch.items) == sorted(expected)
    assert 0 < len(expected) < 144
    ranges = [(r.body["start_gte"], r.body["start_lte"]) for r in fake.subtitle_requests()]
    assert ranges == windows


def test_an_item_delivered_twice_is_kept_once(fake: FakeMediatree) -> None:
    duplicate = next(i for i in fake.items if i["channel"]["name"] == "tf1" and i["start"] >= FIRST)
    fake.add_items([duplicate])
    fetch = source(fake, query_by="day").fetch_day(DAY, ["tf1"], GRID)
    assert len(fetch.items) == 144


def test_unfetchable_channel_fails_the_run_by_default(fake: FakeMediatree) -> None:
    fake.inject("status", status=503, channel="tf1", times=None)
    with pytest.raises(Failure, match="channel tf1") as failure:
        source(fake, query_by="day").fetch_day(DAY, ["france2", "tf1"], GRID)
    assert "HTTP 503" in failure.value.description
    assert len([r for r in fake.subtitle_requests() if r.body["channel"] == "tf1"]) == 3


def test_unfetchable_channel_can_be_recorded_as_missing(fake: FakeMediatree) -> None:
    fake.inject("hang", channel="tf1", times=None, hang_seconds=60.0)
    fetch = source(
        fake, query_by="day", on_missing="record", read_timeout_seconds=3.0, max_attempts=2
    ).fetch_day(DAY, ["france2", "tf1"], GRID)

    assert [channel for channel, _ in fetch.missing] == ["tf1"]
    assert "timed out" in fetch.missing[0][1]
    assert {item["channel"]["name"] for item in fetch.items} == {"france2"}
    assert len(fetch.items) == 144


def test_broken_record_reaches_parsing_and_is_quarantined(fake: FakeMediatree) -> None:
    fake.inject("broken_record", channel="france2", page=2)
    fetch = source(fake, query_by="day").fetch_day(DAY, ["france2"], GRID)
    parsed = parse_items(fetch.items, source=fetch.source)
    assert parsed.table.num_rows == 143
    assert parsed.rejected.column("reason").to_pylist() == ["missing field channel"]


def provider_environment(fake: FakeMediatree, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("OBSERVATOIRE_CAPTION_SOURCE", "mediatree")
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_URL", fake.base_url)
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_USER", fake.username)
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_PASSWORD", fake.password)
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_QUERY_BY", "day")
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_ON_MISSING", "record")
    return Settings.from_env()


def test_credentials_are_bound_to_their_variables_and_stay_secret(
    fake: FakeMediatree, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The Dagster UI shows resource config: credentials must appear there as variable names,
    and Dagster resolves them when a run initialises the resource."""
    caplog.set_level(logging.DEBUG)
    built = MediatreeCaptionSource.from_settings(provider_environment(fake, monkeypatch))
    assert isinstance(built.password, dg.EnvVar) and isinstance(built.username, dg.EnvVar)
    assert (built.username, built.password) == (
        "OBSERVATOIRE_MEDIATREE_USER",
        "OBSERVATOIRE_MEDIATREE_PASSWORD",
    )
    fake.inject("status", status=500, channel="tf1", times=None)
    configured = built.model_copy(update={"max_attempts": 3, "backoff_max_seconds": 0.0})

    @dg.asset
    def fetched_in_a_run(captions: MediatreeCaptionSource) -> int:
        fetch = captions.fetch_day(DAY, ["france2", "tf1"], GRID)
        assert len(fetch.missing) == 1
        for secret in [fake.password, *fake.tokens_issued]:
            assert secret not in str(fetch.missing)
        return len(fetch.items)

    result = dg.materialize([fetched_in_a_run], resources={"captions": configured})
    assert result.output_for_node("fetched_in_a_run") == 144
    assert fake.password not in repr(configured) and fake.password not in str(configured.describe())
    for secret in [fake.password, *fake.tokens_issued]:
        assert secret not in caplog.text


def test_missing_credentials_are_a_clear_failure(fake: FakeMediatree) -> None:
    with pytest.raises(Failure, match="OBSERVATOIRE_MEDIATREE_PASSWORD"):
        source(fake, username="", password="").fetch_day(DAY, ["tf1"], GRID)


def test_credentials_not_held_by_a_variable_stay_plain_configuration() -> None:
    settings = Settings.from_env(
        {
            "OBSERVATOIRE_CAPTION_SOURCE": "mediatree",
            "OBSERVATOIRE_MEDIATREE_URL": "https://provider.example",
            "OBSERVATOIRE_MEDIATREE_USER": "someone",
            "OBSERVATOIRE_MEDIATREE_PASSWORD": "pw-from-env-123",
            "OBSERVATOIRE_MEDIATREE_QUERY_BY": "day",
            "OBSERVATOIRE_MEDIATREE_ON_MISSING": "record",
        }
    )
    built = MediatreeCaptionSource.from_settings(settings)
    assert (built.base_url, built.query_by, built.on_missing) == (
        "https://provider.example",
        "day",
        "record",
    )
    assert not isinstance(built.password, dg.EnvVar)
    assert built.username == "someone" and built.password == "pw-from-env-123"
    assert "pw-from-env-123" not in repr(settings)
    assert "pw-from-env-123" not in str(settings.describe())


def test_settings_reject_a_provider_source_without_url() -> None:
    with pytest.raises(SettingsError, match="OBSERVATOIRE_MEDIATREE_URL"):
        Settings.from_env({"OBSERVATOIRE_CAPTION_SOURCE": "mediatree"})
    with pytest.raises(SettingsError, match="OBSERVATOIRE_MEDIATREE_QUERY_BY"):
        Settings.from_env({"OBSERVATOIRE_MEDIATREE_QUERY_BY": "hourly"})
