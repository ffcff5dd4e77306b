"""Asset checks on every daily stage, run for the same days as the materialisation they check.

The rules live in `observatoire.data_quality`; here they read the checked days from the lake and
report to the UI. The matching stage's check is blocking: when `theme_segments` disagrees with
its input or its own evidence, `channel_indicators` is not materialised in that run.
"""

from collections.abc import Callable
from datetime import date

import pyarrow as pa
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    MetadataValue,
    PartitionsDefinition,
    asset_check,
)

from assets.metadata import markdown_table
from assets.partitions import run_days
from observatoire import data_quality
from observatoire.data_quality import QualityOutcome
from observatoire.lake import Lake
from resources.lake import LakeResource
from resources.method import MethodResource

SEGMENT_CHECK_COLUMNS = ["chunk_id", "window_seconds", "number_of_windows", "number_of_keywords"]


def _read(
    lake: Lake, table: str, days: list[date], columns: list[str] | None = None
) -> tuple[pa.Table | None, list[date]]:
    """The days present (concatenated, only `columns` when given) and the days missing.

    A check reads only the columns its rule looks at: a month of raw_captions with its word
    lists would take gigabytes, its chunk ids a few megabytes.
    """
    present = [d for d in days if lake.has_day(table, d)]
    missing = [d for d in days if d not in present]
    if not present:
        return None, missing
    return lake.read_days(table, present, columns), missing


def _result(
    outcome: QualityOutcome,
    severity: AssetCheckSeverity,
    days: list[date],
    missing: list[date] = (),  # type: ignore[assignment]
) -> AssetCheckResult:
    metadata: dict[str, MetadataValue] = {
        "days_checked": MetadataValue.int(len(days) - len(missing)),
        "summary": MetadataValue.text(outcome.summary),
    }
    for name, value in outcome.numbers.items():
        metadata[name] = (
            MetadataValue.float(float(value))
            if isinstance(value, float)
            else MetadataValue.int(int(value))
        )
    if outcome.offending:
        columns = list(outcome.offending[0])
        metadata["offending_rows"] = MetadataValue.md(markdown_table(outcome.offending, columns))
    if missing:
        metadata["days_missing_from_lake"] = MetadataValue.text(
            ", ".join(d.isoformat() for d in missing)
        )
    return AssetCheckResult(
        passed=outcome.passed and not missing,
        severity=severity,
        description=outcome.summary
        + (f" ({len(missing)} days missing from the lake)" if missing else ""),
        metadata=metadata,
    )


def _missing_everything(table: str, days: list[date], severity: AssetCheckSeverity):
    outcome = QualityOutcome(False, f"{table} has none of the {len(days)} checked days")
    return _result(outcome, severity, days, days)


def _check_days(
    context: AssetCheckExecutionContext,
    lake: Lake,
    table: str,
    rule: Callable[[pa.Table], QualityOutcome],
    severity: AssetCheckSeverity,
    columns: list[str] | None = None,
) -> AssetCheckResult:
    """A rule over one table's checked days; days missing from the lake fail the check."""
    days = run_days(context)
    checked, missing = _read(lake, table, days, columns)
    if checked is None:
        return _missing_everything(table, days, severity)
    return _result(rule(checked), severity, days, missing)


def build_asset_checks(
    partitions_def: PartitionsDefinition,
    *,
    min_coverage: float = data_quality.DEFAULT_MIN_COVERAGE,
    max_rejected_rate: float = data_quality.DEFAULT_MAX_REJECTED_RATE,
) -> list[AssetChecksDefinition]:
    """Every check of the daily stages, partitioned like the stages themselves."""

    def daily_check(
        asset: str, name: str, description: str, *, blocking: bool = False
    ) -> Callable[[Callable[..., AssetCheckResult]], AssetChecksDefinition]:
        return asset_check(
            asset=asset,
            name=name,
            description=description,
            blocking=blocking,
            partitions_def=partitions_def,
        )

    @daily_check(
        "raw_captions",
        "unique_chunk_ids",
        "Each chunk (channel, start) is stored once; a duplicate would be counted twice.",
    )
    def raw_captions_unique_chunk_ids(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "raw_captions",
            data_quality.duplicate_chunk_ids,
            AssetCheckSeverity.ERROR,
            ["chunk_id"],
        )

    @daily_check(
        "raw_captions",
        "rejected_record_rate",
        f"Share of source records quarantined stays under {max_rejected_rate:.1%} "
        "(a jump means the source changed its format).",
    )
    def raw_captions_rejected_rate(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        days = run_days(context)
        store = lake.lake()
        captions, missing = _read(store, "raw_captions", days, ["chunk_id"])
        if captions is None:
            return _missing_everything("raw_captions", days, AssetCheckSeverity.WARN)
        rejected, _ = _read(store, "raw_captions_rejected", days)
        rejected = rejected if rejected is not None else pa.table({"reason": pa.array([], "str")})
        outcome = data_quality.rejected_rate(captions.num_rows, rejected, max_rejected_rate)
        return _result(outcome, AssetCheckSeverity.WARN, days, missing)

    @daily_check(
        "raw_captions",
        "plaintext_agrees_with_words",
        "Each chunk's plaintext is its word list's words; a chunk where they disagree is counted "
        "from the word list and flagged (plaintext_agrees = false, received_plaintext kept).",
    )
    def raw_captions_plaintext_agrees(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "raw_captions",
            data_quality.plaintext_disagrees,
            AssetCheckSeverity.WARN,
            ["chunk_id", "channel_name", "start", "plaintext_agrees"],
        )

    @daily_check(
        "theme_segments",
        "matches_captions_and_evidence",
        "One segment per caption chunk, the configured window length, and window counters equal "
        "to the counted windows of the keyword evidence. Blocks channel_indicators on failure.",
        blocking=True,
    )
    def theme_segments_consistent(
        context: AssetCheckExecutionContext, lake: LakeResource, method: MethodResource
    ) -> AssetCheckResult:
        days = run_days(context)
        store = lake.lake()
        segments, missing = _read(store, "theme_segments", days, SEGMENT_CHECK_COLUMNS)
        if segments is None:
            return _missing_everything("theme_segments", days, AssetCheckSeverity.ERROR)
        present = [d for d in days if d not in missing]
        captions = store.read_days("raw_captions", present, ["chunk_id"])
        keywords = store.read_days("theme_keywords", present, ["chunk_id", "counted", "window"])
        outcome = data_quality.segments_consistent(
            captions, segments, keywords, method.window_seconds
        )
        return _result(outcome, AssetCheckSeverity.ERROR, days, missing)

    @daily_check(
        "time_monitored",
        "coverage",
        f"Each channel's captions cover at least {min_coverage:.0%} of its programme grid; "
        "below that its share rests on part of the day only.",
    )
    def time_monitored_coverage(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "time_monitored",
            lambda monitored: data_quality.low_coverage(monitored, min_coverage),
            AssetCheckSeverity.WARN,
        )

    @daily_check(
        "time_monitored",
        "captions_have_grid",
        "A channel that sent captions has programme-grid minutes (else it is missing from the "
        "grid and its airtime is never counted).",
    )
    def time_monitored_captions_have_grid(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "time_monitored",
            data_quality.captions_without_grid,
            AssetCheckSeverity.ERROR,
        )

    @daily_check(
        "channel_indicators",
        "shares_within_0_1",
        "Every share column lies in [0, 1].",
    )
    def channel_indicators_shares(
        context: AssetCheckExecutionContext, lake: LakeResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "channel_indicators",
            data_quality.shares_out_of_range,
            AssetCheckSeverity.ERROR,
        )

    @daily_check(
        "channel_indicators",
        "current_dictionary",
        "The indicators were produced by the current keyword dictionary and stop phrases; "
        "otherwise re-match these days (job `rematch`).",
    )
    def channel_indicators_current_dictionary(
        context: AssetCheckExecutionContext, lake: LakeResource, method: MethodResource
    ) -> AssetCheckResult:
        return _check_days(
            context,
            lake.lake(),
            "channel_indicators",
            lambda indicators: data_quality.dictionary_version_current(
                indicators, method.dictionary().version
            ),
            AssetCheckSeverity.WARN,
        )

    return [
        raw_captions_unique_chunk_ids,
        raw_captions_rejected_rate,
        raw_captions_plaintext_agrees,
        theme_segments_consistent,
        time_monitored_coverage,
        time_monitored_captions_have_grid,
        channel_indicators_shares,
        channel_indicators_current_dictionary,
    ]
