"""The drop-folder sensor: one run per new file version of a day, never twice for the same one."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from dagster import (
    DagsterInstance,
    Definitions,
    SensorResult,
    SkipReason,
    asset,
    build_sensor_context,
)

from assets.keys import RAW_CAPTIONS, THEME_SEGMENTS
from assets.partitions import daily_partitions
from observatoire.intake.drop_folder import DropFolder
from observatoire.intake.intake import CaptionFetch
from resources.caption_files import FileCaptionSource
from resources.captions import CaptionSource
from sensors.drop_folder import build_drop_folder_sensor, plan_changes, read_cursor

PARTITIONS = daily_partitions("2024-01-01")


@asset(partitions_def=PARTITIONS)
def raw_captions() -> None:
    return None


@asset(partitions_def=PARTITIONS, deps=[raw_captions])
def theme_segments() -> None:
    return None


@asset(partitions_def=PARTITIONS)
def unrelated() -> None:
    return None


SENSOR = build_drop_folder_sensor(PARTITIONS, minimum_interval_seconds=30)
DEFS = Definitions(assets=[raw_captions, theme_segments, unrelated], sensors=[SENSOR])


def drop(root: Path, relative: str, text: str = '{"channel": {}}\n', mtime: int = 1_700_000_000):
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def evaluate(root: Path, cursor: str | None, instance: DagsterInstance):
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"captions": FileCaptionSource(url=str(root))},
        definitions=DEFS,
    )
    result = SENSOR(context)
    assert isinstance(result, SensorResult)
    return result


def test_new_and_changed_days_are_requested_once(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    drop(tmp_path, "2024-02-10/france2.jsonl")
    drop(tmp_path, "day=2024-02-11/rtl.json", "[]")
    drop(tmp_path, "2024-02-10/.partial.jsonl")  # an upload in progress is ignored

    first = evaluate(tmp_path, None, instance)
    assert [r.partition_key for r in first.run_requests] == ["2024-02-10", "2024-02-11"]
    assert len({r.run_key for r in first.run_requests}) == 2
    assert all(r.tags["observatoire/trigger"] == "drop_folder" for r in first.run_requests)

    unchanged = evaluate(tmp_path, first.cursor, instance)
    assert unchanged.run_requests == []
    assert unchanged.skip_reason is not None

    drop(tmp_path, "2024-02-10/france2.jsonl", '{"channel": {}}\n{}\n', mtime=1_700_000_100)
    changed = evaluate(tmp_path, unchanged.cursor, instance)
    assert [r.partition_key for r in changed.run_requests] == ["2024-02-10"]
    assert changed.run_requests[0].run_key not in {r.run_key for r in first.run_requests}

    drop(tmp_path, "2024-02-11/tf1.jsonl")  # a new file beside the other spelling
    added = evaluate(tmp_path, changed.cursor, instance)
    assert [r.partition_key for r in added.run_requests] == ["2024-02-11"]


def test_same_file_version_keeps_its_run_key_even_after_a_cursor_reset(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    drop(tmp_path, "2024-02-10/france2.jsonl")
    first = evaluate(tmp_path, None, instance)
    again = evaluate(tmp_path, None, instance)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in first.run_requests]


def test_a_touched_file_with_new_mtime_triggers_again(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    drop(tmp_path, "2024-02-10/france2.jsonl")
    first = evaluate(tmp_path, None, instance)
    drop(tmp_path, "2024-02-10/france2.jsonl", mtime=1_700_000_500)
    second = evaluate(tmp_path, first.cursor, instance)
    assert [r.partition_key for r in second.run_requests] == ["2024-02-10"]


def test_days_that_are_not_partitions_wait(tmp_path: Path) -> None:
    instance = DagsterInstance.ephemeral()
    drop(tmp_path, "2023-12-31/early.jsonl")  # before the first partition
    drop(tmp_path, "2999-01-01/future.jsonl")  # not a partition yet
    drop(tmp_path, "2024-13-45/garbage.jsonl")  # not a date
    result = evaluate(tmp_path, None, instance)
    assert result.run_requests == []
    assert read_cursor(result.cursor) == {}


def test_requests_target_raw_captions_and_downstream(tmp_path: Path) -> None:
    repository = DEFS.get_repository_def()
    job = repository.get_job(repository.get_sensor_def("drop_folder_sensor").job_name)
    assert set(job.asset_layer.selected_asset_keys) == {
        RAW_CAPTIONS,
        THEME_SEGMENTS,
    }


def test_another_caption_source_means_nothing_to_watch(tmp_path: Path) -> None:
    class OtherSource(CaptionSource):
        def fetch_day(self, day, channels, grid) -> CaptionFetch:
            return CaptionFetch(items=[], source="other")

    context = build_sensor_context(
        instance=DagsterInstance.ephemeral(),
        resources={"captions": OtherSource()},
        definitions=DEFS,
    )
    result = SENSOR(context)
    assert isinstance(result, SkipReason)


def test_plan_changes_keeps_only_partition_days_in_the_cursor(tmp_path: Path) -> None:
    drop(tmp_path, "2024-02-10/a.jsonl")
    drop(tmp_path, "2024-02-12/b.jsonl")
    files = DropFolder(str(tmp_path)).files_by_day()
    changes, waiting, seen = plan_changes(files, {}, lambda day: day < date(2024, 2, 11))
    assert [c.day for c in changes] == [date(2024, 2, 10)]
    assert waiting == [date(2024, 2, 12)]
    assert list(seen) == ["2024-02-10"]
    assert json.loads(json.dumps(seen)) == seen
