"""Peak memory of a daily ingestion run with one oversized record, next to a normal day.

A drop folder holds one broadcast day of demo captions for every channel (provider-shaped JSONL
with word lists, as a real export); the oversized day is the same folder plus one record whose
plaintext is ``--oversized-mb`` megabytes. Each day is materialised through the raw_captions asset
(drop-folder source, local lake) in its own process, and that process's peak resident memory is
printed. The two peaks should be close: a record beyond the size limit is hashed and counted
while it is read, never held whole, so one bad record cannot take a small serverless job past
its memory.

    .venv/bin/python benchmarks/ingestion_memory.py [--oversized-mb 100] [--day 2024-03-05]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def peak_memory_mb() -> int:
    """Peak resident memory of this process since it started (VmHWM, reset by exec; unlike
    ru_maxrss, which a child inherits from the parent that forked it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def build_drop(folder: Path, day: date, oversized_mb: int) -> tuple[int, int]:
    """Write the day's captions (and the oversized record); (records, bytes) written."""
    from observatoire.intake.demo import demo_day
    from observatoire.reference.channels import default_channels
    from observatoire.reference.grid import ProgrammeGrid

    generated = demo_day(day, default_channels(), ProgrammeGrid.default(), seed=0)
    items = generated.all_items()
    target = folder / day.isoformat() / "captions.jsonl"
    target.parent.mkdir(parents=True)
    with target.open("w", encoding="utf-8") as out:
        for item in items:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
        if oversized_mb:
            # A valid record in every other respect, filed between two real chunks.
            template = next(
                i
                for i in items
                if isinstance(i.get("channel"), dict)
                and isinstance(i["channel"].get("name"), str)
                and isinstance(i.get("srt"), list)
            )
            huge = dict(template, start=template["start"] + 60, srt=None)
            huge["plaintext"] = "climat " * (oversized_mb * 1024 * 1024 // 7)
            out.write(json.dumps(huge, ensure_ascii=False) + "\n")
    return len(items) + (1 if oversized_mb else 0), target.stat().st_size


def run_day(drop: str, lake: str, day: str) -> None:
    """Child process: one daily ingestion run; prints JSON with peak memory and counts."""
    from dagster import materialize

    from assets.captions import build_caption_assets
    from assets.partitions import daily_partitions
    from assets.run_config import DAILY_RUN, DailyRunConfig
    from observatoire.reference.channels import default_channels
    from observatoire.reference.grid import ProgrammeGrid
    from observatoire.reference.reference import channels_reference_table, grid_table
    from observatoire.storage.lake import Lake
    from resources.caption_files import FileCaptionSource
    from resources.lake import LakeResource

    store = Lake(lake)
    store.write_table("channels", channels_reference_table(default_channels()))
    store.write_table("programme_grid", grid_table(ProgrammeGrid.default()))
    started = time.perf_counter()
    result = materialize(
        [build_caption_assets(daily_partitions("2024-01-01"))],
        resources={
            "lake": LakeResource(url=lake),
            "captions": FileCaptionSource(url=drop),
            DAILY_RUN: DailyRunConfig(),
        },
        partition_key=day,
    )
    elapsed = time.perf_counter() - started
    when = date.fromisoformat(day)
    rejected = store.read_day("raw_captions_rejected", when)
    print(
        json.dumps(
            {
                "success": result.success,
                "seconds": round(elapsed, 1),
                "peak_mb": peak_memory_mb(),
                "chunks": store.read_day("raw_captions", when, ["chunk_id"]).num_rows,
                "rejected": rejected.num_rows,
                "reasons": sorted(set(rejected["reason"].to_pylist()))[:3],
            }
        )
    )


def measure(day: date, oversized_mb: int, work: Path) -> dict:
    drop, lake = work / f"drop-{oversized_mb}", work / f"lake-{oversized_mb}"
    records, size = build_drop(drop, day, oversized_mb)
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(drop), str(lake), day.isoformat()],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    return {"records": records, "file_mb": round(size / 2**20), **outcome}


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        run_day(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oversized-mb", type=int, default=100)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2024, 3, 5))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        normal = measure(args.day, 0, Path(work))
        oversized = measure(args.day, args.oversized_mb, Path(work))
    print(f"{'day':<28}{'records':>9}{'file MB':>9}{'chunks':>8}{'rejected':>9}{'peak MB':>9}")
    for label, row in (("normal day", normal), (f"+1 record of {args.oversized_mb} MB", oversized)):
        print(
            f"{label:<28}{row['records']:>9}{row['file_mb']:>9}{row['chunks']:>8}"
            f"{row['rejected']:>9}{row['peak_mb']:>9}"
        )
    print(f"peak memory ratio oversized / normal: {oversized['peak_mb'] / normal['peak_mb']:.2f}")
    print("reasons (oversized day):", *oversized["reasons"], sep="\n  ")


if __name__ == "__main__":
    main()
