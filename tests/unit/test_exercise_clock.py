"""The exercise clock: speed, pause, resume, shared through one file by every process."""
import os
from datetime import datetime, timedelta, timezone

import pytest

from services.common import clock
from services.exercise import clock as xclock

START = datetime(2025, 9, 15, 9, 0, tzinfo=timezone(timedelta(hours=8)))


def test_simulated_time_runs_speed_times_faster_than_the_wall():
    state = xclock.start_state(START, 600, wall=1000.0)
    assert state.sim_at(1010.0) - START.timestamp() == 6000  # 10 wall seconds = 100 simulated minutes


def test_pause_freezes_simulated_time_and_resume_continues_without_a_jump():
    state = xclock.start_state(START, 60, wall=0.0)
    paused = xclock.pause(state, wall=10.0)
    assert paused.sim_at(500.0) == START.timestamp() + 600
    resumed = xclock.resume(paused, wall=500.0)
    assert resumed.sim_at(501.0) == START.timestamp() + 660


def test_a_speed_change_keeps_the_simulated_instant_and_changes_the_rate():
    state = xclock.set_speed(xclock.start_state(START, 1, wall=0.0), 600, wall=100.0)
    assert state.sim_at(100.0) == START.timestamp() + 100
    assert state.sim_at(101.0) == START.timestamp() + 700


@pytest.mark.parametrize("speed", [0.5, 601, 0])
def test_speed_outside_1_to_600_is_refused(speed):
    with pytest.raises(xclock.ClockError, match="×1 to ×600"):
        xclock.start_state(START, speed)


def test_wall_at_inverts_sim_at_and_is_never_while_paused():
    state = xclock.start_state(START, 120, wall=50.0)
    assert state.wall_at(state.sim_at(80.0)) == pytest.approx(80.0)
    assert xclock.pause(state, wall=60.0).wall_at(START.timestamp() + 9999) == float("inf")


def test_the_clock_stands_at_its_stop_and_moving_the_stop_on_makes_no_jump():
    t0 = START.timestamp()
    state = xclock.stop_at(xclock.start_state(START, 600, wall=0.0), t0 + 120, wall=0.0)
    assert state.sim_at(0.1) == t0 + 60 and not state.standing(0.1)
    assert state.sim_at(0.5) == t0 + 120 and state.standing(0.5)     # 0.5 wall s would be 300 simulated
    assert state.wall_at(t0 + 120) == 0.2 and state.wall_at(t0 + 121) == float("inf")
    moved = xclock.stop_at(state, t0 + 240, wall=5.0)                 # stood at the stop from 0.2 to 5.0
    assert moved.sim_at(5.0) == t0 + 120 and moved.sim_at(5.1) == t0 + 180 and moved.sim_at(9.0) == t0 + 240
    assert xclock.stop_at(moved, None, wall=9.0).sim_at(10.0) == t0 + 840   # no stop: runs on from it
    paused = xclock.pause(state, wall=1.0)
    assert paused.sim_at(1.0) == t0 + 120 and xclock.resume(paused, wall=2.0).sim_at(3.0) == t0 + 120


def test_a_file_clock_reads_the_stop_and_does_not_run_while_standing_at_it(tmp_path):
    path = tmp_path / "clock.json"
    xclock.write_state(path, xclock.stop_at(xclock.start_state(START, 600), START.timestamp() + 1))
    fc = xclock.FileClock(path)
    assert fc.state().until == START.timestamp() + 1
    assert fc.sim_seconds() <= START.timestamp() + 1
    while not fc.state().standing(__import__("time").time()):
        pass
    assert fc.rate() == 0.0 and fc() == START + timedelta(seconds=1)
    legacy = tmp_path / "legacy.json"   # a state written before stops existed
    legacy.write_text('{"sim": 0.0, "wall": 0.0, "speed": 1.0, "paused": true}')
    assert xclock.read_state(legacy).until is None


def test_a_file_clock_follows_changes_written_by_another_process(tmp_path):
    path = tmp_path / "clock.json"
    xclock.write_state(path, xclock.start_state(START, 1, paused=True))
    reader = xclock.FileClock(path)
    assert reader() == START
    later = xclock.ClockState(sim=START.timestamp() + 3600, wall=0.0, speed=1, paused=True)
    xclock.write_state(path, later)
    os.utime(path, ns=(1, 1))  # a write within the same timestamp tick must still be noticed
    assert reader() == START + timedelta(hours=1)


def test_a_file_clock_keeps_the_last_state_when_the_file_is_gone(tmp_path):
    path = tmp_path / "clock.json"
    xclock.write_state(path, xclock.start_state(START, 1, paused=True))
    reader = xclock.FileClock(path)
    path.unlink()
    assert reader() == START


def test_install_from_env_makes_the_exercise_clock_the_process_clock(tmp_path):
    path = tmp_path / "clock.json"
    xclock.write_state(path, xclock.start_state(START, 1, paused=True))
    try:
        assert xclock.install_from_env({xclock.ENV_VAR: str(path)}) is not None
        assert clock.now() == START
        from services.common.envelope import now_iso
        assert now_iso() == "2025-09-15T01:00:00.000Z"  # event times follow the exercise clock
    finally:
        clock.set_clock(None)
    assert xclock.install_from_env({}) is None
