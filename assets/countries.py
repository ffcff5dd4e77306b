"""environmental_share_across_countries: one figure for every country the deployment measures.

Unpartitioned, since each country's days are partitions in its own time zone: it reads every
stored day of each country's `channel_indicators` from that country's lake and combines them
with `observatoire.publish.country_rollup` (ratio of sums over the calendar days every country
has). Materialise it after the countries' daily stages.
"""

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, MetadataValue, asset

from assets.country import LAKE, CountryGraph
from assets.keys import CHANNEL_INDICATORS, COUNTRIES_GROUP, COUNTRY_ROLLUP, lake_table
from assets.metadata import markdown_table
from observatoire.publish.country_rollup import country_rollup
from resources.lake import LakeResource

ROLLUP_COLUMNS = ["day", "env_minutes", "covered_minutes"]


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
    def environmental_share_across_countries(context: AssetExecutionContext) -> MaterializeResult:
        indicators = {}
        for country in countries:
            lake = LakeResource.lake(country.resource(context, LAKE))
            table = lake_table(CHANNEL_INDICATORS)
            indicators[country.code] = lake.read_days(table, lake.days(table), ROLLUP_COLUMNS)
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
