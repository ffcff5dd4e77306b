from __future__ import annotations

import re
from datetime import date, timedelta

import pyarrow as pa
import pytest

from observatoire.report import keyword_counts, render_report, report_data, sum_keyword_counts
from tests.observatoire.analyst_fixtures import indicator_table, matched

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(10)]
CHANNELS = ["tf1", "france2", "franceinfo"]


def test_keyword_counts_are_windows_and_occurrences_and_add_up():
    _, _, keywords = matched()
    counts = {(r["keyword"], r["crisis"]): r for r in keyword_counts(keywords).to_pylist()}
    assert counts[("biodiversité", "biodiversite")]["windows"] == 2
    assert counts[("sécheresse", "ressources")]["occurrences"] == 1
    assert ("pétrole", "climat") in counts  # counted once on france2, not counted on tf1
    assert counts[("pétrole", "climat")]["occurrences"] == 1
    doubled = sum_keyword_counts([keyword_counts(keywords), keyword_counts(keywords)])
    again = {(r["keyword"], r["crisis"]): r["windows"] for r in doubled.to_pylist()}
    assert again[("biodiversité", "biodiversite")] == 4


def test_aggregates_are_ratios_of_sums():
    indicators = indicator_table(DAYS, CHANNELS)
    data = report_data(indicators)
    rows = indicators.to_pylist()
    total = sum(r["env_minutes"] for r in rows) / sum(r["covered_minutes"] for r in rows)
    assert data.total_share == pytest.approx(total)
    first_day = [r for r in rows if r["day"] == DAYS[0]]
    assert data.by_day["share_climat"].iloc[0] == pytest.approx(
        sum(r["env_minutes_climat"] for r in first_day)
        / sum(r["covered_minutes"] for r in first_day)
    )
    # the channel with the highest ratio of sums ranks first
    assert list(data.ranking["channel_name"]) == ["franceinfo", "france2", "tf1"]


def test_report_is_self_contained_with_one_chart_element_per_figure():
    indicators = indicator_table(DAYS, CHANNELS)
    _, _, keywords = matched()
    html = render_report(report_data(indicators, keyword_counts(keywords)))
    assert "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "https://" not in html
    # 4 crisis series + one per channel
    assert len(re.findall(r'<path class="series"', html)) == 4 + len(CHANNELS)
    # one bar per channel in the ranking, one per keyword
    assert len(re.findall(r'<rect class="bar"', html)) == len(CHANNELS) + 6
    assert 'data-channel="france2"' in html
    assert "2024-03-01 to 2024-03-10" in html


def test_single_day_and_missing_shares_still_render():
    indicators = indicator_table(DAYS[:1], CHANNELS)
    covered = indicators["covered_minutes"].to_pylist()
    covered[0] = 0.0
    share = indicators["share"].to_pylist()
    share[0] = None
    indicators = indicators.set_column(
        indicators.column_names.index("covered_minutes"), "covered_minutes", pa.array(covered)
    )
    indicators = indicators.set_column(
        indicators.column_names.index("share"), "share", pa.array(share, pa.float64())
    )
    html = render_report(report_data(indicators))
    assert "<circle" in html  # a one-day series is drawn as a dot
    assert "No keyword evidence" in html
    assert len(re.findall(r'<rect class="bar"', html)) == len(CHANNELS) - 1


def test_empty_indicators_are_refused():
    with pytest.raises(ValueError, match="no indicator rows"):
        report_data(indicator_table([], CHANNELS))
