"""The production process roles as real processes: `infra.serve worker` (relay + consumer) and
`infra.serve web` (gunicorn, several workers) of one service, sharing its database."""
from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
import uuid

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from infra.children import spawn
from infra.ports import free_port
from services.common import contracts, keys
from services.common.auth import Identity, headers_for
from services.common.runtime import Runtime
from services.common.tokens import Keyring
from tests.helpers import wait_for

pytestmark = pytest.mark.integration
KEY = "k-test", "dGVzdC1pc3N1ZXIta2V5LW9mLXRoaXMtdGVzdC0zMmI"  # the test issuer's Ed25519 seed (base64url)


def answers(url: str, proc: subprocess.Popen) -> bool:
    """`url` answers 200 (the process serving it must still run)."""
    assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
    try:
        return requests.get(url, timeout=3).status_code == 200
    except requests.RequestException:
        return False


def wait_until(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    wait_for(lambda: answers(url, proc), timeout, f"{url} to answer 200", interval=0.3)


def samples(url: str, headers: dict) -> list:
    text = requests.get(url + "/metrics", headers=headers, timeout=10).text
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


@pytest.fixture
def roles(broker, tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "HTTP_HOST": "127.0.0.1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'matching.db'}", "VAR_DIR": str(tmp_path),
           "AUTH_KEY_ID": KEY[0], "AUTH_ISSUER_KEY": KEY[1], "WEB_WORKERS": "2", "WEB_THREADS": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "LOG_FORMAT": "json",
           "KEYS_DIR": str(keys.keys_dir())}  # the producers' registry this test's demand signs with
    started = {}
    for role in ("worker", "web"):
        port = free_port()
        log = open(tmp_path / f"{role}.log", "wb")
        proc = spawn([sys.executable, "-m", "infra.serve", role, "matching"], env=dict(env, MATCHING_PORT=str(port)),
                     stdout=log, stderr=subprocess.STDOUT)
        started[role] = (proc, f"http://127.0.0.1:{port}", tmp_path / f"{role}.log")
    yield started
    for proc, _, _ in started.values():
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_the_worker_consumes_the_web_serves_and_both_stop_cleanly_on_sigterm(roles, make_settings):
    (worker, worker_url, worker_log), (web, web_url, _) = roles["worker"], roles["web"]
    wait_until(worker_url + "/ready", worker)
    wait_until(web_url + "/ready", web)
    incident = f"INC-{uuid.uuid4().hex[:8]}"
    producer = Runtime.build(make_settings(acts_as="demand")).start()
    try:
        with producer.outbox.transaction() as tx:
            data = dict(copy.deepcopy(contracts.example_event("incident.reported")["data"]), incident_id=incident)
            tx.emit("incident.reported", data, key=incident)
        commander = headers_for(Identity("p1", "province_commander"), Keyring.from_env({"AUTH_KEY_ID": KEY[0], "AUTH_ISSUER_KEY": KEY[1]}))
        def observed() -> list[str]:
            return [i["incident_id"] for i in requests.get(web_url + "/incidents/observed", headers=commander,
                                                          timeout=10).json()]
        # handled by the worker, served by the web
        wait_for(lambda: incident in observed(), 40, "the incident handled by the worker and served by the web",
                 interval=0.2)
        for _ in range(10):
            assert requests.get(web_url + "/incidents/observed", headers=commander, timeout=10).status_code == 200
        web_counts = [s for s in samples(web_url, commander) if s.name == "mutual_deploy_http_requests_total"
                      and s.labels["route"] == "/incidents/observed" and s.labels["status"] == "200"]
        assert sum(s.value for s in web_counts) >= 11  # added up over both gunicorn workers
        handled = [s for s in samples(worker_url, commander) if s.name == "mutual_deploy_events_handled_total"]
        assert handled and handled[0].value >= 1
    finally:
        producer.stop()
    for proc in (worker, web):
        proc.send_signal(signal.SIGTERM)
    assert worker.wait(40) == 0 and web.wait(40) == 0
    lines = [json.loads(line) for line in worker_log.read_text().splitlines() if line.startswith("{")]
    assert lines and all({"time", "level", "service", "message"} <= set(line) for line in lines)
