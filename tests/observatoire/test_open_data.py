from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from datetime import date, timedelta

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from observatoire import METHODOLOGY_VERSION
from observatoire.publish.indicators import INDICATOR_SCHEMA
from observatoire.publish.open_data import (
    DATA_DICTIONARY_VERSION,
    OpenDataError,
    build_release,
    describe_column,
    write_release,
)
from tests.observatoire.analyst_fixtures import indicator_table

DAYS = [date(2024, 3, 1) + timedelta(days=i) for i in range(5)]
CHANNELS = ["tf1", "france2", "rfi"]


def _release(**kwargs):
    return build_release(indicator_table(DAYS, CHANNELS), DAYS[1], DAYS[3], **kwargs)


def test_release_holds_the_period_only_in_both_formats():
    release = _release()
    name = "indicators_2024-03-02_2024-03-04"
    assert release.name == name
    table = pq.read_table(io.BytesIO(release.files[f"{name}.parquet"]))
    assert table.num_rows == 3 * len(CHANNELS)
    assert sorted(set(table["day"].to_pylist())) == DAYS[1:4]
    rows = list(csv.DictReader(io.StringIO(release.files[f"{name}.csv"].decode())))
    assert len(rows) == table.num_rows
    assert rows[0]["day"] == "2024-03-02" and rows[0]["channel_name"] == "france2"
    assert float(rows[0]["share"]) == pytest.approx(table["share"][0].as_py())
    assert list(rows[0]) == table.column_names


def test_data_dictionary_documents_every_column_with_versions():
    release = _release()
    package = json.loads(release.files["datapackage.json"])
    assert package["data_dictionary_version"] == DATA_DICTIONARY_VERSION
    assert package["methodology_versions"] == [METHODOLOGY_VERSION]
    assert package["dictionary_versions"] == ["abc123def456"]
    assert package["temporal"] == {"start": "2024-03-02", "end": "2024-03-04"}
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert set(fields) == set(INDICATOR_SCHEMA.names)
    assert all(f["description"] for f in fields.values())
    assert fields["env_minutes_climat"]["unit"] == "minutes"
    assert fields["share_biodiversite"]["unit"] == "ratio 0-1"
    assert "theme ressources" in fields["env_minutes_theme_ressources"]["description"]
    assert "crisis" in fields["env_minutes_ressources_no_hrfp"]["description"]
    assert fields["day"]["type"] == "date" and fields["window_seconds"]["type"] == "integer"
    assert "covered_minutes" in fields["share"]["description"]


def test_checksums_verify_with_sha256sum(tmp_path):
    release = _release()
    written = write_release(release, pafs.LocalFileSystem(), str(tmp_path / "open_data"))
    folder = tmp_path / "open_data" / release.name
    assert written[-1].endswith("SHA256SUMS")
    assert sorted(p.name for p in folder.iterdir()) == sorted(release.files)
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK") == 3
    package = json.loads((folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        data = (folder / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)


def test_a_tampered_file_fails_the_check(tmp_path):
    release = _release()
    write_release(release, pafs.LocalFileSystem(), str(tmp_path))
    csv_path = tmp_path / release.name / f"{release.name}.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"france2", b"france3", 1))
    result = subprocess.run(
        ["sha256sum", "--check", "--quiet", "SHA256SUMS"],
        cwd=tmp_path / release.name,
        capture_output=True,
        check=False,
    )
    assert result.returncode != 0


def test_same_input_gives_byte_identical_release():
    assert _release().files == _release().files


def test_channel_details_are_added_when_given():
    channels = pa.table(
        {
            "name": ["tf1", "france2", "rfi"],
            "title": ["TF1", "France 2", "RFI"],
            "radio": [False, False, True],
        }
    )
    release = _release(channels=channels)
    table = pq.read_table(io.BytesIO(release.files[f"{release.name}.parquet"]))
    assert table.column_names[:4] == ["channel_name", "channel_title", "channel_radio", "day"]
    by_name = {r["channel_name"]: r for r in table.to_pylist()}
    assert by_name["rfi"]["channel_radio"] is True and by_name["france2"]["channel_title"] == (
        "France 2"
    )


def test_refuses_an_empty_period_and_undocumented_columns():
    indicators = indicator_table(DAYS, CHANNELS)
    with pytest.raises(OpenDataError, match="no indicator rows"):
        build_release(indicators, date(2023, 1, 1), date(2023, 1, 31))
    with pytest.raises(OpenDataError, match="empty period"):
        build_release(indicators, DAYS[3], DAYS[1])
    extra = indicators.append_column("mystery", pa.array([1] * indicators.num_rows))
    with pytest.raises(OpenDataError, match="'mystery' has no entry"):
        build_release(extra, DAYS[0], DAYS[-1])
    with pytest.raises(OpenDataError):
        describe_column("share_not_a_theme")
