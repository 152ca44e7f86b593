"""The twin's model and its replay of contract events."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone

import pytest

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.ui.figures import province_map


@pytest.fixture
def model() -> ProvinceModel:
    return ProvinceModel(province="330000", seed=0, start=datetime(2025, 1, 1, tzinfo=timezone.utc))


def load_report(county: str, *, on_duty: int, available: int, committed: int) -> dict:
    event = copy.deepcopy(example_event("county.load-reported"))
    event["data"].update(county=county, on_duty=on_duty, available=available, committed=committed)
    return event


def test_seeded_model_has_a_county_agent_for_each_of_the_90_zhejiang_counties(model):
    counties = model.counties()
    assert len(counties) == 90
    assert len({c.code for c in counties}) == 90
    assert all(c.code.startswith("33") and c.name for c in counties)


def test_same_seed_gives_the_same_random_stream():
    assert ProvinceModel(seed=7).random.random() == ProvinceModel(seed=7).random.random()


def test_reported_incident_appears_in_its_county(model):
    event = example_event("incident.reported")
    assert replay.apply(model, event) == replay.APPLIED
    [incident] = model.incidents()
    data = event["data"]
    assert incident.incident_id == data["incident_id"]
    assert incident.county == data["location"]["county"]
    assert model.geography.county_at(*incident.point) == incident.county


def test_the_same_report_applied_twice_keeps_one_incident(model):
    event = example_event("incident.reported")
    replay.apply(model, event)
    assert replay.apply(model, event) == replay.DUPLICATE
    assert len(model.incidents()) == 1
    assert model.event_counts == {"applied": 1, "duplicate": 1}


def test_incident_without_a_point_sits_at_its_county_seat(model):
    event = copy.deepcopy(example_event("incident.reported"))
    event["data"]["location"] = {"county": "330106"}
    replay.apply(model, event)
    assert model.incidents()[0].point == model.county("330106").seat


def test_incident_of_another_province_is_not_shown(model):
    event = copy.deepcopy(example_event("incident.reported"))
    event["data"]["location"] = {"county": "320102"}
    assert replay.apply(model, event) == replay.OUTSIDE
    assert model.incidents() == []


def test_unknown_event_types_are_ignored_and_counted(model):
    event = dict(example_event("incident.reported"), type="deadletter")
    assert replay.apply(model, event) == replay.IGNORED
    assert model.incidents() == []
    assert model.event_counts["ignored"] == 1


def test_load_report_changes_the_county_load_and_its_colour_on_the_map(model):
    geojson = model.geography.county_geojson()
    before = province_map(geojson, model.snapshot()["counties"], [])
    replay.apply(model, load_report("330106", on_duty=200, available=50, committed=150))
    assert model.county("330106").load == pytest.approx(0.75)
    after = province_map(geojson, model.snapshot()["counties"], [])
    at = list(after.data[0].locations).index("330106")
    assert before.data[0].z[at] == 0
    assert after.data[0].z[at] == pytest.approx(0.75)


def test_replay_moves_the_clock_forward_to_the_event_time_never_back(model):
    event = copy.deepcopy(example_event("incident.reported"))
    event["time"] = "2030-05-01T08:00:00Z"
    replay.apply(model, event)
    assert model.clock == datetime(2030, 5, 1, 8, tzinfo=timezone.utc)
    assert model.clock.tzinfo == timezone.utc
    event["time"] = "2020-01-01T00:00:00Z"
    replay.apply(model, event)
    assert model.clock.year == 2030


def test_step_advances_the_clock_and_collects_the_reporters(model):
    replay.apply(model, example_event("incident.reported"))
    replay.apply(model, load_report("330106", on_duty=100, available=50, committed=45))
    before = model.clock
    model.step()
    assert model.clock == before + timedelta(minutes=1)
    frame = model.datacollector.get_model_vars_dataframe()
    assert list(frame.columns) == ["open_incidents", "mean_county_load"]
    assert frame.iloc[-1]["open_incidents"] == 1
    assert frame.iloc[-1]["mean_county_load"] == pytest.approx(0.45 / 90)


def test_snapshot_is_plain_json(model):
    replay.apply(model, example_event("incident.reported"))
    snapshot = json.loads(json.dumps(model.snapshot()))
    assert len(snapshot["counties"]) == 90
    assert snapshot["incidents"][0]["incident_id"] == example_event("incident.reported")["data"]["incident_id"]
