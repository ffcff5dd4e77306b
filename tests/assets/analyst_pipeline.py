"""A real code location on a temporary lake, with demo captions materialised for a few days."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from assets.partitions import RANGE_END_TAG, RANGE_START_TAG
from definitions import build_definitions
from observatoire.settings import Settings


@dataclass
class Pipeline:
    defs: dg.Definitions
    instance: dg.DagsterInstance
    settings: Settings

    def run(self, job: str, first: str | None = None, last: str | None = None, **kwargs):
        tags = {RANGE_START_TAG: first, RANGE_END_TAG: last or first} if first else {}
        return self.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance, tags=tags, raise_on_error=False, **kwargs
        )


def pipeline(root: Path, **settings: str) -> Pipeline:
    env = {
        "OBSERVATOIRE_LAKE_URL": str(root / "lake"),
        "OBSERVATOIRE_WAREHOUSE_PATH": str(root / "warehouse.duckdb"),
        "OBSERVATOIRE_PARTITIONS_START": "2024-01-01",
        **settings,
    }
    resolved = Settings.from_env(env)
    return Pipeline(build_definitions(resolved), dg.DagsterInstance.ephemeral(), resolved)
