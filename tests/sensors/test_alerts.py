"""The run-failure sensor against a real failed run and a loopback webhook receiver."""

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from observatoire.settings import Settings
from resources.alert_webhook import AlertDeliveryError, AlertWebhook
from sensors.alerts import build_run_failure_alert_sensor, failure_alert

DAILY = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="Europe/Paris")


@dg.asset(partitions_def=DAILY)
def fragile_stage(context: dg.AssetExecutionContext) -> None:
    raise RuntimeError(f"the caption source returned nothing for {context.partition_key}")


@dg.asset(partitions_def=DAILY)
def storage_stage(context: dg.AssetExecutionContext) -> None:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError as error:
        raise RuntimeError(
            "object storage unreachable at http://127.0.0.1:9 (bucket lake)"
        ) from error


class Receiver:
    """An HTTP server on 127.0.0.1 recording JSON bodies; answers the queued statuses first."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[dict] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length)))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hooks/T000/secret-token"


@pytest.fixture
def receiver_factory() -> Iterator:
    started: list[Receiver] = []

    def start(statuses: list[int] | None = None) -> Receiver:
        receiver = Receiver(statuses)
        receiver.thread.start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.server.shutdown()
        receiver.server.server_close()


@pytest.fixture(scope="module")
def failed_run():
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [fragile_stage], partition_key="2024-03-12", instance=instance, raise_on_error=False
    )
    assert not result.success
    return instance, result


def _evaluate(sensor: dg.SensorDefinition, failed_run) -> None:
    instance, result = failed_run
    context = dg.build_run_status_sensor_context(
        sensor_name=sensor.name,
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    sensor(context)


def test_failure_is_posted_to_the_webhook(receiver_factory, failed_run, caplog):
    receiver = receiver_factory()
    settings = Settings.from_env({"OBSERVATOIRE_ALERT_WEBHOOK_URL": receiver.url})
    sensor = build_run_failure_alert_sensor(settings.alert_webhook_url)
    with caplog.at_level(logging.ERROR, logger="observatoire.alerts"):
        _evaluate(sensor, failed_run)
    assert len(receiver.bodies) == 1
    alert = receiver.bodies[0]
    _, result = failed_run
    assert alert["event"] == "run_failure"
    assert alert["run_id"] == result.dagster_run.run_id
    assert alert["partition"] == "2024-03-12"
    assert alert["failed_steps"][0]["step"] == "fragile_stage"
    assert "the caption source returned nothing for 2024-03-12" in alert["text"]
    assert alert["text"] in caplog.text
    # the webhook's secret path is not shown in the sensor description
    assert "secret-token" not in (sensor.description or "")
    assert "secret-token" not in repr(settings)


def test_transient_webhook_errors_are_retried(receiver_factory, failed_run):
    receiver = receiver_factory(statuses=[503, 500])
    sensor = build_run_failure_alert_sensor(receiver.url)
    _evaluate(sensor, failed_run)
    assert len(receiver.bodies) == 3
    assert receiver.bodies[0] == receiver.bodies[2]


def test_a_refusing_webhook_is_logged_without_breaking_the_sensor(
    receiver_factory, failed_run, caplog
):
    receiver = receiver_factory(statuses=[404])
    sensor = build_run_failure_alert_sensor(receiver.url)
    with caplog.at_level(logging.ERROR, logger="observatoire.alerts"):
        _evaluate(sensor, failed_run)
    assert len(receiver.bodies) == 1
    assert "refused the alert: HTTP 404" in caplog.text
    assert "secret-token" not in caplog.text


def test_without_webhook_the_alert_is_only_logged(failed_run, caplog):
    sensor = build_run_failure_alert_sensor(None)
    with caplog.at_level(logging.ERROR, logger="observatoire.alerts"):
        _evaluate(sensor, failed_run)
    assert "for 2024-03-12): RuntimeError: the caption source returned nothing" in caplog.text


def test_unreachable_webhook_gives_up_with_a_clear_error(receiver_factory):
    receiver = receiver_factory()
    url = receiver.url
    receiver.server.shutdown()
    receiver.server.server_close()
    webhook = AlertWebhook(url, attempts=2, backoff_seconds=0.01, timeout_seconds=2)
    with pytest.raises(AlertDeliveryError, match="failed after 2 attempts") as error:
        webhook.send({"text": "x"})
    assert "secret-token" not in str(error.value)


def test_the_alert_names_the_message_our_code_raised_and_links_the_run():
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [storage_stage], partition_key="2024-03-13", instance=instance, raise_on_error=False
    )
    assert not result.success
    sent: list[dict] = []
    settings = Settings.from_env({"OBSERVATOIRE_UI_URL": "https://dagster.example.org/"})
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    sent.append(failure_alert(context, settings.ui_url))
    alert = sent[0]
    step_error = alert["failed_steps"][0]["error"]
    assert step_error == (
        "RuntimeError: object storage unreachable at http://127.0.0.1:9 (bucket lake)"
    )
    assert "Connection refused" not in alert["text"]
    link = f"https://dagster.example.org/runs/{result.dagster_run.run_id}"
    assert alert["run_url"] == link
    assert alert["text"].endswith(link)
