"""logistics' orders and deployments as their response contracts describe them (contracts/http/
dispatch-order(s), deployment(s), extension-pending, deployment-extended, deployment-released): through
a deployment's life (ordered, acknowledged, re-sent and escalated, en route and late, arrived, reception
arranged and flagged, extended, released), each answer read back and checked, as the province and as
the receiving county see it."""
from __future__ import annotations

from datetime import timedelta

from services.common import contracts
from services.logistics import checker
from tests.helpers import assert_answers
from tests.unit.test_logistics_flow import (  # noqa: F401 (now, service: shared fixtures)
    PROVINCE,
    RECEIVER,
    T0,
    UNIT,
    deliver,
    dispatched,
    emitted,
    example,
    lead_of,
    now,
    report,
    service,
)


def answered(response, name: str, status: int = 200) -> dict:
    assert response.status_code == status, response.get_json()
    assert_answers(name, response.get_json())
    return response.get_json()


def everything(client, deployment_id: str, order_ids: list[str]) -> dict:
    """Every read of the deployment and its orders, by the province and by the receiving county."""
    for who in (PROVINCE, RECEIVER):
        answered(client.get(f"/orders?deployment_id={deployment_id}", headers=who), "dispatch-orders")
        answered(client.get("/orders?late=true", headers=who), "dispatch-orders")
        answered(client.get("/deployments", headers=who), "deployments")
        for order_id in order_ids:
            answered(client.get(f"/orders/{order_id}", headers=who), "dispatch-order")
        dep = answered(client.get(f"/deployments/{deployment_id}", headers=who), "deployment")
    return dep


def test_a_deployments_whole_life_keeps_its_contracts(service, now):  # noqa: F811
    runtime, client = service
    officers = example("officers.committed")["officer_ids"]
    orders = dispatched(runtime, {"deadline": "2025-09-15T09:51:40+08:00"}, base_wage_daily={officers[0]: 400})
    first, dep_id = orders[0], orders[0]["deployment_id"]
    ids = [o["order_id"] for o in orders]
    assert everything(client, dep_id, ids)["status"] == "dispatched"

    acked = answered(client.post(f"/orders/{first['order_id']}/ack", json={"unit_id": first["unit_id"]},
                                 headers=lead_of(first)), "dispatch-order")
    assert acked["status"] == "acknowledged"
    for _ in range(3):                                   # the others: re-sent twice, then escalated
        now.at += timedelta(seconds=121)
        checker.run_once(runtime)
    statuses = {o["order_id"]: o["status"] for o in client.get(f"/orders?deployment_id={dep_id}", headers=PROVINCE).get_json()}
    assert statuses[first["order_id"]] == "acknowledged" and set(statuses.values()) == {"acknowledged", "escalated"}

    client.post(f"/deployments/{dep_id}/arrangements", json={"lodging": {"status": "arranged", "quantity": 6}},
                headers=RECEIVER)
    point = first["reporting_point"]["point"]
    report(runtime, first, point["lon"] + 0.3, point["lat"], T0 + timedelta(minutes=12))     # far off: late
    moving = everything(client, dep_id, ids)
    late = client.get(f"/orders/{first['order_id']}", headers=PROVINCE).get_json()
    assert late["status"] == "en_route" and late["late"] and 0 <= late["progress"] < 1
    assert moving["missing"] == ["meals", "transport", "medic"]

    report(runtime, first, point["lon"], point["lat"], T0 + timedelta(minutes=40))
    arrived = everything(client, dep_id, ids)
    assert arrived["status"] == "dispatched" and [f["item"] for f in arrived["flags"]] == ["meals", "transport", "medic"]
    assert client.get(f"/orders/{first['order_id']}", headers=PROVINCE).get_json()["status"] == "arrived"
    arranged = answered(client.post(f"/deployments/{dep_id}/arrangements",
                                    json={"meals": {"status": "arranged"}, "transport": {"status": "not_needed"},
                                          "medic": {"status": "arranged", "quantity": 3, "detail": "县医院随队"}},
                                    headers=RECEIVER), "deployment")
    assert arranged["covered"] and arranged["missing"] == []

    pending = answered(client.post(f"/deployments/{dep_id}/extension", json={"until": "2025-09-16T03:00:00Z",
                                                                           "reason": "现场取证未完"},
                                   headers=RECEIVER), "extension-pending", 202)
    assert everything(client, dep_id, ids)["extension"] == pending
    extended = answered(client.post(f"/deployments/{dep_id}/extension/approve", json={"comment": "同意"},
                                    headers=PROVINCE), "deployment-extended")
    assert extended == emitted(runtime, "deployment.extended")[-1]
    assert everything(client, dep_id, ids)["extension"] is None

    now.at = T0 + timedelta(hours=5)
    released = answered(client.post(f"/deployments/{dep_id}/release", json={"outcome": "completed"}, headers=RECEIVER),
                        "deployment-released")
    assert released == emitted(runtime, "deployment.released")[-1]
    done = everything(client, dep_id, ids)
    assert done["status"] == "released" and done["allowance"]["total"] == 480.0          # one known wage x 1.2, 1 day
    assert {o["status"] for o in client.get(f"/orders?deployment_id={dep_id}", headers=PROVINCE).get_json()} == {"released"}


def test_what_the_field_and_the_receiving_side_record_answers_as_its_contract(service, now):  # noqa: F811
    runtime, client = service
    deliver(runtime, "incident.reported", example("incident.reported"))
    observed = answered(client.get("/incidents/observed", headers=PROVINCE), "observed-incidents")
    assert [o["incident_id"] for o in observed] == [example("incident.reported")["incident_id"]]
    order = dispatched(runtime)[0]
    now.at = T0 + timedelta(minutes=5)
    position = {"order_id": order["order_id"], "point": {"lon": 120.1, "lat": 29.2}, "at": "2025-09-15T01:14:00Z"}
    url = f"/units/{order['unit_id']}/positions"
    taken = answered(client.post(url, json=position, headers=lead_of(order)), "position-accepted", 202)
    published = [e["id"] for e in runtime.outbox.events() if e["type"] == "unit.position-reported"]
    assert taken["accepted"] and published == [taken["event_id"]]
    report(runtime, order, 120.1, 29.2, T0 + timedelta(minutes=4))                # applied
    stale = answered(client.post(url, json={**position, "at": "2025-09-15T01:13:00Z"}, headers=lead_of(order)),
                     "position-accepted")
    assert stale == {"accepted": False, "reason": "older than the report already applied"}
    now.at = T0 + timedelta(minutes=40)
    instruction = answered(client.post(f"/orders/{order['order_id']}/instructions", headers=RECEIVER,
                                       json={"task": "e_forensics", "point": order["reporting_point"]["point"]}),
                           "instruction-recorded", 201)
    assert instruction == emitted(runtime, "instruction.recorded")[-1] and instruction["accepted"]
    check = answered(client.post(f"/orders/{order['order_id']}/equipment-check", json={"checked": 4, "compatible": 3},
                                 headers=RECEIVER), "equipment-check-recorded", 201)
    assert check == {"order_id": order["order_id"], "checked": 4, "compatible": 3}
    dep = order["deployment_id"]
    for side, who in (("receiver", RECEIVER), ("officer", UNIT)):
        answered(client.post(f"/deployments/{dep}/surveys", json={"side": side, "rating": 4}, headers=who),
                 "survey-recorded", 201)
    outcome = answered(client.post(f"/incidents/{order['incident_id']}/case-outcome", headers=RECEIVER,
                                   json={"solved": True, "note": "23 arrested"}), "case-outcome-recorded")
    assert outcome["solved"] and outcome["recorded_by"] == "dy-duty"


def test_the_contracts_refuse_what_a_client_could_not_rely_on():
    order, dep = contracts.example_body("dispatch-order"), contracts.example_body("deployment")
    for name, body, field in [("dispatch-order", {**order, "status": "lost"}, "status"),
                              ("dispatch-order", {**order, "progress": 1.5}, "progress"),
                              ("dispatch-order", {k: v for k, v in order.items() if k != "late"}, "late"),
                              ("deployment", {**dep, "missing": ["beer"]}, "missing"),
                              ("deployment", {**dep, "extension": {"until": "soon"}}, "extension"),
                              ("deployment", {**dep, "allowance": {**dep["allowance"], "total": -1}}, "allowance")]:
        assert any(i.field.startswith(field) for i in contracts.validate_body(name, body)), (name, field)
    assert contracts.validate_body("deployment-released", {**contracts.example_body("deployment-released"),
                                                           "duty_minutes": "300"}) != []
