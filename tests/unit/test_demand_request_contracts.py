"""demand's support requests as their response contracts describe them (contracts/http/support-request
and support-requests): at every step of a request's life, escalated, cancelled and closed, and a relief
shift filed beside it; each answer read back and checked."""
from __future__ import annotations

from services.common import contracts
from services.demand.escalation import check_deadlines
from tests.helpers import assert_answers
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
from tests.unit.test_demand_lifecycle import fact, raised
from tests.unit.test_demand_relief import MATCHING, relief_plan


def shown(client, request_id: str) -> dict:
    """The request alone and in the list, each checked against its contract."""
    one = client.get(f"/requests/{request_id}", headers=PROVINCE)
    assert one.status_code == 200
    assert_answers("support-request", one.get_json())
    listed = client.get("/requests?status=" + one.get_json()["status"], headers=PROVINCE).get_json()
    assert_answers("support-requests", listed)
    assert [{k: v for k, v in one.get_json().items() if k != "history"}] == \
        [r for r in listed if r["request_id"] == request_id]
    return one.get_json()


def test_every_step_of_a_request_keeps_its_contract(demand):  # noqa: F811
    runtime, client = demand
    req = raised(runtime, client)
    rid, need = req["request_id"], req["need"]
    assert shown(client, rid)["status"] == "requested"
    steps = [("plan.proposed", 2, {}), ("plan.approved", 5, {}),
             ("officers.committed", 6, {"officer_ids": [f"O{i}" for i in range(need)]}),
             ("dispatch.ordered", 7, {"order_id": "ORD-1", "unit_id": "U1"}),
             ("unit.arrived", 30, {"order_id": "ORD-1", "unit_id": "U1"}),
             ("deployment.released", 400, {})]
    seen = []
    for topic, minutes, data in steps:
        fact(runtime, topic, rid, minutes, **data)
        seen.append(shown(client, rid)["status"])
    assert seen == ["awaiting_approval", "approved", "committed", "dispatched", "on_scene", "released"]
    last = shown(client, rid)
    assert last["progress"]["committed"] == sorted(f"O{i}" for i in range(need)) and last["progress"]["arrived"] == ["ORD-1"]
    closed = client.post(f"/requests/{rid}/close", json={"comment": "任务完成"}, headers=PROVINCE)
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert_answers("support-request", closed.get_json())
    assert closed.get_json()["history"][-1]["by"] and closed.get_json()["history"][-1]["note"] == "任务完成"


def test_an_escalated_and_a_cancelled_request_keep_their_contract(demand):  # noqa: F811
    runtime, client = demand
    rid = raised(runtime, client)["request_id"]
    with runtime.outbox.transaction() as tx:
        check_deadlines(tx, later(46))
    escalated = shown(client, rid)
    assert escalated["escalated_stages"] == ["approval", "on_scene"] and escalated["escalation_level"] == 1
    cancelled = client.post(f"/requests/{rid}/cancel", json={"reason": "事态平息"}, headers=PROVINCE)
    assert cancelled.status_code == 200
    assert_answers("support-request", cancelled.get_json())
    assert shown(client, rid)["status"] == "cancelled"


def test_a_relief_shift_keeps_the_contract(demand):  # noqa: F811
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0), by_module={"patrol": 0}))
    body = incident("330106", people=40)
    assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 201
    [first] = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    plan = relief_plan(first["request_id"], body["incident_id"], stamp(later(60)),
                       assignments=[{"officer_id": f"P-{i}", "line_id": first["lines"][0]["line_id"],
                                     "from_county": "330102", "eta_s": 900} for i in range(3)])
    deliver(runtime, "plan.proposed", plan, source=MATCHING)
    relief = shown(client, plan["request_id"])
    assert (relief["relief_of"], relief["shift"]) == (first["request_id"], 2)
    assert shown(client, first["request_id"])["progress"]["local"] == {}       # the county's force: none free


def test_the_contract_refuses_what_a_client_could_not_rely_on():
    req = contracts.example_body("support-request")
    for broken, field in [({**req, "status": "done"}, "status"),
                          ({**req, "escalated_stages": ["lunch"]}, "escalated_stages"),
                          ({**req, "progress": {**req["progress"], "local": {"patrol": -1}}}, "progress"),
                          ({k: v for k, v in req.items() if k != "lines"}, "lines"),
                          ({**req, "history": [{**req["history"][0], "to_status": "flying"}]}, "history")]:
        assert any(i.field.startswith(field) for i in contracts.validate_body("support-request", broken)), field


def test_the_http_request_is_the_published_request_with_its_state():
    """Every field of support.requested is the HTTP request's, by reference (one definition, no drift)."""
    import json

    from services.common.config import CONTRACTS
    published = json.loads((CONTRACTS / "events" / "support.requested.schema.json").read_text())
    served = json.loads((CONTRACTS / "http" / "support-request.schema.json").read_text())
    assert set(published["required"]) <= set(served["required"])
    for name in published["properties"]:
        assert served["properties"][name] == {"$ref": f"../events/support.requested.schema.json#/properties/{name}"}
