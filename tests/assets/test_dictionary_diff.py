"""`observatoire dictionary-diff`: the keyword changes of an edited dictionary and their impact on
stored days, read from a lake the real pipeline wrote."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pyarrow.compute as pc
import pytest

from observatoire.cli import main
from observatoire.core.dictionary import canonical_keyword, default_dictionary
from observatoire.core.themes import THEMES, crisis_of
from observatoire.quality.dictionary_diff import diff_dictionaries, impact, sample_days
from observatoire.storage.lake import Lake
from tests.assets.analyst_pipeline import pipeline

PACKAGED = Path(__file__).resolve().parents[2] / "observatoire" / "data"
DAYS = ("2024-03-11", "2024-03-12")
NEW_KEYWORD = "brume de chaleur estivale"


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """A lake with two matched days, and an edited copy of the dictionary: the most counted
    keyword moved to a theme of another crisis, a new keyword, and a keyword removed."""
    root = tmp_path_factory.mktemp("diff")
    p = pipeline(root)
    assert p.run("reference_data").success
    assert p.run("daily_stages", *DAYS).success
    lake = Lake(p.settings.lake_url)
    keywords = lake.read_days("theme_keywords", lake.days("theme_keywords"))
    counted = keywords.filter(pc.equal(keywords["counted"], True))
    pairs = Counter(zip(counted["keyword"].to_pylist(), counted["theme"].to_pylist(), strict=True))
    (keyword, theme), _ = pairs.most_common(1)[0]
    themes_of_keyword = {t for k, t in pairs if k == keyword}
    target = next(
        t
        for t in THEMES
        if crisis_of(t) != crisis_of(theme)
        and t not in themes_of_keyword
        and all(crisis_of(other) != crisis_of(t) for other in themes_of_keyword)
    )
    rows = list(csv.reader((PACKAGED / "dictionary_fr.csv").read_text().splitlines()))
    removed = next(r[0] for r in rows[1:] if canonical_keyword(r[0]) != keyword)
    out = []
    for row in rows:
        if canonical_keyword(row[0]) == removed:
            continue
        if canonical_keyword(row[0]) == keyword and row[1] == theme:
            row = [row[0], target, *row[2:]]
        out.append(row)
    out.append([NEW_KEYWORD, "changement_climatique_consequences", "false", "general", "fr"])
    path = root / "dictionary_edited.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(out)
    return {
        "lake": lake,
        "path": path,
        "keyword": keyword,
        "theme": theme,
        "target": target,
        "removed": canonical_keyword(removed),
    }


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["dictionary-diff", *argv])
    return code, out.getvalue(), err.getvalue()


def test_diff_lists_added_removed_and_rethemed_keywords(edited):
    code, out, err = _run(
        "--lake", edited["lake"].url, "--new", str(edited["path"]), "--sample-days", "0"
    )
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith(f"+ {NEW_KEYWORD!r} under changement_climatique") for line in lines)
    assert any(line.startswith(f"- {edited['removed']!r} under ") for line in lines)
    retheme = next(line for line in lines if line.startswith(f"~ {edited['keyword']!r} re-themed"))
    assert edited["target"] in retheme.split("->")[1]
    assert edited["theme"] in retheme.split("->")[0]
    assert "stop phrases +0 -0" in lines[-1]


def test_diff_previews_windows_lost_and_gained_per_channel_and_crisis(edited):
    code, out, err = _run("--lake", edited["lake"].url, "--new", str(edited["path"]))
    assert code == 0, err
    impact_part = out.split("Impact on ")[1]
    assert impact_part.startswith("2 sampled day(s) (2024-03-11, 2024-03-12)")
    rows = [line.split() for line in impact_part.splitlines()[2:-1]]
    lost = {(r[0], r[1]) for r in rows if int(r[5]) > 0}
    gained = {(r[0], r[1]) for r in rows if int(r[4]) > 0}
    # the re-themed keyword's windows leave its crisis and arrive in the other one
    assert {crisis for _, crisis in lost} >= {crisis_of(edited["theme"])}
    assert {crisis for _, crisis in gained} >= {crisis_of(edited["target"])}
    assert out.splitlines()[-1].startswith("total: ")


def test_impact_is_zero_for_the_same_dictionary(edited):
    lake = edited["lake"]
    days = sample_days(lake.days("raw_captions"), 1)
    captions = lake.read_days("raw_captions", days)
    same = default_dictionary()
    frame = impact(same, same, captions)
    assert not frame.empty
    assert (frame["gained"] == 0).all() and (frame["lost"] == 0).all()
    assert diff_dictionaries(same, same).empty


def test_sample_days_spread_over_the_range_with_the_latest():
    from datetime import date, timedelta

    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(100)]
    chosen = sample_days(days, 4)
    assert len(chosen) == 4 and chosen[-1] == days[-1] and chosen[0] < days[30]


def test_a_closed_pipe_prints_no_traceback(edited):
    command = [
        str(Path(sys.executable).parent / "observatoire"),
        "dictionary-diff",
        "--lake",
        edited["lake"].url,
        "--new",
        str(edited["path"]),
        "--sample-days",
        "0",
    ]
    # `| head -1`: the reader closes the pipe after the first line
    producer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=120)
    assert first.startswith(b"dictionary ")
    assert b"Traceback" not in err and b"BrokenPipe" not in err, err.decode()
