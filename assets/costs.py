"""serverless_costs[month]: what the Serverless Jobs runs cost per broadcast day they processed."""

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    RunsFilter,
    asset,
)

from assets.keys import OPERATIONS_GROUP, SERVERLESS_COSTS
from assets.metadata import markdown_table
from assets.partitions import period_days
from observatoire.runs.job_costs import RunUsage, cost_per_day
from resources.scaleway_launcher import (
    BILLED_SECONDS_TAG,
    COST_TAG,
    COSTED_TAG,
    MEMORY_TAG,
    VCPU_TAG,
    run_days,
)


def build_cost_asset(partitions: PartitionsDefinition) -> AssetsDefinition:
    @asset(
        key=SERVERLESS_COSTS,
        group_name=OPERATIONS_GROUP,
        kinds={"scaleway"},
        partitions_def=partitions,
        description="Per broadcast day of the month: the cost, vCPU-hours and number of the job "
        "runs that processed it (a run's cost shared among its days), from the cost each run "
        "recorded.",
    )
    def serverless_costs(context: AssetExecutionContext) -> MaterializeResult:
        runs = context.instance.get_runs(RunsFilter(tags={COSTED_TAG: "true"}))
        usages = [
            RunUsage(
                run_id=run.run_id,
                vcpu=float(run.tags[VCPU_TAG]),
                memory_mb=float(run.tags[MEMORY_TAG]),
                seconds=float(run.tags[BILLED_SECONDS_TAG]),
                cost=float(run.tags[COST_TAG]),
                days=run_days(run),
            )
            for run in runs
        ]
        table = cost_per_day(usages, period_days(context))
        days = len(table)
        total = float(table["cost_eur"].sum()) if days else 0.0
        rows = [
            {
                "day": row.day.isoformat(),
                "cost_eur": f"{row.cost_eur:.4f}",
                "vcpu_hours": f"{row.vcpu_hours:.3f}",
                "runs": int(row.runs),
            }
            for row in table.itertuples()
        ]
        return MaterializeResult(
            metadata={
                "processed_days": days,
                "cost_eur": total,
                "cost_per_processed_day_eur": total / days if days else 0.0,
                "vcpu_hours": float(table["vcpu_hours"].sum()) if days else 0.0,
                "runs": len({u.run_id for u in usages if set(u.days) & set(table["day"])}),
                "per_day": MetadataValue.md(
                    markdown_table(rows, ["day", "cost_eur", "vcpu_hours", "runs"])
                    if rows
                    else "_no costed runs_"
                ),
            }
        )

    return serverless_costs
