"""stop_phrase_candidates[week]: repeated keyword contexts for a human to accept as stop phrases.

Nothing changes the measure automatically: an analyst reads the candidates in the UI, copies the
real adverts and jingles into `observatoire/data/stop_phrases_fr.txt`, and re-matches the days.
"""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from assets.country import LAKE, CountryGraph, default_country
from assets.failures import refused_as_failure
from assets.keys import (
    CURATION_GROUP,
    KEYWORD_DICTIONARY,
    RAW_CAPTIONS,
    STOP_PHRASE_CANDIDATES,
    THEME_KEYWORDS,
    lake_table,
)
from assets.partitions import period_days
from observatoire.quality.stop_phrase_discovery import candidates_markdown, discover_stop_phrases
from observatoire.reference.reference import dictionary_from_table
from resources.lake import LakeResource


def build_discovery_asset(
    weekly: PartitionsDefinition, country: CountryGraph | None = None
) -> AssetsDefinition:
    country = country or default_country()

    @asset(
        key=country.key(STOP_PHRASE_CANDIDATES),
        deps=country.keys([RAW_CAPTIONS, THEME_KEYWORDS, KEYWORD_DICTIONARY]),
        partitions_def=weekly,
        group_name=country.name(CURATION_GROUP),
        required_resource_keys=country.resource_keys(LAKE),
        kinds={"parquet"},
        description="Keyword contexts repeated word for word many times in the week on a "
        "channel (adverts, jingles): candidates for the stop-phrase list.",
    )
    def stop_phrase_candidates(context: AssetExecutionContext) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        store = lake.lake()
        keywords, captions = lake_table(THEME_KEYWORDS), lake_table(RAW_CAPTIONS)
        days = [
            d
            for d in period_days(context)
            if store.has_day(keywords, d) and store.has_day(captions, d)
        ]
        if not days:
            raise Failure(description=f"no matched day in the week of {context.partition_key}")
        dictionary = dictionary_from_table(store.read_table(lake_table(KEYWORD_DICTIONARY)))
        with refused_as_failure():
            candidates = discover_stop_phrases(
                store.read_days(keywords, days),
                store.read_days(captions, days),
                existing_stop_phrases=dictionary.stop_phrases,
            )
        path = store.write_day(
            lake_table(STOP_PHRASE_CANDIDATES), period_days(context)[0], candidates
        )
        return MaterializeResult(
            metadata={
                "candidates": MetadataValue.int(candidates.num_rows),
                "days_read": MetadataValue.int(len(days)),
                "path": MetadataValue.path(path),
                "review": MetadataValue.md(candidates_markdown(candidates)),
            }
        )

    return stop_phrase_candidates
