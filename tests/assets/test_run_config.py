"""The daily stages share one run config: restricting a run to some channels is one entry,
checked when the run is launched, so a misspelt channel never starts a step."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, DagsterInvalidConfigError

from assets.keys import DAILY_ASSETS
from assets.run_config import DAILY_RUN, restricted_to
from definitions import build_definitions
from observatoire.settings import Settings
from sensors.schedules import DAILY_JOB


@pytest.fixture
def defs(tmp_path):
    return build_definitions(
        Settings(lake_url=str(tmp_path / "lake"), warehouse_path=str(tmp_path / "w.duckdb"))
    )


def test_the_channel_restriction_is_one_entry_of_the_run_config():
    assert restricted_to(["tf1", "france2"]) == {
        "resources": {"daily_run": {"config": {"channels": ["tf1", "france2"]}}}
    }


def test_every_daily_stage_and_only_they_read_the_shared_run_config(defs):
    graph = defs.resolve_asset_graph()
    reading = {
        key
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
        and DAILY_RUN in graph.get(key).assets_def.required_resource_keys
    }
    assert reading == set(DAILY_ASSETS)


def test_an_unknown_channel_is_refused_before_any_step(defs):
    with DagsterInstance.ephemeral() as instance:
        with pytest.raises(DagsterInvalidConfigError) as error:
            defs.resolve_job_def(DAILY_JOB).execute_in_process(
                instance=instance,
                partition_key="2024-03-11",
                run_config=restricted_to(["tf1", "tf11"]),
            )
        # refused while the run config was validated: no run was created, so no step ran
        assert not instance.get_runs()
    message = str(error.value)
    assert "resources:daily_run:config:channels[1]" in message and "got tf11" in message
    assert "not in enum type ChannelName" in message
