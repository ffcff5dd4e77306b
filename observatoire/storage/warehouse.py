"""The DuckDB warehouse: one SQL view per lake table, for analysts' queries and aggregation.

The warehouse holds no data of its own; every view reads the lake's Parquet files, so it is always
as fresh as the lake and can be deleted and rebuilt at any time.

- Local lake: persistent views over `read_parquet(<table>/day=*/part-0.parquet,
  hive_partitioning=true)`, stored in the DuckDB file, so the plain `duckdb` command line sees them.
- Lake on object storage: DuckDB reaches S3 through its `httpfs` extension, which is downloaded on
  first use and so is unavailable offline and in locked-down jobs. The views are instead pyarrow
  datasets over the same S3 filesystem the lake uses, registered in the connection; they exist for
  the connection's lifetime only, so open the warehouse through `open_warehouse`, which then keeps
  the database in memory: there is nothing to store, and a file on a job's disk would be lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from observatoire.storage.lake import Lake, escape_glob, lake_tables

DEFAULT_WAREHOUSE_PATH = "./data/warehouse.duckdb"


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _persistent_views(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
    ).fetchall()
    return {row[0] for row in rows}


def refresh_views(
    connection: duckdb.DuckDBPyConnection,
    lake: Lake,
    tables: Sequence[str] | None = None,
) -> list[str]:
    """(Re)create one view per lake table that holds data; returns the view names, sorted.

    With `tables=None` every table found in the lake gets a view, and persistent views of known
    lake tables that no longer have data are dropped so no view points at nothing.
    """
    present = set(lake.tables())
    wanted = sorted(present if tables is None else set(lake_tables(tables)) & present)
    known = set(lake_tables()) | present
    existing = _persistent_views(connection)
    if lake.is_local:
        for table in wanted:
            connection.execute(
                f"CREATE OR REPLACE VIEW {_quote_identifier(table)} AS {_local_select(lake, table)}"
            )
        if tables is None:
            for stale in sorted((existing & known) - present):
                connection.execute(f"DROP VIEW IF EXISTS {_quote_identifier(stale)}")
    else:
        # Registered datasets are temporary views, which shadow any stored view of the same name.
        for table in wanted:
            connection.register(table, lake.dataset(table))
    return wanted


def _local_select(lake: Lake, table: str) -> str:
    if lake.has_table(table):
        path = escape_glob(lake.reference_path(table))
        return f"SELECT * FROM read_parquet({_quote_literal(path)})"
    return (
        f"SELECT * FROM read_parquet({_quote_literal(lake.day_glob(table))}, "
        "hive_partitioning = true, hive_types = {'day': DATE}, union_by_name = true)"
    )


def open_warehouse(
    lake: Lake,
    path: str | Path = DEFAULT_WAREHOUSE_PATH,
    *,
    tables: Sequence[str] | None = None,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with a view per lake table (`path=":memory:"` for a throwaway one).

    The views are refreshed on opening, so days written since the last call are visible. A
    read-only connection on a local lake uses the views already stored in the file. Over a lake
    on object storage the connection is in memory whatever `path` says (its views are temporary).
    """
    target = str(path) if lake.is_local else ":memory:"
    if target != ":memory:":
        Path(target).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(target, read_only=read_only and target != ":memory:")
    try:
        if not (read_only and lake.is_local and target != ":memory:"):
            refresh_views(connection, lake, tables)
    except BaseException:
        connection.close()
        raise
    return connection


__all__ = ["DEFAULT_WAREHOUSE_PATH", "open_warehouse", "refresh_views"]
