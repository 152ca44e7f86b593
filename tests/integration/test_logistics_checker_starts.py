"""Logistics' re-send and escalation checker runs wherever the service's worker runs: `python -m
services.logistics` and `infra.serve worker logistics` (docker-compose) both start the runtime, and
the runtime starts the checker with the worker; it stops with it."""
from __future__ import annotations

import threading

import pytest
from prometheus_client.parser import text_string_to_metric_families

from services.logistics.bootstrap import build_runtime

pytestmark = pytest.mark.integration


def checkers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "logistics:checker" and t.is_alive()]


def test_the_checker_starts_and_stops_with_the_runtime(make_settings, broker):
    before = len(checkers())
    runtime = build_runtime(make_settings(acts_as="logistics"))
    assert runtime.extras["checker"] in runtime.tasks
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
