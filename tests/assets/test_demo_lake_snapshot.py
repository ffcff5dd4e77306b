"""The demo lake is pinned byte for byte: one demo day materialised end to end on a fresh lake
gives the very files hashed in tests/snapshots/demo_lake.json. A refactoring that changes no
behaviour keeps it green; after an intended change to the demo, the schemas or any figure,
rewrite it with `.venv/bin/python -m tests.assets.test_demo_lake_snapshot` and review the diff."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

from dagster import DagsterInstance

from definitions import build_definitions
from observatoire.settings import Settings
from sensors.schedules import DAILY_JOB, REFERENCE_JOB

SNAPSHOT = Path(__file__).resolve().parents[1] / "snapshots" / "demo_lake.json"
DAY = "2024-03-05"


def demo_lake_hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every data file of a lake holding the reference tables and one demo day."""
    settings = Settings(
        lake_url=str(root / "lake"),
        warehouse_path=str(root / "warehouse.duckdb"),
        partitions_start="2024-01-01",
    )
    defs = build_definitions(settings)
    with DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def(REFERENCE_JOB).execute_in_process(instance=instance).success
        daily = defs.resolve_job_def(DAILY_JOB)
        assert daily.execute_in_process(instance=instance, partition_key=DAY).success
    lake = root / "lake"
    return {
        path.relative_to(lake).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(lake.rglob("*.parquet"))
    }


def test_a_demo_day_writes_the_pinned_lake_files(tmp_path):
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert demo_lake_hashes(tmp_path) == expected, (
        "the demo lake changed; if intended, run "
        "`.venv/bin/python -m tests.assets.test_demo_lake_snapshot` and review the snapshot diff"
    )


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        hashes = demo_lake_hashes(Path(folder))
    SNAPSHOT.write_text(json.dumps(hashes, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {SNAPSHOT} ({len(hashes)} files)\n")
