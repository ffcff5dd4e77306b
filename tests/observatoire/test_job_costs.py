"""Costs of job runs and the choice of a run's tier: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from observatoire.runs.job_costs import PriceTable, RunUsage, billed_seconds, cost_per_day, run_cost
from observatoire.runs.run_sizing import (
    DAYS_PER_VCPU_MINUTE,
    MEASURED_DAY_RUN_MB,
    MEASURED_MONTH_RUN_MB,
    MEASURED_RESULTS_PER_WORKER_MB,
    MEASURED_WORKER_MB,
    RunWork,
    TierShape,
    choose_tier,
    estimated_minutes,
    estimated_peak_mb,
    holds,
    max_days,
    run_workers,
)
from observatoire.settings import Settings, SettingsError

TIERS = {
    "small": TierShape(vcpu=1, memory_mb=1024, timeout_seconds=7200),
    "large": TierShape(vcpu=2, memory_mb=4096, timeout_seconds=21600),
}


def test_billed_seconds_run_from_start_to_end_rounded_up() -> None:
    start = datetime(2026, 3, 30, 2, 0, tzinfo=UTC)
    assert billed_seconds(start, start + timedelta(seconds=59, milliseconds=1)) == 60
    assert billed_seconds(start, start + timedelta(seconds=60)) == 60
    assert billed_seconds(None, start) == 0  # never started: stopped while queued
    assert billed_seconds(start, None) == 0


def test_cost_is_vcpu_seconds_plus_gb_seconds() -> None:
    prices = PriceTable(per_vcpu_second=0.00001, per_gb_second=0.000001)
    assert run_cost(1, 1024, 3600, prices) == pytest.approx(0.0396)
    assert run_cost(1, 2048, 3600, prices) == pytest.approx(0.0432)
    assert run_cost(2, 4096, 0, prices) == 0


def test_cost_per_day_shares_a_run_among_its_days_and_keeps_the_month() -> None:
    march = [date(2024, 3, 1) + timedelta(days=i) for i in range(31)]
    backfill = RunUsage("a", 1, 2048, 310, 0.31, tuple(march[:10]))
    nightly = RunUsage("b", 1, 1024, 36, 0.02, (date(2024, 3, 4),))
    outside = RunUsage("c", 1, 1024, 36, 5.0, (date(2024, 4, 1),))
    reference = RunUsage("d", 1, 1024, 36, 5.0, ())

    table = cost_per_day([backfill, nightly, outside, reference], march)

    assert list(table["day"]) == march[:10]
    fourth = table[table["day"] == date(2024, 3, 4)].iloc[0]
    assert fourth["cost_eur"] == pytest.approx(0.031 + 0.02)
    assert fourth["runs"] == 2
    assert fourth["vcpu_hours"] == pytest.approx(31 / 3600 + 36 / 3600)
    assert table["cost_eur"].sum() == pytest.approx(0.31 + 0.02)
    assert cost_per_day([], march).empty


def test_estimate_passes_through_the_benchmark_measurements() -> None:
    assert estimated_peak_mb(RunWork(days=1, channels=18)) == pytest.approx(MEASURED_DAY_RUN_MB)
    month = RunWork(days=31, channels=18)
    assert estimated_peak_mb(month) == pytest.approx(MEASURED_MONTH_RUN_MB)
    assert estimated_peak_mb(month, workers=2) == pytest.approx(
        MEASURED_MONTH_RUN_MB + 2 * (MEASURED_WORKER_MB + MEASURED_RESULTS_PER_WORKER_MB)
    )
    # Between the two measurements the line rises with the channel-days.
    week, fortnight = RunWork(days=7, channels=18), RunWork(days=14, channels=18)
    assert MEASURED_DAY_RUN_MB < estimated_peak_mb(week) < estimated_peak_mb(fortnight)
    assert estimated_minutes(RunWork(days=31, channels=18), workers=2) == pytest.approx(
        31 / (2 * DAYS_PER_VCPU_MINUTE)
    )
    assert estimated_minutes(RunWork(days=31, channels=9)) == pytest.approx(
        15.5 / DAYS_PER_VCPU_MINUTE
    )


def test_a_run_has_as_many_workers_as_its_tier_has_whole_vcpus() -> None:
    assert run_workers(RunWork(31, 18), TIERS["large"]) == 2
    assert run_workers(RunWork(31, 18), TIERS["small"]) == 1
    assert run_workers(RunWork(1, 18), TIERS["large"]) == 1  # never more than days
    assert TierShape(vcpu=0.5, memory_mb=512).workers == 1
    assert TierShape(vcpu=2.5, memory_mb=512).workers == 2


def test_tier_thresholds() -> None:
    small = max_days(TIERS["small"])
    assert small >= 1
    assert holds(RunWork(small, 18), TIERS["small"])
    assert not holds(RunWork(small + 1, 18), TIERS["small"])
    assert choose_tier(RunWork(days=1, channels=18), TIERS) == "small"
    assert choose_tier(RunWork(days=small, channels=18), TIERS) == "small"
    assert choose_tier(RunWork(days=small + 1, channels=18), TIERS) == "large"
    assert choose_tier(RunWork(days=31, channels=18), TIERS) == "large"
    assert choose_tier(RunWork(days=3650, channels=18), TIERS) == "large"  # the largest, at worst
    with pytest.raises(ValueError):
        choose_tier(RunWork(1, 1), {})


def test_a_tier_whose_timeout_the_run_would_outlast_is_passed_over() -> None:
    month = RunWork(days=31, channels=18)
    minutes = estimated_minutes(month)
    roomy_but_short = TierShape(vcpu=1, memory_mb=65_536, timeout_seconds=minutes * 60)
    slow_enough = TierShape(vcpu=1, memory_mb=131_072, timeout_seconds=minutes * 60 * 2)
    assert not holds(month, roomy_but_short)  # no headroom left within its timeout
    assert choose_tier(month, {"short": roomy_but_short, "long": slow_enough}) == "long"
    assert holds(month, TierShape(vcpu=1, memory_mb=65_536))  # no timeout known: memory only


def test_prices_come_from_settings() -> None:
    settings = Settings.from_env(
        {"OBSERVATOIRE_JOB_PRICE_VCPU_SECOND": "0.00002", "OBSERVATOIRE_JOB_PRICE_GB_SECOND": ""}
    )
    assert settings.job_prices.per_vcpu_second == 0.00002
    assert settings.job_prices.per_gb_second == PriceTable().per_gb_second
    with pytest.raises(SettingsError, match="OBSERVATOIRE_JOB_PRICE_GB_SECOND"):
        Settings.from_env({"OBSERVATOIRE_JOB_PRICE_GB_SECOND": "cheap"})
