"""Real servers started by the tests: PostgreSQL (initdb + pg_ctl) and an S3-compatible server.

Both listen on loopback only, on ports chosen by the operating system. PostgreSQL is started once
per test session (each test gets a fresh database); the S3 server likewise (each test gets a fresh
bucket). `S3Server` can also be started on its own and stopped/restarted on the same port, to test
what happens when object storage goes away.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest

PG_SUPERUSER = "postgres"
PG_PASSWORD = "observatoire-test"
S3_ACCESS_KEY = "SCWTESTACCESSKEY0000"
S3_SECRET_KEY = "test-secret-key-for-loopback-only"
S3_REGION = "fr-par"


# ------------------------------------------------------------------------------ PostgreSQL


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def url(self, dbname: str = "postgres") -> str:
        return (
            f"postgresql://{quote(self.user)}:{quote(self.password)}@{self.host}:{self.port}/"
            f"{dbname}"
        )

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password, dbname=dbname
        )
        connection.autocommit = True
        return connection

    def create_database(self, name: str) -> None:
        self._administer(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        """Drop the database even while sessions are still connected to it."""
        self._administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _administer(self, statement: str) -> None:
        admin = self.connect()
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()


@dataclass(frozen=True)
class PostgresDatabase:
    server: PostgresServer
    name: str

    @property
    def url(self) -> str:
        return self.server.url(self.name)

    @property
    def postgres_db(self) -> dict[str, object]:
        """The `postgres_db` block of dagster-postgres storage config for this database."""
        return {
            "hostname": self.server.host,
            "port": self.server.port,
            "username": self.server.user,
            "password": self.server.password,
            "db_name": self.name,
            "scheme": "postgresql+psycopg2",
        }

    @property
    def environ(self) -> dict[str, str]:
        """The variables deploy/scaleway/dagster.yaml reads, pointing at this database."""
        return {
            "DAGSTER_PG_HOST": self.server.host,
            "DAGSTER_PG_PORT": str(self.server.port),
            "DAGSTER_PG_DB": self.name,
            "DAGSTER_PG_USER": self.server.user,
            "DAGSTER_PG_PASSWORD": self.server.password,
            "PGSSLMODE": "disable",
        }


def _missing_service(message: str) -> None:
    """Fail in CI (the CI script installs the binaries), skip on a developer machine."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def find_postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else the newest /usr/lib/postgresql/*."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(candidates[-1]).parent if candidates else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: list[str], as_user: str | None, **kwargs) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", as_user, "--"] if as_user else []
    return subprocess.run(prefix + command, capture_output=True, text=True, check=False, **kwargs)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session, in a temporary folder, on a free loopback port.

    When the tests run as root the server runs as the `postgres` OS user (PostgreSQL refuses
    root). TCP connections need the password; fsync is off since the data is thrown away.
    """
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        _missing_service(
            "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin; install them (Debian/Ubuntu: apt-get install postgresql)"
        )
    as_user: str | None = None
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _missing_service("running as root but there is no `postgres` OS user to run PostgreSQL")
        as_user = "postgres"

    base = Path(tempfile.mkdtemp(prefix="observatoire-pg-"))
    data_dir = base / "data"
    password_file = base / "password"
    password_file.write_text(PG_PASSWORD + "\n")
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
        os.chown(password_file, owner.pw_uid, owner.pw_gid)

    init = _run(
        [
            str(bin_dir / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            PG_SUPERUSER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ],
        as_user,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")

    port = 0
    started = None
    for _ in range(3):  # another process may take the probed port before the server binds it
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        started = _run(
            [
                str(bin_dir / "pg_ctl"),
                "start",
                "-D",
                str(data_dir),
                "-o",
                options,
                "-l",
                str(base / "server.log"),
                "-w",
                "-t",
                "60",
            ],
            as_user,
        )
        if started.returncode == 0:
            break
    if started is None or started.returncode != 0:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"pg_ctl start failed:\n{started and started.stderr}\n{log}")

    server = PostgresServer(
        host="127.0.0.1", port=port, user=PG_SUPERUSER, password=PG_PASSWORD, data_dir=data_dir
    )
    try:
        yield server
    finally:
        _run([str(bin_dir / "pg_ctl"), "stop", "-D", str(data_dir), "-m", "immediate"], as_user)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_server: PostgresServer) -> Iterator[PostgresDatabase]:
    """A fresh, empty database on the session's server, dropped after the test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    postgres_server.create_database(name)
    try:
        yield PostgresDatabase(server=postgres_server, name=name)
    finally:
        postgres_server.drop_database(name)


# ------------------------------------------------------------------------------ S3 (moto)


@dataclass
class S3Server:
    """moto's S3-compatible server in a thread of this process, on a loopback port.

    `stop()` closes the listening socket, so clients get "connection refused"; `start()` again
    serves on the same port. Buckets and objects live in this process's memory and survive a
    stop/start, like a real object store coming back after an outage.
    """

    port: int = 0
    host: str = "127.0.0.1"
    access_key: str = S3_ACCESS_KEY
    secret_key: str = S3_SECRET_KEY
    region: str = S3_REGION
    _server: object | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> S3Server:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self.port = server.get_host_and_port()[1]
        self._server = server
        return self

    def stop(self) -> None:
        server = self._server
        if server is None:
            return
        self._server = None
        server.stop()
        wsgi = getattr(server, "_server", None)
        if wsgi is not None:
            wsgi.server_close()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def create_bucket(self, name: str | None = None) -> S3Bucket:
        name = name or f"lake-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": self.region}
        )
        return S3Bucket(server=self, name=name)

    def delete_bucket(self, name: str) -> None:
        client = self.client()
        paginator = client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=name):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys})
        client.delete_bucket(Bucket=name)


@dataclass(frozen=True)
class S3Bucket:
    server: S3Server
    name: str

    def url(self, prefix: str = "lake") -> str:
        return f"s3://{self.name}/{prefix}" if prefix else f"s3://{self.name}"

    def environ(self, prefix: str = "lake") -> dict[str, str]:
        """The variables observatoire/settings.py reads to put the lake in this bucket."""
        return {
            "OBSERVATOIRE_LAKE_URL": self.url(prefix),
            "OBSERVATOIRE_S3_ENDPOINT": self.server.endpoint,
            "OBSERVATOIRE_S3_REGION": self.server.region,
            "OBSERVATOIRE_S3_ACCESS_KEY": self.server.access_key,
            "OBSERVATOIRE_S3_SECRET_KEY": self.server.secret_key,
        }

    def object_keys(self, prefix: str = "") -> list[str]:
        client = self.server.client()
        paginator = client.get_paginator("list_objects_v2")
        return sorted(
            item["Key"]
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix)
            for item in page.get("Contents", [])
        )


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """An S3-compatible server (moto) on a free loopback port for the whole session."""
    server = S3Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> Iterator[S3Bucket]:
    """A fresh bucket on the session's S3 server, emptied and deleted after the test."""
    bucket = s3_server.create_bucket()
    try:
        yield bucket
    finally:
        if s3_server.running:
            s3_server.delete_bucket(bucket.name)
