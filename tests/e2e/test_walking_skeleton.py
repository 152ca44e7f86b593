"""The whole stack as `make run` starts it: broker, topics, four services, the twin.

A reported incident travels demand → broker → every consumer, each of which sees it exactly once;
Ctrl-C stops everything and removes var/urls.json; a busy port is a one-line error.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from infra.ports import free_ports
from infra.run import PROCESSES
from services.common import contracts
from services.common.auth import Identity, headers_for
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


AS_PROVINCE = headers_for(Identity("zj-commander", "province_commander"))


def stack_env(var: Path) -> dict:
    env = dict(os.environ, VAR_DIR=str(var), DEMO_OFFICERS="3000", PYTHONUNBUFFERED="1")
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("DATABASE_URL", None)
    names = ["kafka"] + PROCESSES
    for name, port in zip(names, free_ports(len(names))):
        env["KAFKA_PORT" if name == "kafka" else f"{name.upper()}_PORT"] = str(port)
    return env


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = stack_env(var)
    proc = subprocess.Popen([sys.executable, "-m", "infra.run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    urls_file = var / "urls.json"
    try:
        wait_for(lambda: urls_file.exists() or proc.poll() is not None, 240, "urls.json", interval=0.25)
        assert proc.poll() is None, proc.stdout.read()
        yield proc, json.loads(urls_file.read_text()), var
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)


def test_urls_name_every_process_and_the_broker(stack):
    _, urls, _ = stack
    assert set(urls) == set(PROCESSES) | {"kafka"}
    for name in PROCESSES:
        assert requests.get(urls[name] + "/health", timeout=5).json()["status"] == "ok"


def test_every_service_serves_openapi_31_from_the_contracts(stack):
    _, urls, _ = stack
    for name in ["demand", "resources", "matching", "logistics"]:
        doc = requests.get(urls[name] + "/openapi.json", headers=AS_PROVINCE, timeout=5).json()
        assert doc["openapi"] == "3.1.0" and "/health" in doc["paths"]
    post = requests.get(urls["demand"] + "/openapi.json", headers=AS_PROVINCE, timeout=5).json()["paths"]["/incidents"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"] == contracts.example_body("incident-report")


def test_a_reported_incident_reaches_every_consumer_exactly_once(stack):
    _, urls, _ = stack
    body = contracts.example_body("incident-report")
    resp = requests.post(urls["demand"] + "/incidents", json=body, headers=AS_PROVINCE, timeout=10)
    assert resp.status_code == 201, resp.text
    incident_id = resp.json()["incident_id"]
    for name in ["resources", "matching", "logistics"]:
        def seen(name=name):
            rows = requests.get(urls[name] + "/incidents/observed", headers=AS_PROVINCE, timeout=5).json()
            return [r for r in rows if r["incident_id"] == incident_id]
        wait_for(lambda: seen(), 60, f"{name} to see {incident_id}", interval=0.25)
        assert len(seen()) == 1
    def on_twin():
        incidents = requests.get(urls["twin"] + "/state", headers=AS_PROVINCE, timeout=5).json()["incidents"]
        return [i for i in incidents if i["incident_id"] == incident_id]
    wait_for(on_twin, 60, "the twin to show the incident", interval=0.25)
    assert len(on_twin()) == 1 and on_twin()[0]["county"] == body["location"]["county"]
    # a retry with the same id neither duplicates the incident nor emits again
    again = requests.post(urls["demand"] + "/incidents", json=dict(body, incident_id=incident_id), headers=AS_PROVINCE, timeout=10)
    assert again.status_code == 200 and again.json()["incident_id"] == incident_id


def test_the_demo_incidents_are_loaded_once(stack):
    _, urls, _ = stack
    ids = [i["incident_id"] for i in requests.get(urls["demand"] + "/incidents", headers=AS_PROVINCE, timeout=5).json()]
    assert sorted(i for i in ids if i.startswith("DEMO-")) == ["DEMO-330106-CROWD", "DEMO-330329-NIGHT",
                                                                "DEMO-330783-FRAUD"]


def test_a_bad_body_gets_422_naming_the_field(stack):
    _, urls, _ = stack
    body = contracts.example_body("incident-report")
    body["location"]["county"] = "33"
    resp = requests.post(urls["demand"] + "/incidents", json=body, headers=AS_PROVINCE, timeout=10)
    assert resp.status_code == 422
    assert any(e["field"].endswith("location.county") for e in resp.json()["errors"])


def test_ctrl_c_stops_every_process_and_removes_urls(stack):
    proc, urls, var = stack
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) == 0
    assert not (var / "urls.json").exists()
    for name in PROCESSES:
        with pytest.raises(requests.ConnectionError):
            requests.get(urls[name] + "/health", timeout=2)
    host, port = urls["kafka"].split(":")
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()


def test_a_busy_port_is_a_one_line_error_naming_the_variable(tmp_path):
    env = stack_env(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(env["MATCHING_PORT"])))
        s.listen()
        out = subprocess.run([sys.executable, "-m", "infra.run"], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=60)
    assert out.returncode != 0
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert lines == [f"error: port {env['MATCHING_PORT']} (matching) is already in use; "
                     f"set MATCHING_PORT=<port> to use another"]
