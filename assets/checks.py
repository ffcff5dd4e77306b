"""Asset checks on every daily stage, one result per day checked.

The rules live in `observatoire.quality.data_quality`; here they read each checked day from the lake
and report to the UI. A run covers a range of days, and a check result returned from it would belong
to no day (Dagster attaches an `AssetCheckResult` to a partition only in a single-partition run), so
each check yields one `AssetCheckEvaluation` per day with `partition` set: every day has its own
status in the asset's partition view, and a failing day is found there.

The matching stage's check is blocking: when `theme_segments` disagrees with its input or its own
evidence on any day, `channel_indicators` is not materialised in that run.
"""

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pyarrow as pa
from dagster import (
    AssetCheckEvaluation,
    AssetCheckExecutionContext,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    MetadataValue,
    Output,
    PartitionsDefinition,
    asset_check,
)

from assets.country import LAKE, METHOD, CountryGraph, default_country
from assets.keys import (
    CHANNEL_INDICATORS,
    RAW_CAPTIONS,
    THEME_SEGMENTS,
    TIME_MONITORED,
    lake_table,
)
from assets.metadata import markdown_table
from assets.partitions import run_days
from observatoire.quality import data_quality
from observatoire.quality.data_quality import QualityOutcome
from observatoire.storage.lake import Lake
from resources.lake import LakeResource
from resources.method import MethodResource
from resources.private_apis import AssetCheckEvaluationTargetMaterializationData

SEGMENT_CHECK_COLUMNS = ["chunk_id", "window_seconds", "number_of_windows", "number_of_keywords"]

CheckEvents = Iterator[AssetCheckEvaluation | Output]


class DayVerdict:
    """What a rule found on one day, before it becomes that day's check evaluation."""

    def __init__(self, outcome: QualityOutcome, missing: bool = False) -> None:
        self.outcome = outcome
        self.missing = missing

    @property
    def passed(self) -> bool:
        return self.outcome.passed and not self.missing

    def metadata(self) -> dict[str, MetadataValue]:
        metadata: dict[str, MetadataValue] = {
            "summary": MetadataValue.text(self.outcome.summary),
        }
        for name, value in self.outcome.numbers.items():
            metadata[name] = (
                MetadataValue.float(float(value))
                if isinstance(value, float)
                else MetadataValue.int(int(value))
            )
        if self.outcome.offending:
            columns = list(self.outcome.offending[0])
            metadata["offending_rows"] = MetadataValue.md(
                markdown_table(self.outcome.offending, columns)
            )
        return metadata


def _missing(table: str, day: date) -> DayVerdict:
    return DayVerdict(QualityOutcome(False, f"{table} has no file for {day}"), missing=True)


def _targets(
    instance: DagsterInstance, asset_key: AssetKey, days: list[str]
) -> dict[str, AssetCheckEvaluationTargetMaterializationData]:
    """Each day's latest materialisation, which the UI shows the day's evaluation against.

    Read newest first for all the run's days at once (the run has just materialised them, so the
    first page nearly always holds every one): one query per check rather than one per day, each
    a round trip to the instance's storage."""
    wanted = set(days)
    found: dict[str, AssetCheckEvaluationTargetMaterializationData] = {}
    cursor = None
    while wanted - found.keys():
        page = instance.fetch_materializations(
            AssetRecordsFilter(asset_key=asset_key, asset_partitions=days),
            limit=max(len(days), 1) * 2,
            cursor=cursor,
        )
        for record in page.records:
            if record.partition_key in wanted and record.partition_key not in found:
                found[record.partition_key] = AssetCheckEvaluationTargetMaterializationData(
                    run_id=record.event_log_entry.run_id,
                    storage_id=record.storage_id,
                    timestamp=record.timestamp,
                )
        if not page.has_more:
            break
        cursor = page.cursor
    return found


def per_day(
    context: AssetCheckExecutionContext,
    severity: AssetCheckSeverity,
    verdict: Callable[[date], DayVerdict],
) -> CheckEvents:
    """One evaluation per day of the run, then the check's (empty) output."""
    spec = context.check_specs[0]
    failed: list[str] = []
    days = run_days(context)
    targets = _targets(context.instance, spec.asset_key, [day.isoformat() for day in days])
    for day in days:
        found = verdict(day)
        key = day.isoformat()
        if not found.passed:
            failed.append(key)
        yield AssetCheckEvaluation(
            asset_key=spec.asset_key,
            check_name=spec.name,
            passed=found.passed,
            metadata=found.metadata(),
            target_materialization_data=targets.get(key),
            severity=severity,
            description=found.outcome.summary,
            blocking=spec.blocking,
            partition=key,
        )
    if failed:
        context.log.warning(f"{spec.name} failed on {len(failed)} day(s): {', '.join(failed)}")
    yield Output(None)


def _rule_per_day(
    lake: Lake,
    asset: AssetKey,
    rule: Callable[[pa.Table], QualityOutcome],
    columns: list[str] | None = None,
) -> Callable[[date], DayVerdict]:
    """A rule over one asset's day; a day missing from the lake fails."""
    table = lake_table(asset)

    def verdict(day: date) -> DayVerdict:
        if not lake.has_day(table, day):
            return _missing(table, day)
        return DayVerdict(rule(lake.read_day(table, day, columns)))

    return verdict


def _rejected_rate_per_day(store: Lake, max_rejected_rate: float) -> Callable[[date], DayVerdict]:
    """The share of a day's records quarantined, against the captions stored for it."""

    def verdict(day: date) -> DayVerdict:
        if not store.has_day("raw_captions", day):
            return _missing("raw_captions", day)
        captions = store.read_day("raw_captions", day, ["chunk_id"])
        rejected = (
            store.read_day("raw_captions_rejected", day)
            if store.has_day("raw_captions_rejected", day)
            else pa.table({"reason": pa.array([], "str")})
        )
        return DayVerdict(
            data_quality.rejected_rate(captions.num_rows, rejected, max_rejected_rate)
        )

    return verdict


def _segments_consistent_per_day(store: Lake, window_seconds: int) -> Callable[[date], DayVerdict]:
    """A day's segments against its captions and keyword evidence."""

    def verdict(day: date) -> DayVerdict:
        if not store.has_day("theme_segments", day):
            return _missing("theme_segments", day)
        return DayVerdict(
            data_quality.segments_consistent(
                store.read_day("raw_captions", day, ["chunk_id"]),
                store.read_day("theme_segments", day, SEGMENT_CHECK_COLUMNS),
                store.read_day("theme_keywords", day, ["chunk_id", "counted", "window"]),
                window_seconds,
            )
        )

    return verdict


def _lake_of(country: CountryGraph) -> Callable[[AssetCheckExecutionContext], Lake]:
    """The lake of the country's resource, from a check's context."""

    def lake_of(context: AssetCheckExecutionContext) -> Lake:
        resource: LakeResource = country.resource(context, LAKE)
        return resource.lake()

    return lake_of


def _method_of(country: CountryGraph) -> Callable[[AssetCheckExecutionContext], MethodResource]:
    def method_of(context: AssetCheckExecutionContext) -> MethodResource:
        return country.resource(context, METHOD)

    return method_of


def build_asset_checks(
    partitions_def: PartitionsDefinition,
    *,
    min_coverage: float = data_quality.DEFAULT_MIN_COVERAGE,
    max_rejected_rate: float = data_quality.DEFAULT_MAX_REJECTED_RATE,
    country: CountryGraph | None = None,
) -> list[AssetChecksDefinition]:
    """Every check of the daily stages, partitioned like the stages themselves; `country`: whose
    assets and lake (default: the default country's)."""
    country = country or default_country()

    def daily_check(
        asset: AssetKey, name: str, description: str, *, blocking: bool = False
    ) -> Callable[[Callable[..., CheckEvents]], AssetChecksDefinition]:
        # Dagster types a check body as returning one result; a generator of evaluations (one
        # per day) is what it runs for a partitioned check.
        decorate: Callable[[Callable[..., Any]], AssetChecksDefinition] = asset_check(
            asset=country.key(asset),
            name=name,
            description=description,
            blocking=blocking,
            partitions_def=partitions_def,
            required_resource_keys=country.resource_keys(LAKE, METHOD),
        )
        return decorate

    lake_of, method_of = _lake_of(country), _method_of(country)

    @daily_check(
        RAW_CAPTIONS,
        "unique_chunk_ids",
        "Each chunk (channel, start) is stored once; a duplicate would be counted twice.",
    )
    def raw_captions_unique_chunk_ids(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.ERROR,
            _rule_per_day(
                lake_of(context), RAW_CAPTIONS, data_quality.duplicate_chunk_ids, ["chunk_id"]
            ),
        )

    @daily_check(
        RAW_CAPTIONS,
        "rejected_record_rate",
        f"Share of source records quarantined stays under {max_rejected_rate:.1%} "
        "(a jump means the source changed its format).",
    )
    def raw_captions_rejected_rate(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.WARN,
            _rejected_rate_per_day(lake_of(context), max_rejected_rate),
        )

    @daily_check(
        RAW_CAPTIONS,
        "plaintext_agrees_with_words",
        "Each chunk's plaintext is its word list's words; a chunk where they disagree is counted "
        "from the word list and flagged (plaintext_agrees = false, received_plaintext kept).",
    )
    def raw_captions_plaintext_agrees(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.WARN,
            _rule_per_day(
                lake_of(context),
                RAW_CAPTIONS,
                data_quality.plaintext_disagrees,
                ["chunk_id", "channel_name", "start", "plaintext_agrees"],
            ),
        )

    @daily_check(
        THEME_SEGMENTS,
        "matches_captions_and_evidence",
        "One segment per caption chunk, the configured window length, and window counters equal "
        "to the counted windows of the keyword evidence. Blocks channel_indicators on failure.",
        blocking=True,
    )
    def theme_segments_consistent(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.ERROR,
            _segments_consistent_per_day(lake_of(context), method_of(context).window_seconds),
        )

    @daily_check(
        TIME_MONITORED,
        "coverage",
        f"Each channel's captions cover at least {min_coverage:.0%} of its programme grid; "
        "below that its share rests on part of the day only.",
    )
    def time_monitored_coverage(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.WARN,
            _rule_per_day(
                lake_of(context),
                TIME_MONITORED,
                lambda monitored: data_quality.low_coverage(monitored, min_coverage),
            ),
        )

    @daily_check(
        TIME_MONITORED,
        "captions_have_grid",
        "A channel that sent captions has programme-grid minutes (else it is missing from the "
        "grid and its airtime is never counted).",
    )
    def time_monitored_captions_have_grid(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.ERROR,
            _rule_per_day(lake_of(context), TIME_MONITORED, data_quality.captions_without_grid),
        )

    @daily_check(
        CHANNEL_INDICATORS,
        "shares_within_0_1",
        "Every share column lies in [0, 1].",
    )
    def channel_indicators_shares(context: AssetCheckExecutionContext) -> CheckEvents:
        yield from per_day(
            context,
            AssetCheckSeverity.ERROR,
            _rule_per_day(lake_of(context), CHANNEL_INDICATORS, data_quality.shares_out_of_range),
        )

    @daily_check(
        CHANNEL_INDICATORS,
        "current_dictionary",
        "The indicators were produced by the current keyword dictionary and stop phrases; "
        "otherwise re-match these days (job `rematch`).",
    )
    def channel_indicators_current_dictionary(context: AssetCheckExecutionContext) -> CheckEvents:
        current = method_of(context).dictionary_version()
        yield from per_day(
            context,
            AssetCheckSeverity.WARN,
            _rule_per_day(
                lake_of(context),
                CHANNEL_INDICATORS,
                lambda indicators: data_quality.dictionary_version_current(indicators, current),
            ),
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
