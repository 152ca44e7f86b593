"""Replay for the debrief: the recorded stream of an exercise plays into the twin's model."""
import copy
import json
from datetime import datetime, timezone

import pytest

from services.common.contracts import example_event
from services.exercise import replay as exercise_replay
from services.exercise.recorder import read_events
from twin.mirror import recording as twin_recording
from twin.sim.model import ProvinceModel


@pytest.fixture(scope="module")
def model() -> ProvinceModel:
    return ProvinceModel(seed=0)  # one for the module: building the province's model takes seconds


def incident(incident_id: str, time: str) -> dict:
    event = copy.deepcopy(example_event("incident.reported"))
    event["data"]["incident_id"], event["time"] = incident_id, time
    event.update(mode="exercise", exerciseid="telecom-fraud-1")
    return event


def test_the_recorded_stream_rebuilds_the_exercise_on_the_map(model, tmp_path):
    path = tmp_path / "events.jsonl"
    events = [incident("EX-1", "2025-09-15T01:05:00Z"), incident("EX-2", "2025-09-15T03:00:00Z")]
    path.write_text("".join(json.dumps(e) + "\n" for e in reversed(events)))  # arrival order need not be time order
    outcomes = exercise_replay.replay_into(model, read_events(path))
    assert outcomes["applied"] == 2 and model.incident("EX-1") and model.incident("EX-2")
    assert [e["data"]["incident_id"] for e in twin_recording.load(path)] == ["EX-1", "EX-2"]  # the twin's own format


def test_the_debrief_can_stop_the_replay_at_a_moment_of_the_exercise(model):
    events = [incident("EX-3", "2025-09-15T01:05:00Z"), incident("EX-4", "2025-09-15T03:00:00Z")]
    exercise_replay.replay_into(model, events, until=datetime(2025, 9, 15, 2, tzinfo=timezone.utc))
    assert model.incident("EX-3") is not None and model.incident("EX-4") is None
