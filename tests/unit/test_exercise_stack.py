"""The exercise's processes and controls: environment of its services, clock control, the CLI."""
import pytest
import yaml

from infra.exercise import stack
from infra.exercise.__main__ import main
from services.exercise import clock as xclock
from services.exercise import store
from services.exercise.scenario import SCENARIOS, load


@pytest.fixture
def exercises(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "EXERCISES", tmp_path)
    return tmp_path


def test_the_services_of_an_exercise_get_its_mode_id_clock_force_and_ports_of_their_own(exercises):
    s = stack.ExerciseStack("drill-1", env={"PATH": "/usr/bin"}, force={"seed": 11, "officers": 5000})
    env = s.env
    assert env["MODE"] == "exercise" and env["EXERCISE_ID"] == "drill-1"
    assert env[xclock.ENV_VAR] == str(exercises / "drill-1" / "clock.json")
    assert env["EXERCISE_CONDITIONS_FILE"] == str(exercises / "drill-1" / "conditions.json")
    assert (env["DEMO"], env["DEMO_SEED"], env["DEMO_OFFICERS"]) == ("1", "11", "5000")
    ports = [env[f"{n.upper()}_PORT"] for n in ("demand", "resources", "matching", "logistics")]
    assert len(set(ports)) == 4 and "8101" not in ports  # never the live services' ports
    assert stack.ExerciseStack("drill-2", env={}, force={"roster": "r.json"}).env["DEMO"] == "0"


def test_a_running_broker_is_reused_and_none_means_the_exercise_starts_its_own(tmp_path):
    assert stack.running_broker({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9"}, tmp_path) == "127.0.0.1:9"
    assert stack.running_broker({}, tmp_path) is None  # no urls.json: nothing runs
    (tmp_path / "urls.json").write_text('{"kafka": "127.0.0.1:1"}')
    assert stack.running_broker({}, tmp_path) is None  # listed, but nothing answers there


def test_pause_resume_and_speed_steer_the_exercise_clock(exercises):
    path = exercises / "drill-1" / "clock.json"
    xclock.write_state(path, xclock.start_state(load("telecom-fraud").start, 60))
    assert store.control("drill-1", "pause").paused
    assert not store.control("drill-1", "resume").paused
    assert store.control("drill-1", "speed", 600).speed == 600
    with pytest.raises(xclock.ClockError):
        store.control("drill-1", "speed", 900)
    with pytest.raises(FileNotFoundError):
        store.control("no-such-drill", "pause")
    [listed] = store.exercises()
    assert listed["exercise_id"] == "drill-1" and listed["speed"] == 600 and not listed["running"]


def test_validate_names_the_file_the_path_and_the_reason(tmp_path, capsys):
    doc = yaml.safe_load((SCENARIOS / "telecom-fraud.yaml").read_text(encoding="utf-8"))
    doc["injects"][2]["count"] = 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "injects[2].count: 0 is less than the minimum of 1" in err
    assert main(["validate", "telecom-fraud"]) == 0
