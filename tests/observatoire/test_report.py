from __future__ import annotations

import re
from datetime import date, timedelta

import pyarrow as pa
import pytest

from observatoire.publish.report import (
    CAUSAL_LINK_LABELS,
    keyword_counts,
    render_report,
    report_data,
    sum_keyword_counts,
)
from observatoire.publish.report_charts import percent_label
from observatoire.reference.channels import channels_table, default_channels
from tests.observatoire.analyst_fixtures import indicator_table, matched

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(10)]
CHANNELS = ["tf1", "france2", "franceinfo"]
REFERENCE = channels_table(default_channels())


def _set(table: pa.Table, column: str, values: list) -> pa.Table:
    return table.set_column(
        table.column_names.index(column), column, pa.array(values, table.schema.field(column).type)
    )


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


def test_channels_get_their_titles_and_medium_and_tv_radio_are_ratios_of_sums():
    channels = ["tf1", "itele", "france-inter", "rfi"]
    indicators = indicator_table(DAYS, channels)
    data = report_data(indicators, channels=REFERENCE)
    titles = dict(zip(data.ranking["channel_name"], data.ranking["channel_title"], strict=True))
    assert titles["itele"] == "CNews"
    assert titles["france-inter"] == "France Inter"
    media = dict(zip(data.ranking["channel_name"], data.ranking["medium"], strict=True))
    assert media == {"tf1": "TV", "itele": "TV", "france-inter": "radio", "rfi": "radio"}
    rows = indicators.to_pylist()
    radio = [r for r in rows if r["channel_name"] in {"france-inter", "rfi"}]
    breakdown = data.breakdown.set_index("group")
    assert breakdown.loc["radio", "share"] == pytest.approx(
        sum(r["env_minutes"] for r in radio) / sum(r["covered_minutes"] for r in radio)
    )
    assert breakdown.loc["radio", "share_solutions"] == pytest.approx(
        sum(r["env_minutes_solutions"] for r in radio) / sum(r["covered_minutes"] for r in radio)
    )
    assert list(breakdown.index) == ["all channels", "TV", "radio"]
    page = render_report(data)
    assert "CNews (TV)" in page and "France Inter (radio)" in page
    assert ">itele<" not in page
    for label in CAUSAL_LINK_LABELS.values():
        assert f">{label}</text>" in page


def test_channel_missing_from_the_reference_keeps_its_id():
    data = report_data(indicator_table(DAYS, ["tf1", "newchannel"]), channels=REFERENCE)
    identities = data.ranking.set_index("channel_name")
    assert identities.loc["newchannel", "channel_title"] == "newchannel"
    assert identities.loc["newchannel", "medium"] == "unknown medium"
    assert "newchannel (unknown medium)" in render_report(data)


def test_report_is_self_contained_with_one_element_per_series_and_bar():
    indicators = indicator_table(DAYS, CHANNELS)
    _, _, keywords = matched()
    page = render_report(report_data(indicators, keyword_counts(keywords), channels=REFERENCE))
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "@font-face" not in page and 'xlink:href="http' not in page
    external = re.findall(r'(?:src|href)="(https?:[^"]+)"', page)
    assert external == []
    # no address at all besides the SVG namespaces: nothing to fetch, no network needed
    assert "http" not in re.sub(r'xmlns(?::xlink)?="http[^"]+"', "", page)
    # all crises + 3 crises, TV/radio lines, one line per channel in the small multiples
    assert len(re.findall(r'<g id="by-crisis-series-', page)) == 4
    assert len(re.findall(r'<g id="by-channel-series-', page)) == len(CHANNELS)
    assert len(re.findall(r'<g id="ranking-bar-', page)) == len(CHANNELS)
    assert len(re.findall(r'<g id="keywords-bar-', page)) == 6
    # every id is unique in the page, although every chart is its own SVG
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert "2024-03-01 to 2024-03-10" in page
    assert 'href="METHODOLOGY.md"' in page
    link = render_report(report_data(indicators), methodology_url="https://example.org/m")
    assert 'href="https://example.org/m"' in link


def test_gaps_low_coverage_and_changes_are_marked():
    present = [d for d in DAYS if d not in (DAYS[3], DAYS[4])]
    indicators = indicator_table(present, CHANNELS)
    covered = [
        c / 2 if d == DAYS[6] else c
        for c, d in zip(
            indicators["covered_minutes"].to_pylist(), indicators["day"].to_pylist(), strict=True
        )
    ]
    indicators = _set(indicators, "covered_minutes", covered)
    data = report_data(
        indicators, days=DAYS, changes=[(DAYS[8], "dictionary fedcba987654")], channels=REFERENCE
    )
    assert data.missing_days == (DAYS[3], DAYS[4])
    assert data.low_coverage_days == (DAYS[6],)
    assert data.by_day["coverage"].iloc[6] == pytest.approx(0.5 * 110 / 120)
    page = render_report(data)
    assert 'id="by-crisis-missing-2024-03-04"' in page  # one band for 04-05/03
    assert 'id="by-crisis-missing-2024-03-05"' not in page
    assert 'id="by-crisis-low-coverage-2024-03-07"' in page
    assert 'id="by-crisis-change-2024-03-09"' in page
    assert "Low coverage (under 80% of the programme grid received) on 1 day(s)" in page
    assert "No data for 2 day(s), left as gaps: 04/03, 05/03." in page


@pytest.mark.parametrize(
    ("value", "step", "text"),
    [(0.06, 0.02, "6 %"), (0.025, 0.025, "2.5 %"), (0.005, 0.005, "0.5 %"), (0.2, 0.1, "20 %")],
)
def test_percent_labels_have_the_decimals_the_step_needs(value, step, text):
    assert percent_label(value, step) == text


def test_single_day_and_missing_shares_still_render():
    indicators = indicator_table(DAYS[:1], CHANNELS)
    covered = indicators["covered_minutes"].to_pylist()
    covered[0] = 0.0
    share = indicators["share"].to_pylist()
    share[0] = None
    indicators = _set(_set(indicators, "covered_minutes", covered), "share", share)
    page = render_report(report_data(indicators))
    assert "No keyword evidence" in page
    # the one-day series is drawn as a dot: a marker is used on the line
    series = page[page.index('<g id="by-crisis-series-all">') :]
    assert "<use " in series[: series.index("</g>")]
    assert len(re.findall(r'<g id="ranking-bar-', page)) == len(CHANNELS) - 1


def test_empty_indicators_are_refused():
    with pytest.raises(ValueError, match="no indicator rows"):
        report_data(indicator_table([], CHANNELS))


def test_a_long_stretch_of_missing_days_is_listed_as_one():
    data = report_data(indicator_table(DAYS[8:], CHANNELS), days=DAYS)
    page = render_report(data)
    assert "No data for 8 day(s), left as gaps: 01/03–08/03." in page
