"""Each day of a multi-day run carries its own figures in the instance's materialisation events."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from dagster import AssetKey, TableMetadataValue, TableSchemaMetadataValue

from observatoire.storage.lake import Lake
from tests.assets.analyst_pipeline import pipeline

FIRST = date(2024, 3, 4)
DAYS = [(FIRST + timedelta(days=i)).isoformat() for i in range(7)]


@pytest.fixture(scope="module")
def week(tmp_path_factory):
    p = pipeline(tmp_path_factory.mktemp("week"))
    assert p.run("reference_data").success
    result = p.run("daily_stages", DAYS[0], DAYS[-1])
    assert result.success
    return p


def _latest_per_day(p, asset: str) -> dict[str, dict[str, object]]:
    records = p.instance.fetch_materializations(AssetKey(asset), limit=100).records
    by_day: dict[str, dict[str, object]] = {}
    for record in records:  # newest first
        materialisation = record.asset_materialization
        by_day.setdefault(materialisation.partition, dict(materialisation.metadata))
    return by_day


def test_each_day_of_a_seven_day_run_has_its_own_share(week):
    by_day = _latest_per_day(week, "channel_indicators")
    assert sorted(by_day) == DAYS
    shares = {day: metadata["share_all_channels"].value for day, metadata in by_day.items()}
    assert all(0 < share < 1 for share in shares.values()), shares
    assert len(set(shares.values())) > 1, f"every day carries the same share: {shares}"
    lake_shares = {}
    indicators = Lake(week.settings.lake_url)
    for day in DAYS:
        table = indicators.read_day("channel_indicators", date.fromisoformat(day)).to_pandas()
        lake_shares[day] = table["env_minutes"].sum() / table["covered_minutes"].sum()
    for day in DAYS:
        assert shares[day] == pytest.approx(lake_shares[day]), day
        metadata = by_day[day]
        assert metadata["day"].value == day
        assert metadata["dagster/row_count"].value == len(
            indicators.read_day("channel_indicators", date.fromisoformat(day))
        )
        for crisis in ("climat", "biodiversite", "ressources"):
            assert not math.isnan(metadata[f"share_{crisis}"].value)
        assert metadata["coverage"].value > 0
        assert metadata["covered_minutes"].value > metadata["env_minutes"].value > 0
        assert len(metadata["dictionary_version"].value) == 12
        assert "days" not in metadata  # the run's extent is not presented as the day's


def test_per_channel_table_and_column_schema_are_table_metadata(week):
    metadata = _latest_per_day(week, "channel_indicators")[DAYS[0]]
    table = metadata["shares_per_channel"]
    assert isinstance(table, TableMetadataValue)
    assert [c.name for c in table.schema.columns][:2] == ["channel_name", "covered_minutes"]
    channels = [record.data["channel_name"] for record in table.records]
    assert "all channels" in channels and len(channels) > 2
    schema = metadata["dagster/column_schema"]
    assert isinstance(schema, TableSchemaMetadataValue)
    assert "env_minutes" in {c.name for c in schema.schema.columns}


@pytest.mark.parametrize(
    ("asset", "count"),
    [
        ("raw_captions", "chunks"),
        ("raw_captions_rejected", "rejected"),
        ("theme_segments", "segments"),
        ("theme_keywords", "occurrences"),
        ("time_monitored", "rows"),
    ],
)
def test_every_daily_stage_counts_its_own_day(week, asset, count):
    by_day = _latest_per_day(week, asset)
    assert sorted(by_day) == DAYS
    for day, metadata in by_day.items():
        assert metadata[count].value == metadata["dagster/row_count"].value, (asset, day)
    if asset != "time_monitored":  # (demo grids and coverage repeat from day to day)
        # each day previews its own rows, not the run's last day
        assert len({m["preview"].value for m in by_day.values()}) == len(DAYS), asset
    if asset == "raw_captions":
        assert len({m["chunks"].value for m in by_day.values()}) > 1
    if asset == "time_monitored":
        tables = [m["coverage_per_channel"] for m in by_day.values()]
        assert all(isinstance(table, TableMetadataValue) for table in tables)
