"""The embedded default's event log: Dagster's SQLite event log, with its connections kept open.

Dagster's SQLite event log opens a new engine and connection for every event it stores, and closes
them after. Closing the last connection to a SQLite database in WAL mode checkpoints the log into
the database file and deletes it, so every event paid a checkpoint and several file syncs: a
month-long daily run stores about 700 events (8 check evaluations, 6 planned and 6 stored
materialisations per day), and storing them took a quarter of the run.

This class keeps one engine per shard file (the `index` shard, and the few run shards used last),
each holding its connection open between events. Everything else is Dagster's own: the files, their
tables and migrations, the per-run shards under `<base_dir>/history/runs/`, the lock that keeps a
process's threads one at a time on the log, WAL mode and the busy timeout across processes. An
instance written by Dagster's `storage: sqlite` reads back unchanged, and the reverse.

Configured in `deploy/local/dagster.yaml`; `base_dir` is the same as `storage: sqlite: base_dir`
(DAGSTER_HOME), so the event logs stay where Dagster's SQLite storage puts them.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool

from resources.private_apis import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    ConfigurableClassData,
    SqliteEventLogStorage,
)

RUN_SHARDS_KEPT = 4
"""Run shards whose engine stays open besides the index: a run writes its own shard; the UI reads
many, and an engine kept for each would hold a file open per run ever looked at."""


def event_logs_directory(base_dir: str) -> str:
    """Where Dagster's `storage: sqlite` keeps the event logs of an instance under `base_dir`."""
    return os.path.join(base_dir, "history", "runs", "")


class KeptOpenSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` whose shards keep an open connection between events."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        # Separate from Dagster's `_db_lock`, which is held while a connection is in use and
        # is not re-entrant: `has_table` runs inside such a block.
        self._engines_lock = threading.Lock()
        super().__init__(event_logs_directory(base_dir), inst_data=inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptOpenSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, created on first use and kept (run shards: the most recent)."""
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = create_engine(
                self.conn_string_for_shard(shard),
                poolclass=QueuePool,
                pool_size=1,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            self._engines[shard] = engine
            self._close_oldest_run_shards()
            return engine

    def _close_oldest_run_shards(self) -> None:
        run_shards = [shard for shard in self._engines if shard != INDEX_SHARD_NAME]
        for shard in run_shards[: max(len(run_shards) - RUN_SHARDS_KEPT, 0)]:
            self._engines.pop(shard).dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def close_connections(self) -> None:
        """Close every kept connection (they reopen on next use)."""
        with self._engines_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        # Run shard files are deleted: a connection kept open would go on writing to the
        # deleted file.
        self.close_connections()
        super().wipe()

    def upgrade(self) -> None:
        self.close_connections()
        super().upgrade()

    def dispose(self) -> None:
        super().dispose()
        self.close_connections()
