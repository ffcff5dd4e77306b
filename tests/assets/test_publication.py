"""Open data, report, stop-phrase candidates, evidence and re-matching on a real pipeline run."""

from __future__ import annotations

import io
import json
import subprocess
from contextlib import redirect_stdout
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow.compute as pc
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

import observatoire
from observatoire.cli import main as cli_main
from observatoire.core.dictionary import default_dictionary
from observatoire.storage.lake import Lake
from tests.assets.analyst_pipeline import pipeline

DAYS = ("2024-03-11", "2024-03-12")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("publication")
    p = pipeline(root)
    assert p.run("reference_data").success
    assert p.run("daily_stages", *DAYS).success
    return root, p


def _materialise(p, key: str, partition: str, run_config=None):
    job = p.defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        instance=p.instance,
        asset_selection=[dg.AssetKey(key)],
        partition_key=partition,
        run_config=run_config or {},
        raise_on_error=True,
    )


def test_open_data_release_for_the_month(built):
    _, p = built
    result = _materialise(p, "open_data", "2024-03-01")
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    folder = Path(metadata["folder"].value)
    assert folder.name == "indicators_2024-03-01_2024-03-31"
    assert metadata["days_published"].value == 2
    assert "2024-03-13" in metadata["days_missing"].value
    check = subprocess.run(
        ["sha256sum", "--check", "SHA256SUMS"], cwd=folder, capture_output=True, check=False
    )
    assert check.returncode == 0
    package = json.loads((folder / "datapackage.json").read_text())
    assert package["dictionary_versions"] == [default_dictionary().version]
    fields = [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert fields[:3] == ["channel_name", "channel_title", "channel_radio"]


def test_open_data_to_a_configured_folder(built, tmp_path):
    _, p = built
    config = {"ops": {"open_data": {"config": {"folder": str(tmp_path / "public")}}}}
    _materialise(p, "open_data", "2024-03-01", config)
    assert (tmp_path / "public" / "indicators_2024-03-01_2024-03-31" / "SHA256SUMS").exists()


def test_report_for_the_month(built):
    _, p = built
    result = _materialise(p, "report", "2024-03-01")
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    page = Path(metadata["path"].value).read_text(encoding="utf-8")
    assert Path(metadata["path"].value).name == "report_2024-03.html"
    assert page.count('<g id="by-crisis-series-') == 4  # all crises, then one per crisis
    assert "Top keywords" in page and '<g id="keywords-bar-' in page
    assert "<script" not in page
    assert 0 < metadata["share_all_channels"].value < 1


def test_stop_phrase_candidates_for_the_week(built):
    _, p = built
    result = _materialise(p, "stop_phrase_candidates", "2024-03-11")
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["days_read"].value == 2
    stored = Lake(p.settings.lake_url).read_day("stop_phrase_candidates", date(2024, 3, 11))
    assert stored.num_rows == metadata["candidates"].value
    review = metadata["review"].value
    assert ("stop_phrases_fr.txt" in review) == (stored.num_rows > 0)


@pytest.mark.parametrize(
    ("key", "partition", "message"),
    [
        ("stop_phrase_candidates", "2024-04-01", "no matched day in the week of 2024-04-01"),
        ("open_data", "2024-05-01", "no channel_indicators between 2024-05-01 and 2024-05-31"),
        ("report", "2024-05-01", "no channel_indicators between 2024-05-01 and 2024-05-31"),
    ],
)
def test_publication_and_curation_fail_like_the_daily_stages(built, key, partition, message):
    """A period without the days it needs fails the step with a Dagster Failure and its reason."""
    _, p = built
    job = p.defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        instance=p.instance,
        asset_selection=[dg.AssetKey(key)],
        partition_key=partition,
        raise_on_error=False,
    )
    [failure] = result.get_step_failure_events()
    error = failure.step_failure_data.error
    while error.cls_name != "Failure" and error.cause is not None:
        error = error.cause
    assert error.cls_name == "Failure"
    assert message in error.message


def test_explain_reproduces_the_stored_indicator(built):
    _, p = built
    lake = Lake(p.settings.lake_url)
    indicators = lake.read_day("channel_indicators", date(2024, 3, 11))
    busiest = indicators.sort_by([("env_minutes", "descending")]).to_pylist()[0]
    out = io.StringIO()
    with redirect_stdout(out):
        code = cli_main(
            [
                "explain",
                "--channel",
                busiest["channel_name"],
                "--date",
                DAYS[0],
                "--lake",
                p.settings.lake_url,
            ]
        )
    assert code == 0
    text = out.getvalue()
    assert "consistent" in text and "DIFFERENT" not in text
    assert f"= {busiest['env_minutes']:.2f} min" in text


def test_dictionary_change_marks_matching_stale_and_rematch_refreshes(built, tmp_path):
    root, p = built
    packaged = Path(observatoire.__file__).parent / "data"
    stops = tmp_path / "stop_phrases.txt"
    stops.write_text(
        (packaged / "stop_phrases_fr.txt").read_text(encoding="utf-8")
        + "\nune phrase publicitaire ajoutée pour le test\n",
        encoding="utf-8",
    )
    changed = pipeline(
        root,
        OBSERVATOIRE_DICTIONARY_CSV=str(packaged / "dictionary_fr.csv"),
        OBSERVATOIRE_STOP_PHRASES=str(stops),
    )
    changed.instance = p.instance
    graph = changed.defs.resolve_asset_graph()

    def status(key: str, partition: str | None = DAYS[0]) -> StaleStatus:
        resolver = CachingStaleStatusResolver(p.instance, graph, LoadingContextForTest(p.instance))
        return resolver.get_status(dg.AssetKey(key), partition)

    assert changed.run("reference_data").success
    for key in ("theme_segments", "theme_keywords", "channel_indicators"):
        assert status(key) == StaleStatus.STALE, key
    assert status("raw_captions") == StaleStatus.FRESH

    assert changed.run("rematch", *DAYS).success
    for key in ("theme_segments", "channel_indicators"):
        assert status(key) == StaleStatus.FRESH, key
    lake = Lake(p.settings.lake_url)
    versions = pc.unique(
        lake.read_day("channel_indicators", date(2024, 3, 12))["dictionary_version"]
    ).to_pylist()
    assert len(versions) == 1 and versions != [default_dictionary().version]
