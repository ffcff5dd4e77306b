"""raw_captions[day]: every caption chunk of the day from the configured source, and its quarantine.

Records that cannot be used go to raw_captions_rejected with their reason and raw text; exact
duplicates are dropped and counted. Each day is written separately, replacing what was there.
"""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    multi_asset,
)

from assets.metadata import RunSummary, preview
from assets.partitions import (
    BACKFILL_POLICY,
    DailyRunConfig,
    day_writes,
    run_channels,
    run_days,
    stored_day,
    write_channels_day,
)
from observatoire.intake import captions_of_day
from observatoire.partial_days import merge_rejected
from resources.captions import CaptionSource
from resources.lake import LakeResource

GROUP = "daily"


def build_caption_assets(partitions: PartitionsDefinition) -> AssetsDefinition:
    @multi_asset(
        name="ingest_captions",
        specs=[
            AssetSpec(
                "raw_captions",
                deps=["channels"],
                group_name=GROUP,
                kinds={"parquet"},
                description="Every 2-minute caption chunk received for the broadcast day.",
            ),
            AssetSpec(
                "raw_captions_rejected",
                deps=["channels"],
                group_name=GROUP,
                kinds={"parquet"},
                description="Records set aside for the day, each with its reason and raw text.",
            ),
        ],
        partitions_def=partitions,
        backfill_policy=BACKFILL_POLICY,
    )
    def ingest_captions(
        context: AssetExecutionContext,
        config: DailyRunConfig,
        lake: LakeResource,
        captions: CaptionSource,
    ):
        with day_writes(context, lake) as store:
            channels, restricted = run_channels(store, config)
            summary, rejected_summary = RunSummary(), RunSummary()
            missing: list[str] = []
            last = rejected = None
            for day in run_days(context):
                fetch = captions.fetch_day(day, channels)
                parsed = captions_of_day(
                    fetch.items,
                    fetch.source,
                    day,
                    chunks=fetch.chunks,
                    pre_rejected=fetch.pre_rejected,
                    channels=channels,
                )
                table = write_channels_day(store, "raw_captions", day, parsed.table, restricted)
                rejected = merge_rejected(
                    stored_day(store, "raw_captions_rejected", day, restricted),
                    parsed.rejected,
                    partial=restricted is not None,
                )
                store.write_day("raw_captions_rejected", day, rejected)
                missing.extend(f"{day} {channel}: {reason}" for channel, reason in fetch.missing)
                summary.add(
                    day,
                    table["channel_name"].unique().to_pylist(),
                    chunks=table.num_rows,
                    duplicates=parsed.duplicates,
                    rejected=rejected.num_rows,
                )
                rejected_summary.add(day, rejected=rejected.num_rows)
                context.log.info(
                    f"{day}: {table.num_rows} chunks, {parsed.duplicates} duplicates, "
                    f"{rejected.num_rows} rejected"
                )
                last = table
        yield MaterializeResult(
            asset_key="raw_captions",
            metadata={
                **summary.metadata("chunks", "duplicates", "rejected"),
                **captions.describe(),
                "missing_channels": MetadataValue.text("; ".join(missing) or "none"),
                "restricted_to": MetadataValue.text(", ".join(restricted or []) or "all channels"),
                "preview": preview(last, ["channel_name", "start", "plaintext"]),
            },
        )
        yield MaterializeResult(
            asset_key="raw_captions_rejected",
            metadata={
                **rejected_summary.metadata("rejected"),
                "preview": preview(rejected, ["day", "position", "reason", "record"]),
            },
        )

    return ingest_captions
