"""`make report-shots`: screenshots of the report for people to look at.

Renders the sample month (every reference channel, gaps, low coverage, a dictionary change) and
every report already in the local lake, and takes a desktop and a narrow screenshot of each into
`report-shots/` (git-ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

from observatoire.publish.report import render_report
from tests.chromium import screenshot
from tests.report.sample import sample_data

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "report-shots"
SIZES = {"desktop": (1100, 5200), "narrow": (420, 6400)}


def main(lake_reports: Path = ROOT / "data" / "lake" / "reports") -> list[Path]:
    SHOTS.mkdir(exist_ok=True)
    sample = SHOTS / "report_sample.html"
    sample.write_text(render_report(sample_data()), encoding="utf-8")
    pages = [sample, *sorted(lake_reports.glob("report_*.html"))]
    written = []
    for page in pages:
        for size, (width, height) in SIZES.items():
            written.append(
                screenshot(
                    page.as_uri(), SHOTS / f"{page.stem}_{size}.png", width=width, height=height
                )
            )
    return written


if __name__ == "__main__":
    for path in main(*(Path(a) for a in sys.argv[1:])):
        print(path.relative_to(ROOT))
