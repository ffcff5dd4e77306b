"""Quality rules on each daily table: what must hold before a figure is published.

Each rule is a pure function over the lake's tables for one or more days and returns a
`QualityOutcome`: whether the rule holds, a one-line summary an analyst can act on, numbers for
the UI, and the offending rows (a few) so the problem can be found without opening a notebook.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_MIN_COVERAGE = 0.8
DEFAULT_MAX_REJECTED_RATE = 0.01
SHOWN_ROWS = 20


@dataclass(frozen=True)
class QualityOutcome:
    passed: bool
    summary: str
    numbers: dict[str, float | int] = field(default_factory=dict)
    offending: list[dict[str, Any]] = field(default_factory=list)


def _rows(table: pa.Table, columns: list[str]) -> list[dict[str, Any]]:
    present = [c for c in columns if c in table.column_names]
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in table.select(present).slice(0, SHOWN_ROWS).to_pylist()
    ]


def duplicate_chunk_ids(table: pa.Table, what: str = "raw_captions") -> QualityOutcome:
    """Each chunk (channel, start) must appear once: a duplicate would be counted twice."""
    if table.num_rows == 0:
        return QualityOutcome(True, f"{what}: no rows", {"rows": 0, "duplicate_chunk_ids": 0})
    counts = table.group_by("chunk_id").aggregate([("chunk_id", "count")])
    duplicated = counts.filter(pc.greater(counts["chunk_id_count"], 1))
    n = duplicated.num_rows
    return QualityOutcome(
        passed=n == 0,
        summary=f"{what}: {n} chunk ids appear more than once" if n else f"{what}: ids unique",
        numbers={"rows": table.num_rows, "duplicate_chunk_ids": n},
        offending=_rows(duplicated, ["chunk_id", "chunk_id_count"]),
    )


def plaintext_disagrees(table: pa.Table) -> QualityOutcome:
    """Chunks whose plaintext is not their word list's words: the provider altered one of them.
    They are counted from the word list; many of them mean a change at the provider."""
    flagged = table.filter(pc.equal(pc.fill_null(table["plaintext_agrees"], True), False))
    n = flagged.num_rows
    return QualityOutcome(
        passed=n == 0,
        summary=(
            f"{n} of {table.num_rows} chunks have a plaintext that disagrees with their word "
            "list (counted from the word list)"
            if n
            else f"plaintext agrees with the word list in all {table.num_rows} chunks"
        ),
        numbers={"rows": table.num_rows, "plaintext_disagrees": n},
        offending=_rows(flagged, ["chunk_id", "channel_name", "start"]),
    )


def rejected_rate(
    accepted_rows: int, rejected: pa.Table, max_rate: float = DEFAULT_MAX_REJECTED_RATE
) -> QualityOutcome:
    """Share of source records quarantined; a jump means the provider changed its format."""
    total = accepted_rows + rejected.num_rows
    rate = rejected.num_rows / total if total else 0.0
    reasons: dict[str, int] = {}
    if rejected.num_rows and "reason" in rejected.column_names:
        for reason in rejected["reason"].to_pylist():
            key = str(reason).split(":", 1)[0]
            reasons[key] = reasons.get(key, 0) + 1
    top = ", ".join(f"{r} ({n})" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    return QualityOutcome(
        passed=rate <= max_rate,
        summary=(
            f"{rejected.num_rows} of {total} records rejected ({rate:.2%}, limit {max_rate:.2%})"
            + (f": {top}" if top else "")
        ),
        numbers={"rejected": rejected.num_rows, "records": total, "rejected_rate": rate},
        offending=_rows(rejected, ["day", "file", "line", "page", "position", "reason"]),
    )


def low_coverage(
    time_monitored: pa.Table, min_coverage: float = DEFAULT_MIN_COVERAGE
) -> QualityOutcome:
    """Channel-days whose captions cover too little of the grid: their share rests on little."""
    measured = time_monitored.filter(pc.is_valid(time_monitored["coverage"]))
    low = measured.filter(pc.less(measured["coverage"], min_coverage))
    low = low.sort_by([("coverage", "ascending"), ("channel_name", "ascending")])
    channels = sorted(set(low["channel_name"].to_pylist()))
    return QualityOutcome(
        passed=low.num_rows == 0,
        summary=(
            f"{low.num_rows} channel-days below {min_coverage:.0%} coverage: {', '.join(channels)}"
            if low.num_rows
            else f"every channel-day covers at least {min_coverage:.0%} of its grid"
        ),
        numbers={
            "channel_days": time_monitored.num_rows,
            "low_coverage_channel_days": low.num_rows,
            "min_coverage_seen": pc.min(measured["coverage"]).as_py() if measured.num_rows else 0.0,
        },
        offending=_rows(
            low, ["channel_name", "day", "coverage", "covered_minutes", "grid_minutes"]
        ),
    )


def captions_without_grid(time_monitored: pa.Table) -> QualityOutcome:
    """A channel that sent captions but has no grid minutes: missing from the programme grid."""
    received = pc.greater(time_monitored["chunks_received"], 0)
    no_grid = pc.less_equal(pc.fill_null(time_monitored["grid_minutes"], 0.0), 0.0)
    bad = time_monitored.filter(pc.and_(received, no_grid))
    channels = sorted(set(bad["channel_name"].to_pylist()))
    return QualityOutcome(
        passed=bad.num_rows == 0,
        summary=(
            f"captions received but no programme-grid minutes for: {', '.join(channels)}"
            if bad.num_rows
            else "every channel with captions has grid minutes"
        ),
        numbers={"channels_without_grid": len(channels)},
        offending=_rows(bad, ["channel_name", "day", "chunks_received", "grid_minutes"]),
    )


def shares_out_of_range(indicators: pa.Table) -> QualityOutcome:
    """Every share_* must lie in [0, 1]; outside, a numerator or denominator is wrong."""
    share_columns = [c for c in indicators.column_names if c == "share" or c.startswith("share_")]
    bad_mask = None
    for column in share_columns:
        values = indicators[column]
        outside = pc.or_(pc.less(values, 0.0), pc.greater(values, 1.0))
        outside = pc.fill_null(outside, False)
        bad_mask = outside if bad_mask is None else pc.or_(bad_mask, outside)
    bad = indicators.filter(bad_mask) if bad_mask is not None else indicators.slice(0, 0)
    return QualityOutcome(
        passed=bad.num_rows == 0,
        summary=(
            f"{bad.num_rows} channel-days with a share outside [0, 1]"
            if bad.num_rows
            else f"all {len(share_columns)} share columns within [0, 1]"
        ),
        numbers={"rows": indicators.num_rows, "rows_out_of_range": bad.num_rows},
        offending=_rows(bad, ["channel_name", "day", "share", "env_minutes", "covered_minutes"]),
    )


def segments_consistent(
    captions: pa.Table, segments: pa.Table, keywords: pa.Table, window_seconds: int
) -> QualityOutcome:
    """The matching stage's output agrees with its input and with its own evidence.

    One segment per caption chunk, unique ids, the configured window length, counters within the
    chunk's windows, and `number_of_keywords` equal to the distinct counted windows in the
    keyword evidence: if any of these fails, the indicators would be wrong, so they must not run.
    """
    problems: list[str] = []
    offending: list[dict[str, Any]] = []
    caption_ids = set(captions["chunk_id"].to_pylist())
    segment_ids = segments["chunk_id"].to_pylist()
    if len(segment_ids) != len(set(segment_ids)):
        problems.append(f"{len(segment_ids) - len(set(segment_ids))} duplicate segment ids")
    missing = caption_ids - set(segment_ids)
    extra = set(segment_ids) - caption_ids
    if missing:
        problems.append(f"{len(missing)} caption chunks without a segment")
        offending += [{"chunk_id": c, "problem": "no segment"} for c in sorted(missing)[:5]]
    if extra:
        problems.append(f"{len(extra)} segments without a caption chunk")
        offending += [{"chunk_id": c, "problem": "no caption"} for c in sorted(extra)[:5]]
    if segments.num_rows:
        windows = set(segments["window_seconds"].to_pylist())
        if windows != {window_seconds}:
            problems.append(f"window_seconds {sorted(windows)} instead of {window_seconds}")
        over = segments.filter(
            pc.or_(
                pc.greater(segments["number_of_keywords"], segments["number_of_windows"]),
                pc.less(segments["number_of_keywords"], 0),
            )
        )
        if over.num_rows:
            problems.append(f"{over.num_rows} segments count more windows than they have")
    counted = keywords.filter(pc.equal(keywords["counted"], True)).select(["chunk_id", "window"])
    windows = counted.group_by(["chunk_id", "window"]).aggregate([])
    per_chunk = windows.group_by("chunk_id").aggregate([("window", "count")])
    evidence: dict[str, int] = dict(
        zip(
            per_chunk["chunk_id"].to_pylist(),
            per_chunk["window_count"].to_pylist(),
            strict=True,
        )
    )
    mismatched = [
        (chunk, stated, evidence.get(chunk, 0))
        for chunk, stated in zip(
            segment_ids, segments["number_of_keywords"].to_pylist(), strict=True
        )
        if stated != evidence.get(chunk, 0)
    ]
    if mismatched:
        problems.append(f"{len(mismatched)} segments disagree with their keyword evidence")
        offending += [
            {"chunk_id": c, "number_of_keywords": n, "evidence_windows": e}
            for c, n, e in mismatched[:5]
        ]
    return QualityOutcome(
        passed=not problems,
        summary="; ".join(problems) or "segments match captions and keyword evidence",
        numbers={
            "caption_chunks": len(caption_ids),
            "segments": len(segment_ids),
            "counted_windows": sum(evidence.values()),
        },
        offending=offending[:SHOWN_ROWS],
    )


def dictionary_version_current(indicators: pa.Table, current_version: str) -> QualityOutcome:
    """Days produced by another dictionary than the current one: they need a re-match."""
    versions = pc.fill_null(indicators["dictionary_version"], "")
    stale = indicators.filter(pc.not_equal(versions, current_version))
    days = sorted({d.isoformat() for d in stale["day"].to_pylist()})
    seen = sorted(set(stale["dictionary_version"].to_pylist()) - {None})
    return QualityOutcome(
        passed=stale.num_rows == 0,
        summary=(
            f"{len(days)} days produced by dictionary {', '.join(seen) or 'unknown'}, "
            f"current is {current_version}: re-match them"
            if stale.num_rows
            else f"all days produced by the current dictionary {current_version}"
        ),
        numbers={"stale_days": len(days), "rows": indicators.num_rows},
        offending=[{"day": d} for d in days[:SHOWN_ROWS]],
    )
