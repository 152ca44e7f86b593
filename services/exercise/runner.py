"""Playing a scenario: the injects on the exercise clock, the travel conditions, the progress log.

`Player` is the loop alone (given the services' URLs and a recorder), so tests and the benchmark
drive it against services they started themselves; `lifecycle.run_exercise` starts everything first.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import requests

from . import clock as xclock
from . import injects as play
from .conditions import write_conditions
from .decisions import AutoTrainee
from .holds import WorkInHand
from .scenario import Inject, Scenario
from .schedule import conditions_at, due, next_at, wall_wait_s

PROGRESS_EVERY_S = 3600.0  # a status line every simulated hour


@dataclass
class Player:
    scenario: Scenario
    services: play.Services
    clock_path: Path
    conditions_path: Path
    out: Callable[[str], None] = print
    event_count: Callable[[], int] = lambda: 0
    hold_clock: bool = False  # True: simulated time stands still while each inject is applied
    trainee: AutoTrainee | None = None  # unattended runs: approve the best plan of each request
    events: Callable[[], list[dict]] = list
    hold_work: bool = False  # True: simulated time stands still while a step of the loop is in hand (holds.py)
    planned: Callable[[], set[str]] | None = None  # request ids matching has planned (GET /requests)
    log: list[dict] = field(default_factory=list)
    held_s: float = 0.0  # wall seconds the clock stood still for work in hand
    played: set[int] = field(default_factory=set)
    _calls: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1), repr=False)
    _decisions: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=1), repr=False)
    _deciding: Future | None = field(default=None, repr=False)
    _work: WorkInHand | None = field(default=None, repr=False)
    _work_hold: tuple | None = field(default=None, repr=False)  # (the paused state we wrote, wall instant)
    _asked_planned: float = field(default=0.0, repr=False)
    _stop_s: float | None = field(default=None, repr=False)  # the elapsed time the clock's stop was set at

    def __post_init__(self):
        if self.hold_work:
            self._work = WorkInHand(auto_decisions=self.trainee is not None)
            self.hold_clock = True  # an inject is work in hand too

    @property
    def start_s(self) -> float:
        return self.scenario.start.timestamp()

    def elapsed_s(self) -> float:
        return xclock.read_state(self.clock_path).sim_at(time.time()) - self.start_s

    def run(self) -> list[dict]:
        """Play every inject at its time; return once simulated time reaches the end of the scenario."""
        conditions, next_progress = None, PROGRESS_EVERY_S
        duration = self.scenario.duration_s
        while True:
            state, now = xclock.read_state(self.clock_path), time.time()
            elapsed = state.sim_at(now) - self.start_s
            if self._stop_s is not None and state.until == self.start_s + self._stop_s and state.sim_at(now) >= state.until:
                elapsed = max(elapsed, self._stop_s)  # at the stop we set (not merely paused): its moment has come
            for inject in due(self.scenario.injects, self.played, elapsed):
                self.played.add(inject.index)
                if self.hold_clock:
                    self.play_one(inject)
                else:  # one at a time and in order, beside the schedule, which never waits for a service
                    self._calls.submit(self.play_one, inject)
            if self.trainee is not None and (self._deciding is None or self._deciding.done()):
                self._deciding = self._decisions.submit(self.decide, elapsed)  # never holds up the injects
            now_conditions = conditions_at(self.scenario.injects, min(elapsed, duration))
            if now_conditions != conditions:
                conditions = now_conditions
                write_conditions(self.conditions_path, conditions)
            if self._work is not None:
                self.hold_for_work()
            if elapsed >= next_progress:
                self.out(f"[{_hhmm(elapsed)}] {len(self.played)}/{len(self.scenario.injects)} injects played, "
                         f"{self.event_count()} events recorded")
                next_progress += PROGRESS_EVERY_S
            if elapsed >= duration and len(self.played) == len(self.scenario.injects):
                self.release_work_hold()
                self._calls.shutdown(wait=True)
                self._decisions.shutdown(wait=True)
                return self.log
            acts = [x for x in (next_at(self.scenario.injects, self.played), duration,
                                _next_change(self.scenario.injects, elapsed)) if x is not None and x > elapsed]
            if self.hold_clock:
                self.stop_clock_at(min(acts, default=None))
            target = min((*acts, next_progress))
            time.sleep(wall_wait_s(state, self.start_s, target, time.time(), cap_s=0.05 if self._work else 0.5))

    def stop_clock_at(self, elapsed_s: float | None) -> None:
        """Simulated time stops at the runner's next moment to act (xclock: the stop), moved on as each
        passes, so an inject lands at its time however late the runner wakes. None: no stop."""
        until = None if elapsed_s is None else self.start_s + elapsed_s
        state = xclock.read_state(self.clock_path)
        if state.until != until:
            moved = xclock.stop_at(state, until)
            xclock.write_state(self.clock_path, moved)
            if self._work_hold is not None and self._work_hold[0] == state:
                self._work_hold = (moved, self._work_hold[1])  # still our hold: released as the state now stands
        self._stop_s = elapsed_s

    def hold_for_work(self) -> None:
        """Pause the clock while a step of the loop is in hand; resume once none is (holds.py)."""
        steps = self._work.update(self.events(), time.monotonic())
        if self.planned is not None and any(s.startswith("plan:") for s in steps) \
                and time.monotonic() - self._asked_planned > 0.3:
            self._asked_planned = time.monotonic()
            try:
                self._work.planned(self.planned() & self._work.planning())
            except requests.RequestException:
                pass  # asked again on the next turn
            steps = self._work.holding(time.monotonic())
        if steps and self._work_hold is None:
            state = xclock.read_state(self.clock_path)
            if not state.paused:  # a trainer's pause is theirs: we neither take it nor end it
                held = xclock.pause(state)
                xclock.write_state(self.clock_path, held)
                self._work_hold = (held, time.monotonic())
        elif not steps:
            self.release_work_hold()

    def release_work_hold(self) -> None:
        if self._work_hold is None:
            return
        held, since = self._work_hold
        self._work_hold, self.held_s = None, self.held_s + time.monotonic() - since
        if xclock.read_state(self.clock_path) == held:  # nobody changed the clock meanwhile
            xclock.write_state(self.clock_path, xclock.resume(held))

    def decide(self, elapsed: float) -> None:
        try:
            for line in self.trainee.step(self.events()):
                self.out(f"[{_hhmm(elapsed)}] trainee: {line}")
        except Exception as exc:  # a failed round is reported and tried again on the next turn
            self.out(f"[{_hhmm(elapsed)}] trainee: failed: {exc.__class__.__name__}: {exc}")

    def play_one(self, inject: Inject) -> None:
        """Apply one inject and log it, with the simulated lag between its time and its application."""
        sim_at = self.scenario.start + timedelta(seconds=inject.at_s)
        began, lag_s = time.monotonic(), self.elapsed_s() - inject.at_s
        with self.held_clock():
            try:
                self.expect_report(inject)
                outcome, ok = play.apply(self.services, inject), True
            except (play.InjectFailed, requests.RequestException) as exc:
                outcome, ok = f"failed: {exc}", False
            except Exception as exc:  # logged as a failed inject, in the report too; the exercise goes on
                outcome, ok = f"failed: {exc.__class__.__name__}: {exc}", False
        said = {"said": outcome.said} if isinstance(outcome, play.Outcome) else {}
        self.log.append({"index": inject.index, "at": _iso(sim_at), "kind": inject.kind, "label": inject.label,
                         "note": inject.body.get("note", ""), "outcome": str(outcome), "ok": ok, **said,
                         "lag_min": round(max(lag_s, 0.0) / 60, 1), "wall_s": round(time.monotonic() - began, 3)})
        self.out(f"[{_hhmm(inject.at_s)}] {inject.kind}: {outcome}")

    def expect_report(self, inject: Inject) -> None:
        """An incident inject is in hand until demand's incident.reported comes back on the stream."""
        if self._work is None:
            return
        if inject.kind in ("incident", "competing_incident"):
            incident_id = inject.body["incident"]["incident_id"]
        elif inject.kind == "incident_growth":  # reported again under its own id, with the bigger size
            incident_id = inject.body["incident_id"]
        else:
            return
        self._work.expect(f"reported:{incident_id}", time.monotonic())

    @contextmanager
    def held_clock(self):
        """Simulated time stands still while an inject is applied: at ×600 one second of HTTP calls
        would otherwise be ten simulated minutes, and the inject would land late."""
        if not self.hold_clock:
            yield
            return
        state = xclock.read_state(self.clock_path)
        held = None if state.paused else xclock.pause(state)
        if held is not None:
            xclock.write_state(self.clock_path, held)
        try:
            yield
        finally:
            # resume only if nobody changed the clock meanwhile (a trainer's pause stays a pause)
            if held is not None and xclock.read_state(self.clock_path) == held:
                xclock.write_state(self.clock_path, xclock.resume(held))


def _next_change(injects, elapsed: float) -> float | None:
    ends = [j.until_s for j in injects if j.until_s is not None and j.until_s > elapsed]
    return min(ends) if ends else None


def _hhmm(seconds: float) -> str:
    minutes = int(max(seconds, 0) // 60)
    return f"+{minutes // 60:02d}:{minutes % 60:02d}"


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def write_inject_log(path: Path, log: list[dict]) -> None:
    path.write_text(json.dumps(log, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
