"""One background loop for every service: every `every_s` (simulated) seconds, run a step.

`Periodic` is what `Runtime.tasks` holds (start()/stop()): a daemon thread that waits on a stop
event paced by the process clock (`pacing.wall_s(every_s, floor_s=...)`, so an exercise at ×600
runs its loops at the exercise's pace), runs its step, and logs an exception of the step with the
loop's name; the next round tries again. A loop whose period is wall time whatever the clock
(`wall_clock=True`: the twin's steps, the exercise's field side, which read the clock themselves)
waits exactly `every_s` wall seconds. Given the owner's telemetry (a `Runtime` or its
`ServiceMetrics`, the twin's included) each round is counted in /metrics:

    mutual_deploy_loop_runs_total{service,loop}                   every round, failed or not
    mutual_deploy_loop_errors_total{service,loop}                 rounds whose step raised
    mutual_deploy_loop_last_success_timestamp_seconds{service,loop}   Unix time of the last good round
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

from . import pacing

log = logging.getLogger(__name__)


class Periodic:
    """Runs `step()` every `every_s` simulated seconds (wall seconds with `wall_clock`) on its own
    thread until `stop()`.

    `service` names the owner in the thread's name (`service:name`) and in log lines; the metrics
    carry the telemetry's own service label. `prepare` runs once in the thread before the first
    wait (e.g. loading data the first round needs); `on_error(exc)` replaces the default log line
    of a failed round (the round is counted as an error either way)."""

    def __init__(self, name: str, every_s: float, step: Callable[[], object], *, floor_s: float = 0.1,
                 telemetry=None, service: str | None = None, join_s: float = 10.0,
                 prepare: Callable[[], object] | None = None,
                 on_error: Callable[[BaseException], object] | None = None, wall_clock: bool = False):
        self.name, self.every_s, self.step, self.floor_s = name, every_s, step, floor_s
        self.wall_clock = wall_clock
        self.service, self.join_s, self.prepare, self.on_error = service, join_s, prepare, on_error
        self.runs = self.errors = 0
        self._telemetry_source = telemetry
        self._counters = None  # (runs, errors, last success) children, bound at start()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def label(self) -> str:
        return f"{self.service}:{self.name}" if self.service else self.name

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Periodic":
        self._stop.clear()
        self._counters = self._bind_metrics()
        self._thread = threading.Thread(target=self._run, name=self.label, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(self.join_s if timeout is None else timeout)

    def _bind_metrics(self):
        source = self._telemetry_source
        telemetry = getattr(source, "telemetry", source)  # a Runtime, or its ServiceMetrics, or None
        if telemetry is None or not hasattr(telemetry, "loop_runs"):
            return None
        labels = (telemetry.service, self.name)
        return (telemetry.loop_runs.labels(*labels), telemetry.loop_errors.labels(*labels),
                telemetry.loop_last_success.labels(*labels))  # shown at 0 before the first round

    def _run(self) -> None:
        if self.prepare is not None:
            try:
                self.prepare()
            except Exception:
                log.exception("%s: preparing failed; the loop runs anyway", self.label)
        while not self._stop.wait(self._wait_s()):
            self._round()

    def _wait_s(self) -> float:
        if self.wall_clock:
            return self.every_s
        return pacing.wall_s(self.every_s, floor_s=self.floor_s)  # on the process clock

    def _round(self) -> None:
        self.runs += 1
        if self._counters:
            self._counters[0].inc()
        try:
            self.step()
        except Exception as exc:  # logged and counted; the next round tries again (the database may be back)
            self.errors += 1
            if self._counters:
                self._counters[1].inc()
            self._report(exc)
        else:
            if self._counters:
                self._counters[2].set_to_current_time()

    def _report(self, exc: Exception) -> None:
        if self.on_error is None:
            log.exception("%s failed; trying again in %s s", self.label, self.every_s)
            return
        try:
            self.on_error(exc)
        except Exception:
            log.exception("%s failed", self.label)
