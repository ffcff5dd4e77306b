"""raw_captions materialised from the provider API (loopback fake) and from a drop folder.

The same captions, whichever way they arrive, give the same raw_captions day.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute
import pytest
from dagster import DagsterInstance, EnvVar, Failure, materialize

from assets.captions import build_caption_assets
from assets.partitions import daily_partitions
from assets.run_config import DAILY_RUN, DailyRunConfig, restricted_to
from observatoire.intake.demo import demo_items
from observatoire.intake.provider_days import query_windows
from observatoire.reference.channels import channels_table, default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.monitoring import deliveries_of, time_monitored
from observatoire.reference.reference import grid_table
from observatoire.storage.lake import Lake
from resources.caption_files import FileCaptionSource
from resources.lake import LakeResource
from tests.fakes.mediatree import FakeMediatree, running_fake, source_for

DAY = date(2024, 2, 10)
CHANNELS = ("france2", "tf1", "france-inter")
ASSETS = build_caption_assets(daily_partitions("2024-01-01"))


@pytest.fixture(scope="module")
def captions() -> list[dict]:
    channels = [c for c in default_channels() if c.name in CHANNELS]
    return demo_items(DAY, channels, ProgrammeGrid.default(), seed=3)


@pytest.fixture
def fake(captions: list[dict]) -> Iterator[FakeMediatree]:
    with running_fake() as server:
        server.add_items(captions)
        yield server


def lake_with_channels(path: Path) -> Lake:
    """A lake holding the reference tables the ingestion reads, for CHANNELS only."""
    lake = Lake(str(path))
    lake.write_table(
        "channels", channels_table([c for c in default_channels() if c.name in CHANNELS])
    )
    grid = ProgrammeGrid([row for row in ProgrammeGrid.default().slots if row.channel in CHANNELS])
    lake.write_table("programme_grid", grid_table(grid))
    return lake


def run(lake: Lake, source, instance: DagsterInstance | None = None):
    return materialize(
        [ASSETS],
        resources={
            "lake": LakeResource(url=lake.url),
            "captions": source,
            DAILY_RUN: DailyRunConfig(),
        },
        partition_key=DAY.isoformat(),
        instance=instance,
    )


def without_source(table: pa.Table) -> pa.Table:
    return table.drop_columns(["source"])


def test_same_captions_from_the_api_and_from_files_give_the_same_day(
    fake: FakeMediatree,
    captions: list[dict],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_USER", fake.username)
    monkeypatch.setenv("OBSERVATOIRE_MEDIATREE_PASSWORD", fake.password)
    fake.inject("status", status=429, retry_after="0", channel="tf1")

    api_lake = lake_with_channels(tmp_path / "api-lake")
    api_result = run(
        api_lake,
        source_for(
            fake,
            username=EnvVar("OBSERVATOIRE_MEDIATREE_USER"),
            password=EnvVar("OBSERVATOIRE_MEDIATREE_PASSWORD"),
        ),
    )

    drop = tmp_path / "drop" / DAY.isoformat()
    drop.mkdir(parents=True)
    for name in CHANNELS:
        lines = [json.dumps(i) for i in captions if i.get("channel", {}).get("name") == name]
        (drop / f"{name}.jsonl").write_text("\n".join(lines) + "\n")
    others = [json.dumps(i) for i in captions if i.get("channel", {}).get("name") not in CHANNELS]
    (drop / "others.jsonl").write_text("\n".join(others) + "\n")
    file_lake = lake_with_channels(tmp_path / "file-lake")
    file_result = run(file_lake, FileCaptionSource(url=str(tmp_path / "drop")))

    assert api_result.success and file_result.success
    from_api = api_lake.read_day("raw_captions", DAY)
    from_files = file_lake.read_day("raw_captions", DAY)
    assert from_api.num_rows > 100
    assert set(from_api["channel_name"].to_pylist()) == set(CHANNELS)
    assert without_source(from_api).equals(without_source(from_files))
    assert set(from_api["source"].to_pylist()) == {"mediatree"}
    assert set(from_files["source"].to_pylist()) == {"files"}

    # Every input record of the drop folder is a row, a counted duplicate or a rejected record.
    rejected = file_lake.read_day("raw_captions_rejected", DAY)
    materialization = file_result.asset_materializations_for_node("ingest_captions")[0]
    duplicates = sum(
        int(value.value)
        for key, value in materialization.metadata.items()
        if "duplicates" in key and isinstance(value.value, int)
    )
    assert from_files.num_rows + rejected.num_rows + duplicates == len(captions)

    logged = caplog.text + "".join(str(event) for event in api_result.all_events)
    for secret in [fake.password, *fake.tokens_issued]:
        assert secret not in logged


def test_a_channel_the_api_cannot_deliver_fails_the_run_naming_it(
    fake: FakeMediatree, tmp_path: Path
) -> None:
    fake.inject("status", status=500, channel="tf1", times=None)
    lake = lake_with_channels(tmp_path / "lake")
    source = source_for(fake, username=fake.username, password=fake.password)
    with pytest.raises(Exception, match="channel tf1"):
        run(lake, source)
    assert not lake.has_day("raw_captions", DAY)


def test_a_missing_channel_can_be_recorded_in_the_output_metadata(
    fake: FakeMediatree, tmp_path: Path
) -> None:
    fake.inject("malformed", channel="tf1", times=None)
    lake = lake_with_channels(tmp_path / "lake")
    source = source_for(fake, username=fake.username, password=fake.password, on_missing="record")
    result = run(lake, source)

    assert result.success
    stored = lake.read_day("raw_captions", DAY)
    assert "tf1" not in set(stored["channel_name"].to_pylist())
    materialization = next(
        m
        for m in result.asset_materializations_for_node("ingest_captions")
        if m.asset_key.path == ["raw_captions"]
    )
    missing = materialization.metadata["missing_channels"].value
    assert "tf1" in missing and "not valid JSON" in missing


def test_missing_and_incomplete_channel_days_are_recorded_in_the_lake(
    fake: FakeMediatree, tmp_path: Path
) -> None:
    fake.inject("malformed", channel="tf1", times=None)
    fake.inject("status", status=503, channel="france2", page=2, times=None)
    lake = lake_with_channels(tmp_path / "lake")
    source = source_for(
        fake,
        username=fake.username,
        password=fake.password,
        on_missing="record",
        query_by="day",
        page_size=20,
    )
    assert run(lake, source).success

    stored = lake.read_day("raw_captions", DAY, ["chunk_id", "channel_name", "start"])
    kept = stored.filter(pa.compute.equal(stored["channel_name"], "france2")).num_rows
    assert kept == 20  # the first page, received before page 2 kept failing
    deliveries = deliveries_of(stored)
    assert deliveries["tf1"][0] == "missing" and "not valid JSON" in deliveries["tf1"][1]
    assert deliveries["france2"][0] == "incomplete" and "HTTP 503" in deliveries["france2"][1]
    monitored = time_monitored(
        ProgrammeGrid.default(), stored, DAY, list(CHANNELS), deliveries
    ).to_pylist()
    by_channel = {row["channel_name"]: row for row in monitored}
    assert by_channel["tf1"]["delivery"] == "missing"
    assert by_channel["france2"]["delivery"] == "incomplete"
    assert by_channel["france2"]["chunks_received"] == 20
    assert by_channel["france-inter"]["delivery"] == "complete"
    assert by_channel["france-inter"]["delivery_reason"] is None


def test_a_restricted_run_merges_into_a_day_ingested_before_the_new_columns(
    fake: FakeMediatree, tmp_path: Path
) -> None:
    lake = lake_with_channels(tmp_path / "lake")
    source = source_for(fake, username=fake.username, password=fake.password, query_by="day")
    assert run(lake, source).success
    full = lake.read_day("raw_captions", DAY)
    rejected = lake.read_day("raw_captions_rejected", DAY)
    # The day as an earlier version wrote it: no quality or origin columns.
    lake.write_day(
        "raw_captions", DAY, full.drop_columns(["timing", "plaintext_agrees", "received_plaintext"])
    )
    lake.write_day("raw_captions_rejected", DAY, rejected.drop_columns(["file", "line", "page"]))

    result = materialize(
        [ASSETS],
        resources={
            "lake": LakeResource(url=lake.url),
            "captions": source,
            DAILY_RUN: DailyRunConfig.configure_at_launch(),
        },
        partition_key=DAY.isoformat(),
        run_config=restricted_to(["tf1"]),
    )

    assert result.success
    merged = lake.read_day("raw_captions", DAY)
    assert merged.num_rows == full.num_rows
    assert merged.schema.names == full.schema.names
    assert set(merged["timing"].to_pylist()) <= {"words", "none"}


def test_slots_are_those_of_the_lake_grid(fake: FakeMediatree, tmp_path: Path) -> None:
    """The source queries the grid the reference job wrote, not a grid of its own."""
    lake = lake_with_channels(tmp_path / "lake")
    one_slot = ProgrammeGrid(
        [row for row in ProgrammeGrid.default().slots if row.channel == "tf1"][:1]
    )
    assert one_slot.slot_bounds("tf1", DAY)
    lake.write_table("programme_grid", grid_table(one_slot))
    source = source_for(fake, username=fake.username, password=fake.password, query_by="slots")

    assert run(lake, source).success

    asked = [
        (r.body["channel"], r.body["start_gte"], r.body["start_lte"])
        for r in fake.subtitle_requests()
    ]
    slots = [(low, high) for low, high, _, _ in one_slot.slot_bounds("tf1", DAY)]
    assert [(low, high) for _, low, high in asked] == query_windows(slots, DAY, 300)
    assert {channel for channel, _, _ in asked} == {"tf1"}


def test_a_lake_without_a_programme_grid_is_refused_clearly(
    fake: FakeMediatree, tmp_path: Path
) -> None:
    lake = Lake(str(tmp_path / "lake"))
    lake.write_table(
        "channels", channels_table([c for c in default_channels() if c.name in CHANNELS])
    )
    source = source_for(fake, username=fake.username, password=fake.password)
    with pytest.raises(Failure, match=r"needs the programme grid.*job reference_data"):
        run(lake, source)
    assert fake.subtitle_requests() == []
    assert not lake.has_day("raw_captions", DAY)
