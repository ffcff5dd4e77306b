"""The whole asset graph with its lake on a real S3-compatible server (moto, on loopback)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from definitions import build_definitions
from observatoire.storage.lake import DAILY_TABLES, REFERENCE_TABLES
from resources.warehouse import WarehouseResource
from tests.services import S3Bucket
from tests.storage.graph import (
    DAYS,
    differences,
    graph_settings,
    lake_of,
    run_days,
    run_graph,
    snapshot,
)


@pytest.mark.slow
def test_graph_on_object_storage_two_days_rerun_and_duckdb(
    s3_bucket: S3Bucket,
    tmp_path: Path,
    expected_lake: dict[tuple[str, str], pa.Table],
) -> None:
    settings = graph_settings(
        {**s3_bucket.environ(), "OBSERVATOIRE_WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb")}
    )
    lake = lake_of(settings)
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        run_graph(settings, instance)

        # Same layout as on local disk, and the same content.
        keys = s3_bucket.object_keys()
        assert {f"lake/{table}/data.parquet" for table in REFERENCE_TABLES} <= set(keys)
        for table in DAILY_TABLES:
            for day in DAYS:
                assert f"lake/{table}/day={day.isoformat()}/part-0.parquet" in keys
        assert all(key.endswith(".parquet") for key in keys)
        assert differences(snapshot(lake), expected_lake) == []

        # Re-running a day replaces it exactly: same objects, same rows, no duplicates.
        defs = build_definitions(settings)
        assert run_days(defs, instance, [DAYS[0]]).success
        assert s3_bucket.object_keys() == keys
        assert differences(snapshot(lake), expected_lake) == []

    # DuckDB reads the object-storage lake through the warehouse resource.
    warehouse = WarehouseResource.from_settings(settings)
    with warehouse.connect() as connection:
        per_day = connection.execute(
            "SELECT day, count(*), count(DISTINCT chunk_id) FROM raw_captions "
            "GROUP BY day ORDER BY day"
        ).fetchall()
        indicator_rows = connection.execute(
            "SELECT i.day, i.channel_name, c.title IS NOT NULL "
            "FROM channel_indicators i LEFT JOIN channels c ON c.name = i.channel_name "
            "ORDER BY i.day, i.channel_name"
        ).fetchall()
        keyword_total = connection.execute("SELECT count(*) FROM theme_keywords").fetchone()[0]

    expected_counts = [
        (day, expected_lake[("raw_captions", day.isoformat())].num_rows) for day in DAYS
    ]
    assert [(day, rows) for day, rows, _ in per_day] == expected_counts
    assert all(rows == distinct for _, rows, distinct in per_day)  # no duplicated chunk
    indicators = [expected_lake[("channel_indicators", day.isoformat())] for day in DAYS]
    assert len(indicator_rows) == sum(table.num_rows for table in indicators)
    assert all(has_title for _, _, has_title in indicator_rows)
    assert keyword_total == sum(
        expected_lake[("theme_keywords", day.isoformat())].num_rows for day in DAYS
    )
    assert keyword_total > 0


@pytest.mark.slow
def test_warehouse_sums_match_the_lake(
    s3_bucket: S3Bucket, tmp_path: Path, expected_lake: dict[tuple[str, str], pa.Table]
) -> None:
    """Aggregates computed by DuckDB over object storage equal those computed by pyarrow."""
    settings = graph_settings({**s3_bucket.environ(), "OBSERVATOIRE_WAREHOUSE_PATH": ":memory:"})
    lake = lake_of(settings)
    for (table, key), data in expected_lake.items():
        if key == "reference":
            lake.write_table(table, data)
        else:
            lake.write_day(table, pa.scalar(key).cast(pa.date32()).as_py(), data)

    with WarehouseResource.from_settings(settings).connect() as connection:
        minutes = connection.execute(
            "SELECT sum(env_minutes), sum(grid_minutes) FROM channel_indicators"
        ).fetchone()
    indicators = pa.concat_tables(
        [expected_lake[("channel_indicators", day.isoformat())] for day in DAYS]
    )
    assert minutes[0] == pytest.approx(pc.sum(indicators["env_minutes"]).as_py())
    assert minutes[1] == pytest.approx(pc.sum(indicators["grid_minutes"]).as_py())
