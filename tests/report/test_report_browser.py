"""The HTML report opened in headless Chromium: charts laid out, channels named, axes readable,
gaps and changes marked, and no label outside its chart."""

from __future__ import annotations

import html
import json
import math
import re
from itertools import pairwise
from pathlib import Path

from observatoire.publish.report import CRISIS_COLOURS, render_report
from tests.chromium import ARTIFACTS, dump_dom, png_size, screenshot
from tests.report.sample import MISSING, sample_data

# Injected into a copy of the report only: measures what the browser actually laid out.
MEASURE = """
<pre id="measure"></pre>
<script>
const rect = (e) => { const b = e.getBoundingClientRect();
  return {left: b.left, top: b.top, right: b.right, bottom: b.bottom}; };
const texts = (svg, selector) => [...svg.querySelectorAll(selector)].map((t) => t.textContent);
document.getElementById("measure").textContent = JSON.stringify(
  [...document.querySelectorAll("svg.chart")].map((svg) => ({
    chart: svg.dataset.chart,
    box: rect(svg),
    texts: [...svg.querySelectorAll("text")].map((t) => ({text: t.textContent, box: rect(t)})),
    axes: [...svg.querySelectorAll("g[id*='matplotlib.axis_']")].map(
      (a) => ({y: a.querySelector("g[id*='ytick_']") !== null,
               ticks: texts(a, "g[id*='tick_'] text")})),
    series: [...svg.querySelectorAll("g[id*='-series-'] path")].map((p) => ({
      id: p.parentElement.id, stroke: getComputedStyle(p).stroke,
      moves: (p.getAttribute("d").match(/M/g) || []).length, length: p.getTotalLength() })),
    bands: [...svg.querySelectorAll("g[id*='-missing-'] path")].map(
      (p) => ({id: p.parentElement.id, width: rect(p).right - rect(p).left})),
    changes: svg.querySelectorAll("g[id*='-change-2']").length,
  })));
</script>
"""

# A chart whose last label runs past the right edge of its viewport: the check must see it.
CLIPPED = (
    '<svg class="chart" data-chart="clipped-control" viewBox="0 0 200 50" width="200" height="50"'
    ' xmlns="http://www.w3.org/2000/svg"><text x="150" y="30" style="font-size: 12px">'
    "a label too long to fit</text></svg>"
)


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def _measure(page: str, folder: Path) -> dict[str, dict]:
    measured_copy = folder / "report_measured.html"
    measured_copy.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    dom = dump_dom(measured_copy.as_uri())
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found and found.group(1), "the measuring script did not run"
    return {chart["chart"]: chart for chart in json.loads(html.unescape(found.group(1)))}


def _outside(chart: dict, tolerance: float = 0.5) -> list[str]:
    """Texts whose laid-out box pokes out of their SVG's box: clipped on screen."""
    box = chart["box"]
    return [
        t["text"]
        for t in chart["texts"]
        if t["text"].strip()
        and (
            t["box"]["left"] < box["left"] - tolerance
            or t["box"]["right"] > box["right"] + tolerance
            or t["box"]["top"] < box["top"] - tolerance
            or t["box"]["bottom"] > box["bottom"] + tolerance
        )
    ]


def _percent_ticks(labels: list[str]) -> list[float]:
    return [float(label.replace("%", "").strip()) for label in labels if label.endswith("%")]


def _is_nice_sequence(values: list[float]) -> bool:
    """0, then evenly spaced steps of 1, 2, 2.5 or 5 × 10^k."""
    if len(values) < 3 or values[0] != 0:
        return False
    step = values[1] - values[0]
    even = all(math.isclose(b - a, step, rel_tol=1e-6) for a, b in pairwise(values))
    mantissa = step / 10 ** math.floor(math.log10(step))
    return even and any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


def test_report_in_chromium_names_channels_reads_cleanly_and_clips_nothing(tmp_path):
    page = render_report(sample_data())
    charts = _measure(page.replace("</body>", CLIPPED + "</body>"), tmp_path)

    # the control proves the clipping check sees a label past the edge ...
    assert _outside(charts.pop("clipped-control")) == ["a label too long to fit"]
    # ... and no label of the report is outside its chart, at the default width
    assert set(charts) == {
        "by-crisis",
        "by-medium",
        "crisis-split",
        "causal-links",
        "by-channel",
        "ranking",
        "keywords",
    }
    for name, chart in charts.items():
        assert _outside(chart) == [], name
        assert chart["box"]["right"] - chart["box"]["left"] > 300, name

    # channels by their names, TV and radio told apart; no internal id
    ranking = [t["text"] for t in charts["ranking"]["texts"]]
    assert "CNews (TV)" in ranking and "France Inter (radio)" in ranking
    assert "franceinfo (radio)" in ranking  # the title already says the medium
    assert not any("itele" in t for t in ranking)
    panels = [t["text"] for t in charts["by-channel"]["texts"]]
    assert "CNews (TV)" in panels and "RFI (radio)" in panels

    # readable axes: every percentage axis starts at 0 in steps of 1, 2, 2.5 or 5 × 10^k
    def percent_axes(name: str, vertical: bool) -> list[list[float]]:
        return [
            _percent_ticks(axis["ticks"])
            for axis in charts[name]["axes"]
            if axis["y"] == vertical and any(t.endswith("%") for t in axis["ticks"])
        ]

    for name, vertical in [
        ("by-crisis", True),
        ("by-medium", True),
        ("by-channel", True),
        ("crisis-split", False),
        ("causal-links", False),
        ("ranking", False),
    ]:
        found = percent_axes(name, vertical)
        assert found, name
        assert all(_is_nice_sequence(ticks) for ticks in found), (name, found)
    date_ticks = [t for a in charts["by-crisis"]["axes"] if not a["y"] for t in a["ticks"]]
    assert "01 Mar" in date_ticks and "15 Mar" in date_ticks

    # lines by crisis in their colours, broken at the three missing days, a band over them
    crisis = {s["id"]: s for s in charts["by-crisis"]["series"]}
    assert set(crisis) == {f"by-crisis-series-{name}" for name in CRISIS_COLOURS}
    for name, colour in CRISIS_COLOURS.items():
        assert crisis[f"by-crisis-series-{name}"]["stroke"] == _rgb(colour)
        assert crisis[f"by-crisis-series-{name}"]["moves"] == 2
        assert crisis[f"by-crisis-series-{name}"]["length"] > 200
    first_missing = min(MISSING)
    bands = {b["id"]: b["width"] for b in charts["by-crisis"]["bands"]}
    assert bands[f"by-crisis-missing-{first_missing}"] > 10
    assert charts["by-crisis"]["changes"] == 1
    assert len(charts["by-medium"]["series"]) == 2
    assert len(charts["by-channel"]["series"]) == 18


def test_narrow_screen_clips_no_label(tmp_path):
    page = render_report(sample_data(["tf1", "itele", "france-inter", "fr3-idf"]))
    narrow = page.replace("<body>", '<body style="max-width:380px">')
    for name, chart in _measure(narrow, tmp_path).items():
        assert _outside(chart) == [], name
        assert chart["box"]["right"] - chart["box"]["left"] <= 400, name


def test_screenshot_of_the_report(tmp_path):
    report = tmp_path / "report.html"
    report.write_text(render_report(sample_data()), encoding="utf-8")
    shot = screenshot(report.as_uri(), ARTIFACTS / "report.png", width=1100, height=5200)
    assert png_size(shot) == (1100, 5200)
    assert shot.stat().st_size > 100_000  # a blank page compresses to a few kilobytes
