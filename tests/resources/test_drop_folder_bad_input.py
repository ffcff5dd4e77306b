"""Bad input in a drop folder costs one reject with its file and line, never the rest of the file,
and nothing outside the folder is ever read."""

from __future__ import annotations

import gzip
import json
import os
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from observatoire.core.broadcast_day import PARIS
from observatoire.intake.drop_folder import DropFolder
from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import MAX_RECORD_BYTES
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channel_names_from_table, channels_reference_table
from resources.caption_files import FileCaptionSource
from tests.fakes.mediatree import shifted_items

DAY = date(2024, 2, 10)
GRID = ProgrammeGrid.default()
DAY_START = 1_707_519_600  # 2024-02-10T00:00:00+01:00
FRANCE2 = {"name": "france2", "title": "France 2", "radio": False}
NAMES = channel_names_from_table(channels_reference_table(default_channels()))


def lines(count: int) -> list[bytes]:
    items = shifted_items(range(DAY_START + 36_000, DAY_START + 36_000 + 120 * count, 120), FRANCE2)
    return [json.dumps(item, ensure_ascii=False).encode() for item in items]


def ingest(root: Path):
    fetch = FileCaptionSource(url=str(root)).fetch_day(DAY, NAMES.names(), GRID)
    return captions_of_day(
        fetch.items,
        fetch.source,
        DAY,
        pre_rejected=fetch.pre_rejected,
        names=NAMES,
        origins=fetch.origins,
        channels=NAMES.names(),
    )


def test_one_bad_byte_rejects_one_line_and_the_rest_of_the_file_lands(tmp_path: Path) -> None:
    good = lines(4)
    bad = good[1].replace(b"france2", b"france\xff2", 1)
    folder = tmp_path / "2024-02-10"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(b"\n".join([good[0], bad, good[2], good[3]]) + b"\n")

    parsed = ingest(tmp_path)

    assert parsed.table.num_rows == 3
    (row,) = parsed.rejected.to_pylist()
    assert (row["file"], row["line"]) == ("2024-02-10/a.jsonl", 2)
    assert row["reason"].startswith("2024-02-10/a.jsonl line 2: not UTF-8 (byte ")
    assert "france\ufffd2" in row["record"]


def test_deep_nesting_and_invalid_json_reject_their_line_only(tmp_path: Path) -> None:
    good = lines(3)
    nested = b"[" * 200_000 + b"]" * 200_000
    folder = tmp_path / "2024-02-10"
    folder.mkdir()
    content = b"\n".join([good[0], nested, b'{"channel": ', good[1], b"", good[2]])
    (folder / "a.jsonl.gz").write_bytes(gzip.compress(content))

    parsed = ingest(tmp_path)

    assert parsed.table.num_rows == 3
    rows = parsed.rejected.to_pylist()
    assert [(r["line"], r["reason"].split(": ", 1)[1][:30]) for r in rows] == [
        (2, "not valid JSON: nested too dee"),
        (3, "not valid JSON: Expecting valu"),
    ]


def test_a_record_beyond_the_size_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    good = lines(2)
    huge = json.dumps({**json.loads(good[0]), "plaintext": "x" * (MAX_RECORD_BYTES + 10)})
    folder = tmp_path / "2024-02-10"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(b"\n".join([huge.encode(), good[1]]))

    parsed = ingest(tmp_path)

    assert parsed.table.num_rows == 1
    (row,) = parsed.rejected.to_pylist()
    assert row["line"] == 1
    assert f"record of {len(huge)} bytes exceeds the limit of {MAX_RECORD_BYTES}" in row["reason"]
    stored = json.loads(row["record"])
    assert stored["bytes"] == len(huge) and len(stored["sha256"]) == 64
    assert huge.startswith(stored["head"])


def test_symbolic_links_are_refused_and_reported_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "passwords.jsonl"
    secret.parent.mkdir()
    secret.write_text('{"password": "hunter2"}\n')
    outside_folder = tmp_path / "outside" / "more"
    outside_folder.mkdir()
    (outside_folder / "x.jsonl").write_text('{"password": "hunter3"}\n')
    root = tmp_path / "drop"
    day = root / "2024-02-10"
    day.mkdir(parents=True)
    (day / "good.jsonl").write_bytes(lines(1)[0] + b"\n")
    os.symlink(secret, day / "link.jsonl")
    os.symlink(outside_folder, day / "linked-folder")

    read = DropFolder(str(root)).read_day(DAY)
    parsed = ingest(root)

    assert sorted(read.refused) == ["2024-02-10/link.jsonl", "2024-02-10/linked-folder/x.jsonl"]
    assert [Path(f.path).name for f in read.files] == ["good.jsonl"]
    assert parsed.table.num_rows == 1
    reasons = parsed.rejected["reason"].to_pylist()
    assert all("symbolic link: refused, never read" in reason for reason in reasons)
    assert len(reasons) == 2
    assert "hunter" not in json.dumps(parsed.rejected.to_pylist(), default=str)
    assert DropFolder(str(root)).files_by_day()[DAY] == read.files


def test_naive_parquet_timestamps_are_paris_wall_clock(tmp_path: Path) -> None:
    """A real export writes local times without a zone: 10:00 in Paris is 09:00 UTC in winter."""
    items = shifted_items([DAY_START + 36_000, DAY_START + 23 * 3600 + 1800], FRANCE2)
    wall_clock = [
        datetime.fromtimestamp(item["start"], tz=PARIS).replace(tzinfo=None) for item in items
    ]
    table = pa.table(
        {
            "channel_name": ["france2"] * 2,
            "channel_title": ["France 2"] * 2,
            "channel_radio": [False] * 2,
            "start": pa.array(wall_clock, pa.timestamp("s")),
            "plaintext": [item["plaintext"] for item in items],
        }
    )
    folder = tmp_path / "2024-02-10"
    folder.mkdir()
    pq.write_table(table, folder / "export.parquet")

    parsed = ingest(tmp_path)

    assert parsed.rejected.num_rows == 0
    assert [int(t.timestamp()) for t in parsed.table["start"].to_pylist()] == [
        item["start"] for item in items
    ]
    # Read as UTC (the documented setting allows it), the same file lands an hour late and the
    # 23:30 chunk falls on the next day, as a silent UTC default did.
    utc = FileCaptionSource(url=str(tmp_path), naive_timezone="UTC").fetch_day(DAY, [], GRID)
    assert [item["start"] for item in utc.items] == [items[0]["start"] + 3600]
    assert "falls on broadcast day 2024-02-11" in utc.pre_rejected[0].reason
