"""The DuckDB warehouse as a Dagster resource: one view per lake table, refreshed on connect.

See `observatoire.storage.warehouse` for how views reach a lake on object storage (pyarrow datasets
registered in the connection, since DuckDB's httpfs extension is downloaded at run time). With
such a lake, as in production, each connection builds its views in memory and no file is written:
analysts query through `connect()` from their own machine with a read-only key of the lake bucket.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from pydantic import Field

from observatoire.reference.countries import DEFAULT_COUNTRY
from observatoire.settings import Settings
from observatoire.storage.warehouse import DEFAULT_WAREHOUSE_PATH, open_warehouse, refresh_views
from resources.lake import LakeResource


class WarehouseResource(ConfigurableResource):
    """A DuckDB file whose views read the lake's Parquet tables."""

    lake: LakeResource
    path: str = Field(
        default=DEFAULT_WAREHOUSE_PATH,
        description='DuckDB file holding the views (":memory:" for a throwaway database).',
    )

    @classmethod
    def from_settings(cls, settings: Settings, country: str | None = None) -> WarehouseResource:
        """The warehouse over the lake of `country` (default: the default country); another
        country's DuckDB file is the settings' file with `_<code>` before its suffix."""
        path = settings.warehouse_path
        if country is not None and country != DEFAULT_COUNTRY and path != ":memory:":
            file = Path(path)
            path = str(file.with_name(f"{file.stem}_{country}{file.suffix}"))
        return cls(lake=LakeResource.from_settings(settings, country), path=path)

    @contextmanager
    def connect(
        self, tables: Sequence[str] | None = None, *, read_only: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection with fresh views over the lake, closed on exit."""
        connection = open_warehouse(self.lake.lake(), self.path, tables=tables, read_only=read_only)
        try:
            yield connection
        finally:
            connection.close()

    def refresh(self, tables: Sequence[str] | None = None) -> list[str]:
        """Recreate the views (e.g. after a materialisation); returns the view names.

        Over a lake on object storage there is nothing to keep: views are made per connection.
        """
        if not self.lake.lake().is_local:
            return []
        with self.connect(tables=[]) as connection:
            return refresh_views(connection, self.lake.lake(), tables)
