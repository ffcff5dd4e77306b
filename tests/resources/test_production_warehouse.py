"""Where analysts query in production: DuckDB views over the lake on object storage, per connection.

Against the loopback S3 server: the views see the days in the bucket, including days written after
an earlier connection, and no DuckDB file is written anywhere, whatever path is configured.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa

from observatoire.settings import Settings
from resources.lake import LakeResource
from resources.warehouse import WarehouseResource
from tests.services import S3Bucket


def indicators(day: date, minutes: float) -> pa.Table:
    return pa.table(
        {
            "day": pa.array([day, day], pa.date32()),
            "channel_name": ["tf1", "france2"],
            "env_minutes": [minutes, minutes * 2],
        }
    )


def test_views_over_the_object_storage_lake_are_made_per_connection_without_a_file(
    s3_bucket: S3Bucket, tmp_path: Path
) -> None:
    configured = tmp_path / "warehouse.duckdb"
    settings = Settings.from_env(
        {**s3_bucket.environ(), "OBSERVATOIRE_WAREHOUSE_PATH": str(configured)}
    )
    lake = LakeResource.from_settings(settings).lake()
    warehouse = WarehouseResource.from_settings(settings)
    lake.write_day("channel_indicators", date(2024, 3, 4), indicators(date(2024, 3, 4), 1.5))

    assert warehouse.refresh() == []
    with warehouse.connect(read_only=True) as connection:
        first = connection.execute("SELECT sum(env_minutes) FROM channel_indicators").fetchone()
    lake.write_day("channel_indicators", date(2024, 3, 5), indicators(date(2024, 3, 5), 2.0))
    with warehouse.connect() as connection:
        second = connection.execute(
            "SELECT count(DISTINCT day), sum(env_minutes) FROM channel_indicators"
        ).fetchone()

    assert first == (4.5,)
    assert second == (2, 10.5)
    assert not configured.exists()
    assert list(tmp_path.iterdir()) == []
