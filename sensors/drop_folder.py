"""Sensor: a new or changed file in the caption drop folder re-materialises that day.

Each evaluation lists the drop folder and fingerprints every day folder from its files' paths,
sizes and modification times. A day whose fingerprint differs from the one in the cursor gets a run
request for its partition of ``raw_captions`` and everything downstream. The run key is the day
plus its fingerprint, so the same set of file versions never triggers twice (even if the cursor is
reset), while a re-uploaded or added file triggers once more. A day that is not (yet) a partition,
such as today, is left out of the cursor and picked up once its partition exists.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dagster import (
    AssetSelection,
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from assets.keys import RAW_CAPTIONS
from observatoire.intake.drop_folder import DropFile, day_fingerprint
from resources.caption_files import FileCaptionSource

TRIGGER_TAG = "observatoire/trigger"
FINGERPRINT_TAG = "observatoire/drop_folder_fingerprint"


@dataclass(frozen=True)
class DayChange:
    day: date
    fingerprint: str
    files: int

    @property
    def run_key(self) -> str:
        return f"drop-folder:{self.day.isoformat()}:{self.fingerprint}"


def read_cursor(cursor: str | None) -> dict[str, str]:
    """{day: fingerprint} of the last version seen of each day folder."""
    if not cursor:
        return {}
    try:
        seen = json.loads(cursor)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in seen.items()} if isinstance(seen, dict) else {}


def plan_changes(
    files_by_day: Mapping[date, Sequence[DropFile]],
    seen: Mapping[str, str],
    is_partition: Callable[[date], bool],
) -> tuple[list[DayChange], list[date], dict[str, str]]:
    """(days to run, days not yet partitions, next cursor) for the current folder contents."""
    changes: list[DayChange] = []
    waiting: list[date] = []
    next_seen: dict[str, str] = {}
    for day in sorted(files_by_day):
        files = files_by_day[day]
        if not files:
            continue
        if not is_partition(day):
            waiting.append(day)
            continue
        fingerprint = day_fingerprint(files)
        next_seen[day.isoformat()] = fingerprint
        if seen.get(day.isoformat()) != fingerprint:
            changes.append(DayChange(day, fingerprint, len(files)))
    return changes, waiting, next_seen


def build_drop_folder_sensor(
    partitions_def: PartitionsDefinition,
    *,
    target: AssetSelection | Any | None = None,
    resource_key: str = "captions",
    name: str = "drop_folder_sensor",
    minimum_interval_seconds: int = 60,
    default_status: DefaultSensorStatus = DefaultSensorStatus.STOPPED,
) -> SensorDefinition:
    """The drop-folder sensor, reading the folder of the ``FileCaptionSource`` at
    ``resource_key``. ``target`` is what a changed day runs: an asset selection or a job whose
    assets share ``partitions_def`` (default: ``raw_captions`` and everything downstream of it,
    which suits a graph where every downstream asset is daily)."""
    selection = target if target is not None else AssetSelection.assets(RAW_CAPTIONS).downstream()

    def is_partition(day: date) -> bool:
        try:
            return partitions_def.has_partition_key(day.isoformat())
        except Exception:  # a key the definition cannot even parse is not a partition
            return False

    @sensor(
        name=name,
        target=selection,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        required_resource_keys={resource_key},
        description="Runs a broadcast day again when files for it are added to or changed in the "
        "caption drop folder.",
    )
    def drop_folder_sensor(
        context: SensorEvaluationContext, **resources: object
    ) -> SensorResult | SkipReason:
        source = resources.get(resource_key) or getattr(context.resources, resource_key)
        if not isinstance(source, FileCaptionSource):
            return SkipReason(
                f"the caption source is {type(source).__name__}, not a drop folder: "
                "nothing to watch"
            )
        folder = source.folder()
        changes, waiting, next_seen = plan_changes(
            folder.files_by_day(), read_cursor(context.cursor), is_partition
        )
        if waiting:
            context.log.info(
                "files for days that are not partitions yet: "
                + ", ".join(day.isoformat() for day in waiting)
            )
        requests = [
            RunRequest(
                run_key=change.run_key,
                partition_key=change.day.isoformat(),
                tags={TRIGGER_TAG: "drop_folder", FINGERPRINT_TAG: change.fingerprint},
            )
            for change in changes
        ]
        for change in changes:
            context.log.info(
                f"{folder.describe()}: day {change.day} changed ({change.files} file(s)); "
                "requesting its partition"
            )
        cursor = json.dumps(next_seen, sort_keys=True)
        if not requests:
            return SensorResult(
                skip_reason=SkipReason(f"no new or changed files in {folder.describe()}"),
                cursor=cursor,
            )
        return SensorResult(run_requests=requests, cursor=cursor)

    return drop_folder_sensor
