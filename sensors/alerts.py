"""Failure alerting: every failed run is reported in the logs and, if configured, to a webhook.

Analysts learn that last night's partition did not materialise without watching the UI: the
sensor writes one alert line (to the sensor's log and to the `observatoire.alerts` logger) and
POSTs the same alert as JSON to `OBSERVATOIRE_ALERT_WEBHOOK_URL` when it is set.
"""

import logging

import dagster as dg

from assets.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG
from resources.alert_webhook import AlertDeliveryError, AlertWebhook, redacted

_log = logging.getLogger("observatoire.alerts")

BACKFILL_TAG = "dagster/backfill"
DEFAULT_UI_URL = "http://localhost:3000"


def _user_message(error) -> str:
    """The message of the exception our code raised: below Dagster's wrappers (which only say
    which step failed), and above the causes it wraps, so the alert reads "object storage
    unreachable at … (bucket …)" rather than the raw OSError underneath."""
    while getattr(error, "cause", None) is not None and error.cls_name.startswith("Dagster"):
        error = error.cause
    return error.message.strip().splitlines()[0]


def run_url(ui_url: str, run_id: str) -> str:
    """The run's page in the Dagster UI."""
    return f"{ui_url.rstrip('/')}/runs/{run_id}"


def failure_alert(
    context: dg.RunFailureSensorContext, ui_url: str = DEFAULT_UI_URL
) -> dict[str, object]:
    """The alert for a failed run: what failed, on which days, the first error, and failed steps."""
    run = context.dagster_run
    tags = run.tags or {}
    if RANGE_START_TAG in tags:
        days = f"{tags[RANGE_START_TAG]}..{tags.get(RANGE_END_TAG, tags[RANGE_START_TAG])}"
    else:
        days = tags.get(PARTITION_TAG)
    error = context.failure_event.message or "run failed"
    failed_steps = []
    try:
        for event in context.get_step_failure_events():
            step_error = event.step_failure_data.error if event.step_failure_data else None
            failed_steps.append(
                {
                    "step": event.step_key,
                    "error": _user_message(step_error) if step_error else event.message,
                }
            )
    except Exception:  # the run storage may be unreachable; the alert still goes out
        _log.exception("could not read the step failures of run %s", run.run_id)
    first_error = failed_steps[0]["error"] if failed_steps else error
    what = f"job {run.job_name}" + (f" for {days}" if days else "")
    link = run_url(ui_url, run.run_id)
    text = f"Observatoire: run {run.run_id[:8]} failed ({what}): {first_error} — {link}"
    return {
        "event": "run_failure",
        "text": text,
        "run_id": run.run_id,
        "run_url": link,
        "job_name": run.job_name,
        "partition": days,
        "backfill_id": tags.get(BACKFILL_TAG),
        "error": error,
        "failed_steps": failed_steps,
    }


def build_run_failure_alert_sensor(
    webhook_url: str | None = None, ui_url: str = DEFAULT_UI_URL
) -> dg.SensorDefinition:
    """The sensor watching every job of the code location; both URLs come from Settings."""
    webhook = AlertWebhook(webhook_url) if webhook_url else None

    @dg.run_failure_sensor(
        name="run_failure_alert",
        description=(
            "Writes an alert for every failed run to the log"
            + (f" and posts it to {redacted(webhook_url)}" if webhook_url else "")
            + "."
        ),
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
    )
    def run_failure_alert(context: dg.RunFailureSensorContext) -> None:
        alert = failure_alert(context, ui_url)
        context.log.error(str(alert["text"]))
        _log.error("%s", alert["text"])
        if webhook is None:
            return
        try:
            status = webhook.send(alert)
        except AlertDeliveryError as error:
            # Logged, not raised: a failing tick would be retried and could flood the channel.
            context.log.error(str(error))
            _log.error("%s", error)
            return
        context.log.info(f"alert posted to {redacted(webhook.url)} (HTTP {status})")

    return run_failure_alert
