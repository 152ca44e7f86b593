"""The twin's background loops are the services' Periodic: the steps run on wall time, a failing step is
logged and counted and the steps go on, and the twin's /metrics (Prometheus text, for the roles the
services' /metrics is for) shows their rounds, errors and last good round."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.common import clock
from services.common.auth import Identity, signed_in
from services.common.metrics import ServiceMetrics
from tests.helpers import wait_for
from twin.__main__ import start_steps
from twin.sim.model import ProvinceModel, Stepping
from twin.ui import prometheus
from twin.ui.app import create_app

PROVINCE = Identity("zj-commander", "province_commander", "330000")
AUDITOR = Identity("audit", "auditor", "330000")
INTEGRATOR = Identity("cad", "integrator", "330000")
COUNTY = Identity("dy-duty", "county_duty_officer", "330783")
VIEWER = Identity("zj-viewer", "viewer", "330000")


def loop_samples(body: str) -> dict:
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            if s.labels.get("loop") is not None:
                out[(s.name, s.labels["service"], s.labels["loop"])] = s.value
    return out


class FastClock:
    """An exercise clock at ×600: the twin's steps still come every interval of wall time."""

    def __call__(self):
        return datetime.now(timezone.utc)

    def rate(self) -> float:
        return 600.0


@pytest.fixture
def model() -> ProvinceModel:
    return ProvinceModel(seed=0, start=datetime(2025, 9, 15, tzinfo=timezone.utc))


def test_a_failing_step_is_logged_and_counted_and_the_steps_go_on(caplog):
    telemetry = ServiceMetrics("twin")
    seen: list[datetime] = []

    def step(at: datetime):
        seen.append(at)
        if len(seen) == 2:
            raise RuntimeError("report not published")

    with caplog.at_level(logging.ERROR, logger="twin.sim.model"):
        steps = Stepping(step, 0.02, telemetry=telemetry).start()
        assert steps.alive and steps._thread.name == "twin:steps"
        assert wait_for(lambda: len(seen) >= 4, 5)
        steps.stop()
    assert not any(t.name == "twin:steps" for t in threading.enumerate())
    assert all(isinstance(at, datetime) and at.tzinfo is not None for at in seen)  # the twin clock's now()
    assert steps.runs == len(seen) and steps.errors == 1
    failed = [r for r in caplog.records if r.getMessage() == "twin: step failed"]
    assert len(failed) == 1 and "report not published" in str(failed[0].exc_info[1])
    shown = loop_samples(telemetry.render()[0].decode())
    assert shown[("mutual_deploy_loop_runs_total", "twin", "steps")] == len(seen)
    assert shown[("mutual_deploy_loop_errors_total", "twin", "steps")] == 1
    assert time.time() - 10 < shown[("mutual_deploy_loop_last_success_timestamp_seconds", "twin", "steps")]


def test_the_steps_keep_their_wall_interval_on_a_fast_exercise_clock():
    rounds = []
    clock.set_clock(FastClock())
    try:
        steps = Stepping(rounds.append, 0.3).start()
        time.sleep(0.7)
        steps.stop()
    finally:
        clock.set_clock(None)
    assert 1 <= len(rounds) <= 3  # 0.3 wall s, not 0.3/600


def test_the_twins_metrics_show_the_steps_to_the_roles_the_services_metrics_are_for(model, monkeypatch):
    telemetry = ServiceMetrics("twin")
    monkeypatch.setenv("TWIN_STEP_S", "0.02")
    monkeypatch.setenv("TWIN_DEVICES", "0")
    (steps,) = start_steps(SimpleNamespace(mode="live"), model, telemetry)  # as `python -m twin` does
    try:
        assert wait_for(lambda: model.steps >= 2, 5)
    finally:
        steps.stop()
    app = create_app(model)
    assert prometheus.install(app, telemetry) is telemetry  # as `python -m twin` does
    server = app.server

    assert server.test_client().get("/metrics").status_code == 401  # not signed in
    for refused in (COUNTY, VIEWER):
        resp = signed_in(server.test_client(), refused).get("/metrics")
        assert resp.status_code == 403 and "GET /metrics" in resp.get_json()["detail"]
    for reader in (PROVINCE, AUDITOR, INTEGRATOR):
        resp = signed_in(server.test_client(), reader).get("/metrics")
        assert resp.status_code == 200 and resp.mimetype == "text/plain"
    shown = loop_samples(resp.get_data(as_text=True))
    assert shown[("mutual_deploy_loop_runs_total", "twin", "steps")] == steps.runs >= 2
    assert shown[("mutual_deploy_loop_errors_total", "twin", "steps")] == 0
    assert shown[("mutual_deploy_loop_last_success_timestamp_seconds", "twin", "steps")] > 0


def test_without_telemetry_the_route_serves_a_registry_of_its_own(model):
    app = create_app(model)
    prometheus.install(app)
    server = app.server
    resp = signed_in(server.test_client(), PROVINCE).get("/metrics")
    assert resp.status_code == 200
    assert {f.name for f in text_string_to_metric_families(resp.get_data(as_text=True))} >= {"mutual_deploy_loop_runs"}
