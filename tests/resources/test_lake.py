"""The lake on local disk and on a real S3-compatible server: layout, round trips, atomicity."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import dagster as dg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observatoire.intake.records import SRT_TYPE
from observatoire.settings import Settings
from observatoire.storage.lake import Lake, LakeError, LakeMissingError, LakeUnavailableError
from observatoire.storage.warehouse import open_warehouse
from resources.lake import LakeResource
from tests.services import S3Bucket, S3Server

DAY_1 = date(2024, 3, 30)
DAY_2 = date(2024, 3, 31)  # 23-hour day in Europe/Paris


def captions(day: date, rows: int, offset: int = 0) -> pa.Table:
    return pa.table(
        {
            "chunk_id": [f"{day:%m%d}{i + offset:012x}" for i in range(rows)],
            "channel_name": ["france2" if i % 2 else "tf1" for i in range(rows)],
            "day": pa.array([day] * rows, pa.date32()),
            "plaintext": [f"l' eau du robinet {i + offset}" for i in range(rows)],
        }
    )


def test_day_round_trip_and_layout(lake: Lake) -> None:
    table = captions(DAY_1, 5)
    path = lake.write_day("raw_captions", DAY_1, table)

    assert path.endswith("/raw_captions/day=2024-03-30/part-0.parquet")
    assert lake.read_day("raw_captions", DAY_1).equals(table)
    assert lake.has_day("raw_captions", DAY_1)
    assert not lake.has_day("raw_captions", DAY_2)


def test_reference_table_round_trip(lake: Lake) -> None:
    table = pa.table({"keyword": ["climat", "sécheresse"], "theme": ["a", "b"]})
    path = lake.write_table("keyword_dictionary", table)

    assert path.endswith("/keyword_dictionary/data.parquet")
    assert lake.read_table("keyword_dictionary").equals(table)
    assert lake.has_table("keyword_dictionary")
    assert lake.days("keyword_dictionary") == []


def test_rewrite_replaces_the_whole_day(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 50))
    smaller = captions(DAY_1, 3, offset=1000)
    lake.write_day("raw_captions", DAY_1, smaller)

    assert lake.read_day("raw_captions", DAY_1).equals(smaller)
    assert lake.days("raw_captions") == [DAY_1]


def test_days_lists_partitions_in_order_and_read_days_concatenates(lake: Lake) -> None:
    assert lake.days("theme_segments") == []
    lake.write_day("theme_segments", DAY_2, captions(DAY_2, 2))
    lake.write_day("theme_segments", DAY_1, captions(DAY_1, 3))
    lake.write_table("channels", pa.table({"name": ["tf1"]}))

    assert lake.days("theme_segments") == [DAY_1, DAY_2]
    both = lake.read_days("theme_segments", [DAY_1, DAY_2])
    assert both.num_rows == 5
    assert both.column("day").to_pylist() == [DAY_1] * 3 + [DAY_2] * 2
    assert lake.tables() == ["channels", "theme_segments"]


def test_reading_some_columns_leaves_the_others_on_disk(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 4))
    lake.write_day("raw_captions", DAY_2, captions(DAY_2, 2))

    one = lake.read_day("raw_captions", DAY_1, columns=["chunk_id", "day"])
    assert one.column_names == ["chunk_id", "day"]
    assert one.equals(captions(DAY_1, 4).select(["chunk_id", "day"]))
    both = lake.read_days("raw_captions", [DAY_1, DAY_2], columns=["channel_name"])
    assert both.column_names == ["channel_name"]
    assert both.num_rows == 6


def test_reading_some_fields_of_the_word_lists_leaves_the_others_on_disk(lake: Lake) -> None:
    words = pa.array(
        [
            [{"cts_in_ms": 1_000, "duration_ms": 300, "text": "l'eau"}],
            None,
            [],
            [
                {"cts_in_ms": 2_000, "duration_ms": 200, "text": "du"},
                {"cts_in_ms": 2_200, "duration_ms": None, "text": None},
            ],
        ],
        SRT_TYPE,
    )
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 4).append_column("srt", words))

    read = lake.read_day(
        "raw_captions",
        DAY_1,
        ["chunk_id", "srt.list.element.text", "srt.list.element.cts_in_ms"],
    )
    assert read.column_names == ["chunk_id", "srt"]
    element = read.schema.field("srt").type.value_type
    assert [field.name for field in element] == ["cts_in_ms", "text"]
    assert read.column("srt").to_pylist() == [
        [{"cts_in_ms": 1_000, "text": "l'eau"}],
        None,
        [],
        [{"cts_in_ms": 2_000, "text": "du"}, {"cts_in_ms": 2_200, "text": None}],
    ]
    assert (
        lake.read_day("raw_captions", DAY_1, ["srt"])
        .column("srt")
        .equals(pa.chunked_array([words]))
    )


def test_word_texts_read_dictionary_encoded_hold_the_same_words(lake: Lake) -> None:
    words = pa.array(
        [
            [{"cts_in_ms": 1_000, "duration_ms": 300, "text": "eau"}],
            None,
            [
                {"cts_in_ms": 2_000, "duration_ms": 200, "text": "eau"},
                {"cts_in_ms": 2_200, "duration_ms": None, "text": None},
                {"cts_in_ms": 2_400, "duration_ms": 100, "text": "monte"},
            ],
        ],
        SRT_TYPE,
    )
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 3).append_column("srt", words))
    columns = ["chunk_id", "srt.list.element.text", "srt.list.element.cts_in_ms"]

    plain = lake.read_day("raw_captions", DAY_1, columns)
    encoded = lake.read_day("raw_captions", DAY_1, columns, as_dictionary=["srt.list.element.text"])
    texts = encoded.column("srt").combine_chunks().flatten().field("text")
    assert pa.types.is_dictionary(texts.type)
    assert sorted(texts.dictionary.to_pylist()) == ["eau", "monte"]
    assert encoded.column("srt").to_pylist() == plain.column("srt").to_pylist()
    with pytest.raises(LakeError, match=r"has no column 'srt.list.element'"):
        lake.read_day("raw_captions", DAY_1, columns, as_dictionary=["srt.list.element"])


def test_reading_a_column_a_day_lacks_names_it(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 2))

    for missing in ("timing", "srt.list.element.text", "plaintext.text"):
        with pytest.raises(
            LakeError,
            match=rf"raw_captions for day 2024-03-30 has no column '{re.escape(missing)}'",
        ):
            lake.read_day("raw_captions", DAY_1, ["chunk_id", missing])


def test_words_keep_a_dictionary_and_only_top_level_columns_carry_statistics(
    tmp_path: Path,
) -> None:
    word = pa.struct([("cts_in_ms", pa.int64()), ("text", pa.string())])
    table = captions(DAY_1, 3).append_column(
        "srt",
        pa.array(
            [[{"cts_in_ms": 1000 * i + j, "text": "eau"} for j in range(4)] for i in range(3)]
        ).cast(pa.list_(word)),
    )
    lake = Lake(str(tmp_path / "lake"))
    path = lake.write_day("raw_captions", DAY_1, table)

    assert lake.read_day("raw_captions", DAY_1).equals(table)
    group = pq.ParquetFile(path).metadata.row_group(0)
    columns = {group.column(i).path_in_schema: group.column(i) for i in range(group.num_columns)}
    assert set(columns) == {
        "chunk_id", "channel_name", "day", "plaintext", "srt.list.element.cts_in_ms",
        "srt.list.element.text",
    }  # fmt: skip
    dictionary = {path for path, column in columns.items() if column.has_dictionary_page}
    assert dictionary == {"chunk_id", "channel_name", "plaintext", "srt.list.element.text"}
    with_statistics = {path for path, column in columns.items() if column.is_stats_set}
    assert with_statistics == {"chunk_id", "channel_name", "day", "plaintext"}
    # word times are stored as differences, and read back as the same times
    assert "DELTA_BINARY_PACKED" in columns["srt.list.element.cts_in_ms"].encodings
    assert "DELTA_BINARY_PACKED" not in columns["day"].encodings


def test_missing_day_error_names_table_and_day(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 1))
    with pytest.raises(LakeMissingError, match=r"raw_captions for day 2024-03-31"):
        lake.read_day("raw_captions", DAY_2)
    with pytest.raises(LakeMissingError, match=r"time_monitored for day 2024-03-30"):
        lake.read_days("time_monitored", [DAY_1])
    with pytest.raises(LakeMissingError, match=r"table programme_grid"):
        lake.read_table("programme_grid")


def test_empty_day_keeps_its_schema(lake: Lake) -> None:
    empty = captions(DAY_1, 0)
    lake.write_day("raw_captions_rejected", DAY_1, empty)
    back = lake.read_day("raw_captions_rejected", DAY_1)
    assert back.num_rows == 0
    assert back.schema.equals(empty.schema)


def test_table_names_cannot_escape_the_lake(lake: Lake) -> None:
    with pytest.raises(ValueError, match="invalid lake table name"):
        lake.write_day("../outside", DAY_1, captions(DAY_1, 1))


def test_warehouse_views_read_the_lake(lake: Lake) -> None:
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 4))
    lake.write_day("raw_captions", DAY_2, captions(DAY_2, 6))
    lake.write_table("channels", pa.table({"name": ["tf1", "france2"]}))

    with open_warehouse(lake, ":memory:") as connection:
        rows = connection.sql(
            "SELECT day, count(*) FROM raw_captions GROUP BY day ORDER BY day"
        ).fetchall()
        channels = connection.execute("SELECT count(*) FROM channels").fetchone()
    assert rows == [(DAY_1, 4), (DAY_2, 6)]
    assert channels == (2,)


def test_local_write_is_atomic_a_failed_write_leaves_the_previous_day(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    before = captions(DAY_1, 10)
    lake.write_day("raw_captions", DAY_1, before)

    with pytest.raises(TypeError, match="pyarrow Tables"):
        lake.write_day("raw_captions", DAY_1, before.to_pydict())  # type: ignore[arg-type]

    # A schema that Parquet cannot store fails in the middle of writing the temporary file.
    unstorable = pa.table({"x": pa.array([{}], pa.struct([]))})
    with pytest.raises(Exception):  # noqa: B017 - any error will do, the day must be intact
        lake.write_day("raw_captions", DAY_1, unstorable)

    assert lake.read_day("raw_captions", DAY_1).equals(before)
    folder = tmp_path / "lake" / "raw_captions" / "day=2024-03-30"
    assert sorted(p.name for p in folder.iterdir()) == ["part-0.parquet"]


def test_local_leftover_temporary_file_is_invisible(tmp_path: Path) -> None:
    """A crash between writing the temporary file and renaming it leaves a hidden leftover."""
    lake = Lake(str(tmp_path / "lake"))
    before = captions(DAY_1, 3)
    lake.write_day("raw_captions", DAY_1, before)
    folder = tmp_path / "lake" / "raw_captions" / "day=2024-03-30"
    pq.write_table(captions(DAY_1, 99), folder / ".part-0.parquet.deadbeef.tmp")
    (folder / ".part-0.parquet.cafe.tmp").write_bytes(b"PAR1 truncated")
    orphan = tmp_path / "lake" / "raw_captions" / "day=2024-04-01"
    orphan.mkdir()
    (orphan / ".part-0.parquet.0.tmp").write_bytes(b"PAR1")

    assert lake.read_day("raw_captions", DAY_1).equals(before)
    assert lake.days("raw_captions") == [DAY_1]
    with open_warehouse(lake, ":memory:") as connection:
        assert connection.execute("SELECT count(*) FROM raw_captions").fetchone() == (3,)
    assert lake.dataset("raw_captions").count_rows() == 3


def test_s3_layout_matches_local_layout(s3_bucket: S3Bucket, tmp_path: Path) -> None:
    s3 = LakeResource.from_settings(Settings.from_env(s3_bucket.environ("observatoire"))).lake()
    local = Lake(str(tmp_path / "lake"))
    for lake in (s3, local):
        lake.write_day("raw_captions", DAY_1, captions(DAY_1, 2))
        lake.write_table("channels", pa.table({"name": ["tf1"]}))

    local_keys = sorted(
        str(p.relative_to(tmp_path / "lake")) for p in (tmp_path / "lake").rglob("*") if p.is_file()
    )
    s3_keys = [key.removeprefix("observatoire/") for key in s3_bucket.object_keys()]
    assert (
        s3_keys
        == local_keys
        == [
            "channels/data.parquet",
            "raw_captions/day=2024-03-30/part-0.parquet",
        ]
    )


def test_s3_write_is_one_complete_object(s3_bucket: S3Bucket) -> None:
    """Each write appears as exactly one object whose bytes are a complete Parquet file."""
    lake = LakeResource.from_settings(Settings.from_env(s3_bucket.environ())).lake()
    # Incompressible and above the 10 MB part size, so it goes up as a multipart upload.
    big = pa.table({"blob": [os.urandom(1 << 20) for _ in range(12)]})
    lake.write_day("raw_captions", DAY_1, big)
    keys = s3_bucket.object_keys()
    assert keys == ["lake/raw_captions/day=2024-03-30/part-0.parquet"]
    client = s3_bucket.server.client()
    body = client.get_object(Bucket=s3_bucket.name, Key=keys[0])["Body"].read()
    assert len(body) > 12 << 20
    assert body[:4] == b"PAR1" and body[-4:] == b"PAR1"
    assert lake.read_day("raw_captions", DAY_1).equals(big)

    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 7))
    assert s3_bucket.object_keys() == keys
    assert lake.read_day("raw_captions", DAY_1).num_rows == 7
    uploads = s3_bucket.server.client().list_multipart_uploads(Bucket=s3_bucket.name)
    assert uploads.get("Uploads", []) == []


def test_unreachable_object_storage_error_names_endpoint_and_bucket_not_secrets() -> None:
    server = S3Server().start()
    bucket = server.create_bucket("observatoire-lake")
    lake = Lake(
        bucket.url(),
        s3_endpoint=server.endpoint,
        s3_region=server.region,
        access_key=server.access_key,
        secret_key=server.secret_key,
    )
    lake.write_day("raw_captions", DAY_1, captions(DAY_1, 1))
    server.stop()

    with pytest.raises(LakeUnavailableError) as caught:
        lake.read_day("raw_captions", DAY_1)
    message = str(caught.value)
    assert server.endpoint in message
    assert "observatoire-lake" in message
    assert "unreachable" in message
    assert server.secret_key not in message and server.access_key not in message
    with pytest.raises(LakeUnavailableError, match="unreachable"):
        lake.check()


def test_missing_bucket_is_reported(s3_server: S3Server) -> None:
    lake = Lake(
        "s3://no-such-bucket/lake",
        s3_endpoint=s3_server.endpoint,
        s3_region=s3_server.region,
        access_key=s3_server.access_key,
        secret_key=s3_server.secret_key,
    )
    with pytest.raises(LakeUnavailableError, match="bucket 'no-such-bucket' does not exist"):
        lake.check()
    with pytest.raises(LakeUnavailableError, match="no-such-bucket"):
        lake.write_day("raw_captions", DAY_1, captions(DAY_1, 1))


def test_half_configured_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match="the secret key is set but the access key is not"):
        Lake("s3://bucket/lake", s3_endpoint="http://127.0.0.1:9", secret_key="x")


def test_settings_build_an_s3_lake_with_scaleway_fallbacks() -> None:
    settings = Settings.from_env(
        {
            "OBSERVATOIRE_LAKE_URL": "s3://observatoire-prod/lake",
            "OBSERVATOIRE_S3_ENDPOINT": "https://s3.fr-par.scw.cloud",
            "SCW_DEFAULT_REGION": "fr-par",
            "SCW_ACCESS_KEY": "SCWXXXXXXXXXXXXXXXXX",
            "SCW_SECRET_KEY": "00000000-0000-0000-0000-000000000000",
        }
    )
    assert settings.s3_region == "fr-par"
    assert settings.s3_access_key == "SCWXXXXXXXXXXXXXXXXX"
    assert "0000-0000" not in repr(settings) and "s3_secret_key" not in settings.describe()

    lake = LakeResource.from_settings(settings).lake()
    assert lake.s3 is not None
    assert (lake.s3.bucket, lake.s3.prefix, lake.root) == (
        "observatoire-prod",
        "lake",
        "observatoire-prod/lake",
    )
    assert lake.describe() == "s3://observatoire-prod/lake at https://s3.fr-par.scw.cloud"
    assert "0000-0000" not in repr(lake)


def test_secrets_from_the_environment_are_bound_by_name(
    s3_bucket: S3Bucket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dagster UI shows resource config: secrets must appear there as variable names."""
    environ = s3_bucket.environ()
    monkeypatch.setenv("OBSERVATOIRE_LAKE_URL", environ["OBSERVATOIRE_LAKE_URL"])
    monkeypatch.setenv("OBSERVATOIRE_S3_ENDPOINT", environ["OBSERVATOIRE_S3_ENDPOINT"])
    monkeypatch.setenv("SCW_ACCESS_KEY", environ["OBSERVATOIRE_S3_ACCESS_KEY"])
    monkeypatch.setenv("SCW_SECRET_KEY", environ["OBSERVATOIRE_S3_SECRET_KEY"])
    monkeypatch.delenv("OBSERVATOIRE_S3_ACCESS_KEY", raising=False)
    monkeypatch.delenv("OBSERVATOIRE_S3_SECRET_KEY", raising=False)

    resource = LakeResource.from_settings(Settings.from_env())
    assert isinstance(resource.secret_key, dg.EnvVar)
    assert (resource.access_key, resource.secret_key) == ("SCW_ACCESS_KEY", "SCW_SECRET_KEY")

    resource.lake().write_day("raw_captions", DAY_1, captions(DAY_1, 2))  # outside a run

    @dg.asset
    def written_in_a_run(lake: LakeResource) -> int:
        return lake.lake().read_day("raw_captions", DAY_1).num_rows

    result = dg.materialize([written_in_a_run], resources={"lake": resource})
    assert result.output_for_node("written_in_a_run") == 2
