"""Production's event log: dagster-postgres' event log, with one connection kept open per process.

dagster-postgres opens a new database connection for every event it stores (its engine has no
pool, so that idle instances hold no connection) and closes it after. A new PostgreSQL connection
is a TCP handshake, TLS, authentication and a server process forked for it: 17 ms an event to a
loopback server without TLS, more to a managed database over the network, for about 700 events in
a month-long run. Kept open it takes 2 ms.

This class is dagster-postgres' own, the same tables and statements, with an engine that keeps
one connection in its pool (more only while threads store events at the same time). The connection
is checked before each use and replaced if the server closed it, and renewed after an hour. The
webserver still replaces the engine with its own (`optimize_for_webserver`).

Configured in `deploy/scaleway/dagster.yaml` with the same `postgres_db` block as the run and
schedule storages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster_postgres import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)

from resources.private_apis import ConfigurableClassData

KEPT_CONNECTIONS = 1
RECYCLE_SECONDS = 3600


class KeptOpenPostgresEventLogStorage(PostgresEventLogStorage):
    """`PostgresEventLogStorage` whose process keeps its connection between events."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
    ) -> None:
        super().__init__(
            postgres_url,
            should_autocreate_tables=should_autocreate_tables,
            inst_data=inst_data,
            token_provider=token_provider,
        )
        # Assumption (tests/resources/test_private_apis.py): every connection of the event log
        # comes from `self._engine`.
        self._engine.dispose()
        self._engine = create_pg_engine(
            postgres_url,
            token_provider,
            isolation_level="AUTOCOMMIT",
            pool_size=KEPT_CONNECTIONS,
            pool_pre_ping=True,
            pool_recycle=RECYCLE_SECONDS,
        )

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptOpenPostgresEventLogStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()
