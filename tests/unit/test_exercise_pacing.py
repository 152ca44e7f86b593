"""Background loops follow the exercise clock: their periods are simulated seconds."""
import time
from datetime import datetime, timedelta, timezone

import pytest

from services.common import clock, pacing
from services.demand.escalation import DeadlineWatch
from services.exercise import clock as xclock
from services.logistics.checker import Checker
from services.matching.planning import Batcher

START = datetime(2025, 9, 15, 9, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture
def exercise_clock(tmp_path):
    path = tmp_path / "clock.json"

    def install(speed: float, paused: bool = False):
        xclock.write_state(path, xclock.start_state(START, speed, paused=paused))
        clock.set_clock(xclock.FileClock(path))
    yield install
    clock.set_clock(None)


def test_live_periods_are_wall_seconds():
    assert pacing.rate() == 1.0
    assert pacing.wall_s(2.0) == 2.0


def test_at_600_a_ten_minute_period_is_one_wall_second_and_short_ones_keep_a_floor(exercise_clock):
    exercise_clock(600)
    assert pacing.wall_s(600.0) == pytest.approx(1.0)
    assert pacing.wall_s(2.0, floor_s=0.1) == 0.1


def test_a_paused_exercise_clock_keeps_loops_at_their_floor(exercise_clock):
    exercise_clock(60, paused=True)
    assert pacing.rate() == 0.0
    assert pacing.wall_s(120.0, floor_s=0.25) == 0.25


def _count_runs(loop, attribute: str, wall_s: float = 0.8) -> int:
    runs = []
    setattr(loop, attribute, lambda *a, **k: runs.append(1))  # the loop's work, counted
    loop.start()
    time.sleep(wall_s)
    loop.stop()
    return len(runs)


def test_planning_window_of_a_simulated_minute_plans_several_times_a_wall_second_at_600(exercise_clock):
    exercise_clock(600)
    rounds = []

    class Planner:
        places = type("Places", (), {"matrix": None})()

        def plan_pending(self):
            rounds.append(1)
    batcher = Batcher(runtime=None, planner=Planner(), window_s=60.0, resources_url=None)
    batcher.ensure_snapshot = lambda: 0
    batcher.start()
    time.sleep(0.8)
    batcher.stop()
    assert len(rounds) >= 3  # on the wall clock: not once in 60 s


def test_deadline_watch_ticks_on_the_exercise_clock(exercise_clock):
    exercise_clock(600)
    assert _count_runs(DeadlineWatch(runtime=None, interval_s=60.0), "tick") >= 2


def test_resend_and_escalation_check_ticks_on_the_exercise_clock(exercise_clock, monkeypatch):
    exercise_clock(600)
    runs = []
    monkeypatch.setattr("services.logistics.checker.run_once", lambda runtime: runs.append(1))
    checker = Checker(runtime=None, every_s=60.0).start()
    time.sleep(0.8)
    checker.stop()
    assert len(runs) >= 2
