"""A whole exercise through `run_exercise`: the four services in their own processes on the exercise
clock, injects over HTTP, the stream recorded, the report written."""
from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest

from infra.exercise import stack
from services.exercise import store
from services.exercise.scenario import parse
from services.exercise.scoring import parse_time

pytestmark = pytest.mark.integration


def test_an_exercise_runs_its_services_on_the_exercise_clock_and_writes_its_report(broker, tmp_path, monkeypatch):
    monkeypatch.setattr(store, "EXERCISES", tmp_path / "exercises")
    scn = parse({
        "name": "short-drill", "title": "短演练", "province": "330000", "start": "2025-09-15T09:00:00+08:00",
        "duration_h": 0.25, "speed": 600, "force": {"seed": 3, "officers": 2000},
        "good_response": {"summary": "演练", "targets": {"logistics_coverage": 1.0}},
        "injects": [
            {"at": "00:02", "kind": "incident", "incident": {
                "incident_id": "EX-SD-1", "type": "mass_gathering", "domain": "public_order",
                "location": {"county": "330782"}, "size": {"people_involved": 150}, "reported_grade": "III",
                "description": "演练：人员聚集", "reported_by": "演练导调组"}},
            {"at": "00:05", "kind": "weather", "regions": ["330700"], "speed_factor": 0.5, "reason": "演练：暴雨"}]})
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap, VAR_DIR=str(tmp_path), START_TIMEOUT_S="180")
    lines: list[str] = []
    result = stack.run_exercise(scn, env=env, hold_clock=True, out=lines.append)

    folder = tmp_path / "exercises" / result["exercise_id"]
    assert [e["ok"] for e in result["injects"]] == [True, True], result["injects"]
    assert (folder / "report.html").exists() and (folder / "demand.db").exists()
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert {e["exerciseid"] for e in events} == {result["exercise_id"]}
    reported = next(e for e in events if e["type"] == "incident.reported")
    # demand ran on the exercise clock, which stood still while the inject was applied: the incident
    # is stamped at the inject's simulated time, however long the HTTP call took on the wall clock
    at = parse_time(reported["time"])
    assert scn.start + timedelta(minutes=2) <= at < scn.start + timedelta(minutes=2, seconds=30)
    report = json.loads((folder / "report.json").read_text())
    assert report["exercise_id"] == result["exercise_id"] and len(report["injects"]) == 2
    assert any("incident EX-SD-1 reported" in line for line in lines)
    assert not (folder / "urls.json").exists()  # the stack stopped its processes
