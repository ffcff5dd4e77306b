"""stop_phrase_candidates[week]: repeated keyword contexts for a human to accept as stop phrases.

Nothing changes the measure automatically: an analyst reads the candidates in the UI, copies the
real adverts and jingles into `observatoire/data/stop_phrases_fr.txt`, and re-matches the days.
"""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from assets.periods import period_days
from observatoire.quality.stop_phrase_discovery import candidates_markdown, discover_stop_phrases
from observatoire.reference.reference import dictionary_from_table
from resources.lake import LakeResource

GROUP = "curation"
TABLE = "stop_phrase_candidates"


def build_discovery_asset(weekly: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        name=TABLE,
        deps=["raw_captions", "theme_keywords", "keyword_dictionary"],
        partitions_def=weekly,
        group_name=GROUP,
        kinds={"parquet"},
        description="Keyword contexts repeated word for word many times in the week on a "
        "channel (adverts, jingles): candidates for the stop-phrase list.",
    )
    def stop_phrase_candidates(
        context: AssetExecutionContext, lake: LakeResource
    ) -> MaterializeResult:
        store = lake.lake()
        days = [
            d
            for d in period_days(context)
            if store.has_day("theme_keywords", d) and store.has_day("raw_captions", d)
        ]
        if not days:
            raise ValueError(f"no matched day in the week of {context.partition_key}")
        dictionary = dictionary_from_table(store.read_table("keyword_dictionary"))
        candidates = discover_stop_phrases(
            store.read_days("theme_keywords", days),
            store.read_days("raw_captions", days),
            existing_stop_phrases=dictionary.stop_phrases,
        )
        path = store.write_day(TABLE, period_days(context)[0], candidates)
        return MaterializeResult(
            metadata={
                "candidates": MetadataValue.int(candidates.num_rows),
                "days_read": MetadataValue.int(len(days)),
                "path": MetadataValue.path(path),
                "review": MetadataValue.md(candidates_markdown(candidates)),
            }
        )

    return stop_phrase_candidates
