"""The real corpora dropped as they are: every record received lands or is quarantined.

The COP15 export (3,443 chunks of 258 channels, flat export shape) and the November 2022 chunks
are written one file per broadcast day, byte for byte, into a drop folder and ingested the way the
raw_captions asset does (drop-folder source, channel identity from the channels reference table,
captions_of_day). Per file: lines received = chunks landed + rows quarantined + exact duplicates.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.compute as pc
import pytest

from observatoire.intake.intake import captions_of_day
from observatoire.intake.records import broadcast_day
from observatoire.reference.channels import default_channels
from observatoire.reference.grid import ProgrammeGrid
from observatoire.reference.reference import channel_names_from_table, channels_reference_table
from resources.caption_files import FileCaptionSource
from tests.fakes.mediatree import CORPORA

COP15 = CORPORA / "cop15_mediatree" / "chunks.jsonl"
NOVEMBER = CORPORA / "tv_news_2022_11" / "pseudo_2min_chunks.jsonl"
NAMES = channel_names_from_table(channels_reference_table(default_channels()))
GRID = ProgrammeGrid.default()


def drop_by_day(corpus: Path, root: Path) -> dict[str, int]:
    """Write the corpus's lines into one file per broadcast day; lines received per file."""
    by_day: dict[str, list[bytes]] = defaultdict(list)
    with corpus.open("rb") as handle:
        for line in handle:
            if line.strip():
                by_day[broadcast_day(json.loads(line)["start"]).isoformat()].append(line)
    received = {}
    for day, lines in by_day.items():
        (root / day).mkdir(parents=True)
        (root / day / "chunks.jsonl").write_bytes(b"".join(lines))
        received[f"{day}/chunks.jsonl"] = len(lines)
    return received


def ingest(root: Path, received: dict[str, int]) -> tuple[Counter, Counter, Counter]:
    """Ingest every day; (landed per channel, reasons, rejected per file), checking per file."""
    source = FileCaptionSource(url=str(root))
    landed: Counter = Counter()
    reasons: Counter = Counter()
    rejected_per_file: Counter = Counter()
    for name, count in sorted(received.items()):
        day = broadcast_day(json.loads(next(iter((root / name).open())))["start"])
        fetch = source.fetch_day(day, NAMES.names(), GRID)
        parsed = captions_of_day(
            fetch.items,
            fetch.source,
            day,
            pre_rejected=fetch.pre_rejected,
            channels=NAMES.names(),
            names=NAMES,
            origins=fetch.origins,
        )
        files = set(parsed.rejected["file"].to_pylist())
        assert files <= {name}, files
        rejected = parsed.rejected.num_rows
        assert count == parsed.table.num_rows + rejected + parsed.duplicates, name
        assert pc.all(pc.is_valid(parsed.rejected["line"])).as_py() in (True, None)
        landed.update(parsed.table["channel_name"].to_pylist())
        reasons.update(parsed.rejected["reason"].to_pylist())
        rejected_per_file[name] = rejected
    return landed, reasons, rejected_per_file


@pytest.mark.skipif(not COP15.exists(), reason="the real corpora are not beside the checkout")
def test_every_cop15_record_lands_or_is_quarantined_and_aliases_land_canonical(
    tmp_path: Path,
) -> None:
    received = drop_by_day(COP15, tmp_path)
    landed, reasons, _ = ingest(tmp_path, received)

    assert sum(received.values()) == 3443
    assert sum(landed.values()) + sum(reasons.values()) == 3443
    # Spellings of the export filed under the canonical channels.
    assert landed["france2"] == 30  # france-2
    assert landed["fr3-idf"] == 23  # france-3-idf
    assert landed["europe1"] == 18  # europe-1
    assert landed["sud-radio"] == 29  # sud-radio-paris
    assert landed["itele"] == 2  # cnews
    assert landed["franceinfotv"] == 104  # france-info marked as television
    assert landed["france-info"] == 148  # france-info the radio station
    # france-24: 249 records, of which 9 chunks were exported twice (speech-to-text and
    # broadcast subtitles with different text): the second copy is quarantined as a conflict.
    conflicts = [r for r in reasons if r.startswith("conflicting duplicate") and "france24" in r]
    assert landed["france24"] + len(conflicts) == 249
    unknown = {r: n for r, n in reasons.items() if r.startswith("unknown channel")}
    assert unknown["unknown channel 'euronews'"] == 232
    assert sum(unknown.values()) == 3443 - 1082 - len(conflicts)
    assert sum(landed.values()) == 1082


@pytest.mark.skipif(not NOVEMBER.exists(), reason="the real corpora are not beside the checkout")
def test_every_november_2022_record_lands_or_is_quarantined(tmp_path: Path) -> None:
    received = drop_by_day(NOVEMBER, tmp_path)
    landed, reasons, _ = ingest(tmp_path, received)

    assert sum(received.values()) == 1217
    assert landed["france2"] == 419
    # National France 3 is not one of the monitored channels (France 3 Paris Île-de-France is):
    # its chunks are quarantined by name, not lost.
    assert reasons["unknown channel 'france3'"] == 333
    assert sum(landed.values()) + sum(reasons.values()) == 1217
