"""The asset graph on the embedded default: real Dagster runs on a temporary instance, demo
captions, a Parquet lake in a temporary folder and a DuckDB warehouse over it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow.compute as pc
import pytest
from dagster import DagsterInstance, build_schedule_context

from assets.keys import DAILY_TABLES
from assets.partitions import range_tags
from assets.run_config import restricted_to
from definitions import build_definitions
from observatoire.settings import Settings
from observatoire.storage.lake import Lake
from resources.warehouse import WarehouseResource
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2024, 3, 5)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    """Definitions over a fresh lake, a temporary instance, reference data materialised."""
    root = tmp_path_factory.mktemp("graph")
    settings = Settings(
        lake_url=str(root / "lake"),
        warehouse_path=str(root / "warehouse.duckdb"),
        partitions_start="2024-01-01",
    )
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance)
        assert result.success
        yield defs, instance, Lake(settings.lake_url), settings


def run_daily(defs, instance, *, partition_key=None, tags=None, channels=None):
    run_config = restricted_to(channels) if channels is not None else None
    result = defs.resolve_job_def(DAILY_JOB).execute_in_process(
        instance=instance, partition_key=partition_key, tags=tags, run_config=run_config
    )
    assert result.success
    return result


def snapshot(lake: Lake, day: date) -> dict:
    return {table: lake.read_day(table, day) for table in DAILY_TABLES}


@pytest.fixture(scope="module")
def one_day(graph):
    defs, instance, lake, _ = graph
    result = run_daily(defs, instance, partition_key=DAY.isoformat())
    return result, snapshot(lake, DAY)


def test_one_partition_goes_through_every_asset(graph, one_day):
    _, _instance, lake, _ = graph
    result, tables = one_day
    materialised = {
        (event.asset_key.to_user_string(), event.partition)
        for event in result.get_asset_materialization_events()
        for event in [event.event_specific_data.materialization]
    }
    assert materialised == {(table, DAY.isoformat()) for table in DAILY_TABLES}
    captions = tables["raw_captions"]
    assert captions.num_rows > 3000
    assert set(captions["day"].to_pylist()) == {DAY}
    channels = {row["name"] for row in lake.read_table("channels").to_pylist()}
    indicators = tables["channel_indicators"]
    assert set(indicators["channel_name"].to_pylist()) == channels
    covered = indicators.filter(pc.greater(indicators["covered_minutes"], 0))
    assert covered.num_rows >= 17
    shares = covered["share"].to_pylist()
    assert all(0 <= share < 0.5 for share in shares)
    assert any(share > 0 for share in shares)
    assert tables["theme_segments"].num_rows == captions.num_rows
    assert tables["theme_keywords"].num_rows > 0
    total = pc.sum(indicators["covered_minutes"]).as_py()
    share = pc.sum(indicators["env_minutes"]).as_py() / total
    assert 0.01 < share < 0.15, f"demo environmental share {share:.3f} is not a few percent"


def test_rematerialising_a_partition_gives_identical_output(graph, one_day):
    defs, instance, lake, _ = graph
    _, before = one_day
    run_daily(defs, instance, partition_key=DAY.isoformat())
    after = snapshot(lake, DAY)
    for table in DAILY_TABLES:
        assert after[table].equals(before[table]), table
    ids = after["raw_captions"]["chunk_id"]
    assert len(pc.unique(ids)) == len(ids)
    assert after["raw_captions"].num_rows == before["raw_captions"].num_rows


def test_a_run_restricted_to_channels_replaces_only_their_rows(graph, one_day):
    defs, instance, lake, _ = graph
    _, before = one_day
    run_daily(defs, instance, partition_key=DAY.isoformat(), channels=["tf1", "rfi"])
    after = snapshot(lake, DAY)
    for table in ("raw_captions", "theme_segments", "time_monitored", "channel_indicators"):
        assert after[table].num_rows == before[table].num_rows, table
        for column in before[table].column_names:
            assert after[table][column].equals(before[table][column]), (table, column)


def test_the_malformed_demo_record_is_quarantined_with_its_reason(one_day):
    _, tables = one_day
    rejected = tables["raw_captions_rejected"].to_pylist()
    assert len(rejected) == 1
    record = rejected[0]
    assert record["day"] == DAY
    assert record["source"] == "demo"
    reasons = ("plausible epoch in seconds", "plaintext must be a string", "channel.name")
    assert any(reason in record["reason"] for reason in reasons), record["reason"]
    assert record["record"].startswith('{"channel": {')
    assert '"srt": [{"cts_in_ms": ' in record["record"]


def test_duplicates_are_dropped_and_counted(one_day):
    result, tables = one_day
    [event] = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "raw_captions"
    ]
    metadata = event.event_specific_data.materialization.metadata
    assert metadata["duplicates"].value == 1
    assert metadata["rejected"].value == 1
    assert metadata["chunks"].value == tables["raw_captions"].num_rows


def test_a_31_day_range_runs_as_one_run_and_writes_31_days(graph):
    defs, instance, lake, _ = graph
    first, last = date(2024, 1, 1), date(2024, 1, 31)
    before = {run.run_id for run in instance.get_runs()}
    result = run_daily(defs, instance, tags=range_tags(first, last), channels=["tf1", "m6"])
    new_runs = [run for run in instance.get_runs() if run.run_id not in before]
    assert [run.run_id for run in new_runs] == [result.run_id]
    days = {first + timedelta(days=n) for n in range(31)}
    for table in DAILY_TABLES:
        assert set(lake.days(table)) >= days, table
    partitions = {
        e.event_specific_data.materialization.partition
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "channel_indicators"
    }
    assert partitions == {day.isoformat() for day in days}
    captions = lake.read_day("raw_captions", date(2024, 1, 15))
    assert set(captions["channel_name"].to_pylist()) == {"tf1", "m6"}


def test_the_duckdb_views_return_the_lake_rows(graph, one_day):
    _, _, _lake, settings = graph
    _, tables = one_day
    warehouse = WarehouseResource.from_settings(settings)
    with warehouse.connect() as connection:
        for table in DAILY_TABLES:
            [(count,)] = connection.execute(
                f"SELECT count(*) FROM {table} WHERE day = DATE '{DAY}'"
            ).fetchall()
            assert count == tables[table].num_rows, table
        [(share,)] = connection.execute(
            "SELECT sum(env_minutes) / sum(covered_minutes) FROM channel_indicators "
            f"WHERE day = DATE '{DAY}'"
        ).fetchall()
    indicators = tables["channel_indicators"]
    expected = (
        pc.sum(indicators["env_minutes"]).as_py() / pc.sum(indicators["covered_minutes"]).as_py()
    )
    assert share == pytest.approx(expected)


def test_the_run_leaves_views_an_analyst_can_open_read_only(graph, one_day):
    defs, instance, _lake, settings = graph
    _, tables = one_day
    Path(settings.warehouse_path).unlink(missing_ok=True)
    run_daily(defs, instance, partition_key=DAY.isoformat())
    # The daily chain refreshed the DuckDB file itself: a plain read-only connection, as the
    # duckdb command line would open it, sees the stored views without any set-up.
    connection = duckdb.connect(settings.warehouse_path, read_only=True)
    try:
        [(count,)] = connection.execute(
            f"SELECT count(*) FROM channel_indicators WHERE day = DATE '{DAY}'"
        ).fetchall()
    finally:
        connection.close()
    assert count == tables["channel_indicators"].num_rows > 0


@pytest.mark.parametrize(
    ("tick", "expected"),
    [
        # An ordinary winter night (UTC+1) and summer night (UTC+2).
        (datetime(2024, 1, 15, 2, 0, tzinfo=PARIS), "2024-01-14"),
        (datetime(2024, 7, 15, 2, 0, tzinfo=PARIS), "2024-07-14"),
        # Spring forward, 31 March 2024: 02:00 does not exist, the tick comes at 03:00.
        (datetime(2024, 3, 31, 3, 0, tzinfo=PARIS), "2024-03-30"),
        (datetime(2024, 4, 1, 2, 0, tzinfo=PARIS), "2024-03-31"),
        # Fall back, 27 October 2024: 02:00 happens twice; either instant asks for the 26th.
        (datetime(2024, 10, 27, 0, 0, tzinfo=UTC), "2024-10-26"),
        (datetime(2024, 10, 27, 1, 0, tzinfo=UTC), "2024-10-26"),
        (datetime(2024, 10, 28, 2, 0, tzinfo=PARIS), "2024-10-27"),
    ],
)
def test_the_schedule_asks_for_yesterday_at_two_in_the_morning(graph, tick, expected):
    defs = graph[0]
    schedule = defs.resolve_schedule_def("nightly_previous_day")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Paris"
    with build_schedule_context(scheduled_execution_time=tick) as context:
        data = schedule.evaluate_tick(context)
    [request] = data.run_requests
    assert request.partition_key == expected


def test_the_schedule_ticks_once_a_night_at_two_across_dst_changes(graph):
    from dagster._utils.schedules import cron_string_iterator

    schedule = graph[0].resolve_schedule_def("nightly_previous_day")
    for start in (datetime(2024, 3, 28, tzinfo=PARIS), datetime(2024, 10, 24, tzinfo=PARIS)):
        ticks = cron_string_iterator(
            start.timestamp(), schedule.cron_schedule, schedule.execution_timezone
        )
        local = [next(ticks).astimezone(PARIS) for _ in range(7)]
        assert [t.date() for t in local] == [start.date() + timedelta(days=n) for n in range(7)]
        assert all(t.hour in (2, 3) and t.minute == 0 for t in local)
        assert sum(t.hour == 3 for t in local) <= 1  # only the night 02:00 does not exist


def test_materialisations_record_counts_and_previews(one_day):
    result, tables = one_day
    metadata = {
        e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert "shares_per_channel" in metadata["channel_indicators"]
    per_channel = metadata["channel_indicators"]["shares_per_channel"].value.records
    assert "all channels" in {record.data["channel_name"] for record in per_channel}
    for table in DAILY_TABLES:
        assert metadata[table]["channel_count"].value >= 0
    seen = set(tables["raw_captions"]["channel_name"].to_pylist())
    assert metadata["raw_captions"]["channel_count"].value == len(seen) >= 17
    assert "preview" in metadata["raw_captions"]
    assert metadata["theme_segments"]["dictionary_version"].value
