"""Caption source reading a drop folder: provider-shaped files put there by a person or a job.

Layout, under a local folder or an object-storage prefix (``s3://bucket/prefix``)::

    <root>/YYYY-MM-DD/<any name>.<ext>        or        <root>/day=YYYY-MM-DD/<any name>.<ext>

The folder's date is the broadcast day (Europe/Paris) of the chunks inside; sub-folders below a day
folder are read too (e.g. one per channel). Accepted files:

- ``.json``: a provider API response (``{"total_results", "number_pages", "data": [...]}``), a list
  of items, or a single item;
- ``.jsonl`` / ``.ndjson``: one item per line (blank lines ignored);
- ``.parquet``: one item per row, either in the provider's nested shape (``channel`` struct,
  ``start``, ``plaintext``, ``srt``) or flat (``channel_name``, ``channel_title``,
  ``channel_radio``, ``start``, ``plaintext``, optional ``srt``), ``start`` in epoch seconds or as a
  timestamp; a ``raw_captions`` lake file can therefore be dropped back in;
- any of the text formats compressed with gzip (``.json.gz``, ``.jsonl.gz``).

Names starting with ``.`` or ``_`` are skipped (upload temporaries, ``_SUCCESS`` markers). Nothing
else is skipped silently: a file of another type, a file that cannot be read, a line that is not
JSON, or a chunk whose broadcast day is not the folder's day is returned as pre-rejected with its
reason, so it reaches the rejected-captions table.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from dagster import MetadataValue, get_dagster_logger
from pydantic import PrivateAttr

from observatoire.lake import Lake
from observatoire.records import broadcast_day
from resources.captions import CaptionFetch, CaptionSource
from resources.settings import Settings

DAY_FOLDER = re.compile(r"^(?:day=)?(\d{4}-\d{2}-\d{2})$")
TEXT_FORMATS = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
RAW_TEXT_LIMIT = 10_000
"""Characters of an unreadable record or file kept with its reject reason."""


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
    """Items read for one day, plus what could not be read, each with position, reason, raw text."""

    items: list[object] = field(default_factory=list)
    pre_rejected: list[tuple[int, str, str]] = field(default_factory=list)
    files: list[DropFile] = field(default_factory=list)


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
    ) -> None:
        if not url:
            raise ValueError("the drop folder URL is empty")
        location = Lake(
            url,
            s3_endpoint=s3_endpoint,
            s3_region=s3_region,
            access_key=access_key,
            secret_key=secret_key,
            filesystem=filesystem,
        )
        self.url = url
        self.root = location.root
        self.filesystem = location.filesystem
        self._describe = location.describe()

    def describe(self) -> str:
        return self._describe

    # -- listing --------------------------------------------------------------------------------

    def files(self, day: date | None = None) -> list[DropFile]:
        """Files of one day folder (both spellings), or of every day folder, sorted by path."""
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
        """Every item filed under ``day``; unreadable input and misfiled chunks pre-rejected."""
        result = DropFolderRead(files=self.files(day))
        for drop_file in result.files:
            self._read_file(drop_file, day, result)
        return result

    def _read_file(self, drop_file: DropFile, day: date, result: DropFolderRead) -> None:
        name = self._relative(drop_file.path)
        kind, compressed = _file_format(drop_file.path)
        if kind is None:
            result.pre_rejected.append(
                (0, f"{name}: unsupported file type (expected .json, .jsonl, .parquet)", "")
            )
            return
        try:
            if kind == "parquet":
                records = self._parquet_records(drop_file.path)
            else:
                text = self._text(drop_file.path, compressed)
                records = (
                    _json_records(text, name) if kind == "json" else _jsonl_records(text, name)
                )
        except (OSError, ValueError, pa.ArrowException, EOFError) as error:
            result.pre_rejected.append((0, f"{name}: unreadable file: {error}", ""))
            return
        for position, record, problem in records:
            if problem is not None:
                result.pre_rejected.append((position, problem, record[:RAW_TEXT_LIMIT]))
                continue
            misfiled = _misfiled(record, day)
            if misfiled is not None:
                raw = json.dumps(record, ensure_ascii=False, default=str)[:RAW_TEXT_LIMIT]
                result.pre_rejected.append((position, f"{name} record {position}: {misfiled}", raw))
                continue
            result.items.append(record)

    def _relative(self, path: str) -> str:
        return path[len(self.root) :].lstrip("/")

    def _text(self, path: str, compressed: bool) -> str:
        with self.filesystem.open_input_stream(path, compression=None) as stream:
            data = stream.read()
        if compressed:
            data = gzip.decompress(data)
        return data.decode("utf-8")

    def _parquet_records(self, path: str) -> list[tuple[int, Any, str | None]]:
        with self.filesystem.open_input_file(path) as source:
            table = pq.read_table(source)
        return [(position, item, None) for position, item in enumerate(items_from_table(table))]


def _misfiled(record: object, day: date) -> str | None:
    """Why a record does not belong to the folder's day, or None (unreadable starts pass on)."""
    if not isinstance(record, dict):
        return None
    start = record.get("start")
    if isinstance(start, bool) or not isinstance(start, int | float):
        return None
    try:
        actual = broadcast_day(int(start))
    except (OverflowError, OSError, ValueError):
        return None
    if actual == day:
        return None
    return (
        f"chunk start {int(start)} falls on broadcast day {actual.isoformat()} (Europe/Paris), "
        f"not on the folder's day {day.isoformat()}: file it under {actual.isoformat()}/"
    )


def _json_records(text: str, name: str) -> Iterator[tuple[int, Any, str | None]]:
    try:
        payload = json.loads(text)
    except ValueError as error:
        yield 0, text, f"{name}: not valid JSON: {error}"
        return
    if isinstance(payload, dict) and isinstance(payload.get("data"), list):
        records = payload["data"]
    elif isinstance(payload, list):
        records = payload
    elif isinstance(payload, dict) and "channel" in payload and "start" in payload:
        records = [payload]
    else:
        yield 0, text, f"{name}: JSON is neither an API response with 'data', a list nor an item"
        return
    for position, record in enumerate(records):
        yield position, record, None


def _jsonl_records(text: str, name: str) -> Iterator[tuple[int, Any, str | None]]:
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            yield index, json.loads(line), None
        except ValueError as error:
            yield index, line, f"{name} line {index + 1}: not valid JSON: {error}"


def items_from_table(table: pa.Table) -> list[dict[str, Any]]:
    """Provider-shaped items from a nested (``channel`` struct) or flat caption table."""
    names = set(table.column_names)
    if "start" in names:
        table = table.set_column(
            table.column_names.index("start"), "start", _epoch_seconds(table["start"])
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


def _epoch_seconds(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_timestamp(column.type):
        seconds = pc.cast(column, pa.timestamp("s", tz=column.type.tz or "UTC"), safe=False)
        return pc.cast(seconds, pa.int64())
    return column


class FileCaptionSource(CaptionSource):
    """Captions of a day read from a drop folder (local path or ``s3://bucket/prefix``).

    See the module docstring for the layout. Object-storage credentials are not part of this
    resource's configuration: they come from the same settings as the lake's.
    """

    url: str
    s3_endpoint: str | None = None
    s3_region: str | None = None

    _folder: DropFolder | None = PrivateAttr(default=None)

    @classmethod
    def from_settings(cls, settings: Settings) -> FileCaptionSource:
        """The drop folder of ``OBSERVATOIRE_DROP_FOLDER``, with the lake's object storage
        endpoint and region (its keys are read from the settings when the folder is opened)."""
        if not settings.drop_folder_url:
            raise ValueError("OBSERVATOIRE_DROP_FOLDER is not set")
        return cls(
            url=settings.drop_folder_url,
            s3_endpoint=settings.s3_endpoint,
            s3_region=settings.s3_region,
        )

    @property
    def source_name(self) -> str:
        return "files"

    def folder(self) -> DropFolder:
        if self._folder is None:
            access_key = secret_key = None
            if self.url.startswith("s3://"):
                settings = Settings.from_env()
                access_key, secret_key = settings.s3_access_key, settings.s3_secret_key
            self._folder = DropFolder(
                self.url,
                s3_endpoint=self.s3_endpoint,
                s3_region=self.s3_region,
                access_key=access_key,
                secret_key=secret_key,
            )
        return self._folder

    def describe(self) -> dict[str, MetadataValue]:
        return {
            "caption_source": MetadataValue.text(self.source_name),
            "drop_folder": MetadataValue.text(self.url),
        }

    def fetch_day(self, day: date, channels: Sequence[str]) -> CaptionFetch:
        folder = self.folder()
        read = folder.read_day(day)
        wanted = set(channels)
        items = [item for item in read.items if _requested(item, wanted)]
        skipped = len(read.items) - len(items)
        get_dagster_logger().info(
            f"drop folder {folder.describe()} day {day}: {len(read.files)} file(s), "
            f"{len(read.items)} item(s), {len(read.pre_rejected)} unreadable, "
            f"{skipped} of channels not requested"
        )
        return CaptionFetch(
            items=items, source=self.source_name, missing=[], pre_rejected=read.pre_rejected
        )


def _requested(item: object, wanted: set[str]) -> bool:
    """Whether an item is for a requested channel; one whose channel is unreadable is kept, so
    that parsing rejects it with a reason instead of it vanishing here."""
    if not wanted:
        return True
    channel = item.get("channel") if isinstance(item, dict) else None
    name = channel.get("name") if isinstance(channel, dict) else None
    return not isinstance(name, str) or name in wanted


__all__ = [
    "DropFile",
    "DropFolder",
    "DropFolderRead",
    "FileCaptionSource",
    "day_fingerprint",
    "items_from_table",
]
