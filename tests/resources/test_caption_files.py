"""The drop-folder caption source: layouts, formats, quarantine of bad input, object storage."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observatoire.intake.drop_folder import DropFolder, items_from_table
from observatoire.intake.records import broadcast_day, parse_items
from observatoire.reference.grid import ProgrammeGrid
from observatoire.settings import Settings, SettingsError
from resources.caption_files import FileCaptionSource
from tests.fakes.mediatree import LIGHT_FIXTURE, fixture_items, shifted_items

DAY = date(2024, 2, 10)
GRID = ProgrammeGrid.default()
DAY_START = 1_707_519_600  # 2024-02-10T00:00:00+01:00
FRANCE2 = {"name": "france2", "title": "France 2", "radio": False}
RTL = {"name": "rtl", "title": "RTL", "radio": True}


def day_items(count: int, channel: dict, offset: int = 8 * 3600) -> list[dict]:
    return shifted_items(range(DAY_START + offset, DAY_START + offset + count * 120, 120), channel)


def write_jsonl(path: Path, records: list[object], extra_lines: tuple[str, ...] = ()) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(record, ensure_ascii=False) for record in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_both_day_folder_spellings_and_sub_folders_are_read(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "2024-02-10" / "france2.jsonl", day_items(3, FRANCE2))
    write_jsonl(tmp_path / "day=2024-02-10" / "radio" / "rtl.jsonl", day_items(2, RTL))
    write_jsonl(tmp_path / "2024-02-10" / ".upload.jsonl.part", day_items(1, RTL, 3600))
    write_jsonl(tmp_path / "2024-02-10" / "_tmp" / "x.jsonl", day_items(1, RTL, 3600))
    write_jsonl(tmp_path / "2024-02-11" / "other.jsonl", [])
    (tmp_path / "README.txt").write_text("not a day")

    folder = DropFolder(str(tmp_path))
    read = folder.read_day(DAY)

    assert len(read.items) == 5
    assert read.pre_rejected == []
    assert [Path(f.path).name for f in read.files] == ["france2.jsonl", "rtl.jsonl"]
    assert set(folder.files_by_day()) == {DAY, date(2024, 2, 11)}
    assert folder.stray_files() == [str(tmp_path.resolve() / "README.txt")]
    assert DropFolder(str(tmp_path)).read_day(date(2024, 2, 12)).items == []


def test_json_envelope_list_single_item_gzip_and_parquet(tmp_path: Path) -> None:
    items = day_items(6, FRANCE2)
    folder_path = tmp_path / "2024-02-10"
    folder_path.mkdir()
    envelope = {"total_results": 2, "number_pages": 1, "data": items[0:2], "elapsed_time_ms": 4}
    (folder_path / "a-envelope.json").write_text(json.dumps(envelope))
    (folder_path / "b-list.json").write_text(json.dumps(items[2:3]))
    (folder_path / "c-single.json").write_text(json.dumps(items[3]))
    (folder_path / "d.jsonl.gz").write_bytes(gzip.compress(json.dumps(items[4]).encode()))
    nested = pa.Table.from_pylist([items[5]])
    pq.write_table(nested, folder_path / "e-nested.parquet")

    read = DropFolder(str(tmp_path)).read_day(DAY)

    assert read.pre_rejected == []
    assert sorted(item["start"] for item in read.items) == [item["start"] for item in items]
    parsed = parse_items(read.items, source="files")
    assert parsed.table.num_rows == 6
    assert parsed.table.column("plaintext").to_pylist() == [i["plaintext"] for i in items]


def test_a_raw_captions_table_dropped_back_in_reads_identically(tmp_path: Path) -> None:
    items = [*day_items(4, RTL), {**day_items(1, FRANCE2)[0], "srt": None}]
    parsed = parse_items(items, source="mediatree")
    path = tmp_path / "2024-02-10" / "raw_captions.parquet"
    path.parent.mkdir()
    pq.write_table(parsed.table, path)  # flat shape, start as a timestamp

    read = DropFolder(str(tmp_path)).read_day(DAY)
    again = parse_items(read.items, source="mediatree")

    assert read.pre_rejected == []
    assert again.table.equals(parsed.table)


def test_items_from_a_flat_table_with_epoch_seconds() -> None:
    table = pa.table(
        {
            "channel_name": ["rtl"],
            "channel_title": ["RTL"],
            "channel_radio": [True],
            "start": pa.array([DAY_START], pa.int64()),
            "plaintext": ["bonjour"],
        }
    )
    assert items_from_table(table) == [{"channel": RTL, "start": DAY_START, "plaintext": "bonjour"}]


def test_bad_lines_files_and_misfiled_chunks_are_pre_rejected_with_reasons(tmp_path: Path) -> None:
    good = day_items(3, FRANCE2)
    next_day = shifted_items([DAY_START + 86_400 + 600], FRANCE2)[0]
    folder_path = tmp_path / "2024-02-10"
    write_jsonl(folder_path / "a.jsonl", [good[0], next_day], ('{"channel": {"name": "fr', ""))
    (folder_path / "b.json").write_text('{"data": [')
    (folder_path / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    (folder_path / "d.csv").write_text("channel,start\n")
    (folder_path / "e.json").write_text('{"hello": "world"}')
    write_jsonl(folder_path / "f.jsonl", good[1:])

    read = DropFolder(str(tmp_path)).read_day(DAY)

    assert len(read.items) == 3
    reasons = [rejected.reason for rejected in read.pre_rejected]
    assert len(reasons) == 6
    assert reasons[0].startswith("2024-02-10/a.jsonl line 2: chunk start")
    assert "falls on broadcast day 2024-02-11" in reasons[0]
    assert reasons[1].startswith("2024-02-10/a.jsonl line 3: not valid JSON")
    assert reasons[2].startswith("2024-02-10/b.json: not valid JSON")
    assert reasons[3].startswith("2024-02-10/c.parquet: unreadable file")
    assert reasons[4].startswith("2024-02-10/d.csv: unsupported file type")
    assert "neither an API response" in reasons[5]
    origins = [rejected.origin for rejected in read.pre_rejected]
    assert [(o.file, o.line) for o in origins[:2]] == [
        ("2024-02-10/a.jsonl", 2),
        ("2024-02-10/a.jsonl", 3),
    ]
    raw_texts = [rejected.record for rejected in read.pre_rejected]
    assert raw_texts[1] == '{"channel": {"name": "fr'
    assert json.loads(raw_texts[0]) == next_day  # whole, re-ingestible
    assert raw_texts[2] == '{"data": ['


def test_the_real_provider_response_file_is_read_as_is(tmp_path: Path) -> None:
    """The fixture holds chunks of two days: each lands in its own day folder's run."""
    for day in (date(2024, 2, 10), date(2024, 2, 11)):
        target = tmp_path / day.isoformat() / "light.json"
        target.parent.mkdir()
        target.write_bytes(LIGHT_FIXTURE.read_bytes())
    folder = DropFolder(str(tmp_path))
    first, second = folder.read_day(date(2024, 2, 10)), folder.read_day(date(2024, 2, 11))
    assert len(first.items) == 1 and len(first.pre_rejected) == 2
    assert len(second.items) == 2 and len(second.pre_rejected) == 1
    starts = sorted(i["start"] for i in first.items + second.items)
    assert starts == sorted(i["start"] for i in fixture_items())


def test_source_leaves_channel_selection_to_parsing(tmp_path: Path) -> None:
    """Records of every channel reach parsing, which files or quarantines them: none vanishes."""
    broken = {**day_items(1, RTL, 3600)[0]}
    del broken["channel"]
    write_jsonl(tmp_path / "2024-02-10" / "all.jsonl", day_items(2, FRANCE2) + day_items(2, RTL))
    write_jsonl(tmp_path / "2024-02-10" / "broken.jsonl", [broken], ("not json",))

    fetch = FileCaptionSource(url=str(tmp_path)).fetch_day(DAY, ["rtl"], GRID)

    assert fetch.source == "files"
    assert fetch.missing == []
    names = [i.get("channel", {}).get("name") for i in fetch.items]
    assert names == ["france2", "france2", "rtl", "rtl", None]
    assert [(o.file, o.line) for o in fetch.origins] == [
        ("2024-02-10/all.jsonl", 1),
        ("2024-02-10/all.jsonl", 2),
        ("2024-02-10/all.jsonl", 3),
        ("2024-02-10/all.jsonl", 4),
        ("2024-02-10/broken.jsonl", 1),
    ]
    assert [r.origin.line for r in fetch.pre_rejected] == [2]


def test_drop_folder_on_object_storage(s3_bucket, monkeypatch: pytest.MonkeyPatch) -> None:
    client = s3_bucket.server.client()
    items = day_items(3, FRANCE2)
    body = "\n".join(json.dumps(i) for i in items) + "\nnot json\n"
    client.put_object(Bucket=s3_bucket.name, Key="drops/2024-02-10/france2.jsonl", Body=body)
    client.put_object(
        Bucket=s3_bucket.name,
        Key="drops/day=2024-02-10/rtl.json",
        Body=json.dumps(day_items(1, RTL)),
    )
    for name, value in s3_bucket.environ().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OBSERVATOIRE_CAPTION_SOURCE", "files")
    monkeypatch.setenv("OBSERVATOIRE_DROP_FOLDER", s3_bucket.url("drops"))
    source = FileCaptionSource.from_settings(Settings.from_env())
    # The keys are configuration bound to their variables, shown by name in the Dagster UI.
    assert isinstance(source.secret_key, dg.EnvVar)
    assert (source.access_key, source.secret_key) == (
        "OBSERVATOIRE_S3_ACCESS_KEY",
        "OBSERVATOIRE_S3_SECRET_KEY",
    )

    fetch = source.fetch_day(DAY, ["france2", "rtl"], GRID)

    assert sorted(i["channel"]["name"] for i in fetch.items) == ["france2"] * 3 + ["rtl"]
    assert [rejected.reason for rejected in fetch.pre_rejected] == [
        "2024-02-10/france2.jsonl line 4: not valid JSON: Expecting value: line 1 column 1 (char 0)"
    ]
    files = source.folder().files_by_day()[DAY]
    assert all(f.size > 0 and f.mtime_ns for f in files)


# ------------------------------------------------------------------------------ COP15 corpus

COP15 = LIGHT_FIXTURE.parents[1] / "cop15_mediatree" / "chunks.jsonl"


def cop15_item(chunk: dict) -> dict:
    """A COP15 export row in the provider's item shape (no word timings in this corpus)."""
    return {
        "channel": {
            "name": chunk.get("channel_name"),
            "title": chunk.get("channel_title"),
            "radio": chunk.get("channel_radio"),
        },
        "start": chunk.get("start"),
        "plaintext": chunk.get("plaintext"),
    }


def test_cop15_corpus_loads_with_every_record_accounted_for(tmp_path: Path) -> None:
    lines = COP15.read_text(encoding="utf-8").splitlines()
    by_day: dict[str, list[str]] = {}
    for line in lines:
        chunk = json.loads(line)
        day = broadcast_day(chunk["start"]).isoformat()
        by_day.setdefault(day, []).append(json.dumps(cop15_item(chunk), ensure_ascii=False))
    # Three formats and one damaged line, so every reading path is part of the count.
    days = sorted(by_day)
    for index, day in enumerate(days):
        folder = tmp_path / day
        folder.mkdir()
        records = by_day[day]
        if index == 0:
            records = [*records[:-1], records[-1][: len(records[-1]) // 2]]
        if index % 3 == 1:
            (folder / "chunks.json").write_text(
                json.dumps({"data": [json.loads(r) for r in records]}, ensure_ascii=False)
            )
        elif index % 3 == 2:
            table = pa.Table.from_pylist([json.loads(r) for r in records])
            pq.write_table(table, folder / "chunks.parquet")
        else:
            (folder / "chunks.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")

    source = FileCaptionSource(url=str(tmp_path))
    rows = rejected = duplicates = 0
    for day in days:
        fetch = source.fetch_day(date.fromisoformat(day), [], GRID)
        parsed = parse_items(fetch.items, source=fetch.source)
        assert set(parsed.table.column("day").to_pylist()) <= {date.fromisoformat(day)}
        rows += parsed.table.num_rows
        rejected += parsed.rejected.num_rows + len(fetch.pre_rejected)
        duplicates += parsed.duplicates

    assert len(lines) == 3443
    assert rows + rejected + duplicates == len(lines)
    assert rejected >= 1  # the damaged line
    assert rows > 3000


def test_built_from_settings() -> None:
    settings = Settings.from_env(
        {
            "OBSERVATOIRE_CAPTION_SOURCE": "files",
            "OBSERVATOIRE_DROP_FOLDER": "s3://drops/captions",
            "OBSERVATOIRE_S3_ENDPOINT": "https://s3.fr-par.scw.cloud",
            "OBSERVATOIRE_S3_REGION": "fr-par",
        }
    )
    built = FileCaptionSource.from_settings(settings)
    assert (built.url, built.s3_endpoint, built.s3_region) == (
        "s3://drops/captions",
        "https://s3.fr-par.scw.cloud",
        "fr-par",
    )
    with pytest.raises(SettingsError, match="OBSERVATOIRE_DROP_FOLDER"):
        Settings.from_env({"OBSERVATOIRE_CAPTION_SOURCE": "files"})


def test_a_drop_folder_url_of_another_scheme_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unsupported drop folder URL 'https://host/drop'"):
        DropFolder("https://host/drop")
    with pytest.raises(ValueError, match="drop folder URL 's3://' has no bucket"):
        DropFolder("s3://")
