"""The analysts' path through the UI: a real webserver and daemon on loopback, driven by GraphQL.

A partition is materialised and three days are backfilled exactly as the UI does it (the same
GraphQL mutations), the runs are awaited, and the materialisations are read back; then headless
Chromium loads the asset graph page and the assets must be on it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from assets.keys import DAILY_TABLES
from assets.run_config import restricted_to
from tests.chromium import ARTIFACTS, dump_dom, png_size, screenshot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 180
RUN_SECONDS = 300

WORKSPACE = """
query {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name } }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""
LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on Error { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN = """
query($runId: ID!) {
  runOrError(runId: $runId) { __typename ... on Run { status tags { key value } } }
}
"""
LAUNCH_BACKFILL = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
BACKFILL = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status numPartitions runs(limit: 50) { runId status } }
    ... on Error { message }
  }
}
"""
# The queries the UI itself sends (taken from the webapp bundle): the stale status of one
# partition in the asset's partition view, of the asset in the graph, and the check statuses
# per partition.
PARTITION_STALE = """
query AssetPartitionStaleQuery($assetKey: AssetKeyInput!, $partitionKey: String!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      id
      staleStatus(partition: $partitionKey)
      staleCauses(partition: $partitionKey) {
        key { path } reason category dependency { path }
      }
    }
  }
}
"""
ASSET_STALE = """
query AssetStaleStatusQuery($assetKeys: [AssetKeyInput!]!) {
  assetNodes(assetKeys: $assetKeys) { id assetKey { path } staleStatus }
}
"""
CHECK_PARTITIONS = """
query AssetCheckPartitionHealthQuery($assetKey: AssetKeyInput!, $checkName: String!) {
  assetNodeOrError(assetKey: $assetKey) {
    ... on AssetNode {
      assetCheckOrError(checkName: $checkName) {
        ... on AssetCheck {
          partitionStatuses {
            ... on AssetCheckTimePartitionStatuses {
              ranges { startKey endKey status }
            }
            ... on AssetCheckDefaultPartitionStatuses {
              succeededPartitions failedPartitions
            }
          }
        }
      }
    }
  }
}
"""
PARTITION_METADATA = """
query($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    ... on Asset {
      assetMaterializations(limit: 50) {
        partition
        metadataEntries {
          label
          ... on FloatMetadataEntry { floatValue }
          ... on TableMetadataEntry { table { schema { columns { name } } } }
        }
      }
    }
  }
}
"""
MATERIALISATIONS = """
query($path: [String!]!) {
  assetOrError(assetKey: {path: $path}) {
    __typename
    ... on Asset { assetMaterializations(limit: 50) { partition runId } }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Dagster:
    url: str
    location: str
    repository: str
    logs: Path
    root: Path

    def graphql(self, query: str, **variables: object) -> dict:
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def job_selector(self, job: str) -> dict:
        return {
            "repositoryLocationName": self.location,
            "repositoryName": self.repository,
            "jobName": job,
        }

    def launch(self, job: str, tags: dict[str, str] | None = None) -> str:
        params = {
            "selector": self.job_selector(job),
            "runConfigData": {},
            "executionMetadata": {
                "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()]
            },
        }
        result = self.graphql(LAUNCH_RUN, params=params)["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def wait_run(self, run_id: str) -> str:
        deadline = time.monotonic() + RUN_SECONDS
        while time.monotonic() < deadline:
            status = self.graphql(RUN, runId=run_id)["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                return status
            time.sleep(1)
        raise AssertionError(f"run {run_id} did not finish in {RUN_SECONDS}s; see {self.logs}")


def _stop(process: subprocess.Popen) -> None:
    """Interrupt the process group we started, then kill it if it does not exit."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def dagster(tmp_path_factory) -> Iterator[Dagster]:
    root = tmp_path_factory.mktemp("webserver")
    home = root / "dagster_home"
    home.mkdir()
    packaged = ROOT / "observatoire" / "data"
    for name in ("dictionary_fr.csv", "stop_phrases_fr.txt"):
        shutil.copy(packaged / name, root / name)
    env = {
        **os.environ,
        "OBSERVATOIRE_DICTIONARY_CSV": str(root / "dictionary_fr.csv"),
        "OBSERVATOIRE_STOP_PHRASES": str(root / "stop_phrases_fr.txt"),
        "DAGSTER_HOME": str(home),
        "OBSERVATOIRE_LAKE_URL": str(root / "lake"),
        "OBSERVATOIRE_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "OBSERVATOIRE_PARTITIONS_START": "2024-01-01",
        "DAGSTER_DISABLE_TELEMETRY": "1",
        "PYTHONWARNINGS": "ignore",
    }
    env.pop("OBSERVATOIRE_ALERT_WEBHOOK_URL", None)
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    port = _free_port()
    logs = root / "logs"
    logs.mkdir()
    commands = {
        "webserver": [
            str(BIN / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(port),
            "-w", "workspace.yaml",
        ],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
    }  # fmt: skip
    # Create the instance's storage once, before two processes race to create it.
    subprocess.run(
        [str(BIN / "dagster"), "instance", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=STARTUP_SECONDS,
    )
    processes = []
    try:
        for name, command in commands.items():
            out = (logs / f"{name}.log").open("w")
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        location = repository = None
        while time.monotonic() < deadline and location is None:
            for process in processes:
                assert process.poll() is None, (logs / "webserver.log").read_text()[-3000:]
            try:
                probe = Dagster(url, "", "", logs, root)
                entries = probe.graphql(WORKSPACE)["workspaceOrError"]["locationEntries"]
            except (requests.ConnectionError, requests.HTTPError):
                entries = []
            for entry in entries:
                loaded = entry["locationOrLoadError"]
                if loaded and loaded["__typename"] == "PythonError":
                    raise AssertionError(loaded["message"])
                if loaded and loaded["__typename"] == "RepositoryLocation":
                    location, repository = loaded["name"], loaded["repositories"][0]["name"]
            time.sleep(1)
        assert location, f"the code location did not load in {STARTUP_SECONDS}s"
        yield Dagster(url, location, repository, logs, root)
    finally:
        for process in processes:
            _stop(process)


@pytest.fixture(scope="module")
def materialised(dagster: Dagster) -> dict[str, object]:
    """Reference data, one partition, then a backfill of three days, all through GraphQL."""
    reference = dagster.launch("reference_data")
    assert dagster.wait_run(reference) == "SUCCESS"
    single = dagster.launch("daily_stages", {"dagster/partition": "2024-03-11"})
    single_status = dagster.wait_run(single)
    days = ["2024-03-12", "2024-03-13", "2024-03-14"]
    launched = dagster.graphql(
        LAUNCH_BACKFILL,
        params={
            "assetSelection": [{"path": [name]} for name in DAILY_TABLES],
            "partitionNames": days,
            "title": "three days",
        },
    )["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill_id = launched["backfillId"]
    deadline = time.monotonic() + RUN_SECONDS
    backfill = {}
    while time.monotonic() < deadline:
        backfill = dagster.graphql(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
        if backfill["status"] not in ("REQUESTED", "CANCELING", "FAILING"):
            break
        time.sleep(2)
    return {
        "single_run": single,
        "single_status": single_status,
        "backfill": backfill,
        "backfill_days": days,
    }


def test_partition_materialised_through_graphql(dagster, materialised):
    assert materialised["single_status"] == "SUCCESS", dagster.logs
    tags = dagster.graphql(RUN, runId=materialised["single_run"])["runOrError"]["tags"]
    assert {"key": "dagster/partition", "value": "2024-03-11"} in tags


def test_backfill_of_three_days_succeeds(materialised):
    backfill = materialised["backfill"]
    assert backfill["status"] in ("COMPLETED", "COMPLETED_SUCCESS"), backfill
    assert backfill["numPartitions"] == 3
    assert backfill["runs"], "the backfill launched no run"
    assert all(run["status"] == "SUCCESS" for run in backfill["runs"])
    # multi-run policy: three days fit in one run of at most 31 days
    assert len(backfill["runs"]) == 1


def test_materialisations_read_back(dagster, materialised):
    for name in ("theme_segments", "channel_indicators"):
        asset = dagster.graphql(MATERIALISATIONS, path=[name])["assetOrError"]
        partitions = {m["partition"] for m in asset["assetMaterializations"]}
        assert partitions == {"2024-03-11", *materialised["backfill_days"]}, name


def test_asset_graph_page_shows_the_assets(dagster, materialised):
    # the lineage of the `daily` group, as the UI's sidebar opens it
    page = f"{dagster.url}/locations/{dagster.location}/asset-groups/daily"
    dom = dump_dom(page, virtual_time_budget_ms=30_000)
    assert "Asset Group in" in dom, "the asset group page did not render"
    for name in ("raw_captions", "theme_segments", "time_monitored", "channel_indicators"):
        assert name in dom, f"{name} is not on the asset graph page"
    # downstream assets of other groups are drawn as links from the daily stages
    assert "open_data" in dom and "report" in dom
    shot = screenshot(page, ARTIFACTS / "asset_graph.png", 1400, 900, 30_000)
    assert png_size(shot) == (1400, 900)


def test_each_day_has_its_own_share_in_the_ui(dagster, materialised):
    asset = dagster.graphql(PARTITION_METADATA, path=["channel_indicators"])["assetOrError"]
    shares = {}
    for materialisation in asset["assetMaterializations"]:
        entries = {e["label"]: e for e in materialisation["metadataEntries"]}
        shares[materialisation["partition"]] = entries["share_all_channels"]["floatValue"]
        table = entries["shares_per_channel"]["table"]
        assert table["schema"]["columns"][0]["name"] == "channel_name"
    backfilled = {shares[day] for day in materialised["backfill_days"]}
    assert len(backfilled) == 3, shares  # three days of one run, three different shares
    # the asset page lists the day's figures (its Table/Plots switch draws them per partition)
    page = f"{dagster.url}/assets/channel_indicators"
    dom = dump_dom(page, virtual_time_budget_ms=30_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "channel_indicators_overview.html").write_text(dom, encoding="utf-8")
    assert "share_all_channels" in dom and "shares_per_channel" in dom
    screenshot(page, ARTIFACTS / "channel_indicators_overview.png", 1400, 1400, 30_000)


def test_check_status_per_day_in_the_ui(dagster, materialised):
    statuses = dagster.graphql(
        CHECK_PARTITIONS, assetKey={"path": ["channel_indicators"]}, checkName="shares_within_0_1"
    )["assetNodeOrError"]["assetCheckOrError"]["partitionStatuses"]
    succeeded = set()
    for status in statuses["ranges"]:
        first, last = date.fromisoformat(status["startKey"]), date.fromisoformat(status["endKey"])
        days = {(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)}
        assert status["status"] == "SUCCEEDED", statuses
        succeeded |= days
    # 2024-03-11 alone, then the backfill's three days: every checked day has its status
    assert succeeded == {"2024-03-11", *materialised["backfill_days"]}, statuses


NEW_KEYWORD = "brume de chaleur estivale"


def _partition_stale(dagster: Dagster, asset: str, day: str) -> dict:
    return dagster.graphql(PARTITION_STALE, assetKey={"path": [asset]}, partitionKey=day)[
        "assetNodeOrError"
    ]


def test_an_edited_dictionary_shows_the_days_out_of_date_without_a_reload(dagster, materialised):
    day = materialised["backfill_days"][0]
    for asset in ("theme_segments", "channel_indicators"):
        assert _partition_stale(dagster, asset, day)["staleStatus"] == "FRESH"
    dictionary = dagster.root / "dictionary_fr.csv"
    with dictionary.open("a", encoding="utf-8") as handle:
        handle.write(f"{NEW_KEYWORD},changement_climatique_consequences,false,general,fr\n")
    # the edit is materialised from the UI, the code location is not reloaded
    assert dagster.wait_run(dagster.launch("reference_data")) == "SUCCESS"
    nodes = dagster.graphql(ASSET_STALE, assetKeys=[{"path": ["keyword_dictionary"]}])
    assert nodes["assetNodes"][0]["staleStatus"] == "FRESH"  # not "Unsynced" once materialised
    for asset in ("theme_segments", "theme_keywords", "channel_indicators"):
        node = _partition_stale(dagster, asset, day)
        assert node["staleStatus"] == "STALE", (asset, node)
        causes = {(tuple(c["key"]["path"]), c["reason"]) for c in node["staleCauses"]}
        assert (("keyword_dictionary",), "has a new data version") in causes, (asset, causes)


def test_a_misspelt_channel_is_refused_at_launch(dagster, materialised):
    params = {
        "selector": dagster.job_selector("daily_stages"),
        "runConfigData": restricted_to(["itele", "tf11"]),
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2024-03-15"}]},
    }
    result = dagster.graphql(LAUNCH_RUN, params=params)["launchRun"]
    assert result["__typename"] == "RunConfigValidationInvalid", result
    messages = " ".join(error["message"] for error in result["errors"])
    assert "tf11" in messages and "ChannelName" in messages


def test_observing_edited_dictionary_files_marks_keyword_dictionary_unsynced(dagster, materialised):
    stop_phrases = dagster.root / "stop_phrases_fr.txt"
    with stop_phrases.open("a", encoding="utf-8") as handle:
        handle.write("restez avec nous pour la suite du journal\n")
    # what "Observe sources" launches: the job with only the observable source selected
    selector = {
        **dagster.job_selector("reference_data"),
        "assetSelection": [{"path": ["dictionary_files"]}],
    }
    result = dagster.graphql(
        LAUNCH_RUN,
        params={"selector": selector, "runConfigData": {}, "executionMetadata": {"tags": []}},
    )["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    assert dagster.wait_run(result["run"]["runId"]) == "SUCCESS"
    nodes = dagster.graphql(ASSET_STALE, assetKeys=[{"path": ["keyword_dictionary"]}])
    assert nodes["assetNodes"][0]["staleStatus"] == "STALE"
