"""In an exercise, matching plans on the roads as the injects left them: a closure or bad weather in
the conditions file raises the planned arrivals across it, and a closure changes the plan when the
donors it cuts off were the nearest."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from services.common import contracts
from services.common.clock import now
from services.demo import generate
from services.geo.conditions import ENV_VAR, Conditions, write_conditions
from services.matching import snapshot
from services.matching.planning import Places
from tests.helpers import deliver, example_envelope

COUNTY = "330783"  # Dongyang
LINES = [{"line_id": "patrol", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 12}]


@pytest.fixture(scope="module")
def force():
    return generate(officers=6000, seed=5)


@pytest.fixture
def exercise(tmp_path, offline_runtime, force):
    conditions = tmp_path / "conditions.json"
    write_conditions(conditions, Conditions())
    places = Places("330000", env={ENV_VAR: str(conditions)})
    runtime = offline_runtime("matching", extra={"signing_key": str(tmp_path / "key.pem"), "places": places},
                              build_options={"resources_url": None})
    with runtime.engine.begin() as conn:
        snapshot.load_force(conn, force, now())
    return runtime, places, conditions


def fastest_plan(runtime, request_id: str) -> dict:
    data = copy.deepcopy(contracts.example_event("support.requested")["data"])
    at = now()
    data.update(request_id=request_id, county=COUNTY, grade="III", approval_level="city", lines=copy.deepcopy(LINES),
                requested_at=at.isoformat(), deadline=(at + timedelta(minutes=90)).isoformat())
    for optional in ("task_window", "launch_deadline"):
        data.pop(optional, None)
    deliver(runtime, "support.requested", event=example_envelope("support.requested", data))
    runtime.deps.planner.plan_pending()
    plans = [e["data"] for e in runtime.outbox.events() if e["type"] == "plan.proposed"]
    return next(p for p in plans if p["request_id"] == request_id and "fastest" in (p.get("kinds") or [p["kind"]]))


def seconds(places: Places, a: str, b: str) -> int:
    codes, matrix, _ = places.matrix
    return int(matrix[codes.index(a), codes.index(b)])


def test_a_closure_raises_planned_arrivals_across_it_and_changes_the_plan(exercise):
    runtime, places, conditions = exercise
    before = fastest_plan(runtime, "REQ-OPEN")
    donors = sorted({a["from_county"] for a in before["assignments"]} - {COUNTY})
    assert donors, "the open-road plan draws on neighbouring counties"
    open_s = {d: seconds(places, d, COUNTY) for d in donors}
    write_conditions(conditions, Conditions(closed=tuple(tuple(sorted((d, COUNTY))) for d in donors)))
    assert all(seconds(places, d, COUNTY) > open_s[d] for d in donors)  # round by the next road
    after = fastest_plan(runtime, "REQ-CLOSED")
    cut_off = [a["eta_s"] for a in after["assignments"] if a["from_county"] in donors]
    assert all(eta > open_s[a["from_county"]] for a, eta in zip(
        [a for a in after["assignments"] if a["from_county"] in donors], cut_off))
    assert {a["from_county"] for a in after["assignments"]} != {a["from_county"] for a in before["assignments"]}


def test_weather_over_a_city_slows_every_trip_into_it_and_lifts_when_it_ends(exercise):
    _, places, conditions = exercise
    clear = seconds(places, "330782", COUNTY)  # Yiwu -> Dongyang, both in Jinhua
    write_conditions(conditions, Conditions(slowdowns=((("330700",), 0.5),)))
    assert seconds(places, "330782", COUNTY) > clear + (clear - 600) * 0.4  # the road between the seats at half speed
    write_conditions(conditions, Conditions())
    assert seconds(places, "330782", COUNTY) == clear


def test_live_matching_keeps_its_one_matrix():
    places = Places("330000", env={})
    assert places.matrix is places.matrix
