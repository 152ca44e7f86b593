"""Operations every service gets from the shared runtime: /health, /ready, /metrics, JSON logs."""
from __future__ import annotations

import io
import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families

from infra.serve import gunicorn_options
from services.common import contracts, logs
from services.common.auth import Identity, headers_for
from services.common.bus import Bus, security_from_env
from services.common.config import Settings
from tests.helpers import NO_BROKER, offline_settings

SCRAPER = headers_for(Identity("prometheus", "auditor"))


@pytest.fixture
def matching(tmp_path):
    from services.matching.bootstrap import build_runtime, create_app
    runtime = build_runtime(offline_settings("matching", tmp_path))
    yield runtime, create_app(runtime).test_client()
    runtime.stop()


def scrape(client) -> dict[str, list]:
    resp = client.get("/metrics", headers=SCRAPER)
    assert resp.status_code == 200 and resp.content_type.startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(resp.get_data(as_text=True))}


def sample(families, name: str, **labels) -> float:
    for s in (x for samples in families.values() for x in samples):
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    raise AssertionError(f"no sample {name} {labels}")


def test_ready_names_the_broker_that_does_not_answer_while_liveness_stays_up(matching):
    _, client = matching
    ready = client.get("/ready")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["checks"]["database"] == "ok" and body["checks"]["broker"].startswith("unreachable")
    assert contracts.validate_body("health", body) == []
    health = client.get("/health")
    assert health.status_code == 200 and health.get_json()["checks"] == {"database": "ok"}


def test_health_reports_a_thread_that_died(matching):
    runtime, client = matching
    runtime.running.add("worker")  # as if started; its thread never ran, so it is not alive
    body = client.get("/health").get_json()
    assert body["checks"]["worker"] == "stopped" and body["status"] == "degraded"


def test_metrics_count_requests_by_route_and_status_with_latency(matching):
    _, client = matching
    viewer = headers_for(Identity("p1", "province_commander"))
    for _ in range(3):
        assert client.get("/incidents/observed", headers=viewer).status_code == 200
    assert client.get("/incidents/observed").status_code == 401
    client.get("/no/such/page", headers=viewer)
    families = scrape(client)
    assert sample(families, "mutual_deploy_http_requests_total", route="/incidents/observed", status="200",
                  method="GET", service="matching") == 3
    assert sample(families, "mutual_deploy_http_requests_total", route="/incidents/observed", status="401") == 1
    assert sample(families, "mutual_deploy_http_requests_total", route="(unmatched)", status="404") == 1
    assert sample(families, "mutual_deploy_http_request_duration_seconds_count", route="/incidents/observed") == 4


def test_metrics_show_the_outbox_backlog_and_the_worker_counters(matching):
    runtime, client = matching
    event = contracts.example_event("incident.reported")
    with runtime.outbox.transaction() as tx:  # the relay is not running: both stay in the backlog
        for n in range(2):
            tx.emit("incident.reported", dict(event["data"], incident_id=f"INC-{n}"), key=f"INC-{n}")
    runtime.worker.stats["handled"] = 7
    runtime.worker.lag = {("incident.reported", 3): 11}
    families = scrape(client)
    assert sample(families, "mutual_deploy_outbox_backlog", service="matching") == 2
    assert sample(families, "mutual_deploy_events_handled_total", service="matching") == 7
    assert sample(families, "mutual_deploy_events_deadlettered_total", service="matching") == 0
    assert sample(families, "mutual_deploy_consumer_lag", topic="incident.reported", partition="3",
                  group="matching") == 11


def test_a_request_keeps_the_callers_request_id_and_answers_with_it(matching):
    _, client = matching
    resp = client.get("/health", headers={"X-Request-ID": "req-42"})
    assert resp.headers["X-Request-ID"] == "req-42"
    assert len(client.get("/health").headers["X-Request-ID"]) == 32  # one is made when the caller sent none


def json_lines(records_fn) -> list[dict]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter("demand"))
    logger = logging.getLogger("test.ops")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        records_fn(logger)
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_logs_carry_the_scope_one_object_per_line():
    def emit(logger):
        logger.info("outside")
        with logs.scope(request_id="r1"):
            logger.info("in the request")
            with logs.scope(correlationid="INC-7", event_id="e1"):
                logger.warning("handling")
        logger.info("after")
    lines = json_lines(emit)
    assert [line["message"] for line in lines] == ["outside", "in the request", "handling", "after"]
    assert {"time", "level", "service", "logger", "message"} <= set(lines[0]) and lines[0]["service"] == "demand"
    assert "request_id" not in lines[0] and "request_id" not in lines[3]
    assert lines[1]["request_id"] == "r1"
    assert (lines[2]["request_id"], lines[2]["correlationid"], lines[2]["level"]) == ("r1", "INC-7", "warning")


def test_a_correlation_id_noted_in_a_scope_stays_in_that_scope():
    logs.note(correlationid="leak")  # outside any scope: kept nowhere
    assert logs.current() == {}
    token = logs.open_scope(request_id="r2")
    logs.note(correlationid="INC-9")
    assert logs.current() == {"request_id": "r2", "correlationid": "INC-9"}
    logs.close_scope(token)
    assert logs.current() == {}


def test_an_emitting_transaction_notes_its_incident_for_the_requests_log_lines(matching):
    runtime, _ = matching
    event = contracts.example_event("incident.reported")
    token = logs.open_scope(request_id="r3")
    try:
        with runtime.outbox.transaction() as tx:
            tx.emit("incident.reported", dict(event["data"], incident_id="INC-55"), key="INC-55",
                    correlationid="INC-55")
        assert logs.current()["correlationid"] == "INC-55"
    finally:
        logs.close_scope(token)


def test_exceptions_are_logged_in_the_same_json_line():
    def emit(logger):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    (line,) = json_lines(emit)
    assert line["level"] == "error" and "ValueError: boom" in line["exception"]


def test_kafka_security_comes_from_the_environment():
    assert security_from_env({}) == {}
    env = {"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
           "KAFKA_SASL_USERNAME": "matching", "KAFKA_SASL_PASSWORD": "s3cret"}
    assert security_from_env(env) == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                                      "sasl_plain_username": "matching", "sasl_plain_password": "s3cret"}
    ssl = security_from_env({"KAFKA_SECURITY_PROTOCOL": "ssl", "KAFKA_SSL_CAFILE": "/ca.pem"})
    assert ssl == {"security_protocol": "SSL", "ssl_cafile": "/ca.pem"}
    bus = Bus("kafka:9092", client_id="matching", security=security_from_env(env))
    assert bus._client["sasl_plain_username"] == "matching" and bus._client["bootstrap_servers"] == "kafka:9092"


def test_gunicorn_runs_the_configured_workers_and_threads_on_the_service_port():
    settings = Settings(service="demand", database_url="sqlite://", kafka_bootstrap=NO_BROKER,
                        http_port=8101, http_host="0.0.0.0")
    opts = gunicorn_options(settings, {"WEB_WORKERS": "6", "WEB_THREADS": "2"})
    assert (opts["bind"], opts["workers"], opts["threads"], opts["worker_class"]) == ("0.0.0.0:8101", 6, 2, "gthread")
    assert gunicorn_options(settings, {})["workers"] == 4
