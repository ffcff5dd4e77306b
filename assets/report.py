"""report[month]: a static HTML report of the month, written to `<lake>/reports/`."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)

from assets.metadata import markdown_table
from assets.periods import period_days
from observatoire.report import (
    keyword_counts,
    render_report,
    report_data,
    sum_keyword_counts,
    write_report,
)
from resources.lake import LakeResource

GROUP = "publication"


def build_report_asset(monthly: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        deps=["channel_indicators", "theme_keywords"],
        partitions_def=monthly,
        group_name=GROUP,
        kinds={"html"},
        description="Self-contained HTML report of the month: share over time per crisis and "
        "per channel, ranking of channels, most counted keywords (charts in inline SVG).",
    )
    def report(context: AssetExecutionContext, lake: LakeResource) -> MaterializeResult:
        store = lake.lake()
        days = [d for d in period_days(context) if store.has_day("channel_indicators", d)]
        if not days:
            raise ValueError(
                f"no channel_indicators in {context.partition_key}: materialise the daily "
                "stages for this month first"
            )
        indicators = store.read_days("channel_indicators", days)
        counts = sum_keyword_counts(
            [
                keyword_counts(store.read_day("theme_keywords", d))
                for d in days
                if store.has_day("theme_keywords", d)
            ]
        )
        data = report_data(indicators, counts)
        path = write_report(
            render_report(data),
            store.filesystem,
            f"{store.root}/reports/report_{context.partition_key[:7]}.html",
        )
        ranking = [
            {"channel": r["channel_name"], "share": f"{r['share']:.2%}"}
            for r in data.ranking.to_dict("records")
        ]
        keywords = data.top_keywords.head(10).to_dict("records")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(path),
                "days": MetadataValue.int(len(days)),
                "share_all_channels": MetadataValue.float(float(data.total_share or 0.0)),
                "ranking": MetadataValue.md(markdown_table(ranking, ["channel", "share"])),
                "top_keywords": MetadataValue.md(
                    markdown_table(keywords, ["keyword", "crisis", "windows"])
                    if keywords
                    else "_none_"
                ),
            }
        )

    return report
