"""The `rematch` job: re-derive segments, evidence and indicators after a dictionary change.

Editing the dictionary or the stop phrases changes the dictionary's content hash, so the
`keyword_dictionary` asset shows a new code version; once it is materialised again, every
`theme_segments`, `theme_keywords` and `channel_indicators` partition made with the previous
version shows as stale. Re-matching a range of days runs this job over it, which leaves the raw
captions and the time monitored untouched.

`python -m assets.rematch START END` (what `make rematch` calls) refreshes the reference data,
then executes the job directly, one run per stretch of up to 31 days, on the instance under
DAGSTER_HOME: no daemon is needed, and the runs show in the UI. A range outside the daily
partitions is refused before anything runs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import Any

from dagster import AssetSelection, PartitionsDefinition, define_asset_job

from assets.country import CountryGraph, default_country
from assets.keys import CHANNEL_INDICATORS, THEME_KEYWORDS, THEME_SEGMENTS
from assets.partitions import MAX_DAYS_PER_RUN, partition_range, range_tags

REMATCH_JOB = "rematch"


def rematch_job(partitions: PartitionsDefinition, country: CountryGraph | None = None) -> Any:
    """The re-match job of a country (default: the default country's `rematch`; another
    country's is `<code>_rematch`)."""
    country = country or default_country()
    return define_asset_job(
        country.name(REMATCH_JOB),
        selection=AssetSelection.assets(
            *country.keys([THEME_SEGMENTS, THEME_KEYWORDS, CHANNEL_INDICATORS])
        ),
        partitions_def=partitions,
        description="Re-match a range of days with the current keyword dictionary and stop "
        "phrases (materialise keyword_dictionary first): theme_segments, theme_keywords, "
        "channel_indicators and their checks.",
    )


def run_ranges(first: date, last: date, per_run: int = MAX_DAYS_PER_RUN) -> list[tuple[date, date]]:
    """first..last cut into consecutive stretches of at most `per_run` days, one run each."""
    if last < first:
        raise ValueError(f"empty range {first}..{last}")
    ranges = []
    start = first
    while start <= last:
        end = min(start + timedelta(days=per_run - 1), last)
        ranges.append((start, end))
        start = end + timedelta(days=1)
    return ranges


def plan(partitions: PartitionsDefinition, first: date, last: date) -> list[tuple[date, date]]:
    """The runs of a re-match, or ValueError naming the partition range when outside it."""
    lowest, highest = partition_range(partitions)
    if highest is None or first < lowest or last > highest:
        raise ValueError(
            f"{first}..{last} is outside the partition range {lowest}..{highest or '(none yet)'}"
        )
    return run_ranges(first, last)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m assets.rematch",
        description="Refresh the reference data, then re-match START..END, up to 31 days a run.",
    )
    parser.add_argument("start", type=date.fromisoformat)
    parser.add_argument("end", type=date.fromisoformat)
    parser.add_argument(
        "--job", default=REMATCH_JOB, help="job to run over the range (default rematch)"
    )
    parser.add_argument(
        "--country",
        default=None,
        help="country whose job runs (default: the default country; it must be one of "
        "OBSERVATOIRE_COUNTRIES)",
    )
    args = parser.parse_args(argv)

    from dagster import DagsterInstance

    from definitions import defs
    from sensors.schedules import REFERENCE_JOB

    country = default_country() if args.country is None else CountryGraph(args.country, "")
    job_name, reference_job = country.name(args.job), country.name(REFERENCE_JOB)
    if job_name not in {job.name for job in defs.resolve_all_job_defs()}:
        print(
            f"error: no job {job_name} (is the country in OBSERVATOIRE_COUNTRIES?): "
            "nothing was run",
            file=sys.stderr,
        )
        return 2
    job = defs.resolve_job_def(job_name)
    if job.partitions_def is None:
        print(f"error: job {args.job} is not partitioned: nothing was run", file=sys.stderr)
        return 2
    try:
        ranges = plan(job.partitions_def, args.start, args.end)
    except ValueError as error:
        print(f"error: {error}: nothing was run", file=sys.stderr)
        return 2
    with DagsterInstance.get() as instance:
        reference = defs.resolve_job_def(reference_job).execute_in_process(
            instance=instance, raise_on_error=False
        )
        if not reference.success:
            print(f"error: run {reference.run_id} ({reference_job}) failed", file=sys.stderr)
            return 1
        for first, last in ranges:
            result = job.execute_in_process(
                instance=instance, tags=range_tags(first, last), raise_on_error=False
            )
            state = "succeeded" if result.success else "FAILED"
            print(f"{job_name} {first}..{last}: run {result.run_id} {state}")
            if not result.success:
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
