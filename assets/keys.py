"""Every asset key and asset group of the code location, named once.

Asset names are also the lake's table names (a daily asset writes `<lake>/<name>/day=…`), so the
daily tables are derived from the daily asset keys rather than listed a second time.
"""

from __future__ import annotations

from dagster import AssetKey

REFERENCE_GROUP = "reference"
DAILY_GROUP = "daily"
PUBLICATION_GROUP = "publication"
CURATION_GROUP = "curation"
OPERATIONS_GROUP = "operations"
COUNTRIES_GROUP = "countries"

DICTIONARY_FILES = AssetKey("dictionary_files")
KEYWORD_DICTIONARY = AssetKey("keyword_dictionary")
CHANNELS = AssetKey("channels")
PROGRAMME_GRID = AssetKey("programme_grid")

RAW_CAPTIONS = AssetKey("raw_captions")
RAW_CAPTIONS_REJECTED = AssetKey("raw_captions_rejected")
THEME_SEGMENTS = AssetKey("theme_segments")
THEME_KEYWORDS = AssetKey("theme_keywords")
TIME_MONITORED = AssetKey("time_monitored")
CHANNEL_INDICATORS = AssetKey("channel_indicators")

OPEN_DATA = AssetKey("open_data")
REPORT = AssetKey("report")
STOP_PHRASE_CANDIDATES = AssetKey("stop_phrase_candidates")
SERVERLESS_COSTS = AssetKey("serverless_costs")
COUNTRY_ROLLUP = AssetKey("environmental_share_across_countries")

REFERENCE_ASSETS = (KEYWORD_DICTIONARY, CHANNELS, PROGRAMME_GRID)
"""The reference assets stored in the lake as one table each (`dictionary_files` is a source)."""
DAILY_ASSETS = (
    RAW_CAPTIONS,
    RAW_CAPTIONS_REJECTED,
    THEME_SEGMENTS,
    THEME_KEYWORDS,
    TIME_MONITORED,
    CHANNEL_INDICATORS,
)
"""The daily stages' assets, in the order a day goes through them."""


def lake_table(key: AssetKey) -> str:
    """The lake table an asset is stored in: its name."""
    return key.to_user_string()


REFERENCE_TABLES = tuple(lake_table(key) for key in REFERENCE_ASSETS)
DAILY_TABLES = tuple(lake_table(key) for key in DAILY_ASSETS)
