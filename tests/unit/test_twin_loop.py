"""The mirror follows the support loop: requests, plans (previewed on arrival), orders, positions, arrivals."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig

REQUEST = "REQ-330783-20250915-0003"
PLAN = "PLAN-REQ-330783-20250915-0003-A"


def event(topic: str, **changes) -> dict:
    envelope = copy.deepcopy(example_event(topic))
    envelope["data"].update(changes)
    return envelope


@pytest.fixture
def model() -> ProvinceModel:
    model = ProvinceModel(seed=0, start=datetime(2025, 9, 15, tzinfo=timezone.utc),
                          preview_config=PreviewConfig(runs=100))
    for county in ("330782", "330703", "330727"):
        replay.apply(model, event("county.load-reported", county=county, on_duty=200, available=120,
                                  committed=20, reserve_floor=140))
    return model


@pytest.fixture
def proposed(model) -> ProvinceModel:
    replay.apply(model, event("support.requested"))
    replay.apply(model, event("plan.proposed"))
    return model


def test_a_proposed_plan_is_previewed_against_its_request_deadline(proposed):
    preview = proposed.previews[PLAN]
    assert preview["deadline_s"] == 2677  # deadline 09:51:40 - proposed 09:07:03
    assert preview["config"]["runs"] == 100
    assert [u["unit_id"] for u in preview["units"]] == ["UNIT-330782-TS-01", "UNIT-330703-TS-02",
                                                         "UNIT-330727-CI-01"]
    assert 0 < preview["whole"]["p_deadline"] <= 1
    assert [d["on_duty"] for d in preview["donors"]] == [200, 200, 200]


def test_a_plan_before_its_request_is_previewed_without_a_deadline(model):
    replay.apply(model, event("plan.proposed"))
    assert model.previews[PLAN]["deadline_s"] is None
    assert model.previews[PLAN]["whole"]["p_deadline"] is None


def test_the_same_plan_twice_is_kept_and_previewed_once(proposed):
    first = proposed.previews[PLAN]
    assert replay.apply(proposed, event("plan.proposed")) == replay.DUPLICATE
    assert proposed.previews[PLAN] is first


def test_a_preview_on_demand_sees_the_state_as_it_is_now(proposed):
    before = proposed.previews[PLAN]["donors"][0]["end_ratio_p50"]
    replay.apply(proposed, event("county.load-reported", county="330703", on_duty=200, available=40,
                                 committed=100, reserve_floor=140))
    again = proposed.preview(PLAN)
    assert again["donors"][0]["county"] == "330703"
    assert again["donors"][0]["end_ratio_p50"] < before
    assert proposed.previews[PLAN] is again


def commit_it(model: ProvinceModel, *, with_statuses: bool = True) -> None:
    """The plan approved and committed as resources does it: its officers reserved, each donor's load
    reported again with them committed."""
    replay.apply(model, event("plan.approved"))
    replay.apply(model, event("officers.committed"))
    plan = model.plans[PLAN]
    for a in plan["assignments"] if with_statuses else ():
        replay.apply(model, event("officer.status-changed", officer_id=a["officer_id"], county=a["from_county"]))
    for county in {a["from_county"] for a in plan["assignments"]}:
        replay.apply(model, event("county.load-reported", county=county, on_duty=200, available=118,
                                  committed=22, reserve_floor=140))


def test_a_committed_plan_previewed_again_leaves_home_once_not_twice(proposed):
    """The donors' loads after the commit count the plan's officers as committed; the preview then sends
    them from home again. Previewed again, a committed plan is simulated on the state before its commit,
    so what it shows left at home is what it showed as a proposal (same seed, same draws)."""
    before = {d["county"]: d["end_ratio_p50"] for d in proposed.previews[PLAN]["donors"]}
    commit_it(proposed)
    assert proposed.own_commitment(proposed.plans[PLAN]) == {"330782": 2, "330703": 2, "330727": 2}
    again = {d["county"]: d["end_ratio_p50"] for d in proposed.preview(PLAN)["donors"]}
    assert again == before and min(again.values()) == 0.89  # (200 - 20 committed before - 2 sent) / 200


def test_a_committed_plan_s_officers_count_once_their_task_is_over_or_they_are_known_elsewhere(proposed):
    commit_it(proposed, with_statuses=False)  # a twin that has not heard the officers' status changes yet
    assert sum(proposed.own_commitment(proposed.plans[PLAN]).values()) == 6
    replay.apply(proposed, event("officer.status-changed", officer_id="P-330782-00342", county="330782",
                                 to="resting"))  # one already back home and resting: no longer held
    assert proposed.own_commitment(proposed.plans[PLAN])["330782"] == 1
    proposed.requests[REQUEST]["status"] = "released"
    assert proposed.own_commitment(proposed.plans[PLAN]) == {}
    proposed.plans[PLAN]["status"] = "proposed"
    assert proposed.own_commitment(proposed.plans[PLAN]) == {}


def test_approval_rejection_and_commit_change_the_plan_status(proposed):
    replay.apply(proposed, event("plan.approved"))
    assert proposed.plans[PLAN]["status"] == "approved"
    assert proposed.plans[PLAN]["role"] == "province_commander"
    assert proposed.requests[REQUEST]["status"] == "approved"
    replay.apply(proposed, event("officers.committed"))
    assert proposed.plans[PLAN]["status"] == "committed"
    assert replay.apply(proposed, event("plan.rejected")) == "unknown_reference"  # plan C was never proposed


def test_a_cancelled_request_voids_its_open_plans(proposed):
    replay.apply(proposed, event("support.cancelled", request_id=REQUEST))
    assert proposed.requests[REQUEST]["status"] == "cancelled"
    assert proposed.plans[PLAN]["status"] == "void"


def test_an_escalation_moves_the_deadline(proposed):
    replay.apply(proposed, event("support.escalated"))
    request = proposed.requests[REQUEST]
    assert (request["grade"], request["deadline_minutes"]) == ("II", 30)
    assert len(request["lines"]) == 3
    assert proposed.preview(PLAN)["deadline_s"] == 2462  # 09:48:05 - 09:07:03


def test_a_dispatched_unit_starts_at_its_donor_seat_and_follows_positions_to_arrival(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    unit = proposed.unit("UNIT-330782-TS-01")
    assert unit.position == proposed.county("330782").seat
    assert unit.destination == (120.2338, 29.2861) and unit.status == "dispatched"
    replay.apply(proposed, event("unit.position-reported"))
    assert unit.position == (120.1586, 29.2977) and unit.status == "moving"
    replay.apply(proposed, event("unit.arrived"))
    assert unit.status == "arrived" and unit.position == unit.destination
    assert unit.as_dict()["late"] is False
    replay.apply(proposed, event("unit.position-reported"))  # a late-delivered report does not move it back
    assert unit.position == unit.destination


def test_a_unit_past_its_deadline_without_arriving_is_late(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["late"] is False
    replay.apply(proposed, event("incident.reported") | {"time": "2025-09-15T10:00:00+08:00"})
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["late"] is True


def test_a_released_deployment_takes_its_units_off_the_map(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    replay.apply(proposed, event("deployment.released"))
    assert proposed.unit("UNIT-330782-TS-01").status == "released"
    assert proposed.requests[REQUEST]["status"] == "released"


def test_officer_status_changes_are_counted_per_county(model):
    replay.apply(model, event("officer.status-changed"))
    replay.apply(model, event("officer.status-changed", officer_id="P-330782-00719", to="deployed"))
    replay.apply(model, event("officer.status-changed", officer_id="P-330782-00719", to="resting"))
    assert model.officers_by_county() == {"330782": {"reserved": 1, "resting": 1}}


def test_the_snapshot_carries_requests_plans_with_previews_and_units(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    snapshot = proposed.snapshot()
    assert [r["request_id"] for r in snapshot["requests"]] == [REQUEST]
    assert snapshot["plans"][0]["preview"]["plan_id"] == PLAN
    assert snapshot["units"][0]["destination"] == [120.2338, 29.2861]


def test_a_late_alert_from_logistics_marks_the_unit_late_until_it_arrives(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    replay.apply(proposed, event("unit.late", unit_id="UNIT-330782-TS-01"))
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["late"] is True
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["late_by_s"] == 420
    replay.apply(proposed, event("unit.arrived"))  # 09:37, before the 09:51 deadline
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["late"] is False


def test_logistics_withdraws_a_late_alert_when_the_unit_makes_up_the_time(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    unit = proposed.unit("UNIT-330782-TS-01")
    assert replay.apply(proposed, event("unit.late", unit_id=unit.unit_id)) == "applied"  # at 09:30:10
    assert unit.as_dict()["late"] is True
    assert replay.apply(proposed, event("unit.on-time", unit_id=unit.unit_id)) == "applied"  # at 09:36:10
    assert unit.as_dict()["late"] is False and unit.as_dict()["late_by_s"] is None
    assert replay.apply(proposed, event("unit.late", unit_id=unit.unit_id, late_by_s=300,
                                        at="2025-09-15T09:44:00+08:00")) == "applied"  # late again
    assert unit.as_dict()["late"] is True and unit.as_dict()["late_by_s"] == 300


def test_the_later_of_a_late_alert_and_its_withdrawal_stands_whichever_topic_is_read_first(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    unit = proposed.unit("UNIT-330782-TS-01")
    # unit.late and unit.on-time are two topics: the withdrawal (09:36) may be read before the alert (09:30)
    assert replay.apply(proposed, event("unit.on-time", unit_id=unit.unit_id)) == "applied"
    assert replay.apply(proposed, event("unit.late", unit_id=unit.unit_id)) == "stale"
    assert unit.as_dict()["late"] is False
    assert replay.apply(proposed, event("unit.on-time", unit_id=unit.unit_id,
                                        at="2025-09-15T09:20:00+08:00")) == "stale"
    assert replay.apply(proposed, event("unit.late", unit_id=unit.unit_id,
                                        at="2025-09-15T09:40:00+08:00")) == "applied"
    assert unit.as_dict()["late"] is True
    assert replay.apply(proposed, event("unit.on-time", unit_id=unit.unit_id,
                                        at="2025-09-15T01:39:00Z")) == "stale"  # 09:39 Beijing time: older
    assert unit.as_dict()["late"] is True
    assert replay.apply(proposed, event("unit.on-time", unit_id="UNIT-NOT-ORDERED")) == "unknown_reference"


def test_acknowledgement_and_escalation_of_an_order_show_on_the_unit(proposed):
    replay.apply(proposed, event("dispatch.ordered"))
    replay.apply(proposed, event("dispatch.acknowledged"))
    assert proposed.unit("UNIT-330782-TS-01").status == "acknowledged"
    replay.apply(proposed, event("dispatch.escalated", unit_id="UNIT-330782-TS-01"))
    assert proposed.unit("UNIT-330782-TS-01").as_dict()["escalated"] is True


def test_the_request_follows_demand_lifecycle(proposed):
    replay.apply(proposed, event("support.status-changed"))
    assert proposed.requests[REQUEST]["status"] == "partially_filled"


def test_an_officer_moving_county_is_counted_in_the_new_one_only(model):
    replay.apply(model, event("officer.status-changed", to="on_duty"))
    replay.apply(model, event("officer.status-changed", county="330703", to="deployed"))
    assert model.officers_by_county() == {"330703": {"deployed": 1}}


def test_events_read_before_what_they_name_are_applied_when_it_arrives(model):
    """Across topics, the stream may hand the twin a unit's report and arrival before its dispatch order,
    and a plan's approval before the plan (a twin starting, a broker that lost its log and got the
    services' history again): each waits for what it names, so the state is as if read in order."""
    assert replay.apply(model, event("unit.position-reported")) == replay.replay_loop.UNKNOWN
    assert replay.apply(model, event("unit.arrived")) == replay.replay_loop.UNKNOWN
    assert replay.apply(model, event("plan.approved")) == replay.replay_loop.UNKNOWN
    assert replay.apply(model, event("support.status-changed")) == replay.replay_loop.UNKNOWN
    assert model.unit("UNIT-330782-TS-01") is None and len(model.parked) == 3

    replay.apply(model, event("support.requested"))
    assert model.requests[REQUEST]["status"] == "partially_filled"   # demand's word, kept for the request
    replay.apply(model, event("plan.proposed"))
    assert model.plans[PLAN]["status"] == "approved"
    replay.apply(model, event("dispatch.ordered"))
    unit = model.unit("UNIT-330782-TS-01")
    assert unit.status == "arrived" and unit.position == unit.destination and model.parked == {}
    assert model.requests[REQUEST]["status"] == "partially_filled"   # an approval never moves a request back


def test_a_fact_of_another_service_never_moves_a_request_back_along_its_lifecycle(proposed):
    replay.apply(proposed, event("support.status-changed", from_status="dispatched", to_status="on_scene"))
    replay.apply(proposed, event("plan.approved"))   # read after (another topic, or the snapshot)
    assert proposed.requests[REQUEST]["status"] == "on_scene"
    replay.apply(proposed, event("deployment.released"))
    assert proposed.requests[REQUEST]["status"] == "released"
    replay.apply(proposed, event("plan.approved"))
    assert proposed.requests[REQUEST]["status"] == "released"


def test_what_waits_is_bounded_per_object_and_in_all(model, monkeypatch):
    monkeypatch.setattr(replay, "PARKED_PER_OBJECT", 3)
    monkeypatch.setattr(replay, "PARKED_OBJECTS", 2)
    for i in range(5):
        replay.apply(model, event("unit.position-reported", at=f"2025-09-15T01:3{i}:00.000Z"))
    assert [e["data"]["at"][14:16] for e in model.parked[("unit", "UNIT-330782-TS-01")]] == ["32", "33", "34"]
    replay.apply(model, event("unit.arrived", unit_id="UNIT-A"))
    replay.apply(model, event("unit.arrived", unit_id="UNIT-B"))   # the first object's events make room
    assert set(model.parked) == {("unit", "UNIT-A"), ("unit", "UNIT-B")}
