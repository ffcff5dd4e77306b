"""The public release: daily indicators per channel for a period, documented and checksummed.

A release is a folder holding the same table as CSV (for spreadsheets) and Parquet (for code), a
`datapackage.json` data dictionary in the Frictionless Data Package format (what every column
means, its unit, the methodology and dictionary versions that produced the figures) and a
`SHA256SUMS` file that `sha256sum -c SHA256SUMS` verifies. Numerators and denominators are
published next to every share so that anyone can re-aggregate with ratios of sums.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from observatoire.core.themes import CAUSAL_LINKS, CRISES, THEMES

DATA_DICTIONARY_VERSION = "1.0"
LICENSE = {"name": "ODbL-1.0", "path": "https://opendatacommons.org/licenses/odbl/1-0/"}


class OpenDataError(ValueError):
    """A release that cannot be published honestly (empty period, undocumented column)."""


@dataclass(frozen=True, slots=True)
class ColumnDoc:
    description: str
    unit: str = ""


_FIXED: dict[str, ColumnDoc] = {
    "channel_name": ColumnDoc("Channel identifier (provider name, e.g. france2)."),
    "channel_title": ColumnDoc("Channel display name."),
    "channel_radio": ColumnDoc("True for a radio channel, false for television."),
    "day": ColumnDoc(
        "Broadcast day: the calendar date of the chunk start in the country's time zone."
    ),
    "grid_minutes": ColumnDoc(
        "Minutes of the channel's news programmes in the programme grid that day (scope).",
        "minutes",
    ),
    "covered_minutes": ColumnDoc(
        "Grid minutes for which captions were received: the denominator of every share.",
        "minutes",
    ),
    "coverage": ColumnDoc(
        "covered_minutes / grid_minutes; below 1 when the caption provider had gaps.", "ratio 0-1"
    ),
    "chunks_received": ColumnDoc("Two-minute caption chunks received that day.", "chunks"),
    "chunks_in_scope": ColumnDoc("Chunks overlapping a grid slot of the channel.", "chunks"),
    "env_minutes": ColumnDoc(
        "Environmental airtime: counted 20-second windows (any crisis) × window_seconds / 60.",
        "minutes",
    ),
    "share": ColumnDoc("env_minutes / covered_minutes: share of airtime on ecology.", "ratio 0-1"),
    "env_minutes_no_hrfp": ColumnDoc(
        "Environmental airtime ignoring high-risk keywords promoted by a neighbouring direct "
        "keyword (a lower bound).",
        "minutes",
    ),
    "share_no_hrfp": ColumnDoc("env_minutes_no_hrfp / covered_minutes.", "ratio 0-1"),
    "dictionary_version": ColumnDoc(
        "Content hash of the keyword dictionary and stop phrases that produced the row."
    ),
    "methodology_version": ColumnDoc("Version of the measurement methodology (METHODOLOGY.md)."),
    "window_seconds": ColumnDoc("Length W of a counting window.", "seconds"),
}


def _dimension_doc(name: str) -> str | None:
    # A theme named like a crisis (`ressources`) is written `theme_ressources` in column names.
    if name.startswith("theme_") and name[len("theme_") :] in THEMES:
        name = name[len("theme_") :]
        crisis, link = THEMES[name]
        return f"the theme {name} (crisis {crisis}, causal link {link})"
    if name in CRISES:
        return f"the {name} crisis"
    if name in CAUSAL_LINKS:
        return f"the causal link '{name}' (all crises)"
    if name in THEMES:
        crisis, link = THEMES[name]
        return f"the theme {name} (crisis {crisis}, causal link {link})"
    return None


def describe_column(name: str) -> ColumnDoc:
    """Meaning and unit of a published column; an unknown column raises rather than ship blind."""
    if name in _FIXED:
        return _FIXED[name]
    match = re.fullmatch(r"(env_minutes|share)_(.+?)(_no_hrfp)?", name)
    if match:
        what = _dimension_doc(match.group(2))
        if what is not None:
            hrfp = ", ignoring promoted high-risk keywords" if match.group(3) else ""
            if match.group(1) == "env_minutes":
                return ColumnDoc(
                    f"Airtime on {what}: windows counted for it × window_seconds / 60{hrfp}.",
                    "minutes",
                )
            return ColumnDoc(f"Share of covered airtime on {what}{hrfp}.", "ratio 0-1")
    raise OpenDataError(f"column {name!r} has no entry in the data dictionary")


def _frictionless_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "datetime"
    return "string"


def select_period(indicators: pa.Table, start: date, end: date) -> pa.Table:
    """Rows with start <= day <= end, ordered by day then channel (stable, diffable releases)."""
    day = indicators["day"]
    mask = pc.and_(
        pc.greater_equal(day, pa.scalar(start, pa.date32())),
        pc.less_equal(day, pa.scalar(end, pa.date32())),
    )
    return indicators.filter(mask).sort_by([("day", "ascending"), ("channel_name", "ascending")])


def with_channel_details(indicators: pa.Table, channels: pa.Table) -> pa.Table:
    """Add channel_title and channel_radio next to channel_name from the `channels` table."""
    by_name = {row["name"]: row for row in channels.to_pylist()}
    names = indicators["channel_name"].to_pylist()
    title = pa.array([by_name.get(n, {}).get("title") for n in names], pa.string())
    radio = pa.array([by_name.get(n, {}).get("radio") for n in names], pa.bool_())
    position = indicators.column_names.index("channel_name") + 1
    out = indicators.add_column(position, "channel_title", title)
    return out.add_column(position + 1, "channel_radio", radio)


@dataclass(frozen=True)
class OpenDataRelease:
    """The files of one release, by name, and the data dictionary that describes them."""

    name: str
    files: Mapping[str, bytes]
    datapackage: Mapping[str, object]

    def sha256(self, filename: str) -> str:
        return hashlib.sha256(self.files[filename]).hexdigest()


def _csv_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=True))
    return sink.getvalue()


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _distinct(table: pa.Table, column: str) -> list[str]:
    if column not in table.column_names:
        return []
    return sorted({str(v) for v in table[column].to_pylist() if v is not None})


def with_gap_rows(indicators: pa.Table, missing_days: Sequence[date]) -> pa.Table:
    """One row per channel and missing day, every figure null: a gap a reader cannot miss,
    instead of a day that silently is not there."""
    if not missing_days or indicators.num_rows == 0:
        return indicators
    channels = sorted(set(indicators["channel_name"].to_pylist()))
    rows = {
        "channel_name": [c for _ in missing_days for c in channels],
        "day": [d for d in missing_days for _ in channels],
    }
    gaps = pa.table(
        {
            name: pa.array(rows[name], indicators.schema.field(name).type)
            if name in rows
            else pa.nulls(len(rows["day"]), indicators.schema.field(name).type)
            for name in indicators.column_names
        }
    )
    return pa.concat_tables([indicators, gaps.cast(indicators.schema)])


def build_release(
    indicators: pa.Table,
    start: date,
    end: date,
    *,
    channels: pa.Table | None = None,
    missing_days: Sequence[date] = (),
    mixed_versions: str | None = None,
    title: str = "Observatoire: daily share of ecology in French TV and radio news",
) -> OpenDataRelease:
    """Assemble CSV, Parquet, `datapackage.json` and `SHA256SUMS` for [start, end].

    `missing_days` become rows of nulls and are listed in the data dictionary; `mixed_versions`
    (the note of an explicitly allowed version mix) is written into it.
    """
    if end < start:
        raise OpenDataError(f"empty period: {start} > {end}")
    table = select_period(indicators, start, end)
    if table.num_rows == 0:
        raise OpenDataError(f"no indicator rows between {start} and {end}")
    table = select_period(with_gap_rows(table, missing_days), start, end)
    if channels is not None and "channel_title" not in table.column_names:
        table = with_channel_details(table, channels)
    # Parse the dates as dates in CSV readers: cast day once, here, rather than per consumer.
    table = table.set_column(
        table.column_names.index("day"), "day", pc.cast(table["day"], pa.date32())
    )
    stem = f"indicators_{start.isoformat()}_{end.isoformat()}"
    csv_name, parquet_name = f"{stem}.csv", f"{stem}.parquet"
    files = {csv_name: _csv_bytes(table), parquet_name: _parquet_bytes(table)}

    fields = []
    for field in table.schema:
        doc = describe_column(field.name)
        entry = {
            "name": field.name,
            "type": _frictionless_type(field.type),
            "description": doc.description,
        }
        if doc.unit:
            entry["unit"] = doc.unit
        fields.append(entry)
    schema = {"fields": fields, "primaryKey": ["channel_name", "day"]}
    resources = [
        {
            "name": f"{stem}-{fmt}",
            "path": filename,
            "format": fmt,
            "mediatype": media,
            "bytes": len(files[filename]),
            "hash": "sha256:" + hashlib.sha256(files[filename]).hexdigest(),
            "schema": schema,
        }
        for fmt, filename, media in (
            ("csv", csv_name, "text/csv"),
            ("parquet", parquet_name, "application/vnd.apache.parquet"),
        )
    ]
    datapackage = {
        "name": f"observatoire-{stem.replace('_', '-')}",
        "title": title,
        "description": (
            "One row per channel and broadcast day. share = env_minutes / covered_minutes; "
            "aggregate over days or channels as sum(env_minutes) / sum(covered_minutes), "
            "never as a mean of shares. Days listed in missing_days have rows whose figures "
            "are all empty: no data was published for them."
        ),
        "licenses": [LICENSE],
        "temporal": {"start": start.isoformat(), "end": end.isoformat()},
        "rows": table.num_rows,
        "channels": _distinct(table, "channel_name"),
        "data_dictionary_version": DATA_DICTIONARY_VERSION,
        "methodology_versions": _distinct(table, "methodology_version"),
        "dictionary_versions": _distinct(table, "dictionary_version"),
        "window_seconds": sorted(
            {int(v) for v in table["window_seconds"].to_pylist() if v is not None}
        )
        if "window_seconds" in table.column_names
        else [],
        "missing_days": [d.isoformat() for d in sorted(missing_days)],
        **({"mixed_versions": mixed_versions} if mixed_versions else {}),
        "resources": resources,
    }
    files["datapackage.json"] = (
        json.dumps(datapackage, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    ).encode()
    sums = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {filename}\n"
        for filename, data in sorted(files.items())
    )
    files["SHA256SUMS"] = sums.encode()
    return OpenDataRelease(name=stem, files=files, datapackage=datapackage)


def write_release(release: OpenDataRelease, filesystem: pafs.FileSystem, folder: str) -> list[str]:
    """Write every file under `folder/<release name>/`, checksums last; returns the paths written.

    Each file goes to a temporary name first and is moved into place, and SHA256SUMS is written
    last, so a reader that finds SHA256SUMS finds complete files.
    """
    target = f"{folder.rstrip('/')}/{release.name}"
    filesystem.create_dir(target, recursive=True)
    order = [n for n in release.files if n != "SHA256SUMS"] + ["SHA256SUMS"]
    written = []
    for filename in order:
        final = f"{target}/{filename}"
        temporary = f"{target}/.{filename}.tmp"
        with filesystem.open_output_stream(temporary) as out:
            out.write(release.files[filename])
        filesystem.move(temporary, final)
        written.append(final)
    return written
