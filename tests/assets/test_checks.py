"""Asset checks on the daily stages, run by the real jobs on a temporary lake."""

from __future__ import annotations

import pyarrow as pa
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey

from assets.keys import THEME_SEGMENTS
from observatoire.storage.lake import Lake
from tests.assets.analyst_pipeline import pipeline

DAYS = ("2024-03-11", "2024-03-12")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    p = pipeline(tmp_path_factory.mktemp("checks"))
    assert p.run("reference_data").success
    result = p.run("daily_stages", *DAYS)
    assert result.success
    return p, result


def _evaluations(result) -> dict[tuple[str, str, str | None], object]:
    return {
        (e.asset_key.to_user_string(), e.check_name, e.partition): e
        for e in result.get_asset_check_evaluations()
    }


CHECKS = {
    ("raw_captions", "unique_chunk_ids"),
    ("raw_captions", "rejected_record_rate"),
    ("raw_captions", "plaintext_agrees_with_words"),
    ("theme_segments", "matches_captions_and_evidence"),
    ("time_monitored", "coverage"),
    ("time_monitored", "captions_have_grid"),
    ("channel_indicators", "shares_within_0_1"),
    ("channel_indicators", "current_dictionary"),
}


def test_every_daily_stage_is_checked_once_per_day_and_passes_on_demo_data(built):
    _, result = built
    evaluations = _evaluations(result)
    assert set(evaluations) == {(*check, day) for check in CHECKS for day in DAYS}
    failed = {k: e.description for k, e in evaluations.items() if not e.passed}
    assert not failed
    for day in DAYS:
        rejected = evaluations[("raw_captions", "rejected_record_rate", day)]
        # the demo source emits one malformed record a day: visible, under the limit
        assert rejected.metadata["rejected"].value == 1
        assert evaluations[("time_monitored", "coverage", day)].severity == AssetCheckSeverity.WARN


def test_check_results_are_stored_per_partition(built):
    p, _ = built
    keys = [AssetCheckKey(AssetKey(asset), name) for asset, name in CHECKS]
    stored = p.instance.event_log_storage.get_asset_check_partition_info(keys)
    by_check: dict[tuple[str, str], dict[str, str]] = {}
    for info in stored:
        check = (info.check_key.asset_key.to_user_string(), info.check_key.name)
        by_check.setdefault(check, {})[info.partition_key] = info.latest_execution_status.value
        # each day's result points at that day's materialisation
        assert info.latest_target_materialization_storage_id is not None
    assert by_check == {check: {day: "SUCCEEDED" for day in DAYS} for check in CHECKS}


def test_matching_check_is_blocking(built):
    p, _ = built
    specs = {
        spec.key.name: spec for checks in p.defs.asset_checks or [] for spec in checks.check_specs
    }
    assert specs["matches_captions_and_evidence"].blocking
    assert specs["matches_captions_and_evidence"].asset_key == THEME_SEGMENTS


def test_failed_matching_check_stops_the_indicators(built):
    p, _ = built
    store = Lake(p.settings.lake_url)
    day = store.days("raw_captions")[0]
    before = store.read_day("channel_indicators", day)
    captions = store.read_day("raw_captions", day)
    # a hand-copied file that repeats a chunk: matching it twice would count it twice
    store.write_day("raw_captions", day, pa.concat_tables([captions, captions.slice(0, 1)]))
    try:
        result = p.run("rematch", day.isoformat())
    finally:
        store.write_day("raw_captions", day, captions)
    assert not result.success
    evaluations = _evaluations(result)
    evaluation = evaluations[("theme_segments", "matches_captions_and_evidence", day.isoformat())]
    assert not evaluation.passed
    assert "1 duplicate segment ids" in evaluation.description
    materialised = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "channel_indicators" not in materialised
    assert store.read_day("channel_indicators", day).equals(before)
