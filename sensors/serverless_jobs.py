"""Supervision of the Serverless Jobs runs, for what Dagster's run monitoring leaves out.

Run monitoring only asks the launcher about runs that have started; this sensor, evaluated by the
daemon every 30 seconds, fails a STARTING run whose job run already ended (image missing, quota,
job timeout) with the job's reason, stops job runs left behind by ended runs, and records each
finished job run's billed seconds and cost on its run (see `ScalewayJobsRunLauncher.supervise`).
Where runs are not launched as Serverless Jobs it skips.
"""

from dagster import (
    DefaultSensorStatus,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from observatoire.runs.job_costs import PriceTable
from resources.scaleway_launcher import ScalewayJobsRunLauncher

INTERVAL_SECONDS = 30


def build_serverless_jobs_sensor(prices: PriceTable) -> SensorDefinition:
    @sensor(
        name="serverless_jobs_supervision",
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Fails runs whose Serverless Job ended before they started, stops job runs "
        "left behind, and records what each job run cost.",
    )
    def serverless_jobs_supervision(context: SensorEvaluationContext) -> SkipReason:
        launcher = context.instance.run_launcher
        if not isinstance(launcher, ScalewayJobsRunLauncher):
            return SkipReason("runs are not launched as Scaleway Serverless Jobs here")
        actions = launcher.supervise(prices)
        for action in actions:
            context.log.info(action)
        return SkipReason("; ".join(actions) if actions else "nothing to do")

    return serverless_jobs_supervision
