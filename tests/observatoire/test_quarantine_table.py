"""The quarantine table in the warehouse: days written before and after its origin columns are
read together, and a quarantined record can be ingested again as it was received."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pyarrow as pa

from observatoire.core.broadcast_day import broadcast_day
from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import Origin
from observatoire.reference.channels import default_channels
from observatoire.reference.reference import channel_names_from_table, channels_reference_table
from observatoire.storage.lake import Lake
from observatoire.storage.warehouse import open_warehouse
from tests.fakes.mediatree import fixture_items

NAMES = channel_names_from_table(channels_reference_table(default_channels()))


def test_old_and_new_quarantine_days_share_one_view_and_records_reingest(tmp_path: Path) -> None:
    lake = Lake(str(tmp_path / "lake"))
    old_day = date(2024, 2, 9)
    lake.write_day(
        "raw_captions_rejected",
        old_day,
        pa.table(
            {
                "day": pa.array([old_day], pa.date32()),
                "source": ["files"],
                "position": pa.array([3], pa.int64()),
                "reason": ["missing field channel"],
                "record": ["{}"],
            }
        ),
    )
    record = copy.deepcopy(fixture_items()[1])
    record["channel"]["name"] = "france-deux"
    day = broadcast_day(record["start"])
    parsed = captions_of_day(
        [record],
        "files",
        day,
        names=NAMES,
        origins=[Origin(file=f"{day}/a.jsonl", line=7)],
    )
    lake.write_day("raw_captions_rejected", day, parsed.rejected)

    connection = open_warehouse(lake, ":memory:")
    rows = connection.sql(
        "SELECT day, file, line, reason, record FROM raw_captions_rejected ORDER BY day"
    ).fetchall()
    assert [row[:4] for row in rows] == [
        (old_day, None, None, "missing field channel"),
        (day, f"{day}/a.jsonl", 7, "unknown channel 'france-deux'"),
    ]
    stored = json.loads(rows[1][4])
    assert stored == record  # whole, with its 344-word list
    stored["channel"]["name"] = "france2"
    again = captions_of_day([stored], "files", day, names=NAMES)
    assert again.table.num_rows == 1 and again.rejected.num_rows == 0
