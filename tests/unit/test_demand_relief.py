"""demand files a relief shift (the next echelon of a task longer than one shift) beside the request it
relieves: the same incident, its own lifecycle and deadline watch, never a second force gap."""
from __future__ import annotations

import copy

from services.common import contracts
from services.demand.escalation import DeadlineWatch
from tests.unit.test_demand_helpers import (  # noqa: F401 (now, demand: shared fixtures)
    PROVINCE,
    deliver,
    demand,
    emitted,
    incident,
    later,
    load_report,
    now,
    stamp,
)

MATCHING = "/mutual-deploy/matching"


def relief_plan(request_id: str, incident_id: str, takes_over: str, **changes) -> dict:
    plan = copy.deepcopy(contracts.example_event("plan.proposed")["data"])
    plan.update(plan_id=f"PLAN-{request_id}-S2-1A", request_id=f"{request_id}-S2", incident_id=incident_id,
                relief_of={"request_id": request_id, "shift": 2, "takes_over_at": takes_over},
                proposed_at=stamp(later(5)), **changes)
    return plan


def test_a_relief_shift_is_filed_as_the_incidents_next_echelon_and_watched_to_its_take_over(demand, now):  # noqa: F811
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0), by_module={"patrol": 0}))
    body = incident("330106", people=40)
    assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 201
    [first] = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    lines = first["lines"]
    plan = relief_plan(first["request_id"], body["incident_id"], stamp(later(60)),
                       assignments=[{"officer_id": f"P-{i}", "line_id": lines[0]["line_id"], "from_county": "330102",
                                     "eta_s": 900} for i in range(3)])
    deliver(runtime, "plan.proposed", plan, source=MATCHING)
    relief = client.get(f"/requests/{plan['request_id']}", headers=PROVINCE).get_json()
    assert relief["status"] == "awaiting_approval" and relief["incident_id"] == body["incident_id"]
    assert (relief["echelon"], relief["relief_of"], relief["shift"]) == ("shift-2", first["request_id"], 2)
    assert [(x["line_id"], x["headcount"]) for x in relief["lines"]] == [(lines[0]["line_id"], 3)]
    assert relief["deadline"].startswith(later(60).isoformat()[:19])             # due when it takes over
    deliver(runtime, "plan.proposed", plan, source=MATCHING)                      # filed once
    listed = client.get("/requests", headers=PROVINCE).get_json()
    assert sorted(r["request_id"] for r in listed) == sorted([first["request_id"], plan["request_id"]])
    # the county's force gap is still the incident's own request alone
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(6), by_module={"patrol": 0}))
    assert len(emitted(runtime, "support.requested", incident_id=body["incident_id"])) == 1
    # not approved by the time it takes over: escalated like any request
    DeadlineWatch(runtime, 1.0).tick(later(61))
    [escalated] = [e for e in emitted(runtime, "support.escalated") if e["request_id"] == plan["request_id"]]
    assert escalated["kind"].startswith("deadline_missed")


def test_a_relief_of_a_request_demand_does_not_hold_changes_nothing(demand):  # noqa: F811
    runtime, client = demand
    deliver(runtime, "plan.proposed", relief_plan("REQ-ELSEWHERE", "INC-X", stamp(later(60))), source=MATCHING)
    assert client.get("/requests", headers=PROVINCE).get_json() == []
