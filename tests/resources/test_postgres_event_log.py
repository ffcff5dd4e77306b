"""Production's event log keeps one PostgreSQL connection per process, and survives losing it.

Against a real PostgreSQL server started by the tests (tests/services.py); the backend process id
of the connection tells whether one was kept or a new one opened.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import sqlalchemy
from dagster import EventLogEntry

from resources.postgres_event_log import KeptOpenPostgresEventLogStorage
from tests.services import PostgresDatabase


def psycopg2_url(database: PostgresDatabase) -> str:
    return database.url.replace("postgresql://", "postgresql+psycopg2://", 1)


@pytest.fixture
def storage(postgres_db: PostgresDatabase) -> Iterator[KeptOpenPostgresEventLogStorage]:
    storage = KeptOpenPostgresEventLogStorage(psycopg2_url(postgres_db))
    yield storage
    storage.dispose()


def log_line(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level="INFO", user_message=message, run_id=run_id, timestamp=time.time()
    )


def backend_pid(storage: KeptOpenPostgresEventLogStorage) -> int:
    with storage.index_connection() as conn:
        return int(conn.execute(sqlalchemy.text("SELECT pg_backend_pid()")).scalar_one())


def test_events_go_through_one_kept_connection(storage: KeptOpenPostgresEventLogStorage) -> None:
    first = backend_pid(storage)
    for number in range(20):
        storage.store_event(log_line("run-a", f"line {number}"))
    assert backend_pid(storage) == first
    assert [event.user_message for event in storage.get_logs_for_run("run-a")] == [
        f"line {number}" for number in range(20)
    ]


def test_another_instance_sees_each_event_at_once(
    storage: KeptOpenPostgresEventLogStorage, postgres_db: PostgresDatabase
) -> None:
    reader = KeptOpenPostgresEventLogStorage(psycopg2_url(postgres_db))
    try:
        assert reader.get_logs_for_run("run-b") == []
        storage.store_event(log_line("run-b", "stored"))
        assert [event.user_message for event in reader.get_logs_for_run("run-b")] == ["stored"]
    finally:
        reader.dispose()


def test_a_connection_the_server_closed_is_replaced(
    storage: KeptOpenPostgresEventLogStorage, postgres_db: PostgresDatabase
) -> None:
    lost = backend_pid(storage)
    admin = postgres_db.server.connect(postgres_db.name)
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (lost,))
    finally:
        admin.close()
    storage.store_event(log_line("run-c", "after the server closed the connection"))
    assert backend_pid(storage) != lost
    assert len(storage.get_logs_for_run("run-c")) == 1


def test_dispose_closes_the_kept_connection(
    storage: KeptOpenPostgresEventLogStorage, postgres_db: PostgresDatabase
) -> None:
    kept = backend_pid(storage)
    storage.dispose()
    admin = postgres_db.server.connect(postgres_db.name)
    try:
        with admin.cursor() as cursor:
            for _ in range(50):  # the server notices the client has gone within moments
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (kept,))
                if cursor.fetchone() == (0,):
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"backend {kept} still connected after dispose")
    finally:
        admin.close()
