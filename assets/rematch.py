"""The `rematch` job: re-derive segments, evidence and indicators after a dictionary change.

Editing the dictionary or the stop phrases changes the dictionary's content hash, so the
`keyword_dictionary` asset shows a new code version; once it is materialised again, every
`theme_segments`, `theme_keywords` and `channel_indicators` partition made with the previous
version shows as stale. Re-matching a range of days is a backfill of this job, which leaves the
raw captions and the time monitored untouched.
"""

from typing import Any

from dagster import AssetSelection, PartitionsDefinition, define_asset_job

REMATCH_JOB = "rematch"


def rematch_job(partitions: PartitionsDefinition) -> Any:
    return define_asset_job(
        REMATCH_JOB,
        selection=AssetSelection.assets("theme_segments", "theme_keywords", "channel_indicators"),
        partitions_def=partitions,
        description="Re-match a range of days with the current keyword dictionary and stop "
        "phrases (materialise keyword_dictionary first): theme_segments, theme_keywords, "
        "channel_indicators and their checks.",
    )
