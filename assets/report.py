"""report[month]: a static HTML report of the month, written to `<lake>/reports/`."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    Config,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)
from pydantic import Field

from assets.country import LAKE, CountryGraph, default_country
from assets.failures import refused_as_failure
from assets.keys import (
    CHANNEL_INDICATORS,
    CHANNELS,
    PUBLICATION_GROUP,
    REPORT,
    THEME_KEYWORDS,
    lake_table,
)
from assets.lake_days import read_published_period
from assets.metadata import markdown_table
from assets.partitions import period_days
from observatoire.publish.report import (
    METHODOLOGY_URL,
    keyword_counts,
    render_report,
    report_data,
    sum_keyword_counts,
    write_report,
)
from observatoire.reference.channels import channels_table, default_channels
from resources.lake import LakeResource


class ReportConfig(Config):
    allow_mixed_versions: bool = Field(
        default=False,
        description="Report days counted with different dictionaries, windows or profiles; "
        "each change is marked on the time axis.",
    )
    methodology_url: str = Field(
        default=METHODOLOGY_URL,
        description="Link to the full methodology, shown under the method summary.",
    )


def build_report_asset(
    monthly: PartitionsDefinition, country: CountryGraph | None = None
) -> AssetsDefinition:
    country = country or default_country()

    @asset(
        key=country.key(REPORT),
        deps=country.keys([CHANNEL_INDICATORS, THEME_KEYWORDS, CHANNELS]),
        partitions_def=monthly,
        group_name=country.name(PUBLICATION_GROUP),
        required_resource_keys=country.resource_keys(LAKE),
        kinds={"html"},
        description="Self-contained HTML report of the month: share over time per crisis, TV and "
        "radio, and per channel (gaps, low coverage and counting changes marked), shares by "
        "crisis and causal link, ranking of channels by name, most counted keywords (charts "
        "drawn by matplotlib as inline SVG, no script).",
    )
    def report(context: AssetExecutionContext, config: ReportConfig) -> MaterializeResult:
        lake: LakeResource = country.resource(context, LAKE)
        store = lake.lake()
        period = read_published_period(
            store, period_days(context), config.allow_mixed_versions, country.time_zone
        )
        days = period.present
        changes = period.changes()
        counts = sum_keyword_counts(
            [
                keyword_counts(store.read_day(lake_table(THEME_KEYWORDS), d))
                for d in days
                if store.has_day(lake_table(THEME_KEYWORDS), d)
            ]
        )
        channels = (
            store.read_table(lake_table(CHANNELS))
            if store.has_table(lake_table(CHANNELS))
            else channels_table(default_channels())
        )
        with refused_as_failure():
            data = report_data(
                period.indicators,
                counts,
                days=period.days,
                changes=[(day, state.describe()) for day, state in changes[1:]],
                channels=channels,
            )
            html = render_report(data, methodology_url=config.methodology_url)
        path = write_report(
            html, store.filesystem, f"{store.root}/reports/report_{context.partition_key[:7]}.html"
        )
        ranking = [
            {"channel": r["channel_title"], "medium": r["medium"], "share": f"{r['share']:.2%}"}
            for r in data.ranking.to_dict("records")
        ]
        keywords = data.top_keywords.head(10).to_dict("records")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(path),
                "days": MetadataValue.int(len(days)),
                "missing_days": MetadataValue.int(len(data.missing_days)),
                "low_coverage_days": MetadataValue.int(len(data.low_coverage_days)),
                "share_all_channels": MetadataValue.float(float(data.total_share or 0.0)),
                "ranking": MetadataValue.md(
                    markdown_table(ranking, ["channel", "medium", "share"])
                ),
                "top_keywords": MetadataValue.md(
                    markdown_table(keywords, ["keyword", "crisis", "windows"])
                    if keywords
                    else "_none_"
                ),
            }
        )

    return report
