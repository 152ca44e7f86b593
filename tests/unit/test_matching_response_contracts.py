"""matching's answers as their response contracts describe them (contracts/http/requests, plans, plan,
plan-decision): through a plan's whole life (proposed, approved, committed; void beside it; rejected by a
commander or by the resource pool; a candidate nobody qualifies for), each answer read back and checked."""
from __future__ import annotations

import copy

from services.common import contracts
from tests.helpers import assert_answers, response_ref

# the matching service's fixtures (force, places, service) and helpers
from tests.unit.test_matching_service import LINES, PROVINCE, ask, force, handle, places, proposed, service  # noqa: F401


def every_answer(client, request_id: str) -> dict:
    """GET /requests, the request's plans and each plan alone, each checked against its contract."""
    listed = client.get("/requests", headers=PROVINCE)
    assert listed.status_code == 200
    assert_answers("requests", listed.get_json())
    answer = client.get(f"/requests/{request_id}/plans", headers=PROVINCE).get_json()
    assert_answers("plans", answer)
    for plan in answer["plans"] + answer["infeasible"]:
        one = client.get(f"/plans/{plan['plan_id']}", headers=PROVINCE).get_json()
        assert_answers("plan", one)
        assert one == plan
    return answer


def test_a_plans_whole_life_keeps_its_contracts(service):  # noqa: F811
    runtime, client = service
    ask(runtime, "REQ-LIFE")
    runtime.deps.planner.plan_pending()
    first = every_answer(client, "REQ-LIFE")
    assert {p["status"] for p in first["plans"]} == {"proposed"} and first["status"] == "proposed"

    fastest = proposed(client, "REQ-LIFE")
    approved = client.post(f"/plans/{fastest['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert approved.status_code == 200
    decision = approved.get_json()
    assert_answers("plan-decision", decision)
    assert decision["status"] == "approved" and decision["approval"]["plan_id"] == fastest["plan_id"]
    after = every_answer(client, "REQ-LIFE")
    mine = next(p for p in after["plans"] if p["plan_id"] == fastest["plan_id"])
    assert mine["status"] == "approved" and mine["approval"] == decision["approval"]
    others = [p for p in after["plans"] if p["plan_id"] != fastest["plan_id"]]
    assert all(p["status"] == "void" and p["status_reason"].startswith("superseded") for p in others)

    handle(runtime, "officers.committed", {**contracts.example_event("officers.committed")["data"],
                                           "plan_id": fastest["plan_id"], "request_id": "REQ-LIFE",
                                           "officer_ids": [a["officer_id"] for a in fastest["assignments"]]})
    committed = every_answer(client, "REQ-LIFE")
    assert next(p for p in committed["plans"] if p["plan_id"] == fastest["plan_id"])["status"] == "committed"


def test_rejections_and_a_candidate_nobody_qualifies_for_keep_their_contracts(service):  # noqa: F811
    runtime, client = service
    ask(runtime, "REQ-NO")
    runtime.deps.planner.plan_pending()
    fastest = proposed(client, "REQ-NO")
    refused = client.post(f"/plans/{fastest['plan_id']}/reject", json={"reason": "路线不安全"}, headers=PROVINCE)
    assert refused.status_code == 200
    assert_answers("plan-decision", refused.get_json())
    assert refused.get_json()["rejection"]["reason"] == "路线不安全"
    answer = every_answer(client, "REQ-NO")
    assert next(p for p in answer["plans"] if p["plan_id"] == fastest["plan_id"])["status_reason"] == "路线不安全"

    ask(runtime, "REQ-POOL")
    runtime.deps.planner.plan_pending()
    pooled = proposed(client, "REQ-POOL")
    assert client.post(f"/plans/{pooled['plan_id']}/approve", json={"version": 1}, headers=PROVINCE).status_code == 200
    officer = pooled["assignments"][0]["officer_id"]
    handle(runtime, "commit.rejected", {**contracts.example_event("commit.rejected")["data"], "plan_id": pooled["plan_id"],
                                        "request_id": "REQ-POOL",
                                        "reasons": [{"officer_id": officer, "code": "duty_limit",
                                                     "reason": "would pass 12 hours on duty"}]})
    answer = every_answer(client, "REQ-POOL")
    refused_by_pool = next(p for p in answer["plans"] if p["plan_id"] == pooled["plan_id"])
    assert refused_by_pool["status"] == "rejected" and officer in refused_by_pool["status_reason"]

    nobody = copy.deepcopy(LINES[:1])
    nobody[0].update(line_id="divers", tags=["no_such_skill"], headcount=2)
    ask(runtime, "REQ-NOBODY", lines=nobody)
    runtime.deps.planner.plan_pending()
    answer = every_answer(client, "REQ-NOBODY")
    assert answer["infeasible"] and all(p["status"] == "infeasible" and p["assignments"] == [] for p in answer["infeasible"])
    assert answer["infeasible"][0]["shortfall"]


def test_the_contracts_refuse_what_a_client_could_not_rely_on():
    plan = contracts.example_body("plan")
    for broken, field in [({**plan, "status": "maybe"}, "status"),
                          ({**plan, "assignments": [{"officer_id": "X"}]}, "assignments"),
                          ({k: v for k, v in plan.items() if k != "metrics"}, "metrics"),
                          ({**plan, "approval": {**plan["approval"], "signature": 7}}, "approval")]:
        assert any(i.field.startswith(field) for i in contracts.validate_body("plan", broken)), field
    decision = contracts.example_body("plan-decision")
    assert contracts.validate_body("plan-decision", {**decision, "status": "rejected"}) != []     # no rejection
    assert contracts.validate_body("plan-decision", {k: v for k, v in decision.items() if k != "digest"}) != []
    assert contracts.validate_body("requests", [{**contracts.example_body("requests")[0], "status": "done"}]) != []


def test_the_http_plan_is_the_published_plan_with_its_status():
    """Every field of plan.proposed is the HTTP plan's, by reference (one definition, no drift)."""
    import json

    from services.common.config import CONTRACTS
    published = json.loads((CONTRACTS / "events" / "plan.proposed.schema.json").read_text())
    served = json.loads((CONTRACTS / "http" / "plan.schema.json").read_text())
    assert set(served["properties"]) == set(published["properties"]) | {"status", "approval", "status_reason"}
    assert set(published["required"]) <= set(served["required"])
    for name in set(published["properties"]) - {"assignments"}:
        assert served["properties"][name] == {"$ref": f"../events/plan.proposed.schema.json#/properties/{name}"}


def test_the_openapi_description_names_the_plan_contracts(service):  # noqa: F811
    _, client = service
    assert response_ref(client, "/requests", "get") == "#/components/schemas/requests"
    assert response_ref(client, "/requests/{request_id}/plans", "get") == "#/components/schemas/plans"
    assert response_ref(client, "/plans/{plan_id}", "get") == "#/components/schemas/plan"
    assert response_ref(client, "/plans/{plan_id}/approve", "post") == response_ref(client, "/plans/{plan_id}/reject", "post") \
        == "#/components/schemas/plan-decision"
