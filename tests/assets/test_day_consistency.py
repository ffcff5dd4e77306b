"""Every day in the lake comes from one complete, coherent state: runs outside the partition
range write nothing, two runs on one day keep each other's rows, a run that fails half-way
leaves its days as they were."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from dagster import DagsterInstance

import observatoire.storage.lake as lake_module
from assets.keys import DAILY_TABLES
from assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from assets.run_config import restricted_to
from definitions import build_definitions
from observatoire.cli import main
from observatoire.matching.matcher import Matcher
from observatoire.reference.reference import (
    VERSION_KEY,
    dictionary_from_table,
    dictionary_table,
    table_version,
)
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

DAY = date(2024, 3, 5)
PARIS = ZoneInfo("Europe/Paris")


def settings_for(root: Path, **extra: object) -> Settings:
    return Settings(
        lake_url=str(root / "lake"),
        warehouse_path=str(root / "warehouse.duckdb"),
        partitions_start="2024-01-01",
        **extra,
    )


@pytest.fixture
def graph(tmp_path: Path):
    settings = settings_for(tmp_path)
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)
        assert result.success
        yield defs, instance, Lake(settings.lake_url)


def failure_messages(result) -> list[str]:
    return [
        event.event_specific_data.error.message
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE" and event.event_specific_data.error
    ]


def written_days(lake: Lake) -> dict[str, list[date]]:
    return {table: lake.days(table) for table in DAILY_TABLES if lake.days(table)}


# ------------------------------------------------------------------- the partition range


@pytest.mark.parametrize(
    "first, last",
    [
        pytest.param("today", "today", id="today-not-complete"),
        pytest.param("2027-01-01", "2027-01-03", id="next-year"),
        pytest.param("2023-12-30", "2024-01-02", id="before-first-partition"),
    ],
)
def test_a_run_outside_the_partition_range_is_refused_with_nothing_written(
    graph, first: str, last: str
) -> None:
    defs, instance, lake = graph
    today = datetime.now(PARIS).date().isoformat()
    first, last = (today if v == "today" else v for v in (first, last))
    # Range tags with no partition key: what the command line and the GraphQL API launch.
    result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=instance,
        tags={RANGE_START_TAG: first, RANGE_END_TAG: last},
        raise_on_error=False,
    )
    assert not result.success
    yesterday = (datetime.now(PARIS).date() - timedelta(days=1)).isoformat()
    messages = failure_messages(result)
    assert messages, "the run failed without a message"
    message = messages[0]
    assert "\n" not in message.strip()
    assert "outside the partition range" in message
    assert f"2024-01-01..{yesterday}" in message
    assert written_days(lake) == {}
    assert lake.sweep_temporary(older_than_seconds=0) == []


def test_the_last_partition_can_be_configured(tmp_path: Path) -> None:
    defs = build_definitions(settings_for(tmp_path, partitions_end="2024-06-30"))
    partitions = defs.resolve_job_def(DAILY_JOB).partitions_def
    assert partitions.get_last_partition_key() == "2024-06-30"


# ----------------------------------------------------------------- one writer per day


class SlowWrites:
    """Object-storage-like latency: every lake write waits before and after it lands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
        original = lake_module.Lake._write

        def slow(lake, path, table, action):
            time.sleep(seconds)
            original(lake, path, table, action)
            time.sleep(seconds)

        monkeypatch.setattr(lake_module.Lake, "_write", slow)


def test_two_channel_restricted_runs_on_one_day_keep_every_channel(
    graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs, _, lake = graph
    SlowWrites(monkeypatch, 0.3)
    outcomes: dict[str, bool] = {}
    start = threading.Barrier(2)

    def run(channel: str) -> None:
        config = restricted_to([channel])
        with DagsterInstance.ephemeral() as own:
            start.wait()
            result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
                instance=own,
                partition_key=DAY.isoformat(),
                run_config=config,
                raise_on_error=False,
            )
            outcomes[channel] = result.success

    threads = [threading.Thread(target=run, args=(c,)) for c in ("tf1", "france2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert outcomes == {"tf1": True, "france2": True}
    for table in ("raw_captions", "theme_segments", "time_monitored", "channel_indicators"):
        channels = set(lake.read_day(table, DAY)["channel_name"].to_pylist())
        assert channels == {"tf1", "france2"}, table
    segments = lake.read_day("theme_segments", DAY)
    captions = lake.read_day("raw_captions", DAY, ["chunk_id"])
    assert segments.num_rows == captions.num_rows > 0
    assert not list(Path(lake.root).rglob("*.staged"))
    assert not list((Path(lake.root) / "_leases").glob("*.json"))


# --------------------------------------------------------- a failed run changes no day


def test_a_rematch_that_fails_half_way_leaves_every_day_old(
    graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defs, instance, lake = graph
    days = [DAY + timedelta(days=i) for i in range(4)]
    tags = {RANGE_START_TAG: days[0].isoformat(), RANGE_END_TAG: days[-1].isoformat()}
    assert defs.resolve_job_def(DAILY_JOB).execute_in_process(instance=instance, tags=tags).success
    before = {(t, d): lake.read_day(t, d) for t in DAILY_TABLES for d in days}
    old_version = table_version(before[("theme_segments", days[0])])

    # A new keyword, then a re-match whose matching fails on the third day.
    dictionary = lake.read_table("keyword_dictionary")
    row = {name: dictionary[name][0].as_py() for name in dictionary.column_names}
    row["keyword"] = "lundi"
    extended = pa.concat_tables([dictionary, pa.Table.from_pylist([row], dictionary.schema)])
    metadata = dict(dictionary.schema.metadata or {})
    metadata.pop(VERSION_KEY)
    new = dictionary_from_table(extended.replace_schema_metadata(metadata))
    lake.write_table("keyword_dictionary", dictionary_table(new))
    assert new.version != old_version

    original = Matcher.match_table
    calls = {"n": 0}

    def failing(self, table):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("matching failed on the third day")
        return original(self, table)

    monkeypatch.setattr(Matcher, "match_table", failing)
    # Days matched in this process, where the patched matcher is (workers: test_parallel_days).
    sequential = build_definitions(settings_for(tmp_path, day_workers=1))
    result = sequential.resolve_job_def("rematch").execute_in_process(
        instance=instance, tags=tags, raise_on_error=False
    )
    assert not result.success
    for day in days:
        for table in ("theme_segments", "theme_keywords", "channel_indicators"):
            stored = lake.read_day(table, day)
            assert stored.equals(before[(table, day)]), (table, day)
        versions = {
            table_version(lake.read_day("theme_segments", day)),
            table_version(lake.read_day("theme_keywords", day)),
            *lake.read_day("channel_indicators", day)["dictionary_version"].to_pylist(),
        }
        assert versions == {old_version}, day
    assert pc.sum(
        pc.equal(lake.read_day("theme_keywords", days[0])["keyword"], "lundi")
    ).as_py() in (
        0,
        None,
    )


@pytest.mark.parametrize(
    "job, table",
    [
        pytest.param(DAILY_JOB, "raw_captions", id="ingestion"),
        pytest.param("rematch", "theme_segments", id="matching"),
    ],
)
def test_a_step_whose_days_cannot_be_published_records_no_materialisation(
    graph, monkeypatch: pytest.MonkeyPatch, job: str, table: str
) -> None:
    """The UI must not show a day as materialised when its files never reached the lake: a
    step's events come after its days are published, not before."""
    defs, instance, lake = graph
    days = [DAY + timedelta(days=i) for i in range(3)]
    tags = {RANGE_START_TAG: days[0].isoformat(), RANGE_END_TAG: days[-1].isoformat()}
    if job == "rematch":
        assert (
            defs.resolve_job_def(DAILY_JOB).execute_in_process(instance=instance, tags=tags).success
        )
    original = Lake.publish

    def failing(self: Lake, staged: str, published: str, day: date) -> str:
        if published == table:
            raise lake_module.LakeError(f"{published} for {day}: storage refused the rename")
        return original(self, staged, published, day)

    monkeypatch.setattr(Lake, "publish", failing)
    sequential = build_definitions(settings_for(Path(lake.root).parent, day_workers=1))
    result = sequential.resolve_job_def(job).execute_in_process(
        instance=instance, tags=tags, raise_on_error=False
    )

    assert not result.success
    errors = [
        event.event_specific_data.error
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    ]
    causes = " ".join(str((error.cause or error).message) for error in errors)
    assert "storage refused the rename" in causes, causes
    step = "ingest_captions" if job == DAILY_JOB else "match_themes"
    recorded = [
        event.step_materialization_data.materialization.asset_key.to_user_string()
        for event in result.all_events
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.step_key == step
    ]
    assert recorded == [], (step, recorded)
    assert not list(Path(lake.root).rglob(".*staged"))


# ------------------------------------------------------------ explain names what it read


def test_explain_names_the_dictionary_of_the_files_it_read(graph, capsys) -> None:
    defs, instance, lake = graph
    job = defs.resolve_job_def(DAILY_JOB)
    assert job.execute_in_process(instance=instance, partition_key=DAY.isoformat()).success
    old = table_version(lake.read_day("theme_keywords", DAY))
    # Evidence re-made with another dictionary while the indicators stayed behind.
    keywords = lake.read_day("theme_keywords", DAY)
    lake.write_day(
        "theme_keywords", DAY, keywords.replace_schema_metadata({VERSION_KEY: b"0123456789ab"})
    )
    code = main(["explain", "--channel", "tf1", "--date", DAY.isoformat(), "--lake", lake.url])
    out = capsys.readouterr().out
    heading = out.splitlines()[0]
    assert "dictionary 0123456789ab" in heading and old not in heading
    assert f"STALE: the stored indicator was computed with dictionary {old}" in out
    assert code == 3
