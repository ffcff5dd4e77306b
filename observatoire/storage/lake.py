"""The lake: Parquet files, one per table and broadcast day, on local disk or S3-compatible storage.

Serverless runs share nothing but the lake and the instance database, so every stage reads and
writes through this one class, with the same layout everywhere:

    <lake>/<table>/day=YYYY-MM-DD/part-0.parquet   daily tables (hive layout)
    <lake>/<table>/data.parquet                    reference tables

Every write replaces one object atomically: readers see the previous version or the new one, never
a half-written file. On local disk the file is written beside its destination under a hidden name
and renamed over it; on object storage the complete Parquet file is serialised in memory first and
uploaded as one object, which the store only makes visible once the upload has completed.
"""

from __future__ import annotations

import io
import os
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from observatoire.storage.location import S3Location, storage_location

DEFAULT_LAKE_URL = "./data/lake"

REFERENCE_TABLES = ("keyword_dictionary", "channels", "programme_grid")
DAILY_TABLES = (
    "raw_captions",
    "raw_captions_rejected",
    "theme_segments",
    "theme_keywords",
    "time_monitored",
    "channel_indicators",
)

DAY_FILE = "part-0.parquet"
LEASE_FOLDER = "_leases"
TEMPORARY_MAX_AGE_SECONDS = 24 * 3600
"""A write of one day takes seconds to minutes: a day-old hidden file is a killed write's."""
REFERENCE_FILE = "data.parquet"
PARQUET_COMPRESSION = "zstd"
DELTA_ENCODED_LEAVES = ("srt.list.element.cts_in_ms",)
"""Integer leaves written as differences (DELTA_BINARY_PACKED): a chunk's word times rise a few
hundred milliseconds at a time, so their differences pack into a few bits where the plain values
take eight bytes. On a demo day of raw captions the file is a fifth smaller, its writing a quarter
faster and matching's read a third faster (the times were most of what matching reads)."""

_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DAY_FOLDER = re.compile(r"^day=(\d{4}-\d{2}-\d{2})$")
# Substrings of AWS SDK errors that mean "could not talk to the server at all".
_UNREACHABLE_MARKERS = (
    "NETWORK_CONNECTION",
    "curlCode",
    "Couldn't connect",
    "Connection refused",
    "Could not resolve host",
    "Timeout was reached",
)


class LakeError(RuntimeError):
    """Any failure of the lake; the message names the table, day and storage involved."""


class LakeMissingError(LakeError, LookupError):
    """A table or a day that was never written (or not yet): run its upstream stage first."""


class LakeUnavailableError(LakeError):
    """The object storage could not be reached or refused the request."""


def _validate_table(table: str) -> str:
    if not _TABLE_NAME.match(table):
        raise ValueError(f"invalid lake table name {table!r}: use lowercase letters, digits and _")
    return table


def _day_text(day: date) -> str:
    if not isinstance(day, date):
        raise TypeError(f"a lake day must be a datetime.date, got {type(day).__name__}")
    return day.isoformat()


class Lake:
    """Parquet tables partitioned by broadcast day, under a local folder or an `s3://` URL.

    `filesystem` may be given to reuse an existing pyarrow filesystem; otherwise it is built from
    the URL (local path, or `s3://bucket/prefix` with endpoint, region and credentials).
    """

    def __init__(
        self,
        url: str = DEFAULT_LAKE_URL,
        *,
        s3_endpoint: str | None = None,
        s3_region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        filesystem: pafs.FileSystem | None = None,
    ) -> None:
        location = storage_location(
            url,
            s3_endpoint=s3_endpoint,
            s3_region=s3_region,
            access_key=access_key,
            secret_key=secret_key,
            filesystem=filesystem,
        )
        self.url = location.url
        self.s3: S3Location | None = location.s3
        self.root = location.root
        self.filesystem = location.filesystem
        self._location = location
        # Kept apart from S3Location so they never reach a message; conditional writes
        # (leases) go through boto3, which pyarrow's filesystem does not expose.
        self._s3_keys: tuple[str | None, str | None] = (
            (access_key, secret_key) if location.s3 else (None, None)
        )
        self._client: Any = None

    # ----------------------------------------------------------------- description

    @property
    def is_local(self) -> bool:
        return self.s3 is None

    def describe(self) -> str:
        """Where the lake is, for logs and error messages (never includes credentials)."""
        return self._location.describe()

    def __repr__(self) -> str:
        return f"Lake({self.describe()!r})"

    # ----------------------------------------------------------------------- paths

    def table_path(self, table: str) -> str:
        return f"{self.root}/{_validate_table(table)}"

    def day_path(self, table: str, day: date) -> str:
        return f"{self.table_path(table)}/day={_day_text(day)}/{DAY_FILE}"

    def reference_path(self, table: str) -> str:
        return f"{self.table_path(table)}/{REFERENCE_FILE}"

    def day_glob(self, table: str) -> str:
        """A glob matching every day file of a local table (for DuckDB's read_parquet).

        The lake's own path is escaped, so a folder such as `lake[1]` matches itself only.
        """
        return f"{escape_glob(self.table_path(table))}/day=*/{DAY_FILE}"

    def lease_path(self, day: date) -> str:
        """Where the lease of a broadcast day lives (not a table: ignored by every listing)."""
        return f"{self.root}/{LEASE_FOLDER}/day={_day_text(day)}.json"

    def staged_path(self, table: str, day: date, owner: str) -> str:
        """A day file staged by `owner`, hidden beside its destination until published."""
        safe = re.sub(r"[^A-Za-z0-9_-]", "_", owner)
        return f"{self.table_path(table)}/day={_day_text(day)}/.{DAY_FILE}.{safe}.staged"

    # ---------------------------------------------------------------------- errors

    @contextmanager
    def _storage_errors(self, action: str) -> Iterator[None]:
        """Turn low-level I/O errors into LakeErrors naming the storage (never the secrets)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except LakeError:
            raise
        except (OSError, pa.ArrowException, BotoCoreError, ClientError) as error:
            if self.s3 is None:
                raise LakeError(f"lake at {self.root}: could not {action}: {error}") from error
            text = str(error)
            endpoint = self.s3.endpoint or "the default AWS endpoint"
            if any(marker in text for marker in _UNREACHABLE_MARKERS):
                raise LakeUnavailableError(
                    f"object storage unreachable at {endpoint} (bucket {self.s3.bucket!r}) "
                    f"while trying to {action}: {text}"
                ) from error
            raise LakeUnavailableError(
                f"object storage at {endpoint} (bucket {self.s3.bucket!r}) failed to {action}: "
                f"{text}"
            ) from error

    def check(self) -> None:
        """Fail fast with a clear message when the lake's storage cannot be reached."""
        with self._storage_errors("reach the lake"):
            info = self.filesystem.get_file_info(self.s3.bucket if self.s3 else self.root)
        if self.s3 is not None and info.type == pafs.FileType.NotFound:
            endpoint = self.s3.endpoint or "the default AWS endpoint"
            raise LakeUnavailableError(
                f"bucket {self.s3.bucket!r} does not exist at {endpoint}: create it first"
            )

    # ------------------------------------------------------------------ low level

    def _exists(self, path: str, action: str) -> bool:
        with self._storage_errors(action):
            return bool(self.filesystem.get_file_info(path).type == pafs.FileType.File)

    def _write(self, path: str, table: pa.Table, action: str) -> None:
        if not isinstance(table, pa.Table):
            raise TypeError(f"the lake stores pyarrow Tables, got {type(table).__name__}")
        if self.s3 is None and isinstance(self.filesystem, pafs.LocalFileSystem):
            with self._storage_errors(action):
                _write_local_atomically(Path(path), table)
            return
        sink = io.BytesIO()
        pq.write_table(table, sink, **parquet_options(table.schema))
        payload = sink.getvalue()
        with self._storage_errors(action), self.filesystem.open_output_stream(path) as out:
            out.write(payload)

    def _read(
        self,
        path: str,
        missing: str,
        action: str,
        columns: Sequence[str] | None = None,
        as_dictionary: Sequence[str] = (),
    ) -> pa.Table:
        with self._storage_errors(action):
            try:
                with self.filesystem.open_input_file(path) as source:
                    if columns is None and not as_dictionary:
                        return pq.read_table(source)
                    return _read_columns(source, columns, missing, as_dictionary)
            except FileNotFoundError:
                pass
        raise LakeMissingError(f"{missing} is not in the lake ({self.describe()})")

    def stage_day(self, table: str, day: date, data: pa.Table, owner: str) -> str:
        """Write a day file under a hidden staged name, to be published later by `publish`."""
        path = self.staged_path(table, day, owner)
        self._write(path, data, f"stage {table} for {_day_text(day)}")
        return path

    def read_staged(
        self, staged: str, table: str, day: date, columns: Sequence[str] | None = None
    ) -> pa.Table:
        """A day file staged by `stage_day` and not yet published."""
        return self._read(
            staged,
            missing=f"staged {table} for day {_day_text(day)}",
            action=f"read staged {table} for {_day_text(day)}",
            columns=columns,
        )

    def publish(self, staged: str, table: str, day: date) -> str:
        """Put a staged day file in place of the published one (a rename, or a server-side copy
        on object storage, either of which replaces the object whole)."""
        final = self.day_path(table, day)
        with self._storage_errors(f"publish {table} for {_day_text(day)}"):
            if self.s3 is None:
                os.replace(staged, final)
                _sync_folder(Path(final).parent)
            else:
                # boto3 rather than the pyarrow filesystem, whose delete leaves a folder marker.
                client, bucket = self.s3_client(), self.s3.bucket
                source = staged.removeprefix(f"{bucket}/")
                client.copy_object(
                    Bucket=bucket,
                    Key=final.removeprefix(f"{bucket}/"),
                    CopySource={"Bucket": bucket, "Key": source},
                )
                client.delete_object(Bucket=bucket, Key=source)
        return final

    def s3_client(self) -> Any:
        """A boto3 client for the lake's object storage, for what pyarrow does not expose:
        conditional writes (day leases) and server-side copies."""
        if self.s3 is None:
            raise LakeError(f"lake at {self.root} is not on object storage")
        if self._client is None:
            import boto3
            from botocore.config import Config

            access_key, secret_key = self._s3_keys
            self._client = boto3.client(
                "s3",
                endpoint_url=self.s3.endpoint,
                region_name=self.s3.region or "us-east-1",
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3}),
            )
        return self._client

    def discard(self, path: str) -> None:
        """Remove a staged or temporary object if it is there."""
        with self._storage_errors(f"remove {path}"), suppress(FileNotFoundError):
            if self.s3 is None:
                self.filesystem.delete_file(path)
            else:
                bucket = self.s3.bucket
                self.s3_client().delete_object(Bucket=bucket, Key=path.removeprefix(f"{bucket}/"))

    def sweep_temporary(
        self, older_than_seconds: float = TEMPORARY_MAX_AGE_SECONDS, folder: str | None = None
    ) -> list[str]:
        """Remove hidden temporary and staged files older than any plausible write.

        A killed writer leaves `.part-0.parquet.<id>.tmp` (local) or `.….staged` objects behind;
        they are invisible to readers, but take space forever unless swept. Only files older than
        `older_than_seconds` go, so a write in progress elsewhere is never touched.
        """
        base = folder or self.root
        selector = pafs.FileSelector(base, allow_not_found=True, recursive=True)
        with self._storage_errors("list temporary files"):
            infos = self.filesystem.get_file_info(selector)
        cutoff = time.time() - older_than_seconds
        removed = []
        for info in infos:
            name = info.base_name
            if info.type != pafs.FileType.File or not name.startswith("."):
                continue
            if not (name.endswith(".tmp") or name.endswith(".staged")):
                continue
            modified = info.mtime.timestamp() if info.mtime is not None else None
            if modified is not None and modified < cutoff:
                self.discard(info.path)
                removed.append(info.path)
        return removed

    # ------------------------------------------------------------------ daily tables

    def write_day(self, table: str, day: date, data: pa.Table) -> str:
        """Replace one day of a table atomically; returns the object path written."""
        path = self.day_path(table, day)
        self._write(path, data, f"write {table} for {_day_text(day)}")
        return path

    def read_day(
        self,
        table: str,
        day: date,
        columns: Sequence[str] | None = None,
        as_dictionary: Sequence[str] = (),
    ) -> pa.Table:
        """The stored day; LakeMissingError names the table and day when it was never written.

        `columns` reads only those columns (all by default): the word lists of raw_captions are
        most of its size and most stages never look at them. A nested field is named by its
        Parquet path, such as `srt.list.element.text`: the list keeps only the fields named, and
        the others are never read from disk or fetched from object storage. `as_dictionary`
        names text columns (same paths) to keep dictionary-encoded as stored, indices into the
        distinct values, rather than decoded into one string per row: a day's million words are
        a thousand distinct ones, and a reader that groups by value need not encode them again.
        """
        return self._read(
            self.day_path(table, day),
            missing=f"{table} for day {_day_text(day)}",
            action=f"read {table} for {_day_text(day)}",
            columns=columns,
            as_dictionary=as_dictionary,
        )

    def day_metadata(self, table: str, day: date) -> dict[bytes, bytes]:
        """The schema metadata of a stored day (its Parquet footer only); {} when absent."""
        with self._storage_errors(f"read the metadata of {table} for {_day_text(day)}"):
            try:
                with self.filesystem.open_input_file(self.day_path(table, day)) as source:
                    return dict(pq.read_schema(source).metadata or {})
            except FileNotFoundError:
                return {}

    def has_day(self, table: str, day: date) -> bool:
        return self._exists(self.day_path(table, day), f"look up {table} for {_day_text(day)}")

    def read_days(
        self, table: str, days: Iterable[date], columns: Sequence[str] | None = None
    ) -> pa.Table:
        """Several days concatenated in the order given; every day must exist."""
        parts = [self.read_day(table, day, columns) for day in days]
        if not parts:
            return pa.table({})
        return pa.concat_tables(parts, promote_options="default")

    def days(self, table: str) -> list[date]:
        """The days of a table that hold a complete file, in order (none when never written)."""
        base = self.table_path(table)
        selector = pafs.FileSelector(base, allow_not_found=True, recursive=True)
        with self._storage_errors(f"list the days of {table}"):
            infos = self.filesystem.get_file_info(selector)
        found: set[date] = set()
        for info in infos:
            if info.type != pafs.FileType.File or info.base_name != DAY_FILE:
                continue
            folder = info.path.rsplit("/", 2)[-2]
            match = _DAY_FOLDER.match(folder)
            if match:
                found.add(date.fromisoformat(match.group(1)))
        return sorted(found)

    # -------------------------------------------------------------- reference tables

    def write_table(self, table: str, data: pa.Table) -> str:
        """Replace a reference table atomically; returns the object path written."""
        path = self.reference_path(table)
        self._write(path, data, f"write {table}")
        return path

    def read_table(self, table: str) -> pa.Table:
        return self._read(
            self.reference_path(table), missing=f"table {table}", action=f"read {table}"
        )

    def has_table(self, table: str) -> bool:
        return self._exists(self.reference_path(table), f"look up {table}")

    # ----------------------------------------------------------------- discovery

    def tables(self) -> list[str]:
        """Names of the tables present in the lake (folders holding at least one file)."""
        selector = pafs.FileSelector(self.root, allow_not_found=True, recursive=True)
        with self._storage_errors("list the lake's tables"):
            infos = self.filesystem.get_file_info(selector)
        names: set[str] = set()
        prefix = self.root.rstrip("/") + "/"
        for info in infos:
            if info.type != pafs.FileType.File or not info.path.startswith(prefix):
                continue
            relative = info.path[len(prefix) :].split("/")
            name = relative[0]
            leaf = relative[-1]
            is_day = len(relative) == 3 and leaf == DAY_FILE and _DAY_FOLDER.match(relative[1])
            is_reference = len(relative) == 2 and leaf == REFERENCE_FILE
            if _TABLE_NAME.match(name) and (is_day or is_reference):
                names.add(name)
        return sorted(names)

    def dataset(self, table: str) -> ds.Dataset:
        """A pyarrow dataset over a whole table (every day, or the reference file).

        For daily tables the `day` column comes from the files themselves when they carry it, else
        from the `day=` folder name.
        """
        if self.has_table(table):
            with self._storage_errors(f"open {table}"):
                return ds.dataset(
                    self.reference_path(table), format="parquet", filesystem=self.filesystem
                )
        days = self.days(table)
        if not days:
            raise LakeMissingError(f"table {table} has no data in the lake ({self.describe()})")
        paths = [self.day_path(table, day) for day in days]
        with self._storage_errors(f"open {table}"):
            first_schema = pq.read_schema(paths[0], filesystem=self.filesystem)
            if "day" in first_schema.names:
                return ds.dataset(paths, format="parquet", filesystem=self.filesystem)
            partitioning = ds.partitioning(pa.schema([("day", pa.date32())]), flavor="hive")
            return ds.dataset(
                paths,
                format="parquet",
                filesystem=self.filesystem,
                partitioning=partitioning,
                partition_base_dir=self.table_path(table),
            )


def _read_columns(
    source: Any, columns: Sequence[str] | None, what: str, as_dictionary: Sequence[str] = ()
) -> pa.Table:
    """The named columns of a Parquet file (all when None), in the order named; a name is a
    top-level column or the Parquet path of a nested field (`srt.list.element.text`), and an
    unknown name is an error rather than a column silently left out. The `as_dictionary` leaves
    come back as dictionary arrays."""
    try:
        parquet = pq.ParquetFile(
            source, pre_buffer=True, read_dictionary=list(as_dictionary) or None
        )
    except KeyError:  # an unknown dictionary column, reported with the others below
        parquet = pq.ParquetFile(source, pre_buffer=True)
    paths = [column.path for column in parquet.schema]
    unknown = [
        name
        for name in columns or []
        if not any(path == name or path.startswith(f"{name}.") for path in paths)
    ] + [name for name in as_dictionary if name not in paths]
    if unknown:
        raise LakeError(
            f"{what} has no column {', '.join(map(repr, unknown))}; it has "
            f"{', '.join(paths)} (nested fields are named by these Parquet paths)"
        )
    return parquet.read(columns=list(columns) if columns is not None else None)


_GLOB_SPECIAL = re.compile(r"([\[\]*?{}])")


def escape_glob(path: str) -> str:
    """`path` with glob characters bracketed (`[` → `[[]`): a glob reader matches it as is."""
    return _GLOB_SPECIAL.sub(r"[\1]", path)


def _leaf_columns(field: pa.Field, prefix: str = "") -> Iterator[tuple[str, pa.DataType]]:
    """Parquet column paths (`srt.list.element.text`) and types of a field's leaves."""
    if pa.types.is_struct(field.type):
        for child in field.type:
            yield from _leaf_columns(child, f"{prefix}{field.name}.")
    elif pa.types.is_list(field.type) or pa.types.is_large_list(field.type):
        element = field.type.value_field.with_name("element")
        yield from _leaf_columns(element, f"{prefix}{field.name}.list.")
    else:
        yield f"{prefix}{field.name}", field.type


def parquet_options(schema: pa.Schema) -> dict[str, object]:
    """How the lake writes Parquet: zstd; dictionary encoding for text columns only (channel
    names, words), since numbers such as word times are nearly all distinct and a dictionary
    only costs time; statistics for top-level plain columns only, the ones a reader can prune
    files on. A day of raw captions is written about a quarter faster and read faster. Word times
    are delta-encoded (`DELTA_ENCODED_LEAVES`).
    """
    leaves = [leaf for field in schema for leaf in _leaf_columns(field)]
    text = (pa.string(), pa.large_string(), pa.binary(), pa.large_binary())
    options: dict[str, object] = {
        "compression": PARQUET_COMPRESSION,
        "use_dictionary": [
            path for path, type_ in leaves if type_ in text or pa.types.is_dictionary(type_)
        ],
        "write_statistics": [f.name for f in schema if not pa.types.is_nested(f.type)],
    }
    delta = {
        path: "DELTA_BINARY_PACKED"
        for path, type_ in leaves
        if path in DELTA_ENCODED_LEAVES and pa.types.is_integer(type_)
    }
    if delta:
        options["column_encoding"] = delta
    return options


def _write_local_atomically(destination: Path, table: pa.Table) -> None:
    """Write beside the destination under a hidden name, flush to disk, then rename over it.

    The hidden name (leading dot) is ignored by the lake's listings, DuckDB globs and pyarrow
    datasets, so an interrupted write leaves only an invisible leftover and the previous file.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.parent / f".{destination.name}.{uuid.uuid4().hex}.tmp"
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle, **parquet_options(table.schema))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_folder(destination.parent)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable, so a power cut cannot bring the old file back."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def lake_tables(names: Sequence[str] | None = None) -> tuple[str, ...]:
    """The known table names (reference first), or the validated given ones."""
    if names is None:
        return REFERENCE_TABLES + DAILY_TABLES
    return tuple(_validate_table(name) for name in names)


__all__ = [
    "DAILY_TABLES",
    "DEFAULT_LAKE_URL",
    "REFERENCE_TABLES",
    "Lake",
    "LakeError",
    "LakeMissingError",
    "LakeUnavailableError",
    "S3Location",
    "escape_glob",
    "lake_tables",
]
