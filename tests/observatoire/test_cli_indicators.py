"""`observatoire indicators`: the per-channel table read from the lake, as ratios of sums."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from observatoire.cli import main
from observatoire.storage.lake import Lake
from tests.observatoire.analyst_fixtures import indicator_table

DAYS = [date(2024, 3, 1) + timedelta(days=n) for n in range(10)]
CHANNELS = ["france2", "tf1"]


@pytest.fixture
def lake(tmp_path) -> Lake:
    store = Lake(str(tmp_path / "lake"))
    table = indicator_table(DAYS, CHANNELS)
    for day in DAYS:
        store.write_day("channel_indicators", day, table.filter(pc.equal(table["day"], day)))
    return store


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["indicators", *argv])
    return code, out.getvalue(), err.getvalue()


def test_prints_the_last_days_with_shares_as_ratios_of_sums(lake):
    code, out, _ = run("--lake", lake.url, "--days", "3")
    assert code == 0
    assert "2024-03-08 to 2024-03-10 (3 days)" in out
    # france2 (channel 0): env = 1 + day index, covered 100 a day -> (8 + 9 + 10) / 300 = 9.00 %
    france2 = next(line for line in out.splitlines() if line.startswith("france2"))
    assert "9.00 %" in france2


def test_reads_the_configured_lake_without_the_option(lake, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_LAKE_URL", lake.url)
    code, out, _ = run("--start", "2024-03-01", "--end", "2024-03-01")
    assert code == 0
    assert "2024-03-01 to 2024-03-01 (1 days)" in out


def test_an_empty_range_is_an_error_that_names_the_lake(lake):
    code, _, err = run("--lake", lake.url, "--start", "2025-01-01")
    assert code == 1
    assert "no channel_indicators days" in err


def test_days_and_range_are_exclusive(lake):
    code, _, err = run("--lake", lake.url, "--days", "2", "--start", "2024-03-01")
    assert code == 2
    assert "either --days or --start/--end" in err


def _channel_order(out: str) -> list[str]:
    table = out.split("\nColumns:")[0].splitlines()
    return [line.split()[0] for line in table[3:] if line and not line.startswith("-")]


def test_channels_sort_by_share_by_default_the_total_last(lake):
    code, out, _ = run("--lake", lake.url, "--days", "3")
    assert code == 0
    assert _channel_order(out) == ["tf1", "france2", "all"]
    share = {
        line.split()[0]: float(line.split()[6])  # channel, days, covered, coverage %, env, share
        for line in out.splitlines()
        if line.startswith(("tf1 ", "france2 "))
    }
    assert share["tf1"] > share["france2"]
    code, out, _ = run("--lake", lake.url, "--days", "3", "--sort", "channel")
    assert _channel_order(out) == ["france2", "tf1", "all"]


def test_every_column_has_a_legend(lake):
    code, out, _ = run("--lake", lake.url, "--days", "3")
    assert code == 0
    legend = out.split("\nColumns:\n")[1]
    assert "share no hrfp  share without windows counted only through a high-risk" in legend
    assert "env min" in legend and "coverage" in legend


def with_version(lake: Lake, day: date, version: str) -> None:
    stored = lake.read_day("channel_indicators", day)
    column = stored.column_names.index("dictionary_version")
    versions = pa.array([version] * stored.num_rows, pa.string())
    lake.write_day(
        "channel_indicators", day, stored.set_column(column, "dictionary_version", versions)
    )


def test_a_dictionary_mix_is_refused_with_the_days_of_each_version(lake):
    for day in DAYS[5:]:
        with_version(lake, day, "newdictionary")
    code, out, err = run("--lake", lake.url, "--days", "10")
    assert code == 1
    assert out == ""
    assert "dictionary abc123def456, window 20 s" in err
    assert "2024-03-01..2024-03-05 (5 days)" in err
    assert "dictionary newdictionary, window 20 s" in err
    assert "2024-03-06..2024-03-10 (5 days)" in err
    assert "make rematch START=2024-03-01 END=2024-03-10" in err
    # Asked for explicitly, the mix is allowed and marked.
    code, out, _ = run("--lake", lake.url, "--days", "10", "--allow-mixed-versions")
    assert code == 0
    assert "MIXED VERSIONS" in out
    # Days of one version combine as before.
    code, out, _ = run("--lake", lake.url, "--days", "5")
    assert code == 0
    assert "MIXED" not in out


def test_a_window_mix_is_refused(lake):
    stored = lake.read_day("channel_indicators", DAYS[-1])
    column = stored.column_names.index("window_seconds")
    windows = pa.array([30] * stored.num_rows, pa.int32())
    lake.write_day(
        "channel_indicators", DAYS[-1], stored.set_column(column, "window_seconds", windows)
    )
    code, _, err = run("--lake", lake.url, "--days", "3")
    assert code == 1
    assert "window 30 s" in err and "window 20 s" in err


def test_missing_days_are_shown_as_gaps(lake):
    for day in (DAYS[7], DAYS[8]):
        os.remove(lake.day_path("channel_indicators", day))
    code, out, _ = run("--lake", lake.url, "--days", "5")
    assert code == 0
    assert "2024-03-06 to 2024-03-10 (3 of 5 days)" in out
    assert "missing days (gaps, not counted): 2024-03-08..2024-03-09 (2 days)" in out


def test_indicators_older_than_their_segments_are_refused(lake):
    segments = pa.table({"channel_name": ["tf1"]}).replace_schema_metadata(
        {b"observatoire.version": b"newdictionary"}
    )
    lake.write_day("theme_segments", DAYS[-1], segments)
    code, _, err = run("--lake", lake.url, "--days", "3")
    assert code == 1
    assert (
        "2024-03-10: channel_indicators made with dictionary abc123def456 but theme_segments "
        "now hold dictionary newdictionary" in err
    )
