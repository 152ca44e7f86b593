"""A request's lifecycle driven by the other services' facts and by commands; escalation on missed
deadlines; the views by region; pre-positioned echelons raised when due."""
from __future__ import annotations

from services.demand.escalation import check_deadlines
from tests.unit.test_demand_helpers import (  # noqa: F401 (now, demand: shared fixtures)
    HANGZHOU,
    T0,
    VIEWER,
    WENZHOU,
    XIHU,
    deliver,
    demand,
    emitted,
    incident,
    later,
    now,
    settings,
    stamp,
    valid,
)


def raised(runtime, client, county="330106", people=150) -> dict:
    body = incident(county, people=people)
    assert client.post("/incidents", json=body).status_code == 201
    return emitted(runtime, "support.requested", incident_id=body["incident_id"])[0]


def steps(runtime, request_id) -> list[tuple[str, str, str]]:
    return [(d["from_status"], d["to_status"], d["cause"]) for d in emitted(runtime, "support.status-changed",
                                                                           request_id=request_id)]


def fact(runtime, topic, request_id, minutes, **data):
    at = stamp(later(minutes))
    payloads = {
        "plan.proposed": dict(plan_id="P1", kind="fastest", assignments=[], metrics={}, explanation="x",
                              certificate={"optimal": True, "method": "milp"}, proposed_at=at),
        "plan.approved": dict(plan_id="P1", at=at),
        "commit.rejected": dict(plan_id="P1", reasons=[{"reason": "duty_limit"}], at=at),
        "officers.committed": dict(commit_id="C1", plan_id="P1", at=at),
        "dispatch.ordered": dict(plan_id="P1", ordered_at=at),
        "unit.arrived": dict(arrived_at=at, response_s=600, deadline_met=True),
        "deployment.released": dict(deployment_id="D1", officer_ids=["O1"], duty_minutes=120, released_at=at),
    }
    deliver(runtime, topic, dict(payloads[topic], request_id=request_id, **data))


def test_the_other_services_facts_walk_a_request_to_released_one_event_per_step(demand):
    runtime, client = demand
    req = raised(runtime, client)
    rid, need = req["request_id"], req["need"]
    fact(runtime, "plan.proposed", rid, 2)
    fact(runtime, "plan.approved", rid, 5)
    fact(runtime, "officers.committed", rid, 6, officer_ids=[f"O{i}" for i in range(need)])
    fact(runtime, "dispatch.ordered", rid, 7, order_id="ORD-1", unit_id="U1")
    fact(runtime, "dispatch.ordered", rid, 7, order_id="ORD-2", unit_id="U2")
    fact(runtime, "unit.arrived", rid, 30, order_id="ORD-1", unit_id="U1")
    assert client.get(f"/requests/{rid}").get_json()["status"] == "dispatched"  # one unit still on the way
    fact(runtime, "unit.arrived", rid, 35, order_id="ORD-2", unit_id="U2")
    fact(runtime, "deployment.released", rid, 300)
    assert steps(runtime, rid) == [
        ("requested", "awaiting_approval", "plan.proposed"), ("awaiting_approval", "approved", "plan.approved"),
        ("approved", "committed", "officers.committed"), ("committed", "dispatched", "dispatch.ordered"),
        ("dispatched", "on_scene", "unit.arrived"), ("on_scene", "released", "deployment.released")]
    assert all(valid("support.status-changed", d) for d in emitted(runtime, "support.status-changed"))
    shown = client.get(f"/requests/{rid}").get_json()
    assert shown["status"] == "released" and [h["to_status"] for h in shown["history"]][-1] == "released"
    assert shown["history"][1]["at"].startswith("2026-09-15T01:05:00")  # the fact's time, not the handling time


def test_a_fact_that_arrives_before_the_ones_it_follows_takes_every_step_and_a_late_one_changes_nothing(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    fact(runtime, "plan.approved", rid, 5)
    fact(runtime, "plan.proposed", rid, 2)  # arrived late on its own topic
    assert steps(runtime, rid) == [("requested", "awaiting_approval", "plan.approved"),
                                   ("awaiting_approval", "approved", "plan.approved")]


def test_a_plan_that_fills_less_than_the_need_leaves_the_request_partially_filled(demand):
    runtime, client = demand
    req = raised(runtime, client)
    fact(runtime, "plan.approved", req["request_id"], 5)
    fact(runtime, "officers.committed", req["request_id"], 6, officer_ids=["O1", "O2"])
    [last] = emitted(runtime, "support.status-changed", to_status="partially_filled")
    assert (last["filled"], last["need"]) == (2, req["need"])
    rest = [f"O{i}" for i in range(3, req["need"] + 1)]
    fact(runtime, "officers.committed", req["request_id"], 8, officer_ids=rest, commit_id="C2")
    assert steps(runtime, req["request_id"])[-1] == ("partially_filled", "committed", "officers.committed")


def test_a_rejected_commit_sends_the_request_back_to_planning(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    fact(runtime, "plan.approved", rid, 5)
    fact(runtime, "commit.rejected", rid, 6)
    assert steps(runtime, rid)[-1] == ("approved", "planning", "commit.rejected")


def test_close_and_cancel_are_commands_illegal_ones_are_refused_with_409(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    resp = client.post(f"/requests/{rid}/close", json={})
    assert resp.status_code == 409 and "a requested request cannot become closed" in resp.get_json()["detail"]
    resp = client.post(f"/requests/{rid}/cancel", json={"reason": "crowd dispersed"}, headers=XIHU)
    assert resp.status_code == 200 and resp.get_json()["status"] == "cancelled"
    [cancel] = emitted(runtime, "support.cancelled", request_id=rid)
    assert (cancel["cancelled_by"], cancel["reason"]) == ("xihu-duty", "crowd dispersed")
    assert client.post(f"/requests/{rid}/cancel", json={"reason": "again"}).status_code == 409
    assert client.post(f"/requests/{rid}/close", json={"comment": "done"}).get_json()["status"] == "closed"
    assert steps(runtime, rid) == [("requested", "cancelled", "http"), ("cancelled", "closed", "http")]


def test_commands_need_a_commanding_role_over_the_county(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    assert client.post(f"/requests/{rid}/cancel", json={"reason": "x"}, headers=WENZHOU).status_code == 403
    assert client.post(f"/requests/{rid}/cancel", json={"reason": "x"}, headers=VIEWER).status_code == 403
    assert client.post(f"/requests/{rid}/cancel", json={}).status_code == 422
    assert client.post("/requests/REQ-NOPE/cancel", json={"reason": "x"}).status_code == 404


def test_a_request_not_approved_by_its_deadline_escalates_once_to_the_province(demand):
    runtime, client = demand
    req = raised(runtime, client)  # III: city approval, 45 minutes
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(44)) == []
    with runtime.outbox.transaction() as tx:
        [esc] = check_deadlines(tx, later(46))
    assert (esc["kind"], esc["from_approval_level"], esc["approval_level"]) == ("deadline_missed:approval", "city", "province")
    assert esc["from_grade"] == esc["to_grade"] == "III" and valid("support.escalated", esc)
    assert "not approved nor on scene by the deadline 2026-09-15T01:45:00.000Z" in esc["reason"]
    # missing the one deadline of a grade III request is one escalation, never repeated
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(90)) == []
    shown = client.get(f"/requests/{req['request_id']}").get_json()
    assert shown["escalated"] and shown["escalation_level"] == 1 and shown["approval_level"] == "province"
    assert shown["escalated_stages"] == ["approval", "on_scene"]
    assert len(emitted(runtime, "support.escalated")) == 1


def test_an_approved_request_escalates_only_when_not_on_scene_by_its_deadline(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    fact(runtime, "plan.approved", rid, 5)
    with runtime.outbox.transaction() as tx:
        [esc] = check_deadlines(tx, later(50))
    assert esc["kind"] == "deadline_missed:on_scene" and esc["status"] == "approved"


def test_grade_i_escalates_when_not_launched_in_15_minutes_and_again_when_not_on_scene_in_30(demand):
    runtime, client = demand
    rid = raised(runtime, client, people=1500)["request_id"]  # I: launched by 01:15, on scene by 01:30
    fact(runtime, "plan.approved", rid, 5)  # approved in time, but nobody launched
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(14)) == []
        [launch] = check_deadlines(tx, later(16))
    assert launch["kind"] == "deadline_missed:launch" and valid("support.escalated", launch)
    assert "not launched by the deadline 2026-09-15T01:15:00.000Z" in launch["reason"]
    fact(runtime, "dispatch.ordered", rid, 20, order_id="ORD-1", unit_id="U1")
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(29)) == []
        [late] = check_deadlines(tx, later(31))
    assert late["kind"] == "deadline_missed:on_scene" and late["escalation_level"] == 2


def test_grade_i_launched_in_time_escalates_only_for_the_on_scene_clock(demand):
    runtime, client = demand
    rid = raised(runtime, client, people=1500)["request_id"]
    fact(runtime, "plan.approved", rid, 5)
    fact(runtime, "dispatch.ordered", rid, 10, order_id="ORD-1", unit_id="U1")
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(20)) == []
        [esc] = check_deadlines(tx, later(31))
    assert esc["kind"] == "deadline_missed:on_scene"


def test_a_request_on_scene_in_time_never_escalates(demand):
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    fact(runtime, "plan.approved", rid, 5)
    fact(runtime, "dispatch.ordered", rid, 7, order_id="ORD-1", unit_id="U1")
    fact(runtime, "unit.arrived", rid, 30, order_id="ORD-1", unit_id="U1")
    with runtime.outbox.transaction() as tx:
        assert check_deadlines(tx, later(120)) == []


def test_a_city_sees_its_counties_a_county_its_own_the_province_all_sorted(demand, now):
    runtime, client = demand
    xihu = raised(runtime, client, "330106", people=150)            # III, Hangzhou
    now.at = later(1)
    lucheng = raised(runtime, client, "330302", people=400)         # II, Wenzhou: deadline 01:31
    now.at = later(2)
    binjiang = raised(runtime, client, "330108", people=1200)       # I, Hangzhou: deadline 01:32
    ids = lambda rows: [r["request_id"] for r in rows]  # noqa: E731
    assert ids(client.get("/requests").get_json()) == [lucheng["request_id"], binjiang["request_id"],
                                                       xihu["request_id"]]
    assert ids(client.get("/requests?sort=grade").get_json()) == [binjiang["request_id"], lucheng["request_id"],
                                                                  xihu["request_id"]]
    assert set(ids(client.get("/requests", headers=HANGZHOU).get_json())) == {xihu["request_id"], binjiang["request_id"]}
    assert ids(client.get("/requests", headers=XIHU).get_json()) == [xihu["request_id"]]
    assert ids(client.get("/requests?grade=I,II").get_json()) == [lucheng["request_id"], binjiang["request_id"]]
    assert ids(client.get("/requests?city=330300").get_json()) == [lucheng["request_id"]]
    assert ids(client.get("/requests?county=330108&status=requested").get_json()) == [binjiang["request_id"]]
    assert client.get(f"/requests/{lucheng['request_id']}", headers=HANGZHOU).status_code == 403
    bad = client.get("/requests?status=lost")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "status"
    assert client.get("/requests?sort=colour").status_code == 400


def test_a_scheduled_major_event_raises_each_echelon_when_its_time_comes(demand, now):
    from services.common import contracts
    runtime, client = demand
    body = contracts.example_body("preposition")
    now.at = T0.replace(year=2030, month=9, day=22)
    resp = client.post("/prepositions", json=body, headers=HANGZHOU)
    assert resp.status_code == 201, resp.get_json()
    plan = resp.get_json()
    assert contracts.validate_body("preposition-plan", plan) == []
    assert [e["status"] for e in plan["echelons"]] == ["scheduled", "scheduled"]
    assert emitted(runtime, "support.requested") == []  # a planned task is not a force gap
    watch = runtime.deps.deadline_watch
    from services.common.clock import parse_time as parse
    watch.tick(parse(body["echelons"][0]["due_at"]))
    [first] = emitted(runtime, "support.requested")
    assert (first["echelon"], first["reason"], first["preposition_id"]) == ("first_line", "manual", body["preposition_id"])
    assert first["deadline"] == "2030-09-23T04:00:00.000Z" and first["lines"] == body["echelons"][0]["lines"]
    assert first["requested_at"] == "2030-09-23T02:00:00.000Z" and valid("support.requested", first)
    watch.tick(parse(body["echelons"][1]["due_at"]))
    watch.tick(parse(body["echelons"][1]["due_at"]))
    assert [d["echelon"] for d in emitted(runtime, "support.requested")] == ["first_line", "second_line"]
    shown = client.get(f"/prepositions/{body['preposition_id']}").get_json()
    assert [e["status"] for e in shown["echelons"]] == ["requested", "requested"]
    assert contracts.validate_body("preposition-plan", shown) == [] and all(e["request_id"] for e in shown["echelons"])


def test_a_schedule_in_the_past_or_out_of_order_is_refused_naming_the_field(demand, now):
    from services.common import contracts
    _, client = demand
    body = contracts.example_body("preposition")
    now.at = T0.replace(year=2031)
    resp = client.post("/prepositions", json=body)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "window.end"
    now.at = T0
    body["echelons"][1]["in_place_by"] = body["echelons"][1]["due_at"]
    resp = client.post("/prepositions", json=body)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "echelons[1].in_place_by"
    body = contracts.example_body("preposition")
    body["echelons"][0]["lines"][0]["donor_cities"] = ["330600", "320500"]    # Suzhou is not in Zhejiang
    resp = client.post("/prepositions", json=body)
    assert resp.status_code == 422 and resp.get_json()["errors"][0] == {
        "field": "echelons[0].lines[0].donor_cities[1]", "reason": "320500 is not a city of province 330000"}
    assert client.post("/prepositions", json=contracts.example_body("preposition"), headers=WENZHOU).status_code == 403
