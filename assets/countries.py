"""environmental_share_across_countries: one figure for every country the deployment measures.

Unpartitioned, since each country's days are partitions in its own time zone: it reads every
stored complete day of each country's `channel_indicators` from that country's lake and combines
them with `observatoire.publish.country_rollup` (ratio of sums over the calendar days every country
has). Within a country the days must have been counted the same way (dictionary, window,
profile), as for every publication; countries naturally have dictionaries of their own.
Materialise it after the countries' daily stages.
"""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from assets.country import LAKE, CountryGraph
from assets.keys import CHANNEL_INDICATORS, COUNTRIES_GROUP, COUNTRY_ROLLUP, lake_table
from assets.lake_days import read_published_period
from assets.metadata import markdown_table
from observatoire.publish.country_rollup import country_rollup
from observatoire.storage.day_states import mix_note
from resources.lake import LakeResource


class RollupConfig(Config):
    allow_mixed_versions: bool = Field(
        default=False,
        description="Combine a country's days counted with different dictionaries, windows or "
        "profiles (its metadata then says which days have which).",
    )


def build_rollup_asset(countries: list[CountryGraph]) -> AssetsDefinition:
    codes = ", ".join(country.code for country in countries)

    @asset(
        key=COUNTRY_ROLLUP,
        deps=[country.key(CHANNEL_INDICATORS) for country in countries],
        group_name=COUNTRIES_GROUP,
        required_resource_keys={country.name(LAKE) for country in countries},
        description=f"Environmental share across countries ({codes}), per calendar day and "
        "overall: environmental seconds summed over every channel of every country, divided by "
        "monitored seconds summed likewise (a ratio of sums, never an average of shares), over "
        "the calendar days every country has indicators for; each country's day is its local "
        "broadcast day.",
    )
    def environmental_share_across_countries(
        context: AssetExecutionContext, config: RollupConfig
    ) -> MaterializeResult:
        indicators = {}
        versions = {}
        for country in countries:
            lake = LakeResource.lake(country.resource(context, LAKE))
            days = lake.days(lake_table(CHANNEL_INDICATORS))
            if not days:
                raise Failure(
                    description=f"country {country.code} has no {lake_table(CHANNEL_INDICATORS)}: "
                    "materialise its daily stages first"
                )
            period = read_published_period(
                lake, days, config.allow_mixed_versions, country.time_zone
            )
            indicators[country.code] = period.indicators
            versions[country.code] = mix_note(period) or "; ".join(
                state.describe() for state in period.by_state()
            )
        rollup = country_rollup(indicators)
        rows = [
            {
                "day": row["day"].isoformat(),
                "env_seconds": f"{row['env_seconds']:.0f}",
                "monitored_seconds": f"{row['monitored_seconds']:.0f}",
                "share": "" if row["share"] is None else f"{row['share']:.4f}",
            }
            for row in rollup.per_day.to_pylist()
        ]
        left_out = {
            code: [d.isoformat() for d in days] for code, days in rollup.days_left_out.items()
        }
        context.log.info(f"{len(rows)} common day(s) of {codes}; share {rollup.share}")
        return MaterializeResult(
            metadata={
                "formula": MetadataValue.text(
                    "sum of environmental seconds over countries and channels / sum of "
                    "monitored seconds, on the calendar days every country has"
                ),
                "countries": MetadataValue.text(codes),
                "counted_with": MetadataValue.json(versions),
                "common_days": MetadataValue.int(len(rows)),
                "share": MetadataValue.float(
                    float("nan") if rollup.share is None else rollup.share
                ),
                "env_seconds": MetadataValue.float(rollup.env_seconds),
                "monitored_seconds": MetadataValue.float(rollup.monitored_seconds),
                "days_left_out": MetadataValue.json(left_out),
                "per_day": MetadataValue.md(
                    markdown_table(rows, ["day", "env_seconds", "monitored_seconds", "share"])
                    if rows
                    else "_no day common to every country_"
                ),
            }
        )

    return environmental_share_across_countries
