"""The Player: injects at their simulated times on the exercise clock, conditions written as they change."""
import threading
import time

from infra.ports import free_port
from services.exercise import clock as xclock
from services.exercise.conditions import read_conditions
from services.exercise.injects import Services
from services.exercise.runner import Player
from services.exercise.scenario import parse
from tests.helpers import wait_for


def scenario(**changes):
    doc = {"name": "drill", "title": "演练", "province": "330000", "start": "2025-09-15T09:00:00+08:00",
           "duration_h": 0.1, "force": {"seed": 7, "officers": 1000}, "good_response": {"summary": "演练"},
           "injects": [
               {"at": "00:01", "kind": "weather", "regions": ["331100"], "speed_factor": 0.5, "until": "00:03",
                "reason": "大雾"},
               {"at": "00:02", "kind": "road_closure", "between": ["331126", "331181"], "reason": "塌方"},
               {"at": "00:04", "kind": "officers_unavailable", "county": "331126", "count": 2, "reason": "生病"}]}
    return parse({**doc, **changes})


def player(tmp_path, scn, *, paused=False):
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: service calls fail
    clock_path = tmp_path / "clock.json"
    xclock.write_state(clock_path, xclock.start_state(scn.start, 600, paused=paused))
    return Player(scn, Services(demand=nowhere, resources=nowhere), clock_path, tmp_path / "conditions.json",
                  out=lambda _line: None)


def test_every_inject_is_played_once_in_order_and_a_failed_call_does_not_stop_the_exercise(tmp_path):
    p = player(tmp_path, scenario())
    began = time.monotonic()
    log = p.run()
    assert [e["kind"] for e in log] == ["weather", "road_closure", "officers_unavailable"]
    assert [e["ok"] for e in log] == [True, True, False] and log[2]["outcome"].startswith("failed: ")
    assert log[0]["at"] == "2025-09-15T09:01:00+08:00" and all(e["lag_min"] < 2 for e in log)
    assert 0.5 < time.monotonic() - began < 5  # 6 simulated minutes at ×600 is 0.6 s
    final = read_conditions(tmp_path / "conditions.json")
    assert final.closed == (("331126", "331181"),) and final.slowdowns == ()  # the fog lifted at 00:03


def test_a_paused_clock_holds_the_injects_until_it_resumes(tmp_path):
    p = player(tmp_path, scenario(), paused=True)
    done = threading.Event()
    threading.Thread(target=lambda: (p.run(), done.set()), daemon=True).start()
    time.sleep(1.0)
    assert p.log == [] and not done.is_set()
    xclock.write_state(p.clock_path, xclock.resume(xclock.read_state(p.clock_path)))
    assert done.wait(10) and len(p.log) == 3


def test_with_hold_clock_simulated_time_stands_still_while_an_inject_is_applied(tmp_path):
    p = player(tmp_path, scenario())
    p.hold_clock = True
    with p.held_clock():
        first = p.elapsed_s()
        time.sleep(0.3)  # 3 simulated minutes at ×600, had the clock run
        assert p.elapsed_s() == first
    assert not xclock.read_state(p.clock_path).paused


def test_with_hold_clock_an_inject_lands_at_its_time_however_late_the_runner_wakes(tmp_path, monkeypatch):
    real_sleep, late = time.sleep, []

    def oversleep(seconds):  # a busy machine: every sleep of the loop ends 0.3 s late (3 simulated min)
        late.append(seconds)
        real_sleep(seconds + 0.3)
    p = player(tmp_path, scenario())
    p.hold_clock = True
    monkeypatch.setattr("services.exercise.runner.time.sleep", oversleep)
    log = p.run()
    monkeypatch.undo()
    assert late and [e["kind"] for e in log] == ["weather", "road_closure", "officers_unavailable"]
    assert [e["lag_min"] for e in log] == [0.0, 0.0, 0.0]
    assert p.elapsed_s() == 360  # the end, 0.1 h, not past it


def test_without_hold_clock_the_injects_keep_to_the_wall_schedule(tmp_path):
    p = player(tmp_path, scenario())
    p.run()
    assert xclock.read_state(p.clock_path).until is None  # no stop: the clock never waits for the runner


def holding_for_work(tmp_path) -> tuple[Player, list[dict]]:
    """A player holding the clock for a request not yet planned, and the stream it reads."""
    p = player(tmp_path, scenario())
    events = [{"type": "support.requested", "data": {"request_id": "R1"}}]
    p.events, p.hold_work = (lambda: events), True
    p.__post_init__()
    p.hold_for_work()
    return p, events


def test_work_in_hand_holds_the_clock_and_releases_it_when_the_step_is_done(tmp_path):
    p, events = holding_for_work(tmp_path)
    held = p.elapsed_s()
    time.sleep(0.2)  # two simulated minutes at ×600, had the clock run
    assert xclock.read_state(p.clock_path).paused and p.elapsed_s() == held
    events.append({"type": "plan.proposed", "data": {"request_id": "R1", "plan_id": "P1A"}})
    p.hold_for_work()
    wait_for(lambda: p.elapsed_s() > held, 5, "simulated time to run again")
    assert not xclock.read_state(p.clock_path).paused and p.elapsed_s() > held and p.held_s >= 0.2


def test_moving_the_stop_during_a_hold_for_work_does_not_leave_the_clock_paused(tmp_path):
    p, events = holding_for_work(tmp_path)
    assert xclock.read_state(p.clock_path).paused
    p.stop_clock_at(240.0)  # the runner's own change of the clock, not a trainer's
    events.append({"type": "plan.proposed", "data": {"request_id": "R1", "plan_id": "P1A"}})
    p.hold_for_work()
    state = xclock.read_state(p.clock_path)
    assert not state.paused and state.until == p.start_s + 240.0
