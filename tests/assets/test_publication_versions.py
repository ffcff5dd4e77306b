"""Open data and the report over days counted differently, and over missing days."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pytest
from dagster import materialize

from assets.open_data import build_open_data_asset
from assets.partitions import monthly_partitions
from assets.report import build_report_asset
from observatoire.storage.lake import Lake
from resources.lake import LakeResource
from tests.observatoire.analyst_fixtures import indicator_table

MONTH = "2024-03-01"
DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in range(31)]
CHANNELS = ["france2", "tf1"]
MISSING = {date(2024, 3, 10), date(2024, 3, 11), date(2024, 3, 12)}
CHANGE = date(2024, 3, 20)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """A month of indicators: three days missing, a new dictionary from the 20th."""
    store = Lake(str(tmp_path / "lake"))
    table = indicator_table(DAYS, CHANNELS)
    for day in DAYS:
        if day in MISSING:
            continue
        rows = table.filter(pc.equal(table["day"], day))
        if day >= CHANGE:
            column = rows.column_names.index("dictionary_version")
            rows = rows.set_column(
                column, "dictionary_version", pa.array(["fedcba987654"] * rows.num_rows)
            )
        store.write_day("channel_indicators", day, rows)
    return store


def publish(lake: Lake, asset, allow: bool):
    config = {"ops": {asset.op.name: {"config": {"allow_mixed_versions": allow}}}}
    return materialize(
        [asset],
        partition_key=MONTH,
        resources={"lake": LakeResource(url=lake.url)},
        run_config=config,
        raise_on_error=False,
    )


def failure(result) -> str:
    events = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return events[0].event_specific_data.error.message


@pytest.mark.parametrize("build", [build_open_data_asset, build_report_asset])
def test_a_dictionary_mix_is_refused_by_default_naming_the_days(lake: Lake, build) -> None:
    result = publish(lake, build(monthly_partitions("2024-01-01")), allow=False)
    assert not result.success
    message = failure(result)
    assert "dictionary abc123def456" in message
    assert "2024-03-01..2024-03-09, 2024-03-13..2024-03-19 (16 days)" in message
    assert "dictionary fedcba987654" in message
    assert "2024-03-20..2024-03-31 (12 days)" in message
    assert "make rematch START=2024-03-01 END=2024-03-31" in message
    assert not (Path(lake.root) / "open_data").exists()
    assert not (Path(lake.root) / "reports").exists()


def test_open_data_allowed_mix_is_marked_and_missing_days_are_gap_rows(lake: Lake) -> None:
    result = publish(lake, build_open_data_asset(monthly_partitions("2024-01-01")), allow=True)
    assert result.success
    folder = Path(lake.root) / "open_data" / "indicators_2024-03-01_2024-03-31"
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["missing_days"] == sorted(d.isoformat() for d in MISSING)
    assert "MIXED VERSIONS" in package["mixed_versions"]
    assert package["dictionary_versions"] == ["abc123def456", "fedcba987654"]
    table = pacsv.read_csv(folder / "indicators_2024-03-01_2024-03-31.csv")
    assert table.num_rows == len(DAYS) * len(CHANNELS)
    gaps = table.filter(pc.is_null(table["env_minutes"]))
    assert sorted(set(gaps["day"].to_pylist())) == sorted(MISSING)


def test_report_keeps_gaps_on_the_axis_and_marks_the_dictionary_change(lake: Lake) -> None:
    result = publish(lake, build_report_asset(monthly_partitions("2024-01-01")), allow=True)
    assert result.success
    page = (Path(lake.root) / "reports" / "report_2024-03.html").read_text()
    crisis_chart = page[page.index('<section id="by-crisis">') : page.index('id="by-medium"')]
    # Every day of the month is on the x-axis: the line breaks at the missing days.
    total = re.search(r'<g id="by-crisis-series-all">\s*<path d="([^"]+)"', crisis_chart).group(1)
    assert total.count("M") == 2
    assert crisis_chart.count('<g id="by-crisis-change-2024-03-20"') == 1
    assert '<g id="by-crisis-missing-2024-03-10"' in crisis_chart  # one band for 10-12/03
    assert "fedcba987654" in crisis_chart
    assert "No data for 3 day(s), left as gaps: 10/03–12/03." in page
    assert "From 2024-03-20: dictionary fedcba987654" in page
