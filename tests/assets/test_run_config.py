"""Run config is checked when a run is launched: a misspelt channel never starts a step."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, DagsterInvalidConfigError

from definitions import build_definitions
from observatoire.settings import Settings
from sensors.schedules import DAILY_JOB

OPS = ("ingest_captions", "match_themes", "time_monitored", "channel_indicators")


def test_an_unknown_channel_is_refused_before_any_step(tmp_path):
    defs = build_definitions(
        Settings(lake_url=str(tmp_path / "lake"), warehouse_path=str(tmp_path / "w.duckdb"))
    )
    run_config = {"ops": {op: {"config": {"channels": ["tf1", "tf11"]}} for op in OPS}}
    with DagsterInstance.ephemeral() as instance:
        with pytest.raises(DagsterInvalidConfigError) as error:
            defs.resolve_job_def(DAILY_JOB).execute_in_process(
                instance=instance, partition_key="2024-03-11", run_config=run_config
            )
        # refused while the run config was validated: no run was created, so no step ran
        assert not instance.get_runs()
    message = str(error.value)
    assert "config:channels[1]" in message and "got tf11" in message
    assert "not in enum type ChannelName" in message
