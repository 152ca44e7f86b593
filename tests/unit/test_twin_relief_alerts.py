"""The twin files a relief shift as the next echelon of the incident's request, and shows the duty
alerts the receiving command got on the units that carry those officers."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui.map_layers import unit_traces
from twin.ui.panel import request_options
from twin.ui.views import counties_with_gap

REQUEST = "REQ-330783-20250915-0003"
RELIEF = f"{REQUEST}-S2"


def event(topic: str, **changes) -> dict:
    envelope = copy.deepcopy(example_event(topic))
    envelope["data"].update(changes)
    return envelope


@pytest.fixture
def model() -> ProvinceModel:
    model = ProvinceModel(seed=0, start=datetime(2025, 9, 15, tzinfo=timezone.utc), preview_config=PreviewConfig(runs=20))
    for county in ("330782", "330703", "330727"):
        replay.apply(model, event("county.load-reported", county=county, on_duty=200, available=120,
                                  committed=20, reserve_floor=140))
    replay.apply(model, event("support.requested"))
    return model


def relief_plan() -> dict:
    return event("plan.proposed", plan_id=f"PLAN-{RELIEF}-1A", request_id=RELIEF,
                 relief_of={"request_id": REQUEST, "shift": 2, "takes_over_at": "2025-09-15T17:10:00+08:00"})


def test_a_relief_plan_is_filed_under_the_same_incident_as_its_next_echelon(model):
    assert replay.apply(model, relief_plan()) == replay.APPLIED
    relief, first = model.requests[RELIEF], model.requests[REQUEST]
    assert (relief["incident_id"], relief["county"], relief["grade"]) == (first["incident_id"], first["county"],
                                                                         first["grade"])
    assert relief["relief_of"] == REQUEST and relief["shift"] == 2
    assert relief["deadline"] == "2025-09-15T17:10:00+08:00" and relief["gap_ratio"] == 0.0
    assert model.previews[f"PLAN-{RELIEF}-1A"]["deadline_s"] is not None    # previewed against its take-over
    assert {i.incident_id for i in model.incidents()} <= {first["incident_id"]}
    snapshot = {"requests": list(model.requests.values()), "counties": [{"code": "330783"}]}
    assert counties_with_gap(snapshot)[0]["gap"] == first["gap_ratio"]     # no second gap for the same task
    labels = {o["value"]: o["label"] for o in request_options(list(model.requests.values()), {}, "en")}
    assert f"shift 2, relieves {REQUEST}" in labels[RELIEF] and "relieves" not in labels[REQUEST]


def test_a_duty_alert_shows_on_the_unit_carrying_the_officer(model):
    order = example_event("dispatch.ordered")["data"]
    replay.apply(model, event("dispatch.ordered"))
    officer = order["officer_ids"][0]
    alert = event("duty.alert-raised", request_id=order["request_id"], officer_id=officer)
    assert replay.apply(model, alert) == replay.APPLIED
    assert replay.apply(model, alert) == replay.DUPLICATE
    [unit] = [u.as_dict() for u in model.units() if u.unit_id == order["unit_id"]]
    assert unit["duty_alerts"] == 1
    [marker] = [t for t in unit_traces([unit], "en") if t.name != "paths"]
    assert "1 near 12 h on duty" in marker.text[0]
    assert replay.apply(model, event("duty.alert-raised", request_id="REQ-UNKNOWN")) == "unknown_reference"
