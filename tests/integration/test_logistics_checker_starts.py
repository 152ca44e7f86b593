"""Logistics' re-send and escalation checker runs wherever the service's worker runs: `python -m
services.logistics` and `infra.serve worker logistics` (docker-compose's logistics-worker) both start
the runtime, and the runtime starts the checker with the worker; it stops with it. A gunicorn web
process starts neither.

The second test runs the worker role as a process with docker-compose.yml's own command and sees an
order nobody acknowledges re-sent (dispatch.ordered, attempt 2) on the broker."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
import yaml
from kafka import KafkaConsumer
from prometheus_client.parser import text_string_to_metric_families

from infra.children import spawn
from infra.ports import free_port
from services.common import keys
from services.common.auth import Identity, headers_for
from services.common.runtime import Runtime
from services.logistics.bootstrap import build_runtime
from tests.integration.test_logistics_events import a_committed_plan

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def checkers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "logistics:checker" and t.is_alive()]


def test_the_checker_starts_and_stops_with_the_runtime(make_settings, broker):
    before = len(checkers())
    runtime = build_runtime(make_settings(acts_as="logistics"))
    assert runtime.deps.checker in runtime.tasks
    runtime.start()
    try:
        assert len(checkers()) == before + 1
        body, _ = runtime.telemetry.render()  # the body of GET /metrics
        loops = {(s.name, s.labels["loop"]) for f in text_string_to_metric_families(body.decode())
                 for s in f.samples if "loop" in s.labels}
        assert {("mutual_deploy_loop_runs_total", "checker"), ("mutual_deploy_loop_errors_total", "checker")} <= loops
    finally:
        runtime.stop()
    assert len(checkers()) == before
    web_only = build_runtime(make_settings(acts_as="logistics")).start(relay=False, worker=False)
    try:  # a gunicorn web worker starts neither the consumer nor the service's threads
        assert len(checkers()) == before
    finally:
        web_only.stop()


def compose_command(container: str) -> list[str]:
    """The container's command in docker-compose.yml, run with this interpreter."""
    command = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"][container]["command"]
    assert command[0] == "python"
    return [sys.executable, *command[1:]]


def wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the worker exited with {proc.returncode}:\n{log.read_text()[-3000:]}"
        try:
            if requests.get(url + "/ready", timeout=3).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url}/ready never answered 200:\n{log.read_text()[-3000:]}")


def orders_on_the_broker(bootstrap: str, request_id: str, until, timeout: float) -> list[dict]:
    """logistics' dispatch.ordered for `request_id`, read from the start until `until(orders)` holds."""
    consumer = KafkaConsumer("dispatch.ordered", bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                             group_id=None, consumer_timeout_ms=1000)
    found: list[dict] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until(found):
            for record in consumer:
                event = json.loads(record.value)
                if event["source"] == "/mutual-deploy/logistics" and event["data"]["request_id"] == request_id:
                    found.append(event["data"])
    finally:
        consumer.close()
    return found


@pytest.fixture
def worker_role(broker, tmp_path):
    """`python -m infra.serve worker logistics` as docker-compose's logistics-worker starts it, on a
    SQLite file and the test broker; orders unacknowledged for a second are due again."""
    port, log = free_port(), tmp_path / "worker.log"
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "HTTP_HOST": "127.0.0.1",
           "LOGISTICS_PORT": str(port), "DATABASE_URL": f"sqlite:///{tmp_path / 'logistics.db'}",
           "VAR_DIR": str(tmp_path), "KEYS_DIR": str(keys.keys_dir()),  # verifies the test's signed events
           "AUTH_KEY_ID": os.environ["AUTH_KEY_ID"], "AUTH_ISSUER_KEY": os.environ["AUTH_ISSUER_KEY"],
           "PERSONAL_DATA_KEY": os.environ["PERSONAL_DATA_KEY"], "LOGISTICS_ACK_TIMEOUT_S": "1"}
    with open(log, "wb") as out:
        proc = spawn(compose_command("logistics-worker"), env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    yield proc, f"http://127.0.0.1:{port}", log
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_the_worker_role_as_compose_runs_it_re_sends_an_order_nobody_acknowledges(worker_role, make_settings, broker):
    proc, url, log = worker_role
    assert proc.args[1:] == ["-m", "infra.serve", "worker", "logistics"]
    wait_ready(url, proc, log)  # the consumer has joined its group
    upstream = {name: Runtime.build(make_settings(acts_as=name)).start()
                for name in ("demand", "matching", "resources")}
    try:
        ids = a_committed_plan(upstream)
        resent = lambda found: any(o["attempt"] == 2 for o in found)  # noqa: E731
        found = orders_on_the_broker(broker.bootstrap, ids["request_id"], resent, timeout=90)
    finally:
        for runtime in upstream.values():
            runtime.stop()
    first = [o for o in found if o["attempt"] == 1]
    again = [o for o in found if o["attempt"] == 2]
    assert first, f"the worker never dispatched the plan:\n{log.read_text()[-3000:]}"
    assert again, f"no order was re-sent:\n{log.read_text()[-3000:]}"
    assert {o["order_id"] for o in again} <= {o["order_id"] for o in first}  # the same order again, not a new one
    scraper = requests.Session()  # as Prometheus scrapes: the connection kept open between scrapes
    metrics = scraper.get(url + "/metrics", headers=headers_for(Identity("p1", "province_commander")), timeout=10)
    runs = [s.value for f in text_string_to_metric_families(metrics.text) for s in f.samples
            if s.name == "mutual_deploy_loop_runs_total" and s.labels.get("loop") == "checker"]
    assert runs and runs[0] >= 1  # the worker process's own checker did it
    proc.send_signal(signal.SIGTERM)
    try:  # a kept-alive scrape does not hold the worker up: it stops as soon as its runtime has
        assert proc.wait(15) == 0
    finally:
        scraper.close()
