"""The caption drop folder: provider-shaped files put there by a person or a job, read per day.

Layout, under a local folder or an object-storage prefix (``s3://bucket/prefix``)::

    <root>/YYYY-MM-DD/<any name>.<ext>        or        <root>/day=YYYY-MM-DD/<any name>.<ext>

The folder's date is the broadcast day (in the country's time zone) of the chunks inside;
sub-folders below a day folder are read too (e.g. one per channel). Accepted files:

- ``.json``: a provider API response (``{"total_results", "number_pages", "data": [...]}``), a list
  of items, or a single item;
- ``.jsonl`` / ``.ndjson``: one item per line (blank lines ignored);
- ``.parquet``: one item per row, either in the provider's nested shape (``channel`` struct,
  ``start``, ``plaintext``, ``srt``) or flat (``channel_name``, ``channel_title``,
  ``channel_radio``, ``start``, ``plaintext``, optional ``srt``), ``start`` in epoch seconds or as a
  timestamp; a ``raw_captions`` lake file can therefore be dropped back in;
- any of the text formats compressed with gzip (``.json.gz``, ``.jsonl.gz``).

Records may also be in the flat export shape (``channel_name``, ``channel_title``,
``channel_radio``, ``start``, ``plaintext``) in any format. Names starting with ``.`` or ``_`` are
skipped (upload temporaries, ``_SUCCESS`` markers). Nothing else is skipped silently: a file of
another type, a file that cannot be read, a line that cannot be decoded or is not JSON, a record
larger than ``MAX_RECORD_BYTES``, or a chunk whose broadcast day is not the folder's day is
returned as pre-rejected with its file, line and reason, and the rest of the file is read.

Only regular files under the root are read: a symbolic link, or a path whose real location leaves
the root, is refused and reported (never opened), so nothing outside the folder can reach the lake.
A timestamp column without a time zone in a Parquet file is read as wall-clock time in
``naive_timezone`` (the country's time zone by default, setting
``OBSERVATOIRE_DROP_NAIVE_TIMEZONE``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from observatoire.core.broadcast_day import PARIS, PARIS_TIMEZONE
from observatoire.intake.intake import day_elsewhere
from observatoire.intake.record_lines import (
    OversizedLine,
    decode_line,
    oversized_reason,
    record_lines,
)
from observatoire.intake.records import (
    Origin,
    PreRejected,
    oversized_record_text,
    plausible_start,
    raw_record_text,
)
from observatoire.storage.location import storage_location

DAY_FOLDER = re.compile(r"^(?:day=)?(\d{4}-\d{2}-\d{2})$")
TEXT_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_JSON_FILE_BYTES = 256 * 1024 * 1024
"""A ``.json`` file is decoded whole; beyond this size it is refused (``.jsonl`` streams)."""
DEFAULT_NAIVE_TIMEZONE = PARIS_TIMEZONE
DROP_FOLDER_SOURCE = "files"
"""The source name stored with every row read from the drop folder."""


@dataclass(frozen=True)
class DropFile:
    """A file of the drop folder with what identifies its version (size and modification time)."""

    path: str
    day: date
    size: int
    mtime_ns: int | None

    @property
    def fingerprint(self) -> str:
        return f"{self.path}\x1f{self.size}\x1f{self.mtime_ns}"


@dataclass
class DropFolderRead:
    """Items read for one day with where each came from, plus what could not be read or was
    refused, each with its file, line, reason and text as received."""

    items: list[object] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    pre_rejected: list[PreRejected] = field(default_factory=list)
    files: list[DropFile] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Paths refused without being read (symbolic links, paths leaving the root)."""


def day_fingerprint(files: Iterable[DropFile]) -> str:
    """One short hash of every file version of a day: it changes when any file is added/changed."""
    digest = hashlib.sha256()
    for fingerprint in sorted(f.fingerprint for f in files):
        digest.update(fingerprint.encode())
        digest.update(b"\x1e")
    return digest.hexdigest()[:20]


def _file_format(name: str) -> tuple[str | None, bool]:
    """(format, gzip-compressed) of a file name; format None when the type is not supported."""
    lower = name.lower()
    compressed = lower.endswith(".gz")
    if compressed:
        lower = lower[: -len(".gz")]
    if lower.endswith(".parquet") and not compressed:
        return "parquet", False
    for suffix, kind in TEXT_FORMATS.items():
        if lower.endswith(suffix):
            return kind, compressed
    return None, compressed


def _hidden(relative: str) -> bool:
    return any(part.startswith((".", "_")) for part in relative.split("/"))


class DropFolder:
    """Lists and reads the day folders under a local path or an ``s3://bucket/prefix`` URL."""

    def __init__(
        self,
        url: str,
        *,
        s3_endpoint: str | None = None,
        s3_region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        filesystem: pafs.FileSystem | None = None,
        naive_timezone: str | None = None,
        zone: ZoneInfo = PARIS,
    ) -> None:
        """`zone` is the country's time zone, whose calendar dates name the day folders;
        `naive_timezone` (default: `zone`) reads Parquet timestamps without a time zone."""
        if not url:
            raise ValueError("the drop folder URL is empty")
        location = storage_location(
            url,
            s3_endpoint=s3_endpoint,
            s3_region=s3_region,
            access_key=access_key,
            secret_key=secret_key,
            filesystem=filesystem,
            what="drop folder",
        )
        self.url = url
        self.root = location.root
        self.filesystem = location.filesystem
        self.naive_timezone = naive_timezone or zone.key
        self.zone = zone
        self._local = isinstance(self.filesystem, pafs.LocalFileSystem)
        self._real_root = os.path.realpath(self.root) if self._local else self.root
        self._describe = location.describe()

    def describe(self) -> str:
        return self._describe

    # -- listing --------------------------------------------------------------------------------

    def refusal(self, path: str) -> str | None:
        """Why a listed path must not be read (a symbolic link somewhere below the root, or a
        real location outside the root), or None for a regular file under the root."""
        if not self._local:
            return None
        relative = path[len(self.root) :].lstrip("/")
        current = self.root
        for part in relative.split("/"):
            current = f"{current}/{part}"
            if os.path.islink(current):
                return "symbolic link: refused, never read (only regular files are read)"
        real = os.path.realpath(path)
        if not real.startswith(self._real_root.rstrip("/") + "/"):
            return "its real path leaves the drop folder: refused, never read"
        try:
            if not os.path.isfile(real) or os.path.islink(path):
                return "not a regular file: refused, never read"
        except OSError as error:
            return f"cannot be examined: {error}"
        return None

    def files(self, day: date | None = None) -> list[DropFile]:
        """Files of one day folder (both spellings), or of every day folder, sorted by path."""
        return [f for f in self._day_files(day) if self.refusal(f.path) is None]

    def refused_files(self, day: date | None = None) -> list[tuple[DropFile, str]]:
        """Files of day folders that are refused, with the reason."""
        refused = []
        for drop_file in self._day_files(day):
            reason = self.refusal(drop_file.path)
            if reason is not None:
                refused.append((drop_file, reason))
        return refused

    def _day_files(self, day: date | None) -> list[DropFile]:
        if day is None:
            return self._list(self.root)
        found: list[DropFile] = []
        for folder in (day.isoformat(), f"day={day.isoformat()}"):
            found.extend(f for f in self._list(f"{self.root}/{folder}") if f.day == day)
        return sorted(found, key=lambda f: f.path)

    def files_by_day(self) -> dict[date, list[DropFile]]:
        by_day: dict[date, list[DropFile]] = {}
        for drop_file in self.files():
            by_day.setdefault(drop_file.day, []).append(drop_file)
        return by_day

    def _list(self, base: str) -> list[DropFile]:
        selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        found = []
        for info in self.filesystem.get_file_info(selector):
            if info.type != pafs.FileType.File:
                continue
            relative = info.path[len(self.root) :].lstrip("/")
            if _hidden(relative):
                continue
            match = DAY_FOLDER.match(relative.split("/", 1)[0]) if "/" in relative else None
            if match is None:
                continue
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError:
                continue
            found.append(DropFile(info.path, day, int(info.size or 0), info.mtime_ns))
        return sorted(found, key=lambda f: f.path)

    def stray_files(self) -> list[str]:
        """Files directly under the root or in folders that are not day folders (never read)."""
        selector = pafs.FileSelector(self.root, recursive=True, allow_not_found=True)
        strays = []
        for info in self.filesystem.get_file_info(selector):
            relative = info.path[len(self.root) :].lstrip("/")
            if info.type != pafs.FileType.File or _hidden(relative):
                continue
            if "/" not in relative or not DAY_FOLDER.match(relative.split("/", 1)[0]):
                strays.append(info.path)
        return sorted(strays)

    # -- reading --------------------------------------------------------------------------------

    def read_day(self, day: date) -> DropFolderRead:
        """Every item filed under ``day``; unreadable input, refused files and misfiled chunks
        pre-rejected with their file and line."""
        result = DropFolderRead()
        for drop_file in self._day_files(day):
            name = self._relative(drop_file.path)
            reason = self.refusal(drop_file.path)
            if reason is not None:
                result.refused.append(name)
                result.pre_rejected.append(PreRejected(Origin(file=name), f"{name}: {reason}", ""))
                continue
            result.files.append(drop_file)
            self._read_file(drop_file, day, result)
        return result

    def _read_file(self, drop_file: DropFile, day: date, result: DropFolderRead) -> None:
        name = self._relative(drop_file.path)
        kind, compressed = _file_format(drop_file.path)
        if kind is None:
            result.pre_rejected.append(
                PreRejected(
                    Origin(file=name),
                    f"{name}: unsupported file type (expected .json, .jsonl, .parquet)",
                    "",
                )
            )
            return
        try:
            if kind == "parquet":
                records: Iterable[tuple[Origin, Any, str | None]] = self._parquet_records(
                    drop_file.path, name
                )
            elif kind == "json":
                records = self._json_records(drop_file, name, compressed)
            else:
                records = self._jsonl_records(drop_file.path, name, compressed)
            for origin, record, problem in records:
                if problem is not None:
                    result.pre_rejected.append(PreRejected(origin, problem, record))
                    continue
                misfiled = _misfiled(record, day, self.zone)
                if misfiled is not None:
                    result.pre_rejected.append(
                        PreRejected(origin, f"{_at(origin)}: {misfiled}", raw_record_text(record))
                    )
                    continue
                result.items.append(record)
                result.origins.append(origin)
        except (OSError, ValueError, pa.ArrowException, EOFError) as error:
            result.pre_rejected.append(
                PreRejected(Origin(file=name), f"{name}: unreadable file: {error}", "")
            )

    def _relative(self, path: str) -> str:
        return path[len(self.root) :].lstrip("/")

    def _open(self, path: str, compressed: bool) -> Any:
        return self.filesystem.open_input_stream(path, compression="gzip" if compressed else None)

    def _jsonl_records(
        self, path: str, name: str, compressed: bool
    ) -> Iterator[tuple[Origin, Any, str | None]]:
        """One record per line, streamed: a bad line is one reject, the others are read."""
        with self._open(path, compressed) as stream:
            for number, line in record_lines(stream):
                origin = Origin(file=name, line=number)
                if isinstance(line, OversizedLine):
                    text = oversized_record_text(line.head, line.size, line.digest)
                    yield origin, text, oversized_reason(f"{name} line {number}", line)
                    continue
                yield decode_line(line, origin, name)

    def _json_records(
        self, drop_file: DropFile, name: str, compressed: bool
    ) -> Iterator[tuple[Origin, Any, str | None]]:
        if drop_file.size > MAX_JSON_FILE_BYTES:
            yield (
                Origin(file=name),
                "",
                f"{name}: .json file of {drop_file.size} bytes exceeds {MAX_JSON_FILE_BYTES} "
                "bytes: deliver it as .jsonl (one record per line)",
            )
            return
        with self._open(drop_file.path, compressed) as stream:
            data = stream.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            yield (
                Origin(file=name),
                data.decode("utf-8", errors="replace"),
                f"{name}: not UTF-8 ({error})",
            )
            return
        try:
            payload = json.loads(text)
        except (ValueError, RecursionError) as error:
            yield Origin(file=name), text, f"{name}: not valid JSON: {_short(error)}"
            return
        if isinstance(payload, dict) and isinstance(payload.get("data"), list):
            records = payload["data"]
        elif isinstance(payload, list):
            records = payload
        elif isinstance(payload, dict) and "start" in payload:
            records = [payload]
        else:
            yield (
                Origin(file=name),
                text,
                f"{name}: JSON is neither an API response with 'data', a list nor an item",
            )
            return
        for index, record in enumerate(records):
            yield Origin(file=name, index=index), record, None

    def _parquet_records(self, path: str, name: str) -> Iterator[tuple[Origin, Any, str | None]]:
        with self.filesystem.open_input_file(path) as source:
            parquet = pq.ParquetFile(source)
            index = 0
            for batch in parquet.iter_batches(batch_size=1024):
                table = pa.Table.from_batches([batch])
                for item in items_from_table(table, self.naive_timezone):
                    yield Origin(file=name, index=index), item, None
                    index += 1


def _short(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "nested too deeply"
    return str(error)


def _at(origin: Origin) -> str:
    if origin.line is not None:
        return f"{origin.file} line {origin.line}"
    return f"{origin.file} record {origin.index}"


def _misfiled(record: object, day: date, zone: ZoneInfo = PARIS) -> str | None:
    """Why a record does not belong to the folder's day, or None (implausible or unreadable
    starts pass on, for parsing to reject with the right reason)."""
    actual = day_elsewhere(record, day, zone)
    if actual is None or not isinstance(record, dict):
        return None
    return (
        f"chunk start {plausible_start(record.get('start'))} falls on broadcast day "
        f"{actual.isoformat()} ({zone.key}), not on the folder's day {day.isoformat()}: "
        f"file it under {actual.isoformat()}/"
    )


def items_from_table(
    table: pa.Table, naive_timezone: str = DEFAULT_NAIVE_TIMEZONE
) -> list[dict[str, Any]]:
    """Provider-shaped items from a nested (``channel`` struct) or flat caption table; a
    ``start`` timestamp without a time zone is wall-clock time in ``naive_timezone``."""
    names = set(table.column_names)
    if "start" in names:
        table = table.set_column(
            table.column_names.index("start"),
            "start",
            _epoch_seconds(table["start"], naive_timezone),
        )
    rows = table.to_pylist()
    if "channel" in names:
        keep = ("channel", "start", "plaintext", "srt")
        return [{k: row[k] for k in keep if k in row} for row in rows]
    items = []
    for row in rows:
        item: dict[str, Any] = {
            "channel": {
                "name": row.get("channel_name"),
                "title": row.get("channel_title"),
                "radio": row.get("channel_radio"),
            },
            "start": row.get("start"),
            "plaintext": row.get("plaintext"),
        }
        if row.get("srt") is not None:
            item["srt"] = row["srt"]
        items.append(item)
    return items


def _epoch_seconds(column: pa.ChunkedArray, naive_timezone: str) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type):
        if column.type.tz is None:
            # Wall-clock times: the instant depends on the zone (a Paris export is UTC+1/+2).
            column = pc.assume_timezone(
                column, naive_timezone, ambiguous="earliest", nonexistent="earliest"
            )
        seconds = pc.cast(column, pa.timestamp("s", tz="UTC"), safe=False)
        return pc.cast(seconds, pa.int64())
    return column


__all__ = [
    "DropFile",
    "DropFolder",
    "DropFolderRead",
    "day_fingerprint",
    "items_from_table",
]
