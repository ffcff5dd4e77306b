"""A month of indicators that exercises every mark of the report: all reference channels, TV and
radio, three missing days, a day of low coverage and a dictionary change."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from observatoire.publish.report import ReportData, keyword_counts, report_data
from observatoire.reference.channels import channels_table, default_channels
from tests.observatoire.analyst_fixtures import indicator_table, matched

MONTH = [date(2024, 3, 1) + timedelta(days=i) for i in range(31)]
MISSING = (date(2024, 3, 10), date(2024, 3, 11), date(2024, 3, 12))
LOW_COVERAGE_DAY = date(2024, 3, 5)
CHANGE = (date(2024, 3, 20), "dictionary fedcba987654, window 20 s, profile default")
REFERENCE = channels_table(default_channels())


def sample_data(channels: list[str] | None = None) -> ReportData:
    names = channels or [c.name for c in default_channels()]
    present = [d for d in MONTH if d not in MISSING]
    table = indicator_table(present, names)
    covered = [
        c * 0.4 if d == LOW_COVERAGE_DAY else c
        for c, d in zip(table["covered_minutes"].to_pylist(), table["day"].to_pylist(), strict=True)
    ]
    table = table.set_column(
        table.column_names.index("covered_minutes"), "covered_minutes", pa.array(covered)
    )
    _, _, keywords = matched()
    return report_data(
        table, keyword_counts(keywords), days=MONTH, changes=[CHANGE], channels=REFERENCE
    )
