"""The HTML report opened in headless Chromium: the charts are laid out, coloured and visible."""

from __future__ import annotations

import html
import json
import re
from datetime import date, timedelta

from observatoire.report import CRISIS_COLOURS, keyword_counts, render_report, report_data
from tests.chromium import ARTIFACTS, dump_dom, png_size, screenshot
from tests.observatoire.analyst_fixtures import indicator_table, matched

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(14)]
CHANNELS = ["tf1", "france2", "france3", "franceinfo", "rfi"]

# Injected into a copy of the report only: measures what the browser actually laid out.
MEASURE = """
<pre id="measure"></pre>
<script>
const box = (e) => { const b = e.getBoundingClientRect(); return [b.width, b.height]; };
document.getElementById("measure").textContent = JSON.stringify({
  charts: [...document.querySelectorAll("svg.chart")].map(box),
  series: [...document.querySelectorAll("svg path.series")].map((p) => ({
    name: p.dataset.series, size: box(p), stroke: getComputedStyle(p).stroke,
    length: p.getTotalLength() })),
  bars: [...document.querySelectorAll("svg rect.bar")].map(box),
});
</script>
"""


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_charts_render_in_chromium(tmp_path):
    _, _, keywords = matched()
    page = render_report(report_data(indicator_table(DAYS, CHANNELS), keyword_counts(keywords)))
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    measured_copy = tmp_path / "report_measured.html"
    measured_copy.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")

    dom = dump_dom(measured_copy.as_uri())
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), "the measuring script did not run"
    measured = json.loads(html.unescape(found.group(1)))

    # crisis chart + one small chart per channel + ranking + keywords
    assert len(measured["charts"]) == 1 + len(CHANNELS) + 2
    assert all(w > 100 and h > 50 for w, h in measured["charts"])
    series = {s["name"]: s for s in measured["series"]}
    assert set(series) == {"all", "climat", "biodiversite", "ressources", *CHANNELS}
    for name in ("climat", "biodiversite", "ressources"):
        assert series[name]["stroke"] == _rgb(CRISIS_COLOURS[name])
    # 14 days are drawn as a line spanning most of the chart width
    assert all(s["length"] > 100 for s in measured["series"])
    assert all(s["size"][0] > 100 for s in measured["series"])
    # one visible bar per channel, one per counted keyword
    assert len(measured["bars"]) == len(CHANNELS) + 6
    assert all(w > 0 and h > 5 for w, h in measured["bars"])

    shot = screenshot(report.as_uri(), ARTIFACTS / "report.png")
    assert png_size(shot) == (1100, 2600)
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few kilobytes
