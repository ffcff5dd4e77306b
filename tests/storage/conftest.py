"""The reference output of the asset graph for two days, on a local lake, computed once."""

from __future__ import annotations

import dagster as dg
import pyarrow as pa
import pytest

from tests.storage.graph import DAYS, graph_settings, lake_of, run_graph, snapshot


@pytest.fixture(scope="session")
def expected_lake(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], pa.Table]:
    """Every table for DAYS as the graph writes it on local disk with the default settings."""
    folder = tmp_path_factory.mktemp("expected")
    settings = graph_settings(
        {
            "OBSERVATOIRE_LAKE_URL": str(folder / "lake"),
            "OBSERVATOIRE_WAREHOUSE_PATH": str(folder / "warehouse.duckdb"),
        }
    )
    with dg.instance_for_test(temp_dir=str(folder)) as instance:
        run_graph(settings, instance)
    tables = snapshot(lake_of(settings), DAYS)
    assert tables, "the graph wrote nothing"
    return tables
