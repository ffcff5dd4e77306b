"""`observatoire indicators`: the per-channel table read from the lake, as ratios of sums."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta

import pyarrow.compute as pc
import pytest

from observatoire.cli import main
from observatoire.lake import Lake
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
