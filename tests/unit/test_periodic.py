"""The one background loop of the services: runs on its period, a failing round is logged and counted
and the loop goes on, stop() joins its thread, and /metrics shows runs and errors by loop."""
import logging
import threading
import time

from prometheus_client.parser import text_string_to_metric_families

from services.common.metrics import ServiceMetrics
from services.common.periodic import Periodic
from tests.helpers import wait_for


def samples(telemetry: ServiceMetrics) -> dict:
    body, _ = telemetry.render()
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            if s.labels.get("loop") is not None:
                out[(s.name, s.labels["service"], s.labels["loop"])] = s.value
    return out


def test_a_loop_runs_counts_an_error_goes_on_and_stop_joins(caplog):
    telemetry = ServiceMetrics("logistics")
    calls = []

    def step():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database away")

    loop = Periodic("checker", 0.02, step, floor_s=0.01, telemetry=telemetry, service="logistics")
    before = samples(telemetry)
    assert before == {}  # nothing is labelled until the loop starts
    with caplog.at_level(logging.ERROR, logger="services.common.periodic"):
        loop.start()
        assert loop.alive and loop._thread.name == "logistics:checker"
        shown = samples(telemetry)
        assert shown[("mutual_deploy_loop_runs_total", "logistics", "checker")] >= 0
        assert wait_for(lambda: len(calls) >= 4, 5)
        loop.stop()
    assert not loop.alive and not any(t.name == "logistics:checker" for t in threading.enumerate())
    runs = len(calls)
    assert loop.runs == runs and loop.errors == 1
    failed = [r for r in caplog.records if "logistics:checker failed" in r.getMessage()]
    assert len(failed) == 1 and failed[0].exc_info and "database away" in str(failed[0].exc_info[1])

    shown = samples(telemetry)
    assert shown[("mutual_deploy_loop_runs_total", "logistics", "checker")] == runs
    assert shown[("mutual_deploy_loop_errors_total", "logistics", "checker")] == 1
    last = shown[("mutual_deploy_loop_last_success_timestamp_seconds", "logistics", "checker")]
    assert time.time() - 10 < last <= time.time()
    assert not loop.alive and not any(t.name == "logistics:checker" for t in threading.enumerate())
    assert len(calls) == runs  # stopped: no thread is left to run another round


def test_a_runtime_gives_its_telemetry_and_a_loop_without_telemetry_still_runs():
    telemetry = ServiceMetrics("demand")
    runtime = type("Runtime", (), {"telemetry": telemetry})()
    done = threading.Event()
    loop = Periodic("report-schedule", 0.01, done.set, floor_s=0.01, telemetry=runtime).start()
    assert done.wait(5)
    loop.stop()
    assert samples(telemetry)[("mutual_deploy_loop_runs_total", "demand", "report-schedule")] >= 1

    bare = threading.Event()
    loop = Periodic("bare", 0.01, bare.set, floor_s=0.01).start()
    assert bare.wait(5)
    loop.stop()
    assert loop.runs >= 1 and loop.errors == 0


def test_prepare_runs_first_and_on_error_replaces_the_log_line(caplog):
    order, seen = [], []

    def step():
        order.append("step")
        raise ValueError("resources down")

    loop = Periodic("batcher", 0.01, step, floor_s=0.01, service="matching",
                    prepare=lambda: order.append("prepare"), on_error=seen.append)
    with caplog.at_level(logging.ERROR, logger="services.common.periodic"):
        loop.start()
        assert wait_for(lambda: len(seen) >= 2, 5)
        loop.stop()
    assert order[0] == "prepare" and order.count("prepare") == 1
    assert all(isinstance(e, ValueError) for e in seen) and loop.errors == len(seen)
    assert not [r for r in caplog.records if "failed" in r.getMessage()]


def test_a_restarted_loop_runs_again():
    calls = []
    loop = Periodic("again", 0.01, lambda: calls.append(1), floor_s=0.01)
    loop.start()
    assert wait_for(lambda: calls, 5)
    loop.stop()
    n = len(calls)
    loop.start()
    assert wait_for(lambda: len(calls) > n, 5)
    loop.stop()


class FastClock:
    """An exercise clock at ×600 (what `pacing.rate()` reads)."""

    def __call__(self):
        from datetime import datetime, timezone
        return datetime.now(timezone.utc)

    def rate(self) -> float:
        return 600.0


def test_a_wall_clock_loop_keeps_its_wall_period_on_a_fast_exercise_clock():
    from services.common import clock

    paced, wall = [], []
    clock.set_clock(FastClock())
    try:
        on_clock = Periodic("on-clock", 0.3, lambda: paced.append(1), floor_s=0.01).start()
        on_wall = Periodic("on-wall", 0.3, lambda: wall.append(1), floor_s=0.01, wall_clock=True).start()
        time.sleep(0.7)
        on_clock.stop()
        on_wall.stop()
    finally:
        clock.set_clock(None)
    assert len(paced) >= 5       # 0.3 simulated s at ×600: the floor, 0.01 s
    assert 1 <= len(wall) <= 3   # 0.3 wall s whatever the clock: 2 rounds in 0.7 s
