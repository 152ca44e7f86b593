"""Who may act on a logistics object: the side that sent a unit acts for it (acknowledges its order,
reports its position, rates the deployment as an officer sent), the receiving side reads and rates as
the receiving side; an incident known only from its report is of the county it was reported in; a
role that never instructs learns nothing of an order by trying."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.logistics.bootstrap import create_app
from tests import helpers

T0 = datetime(2025, 9, 15, 1, 10, tzinfo=timezone.utc)
SOURCES = {"incident.reported": "demand", "support.requested": "demand", "plan.proposed": "matching",
           "plan.approved": "matching", "officers.committed": "resources"}
RECEIVING_SUPPORT = headers_for(Identity("dy-support", "support_officer", "330783"))   # 东阳, the receiving county
RECEIVER = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))
XIHU_DUTY = headers_for(Identity("xh-duty", "county_duty_officer", "330106"))          # another city's county
VIEWER = headers_for(Identity("zj-viewer", "viewer", "330000"))


def lead_of(order: dict) -> dict:
    """The unit's own support officer, of the county the unit comes from."""
    return headers_for(Identity(f"lead-{order['unit_id']}", "support_officer", order["from_county"]))


def deliver(runtime, topic: str, data: dict | None = None) -> dict:
    data = data or copy.deepcopy(contracts.example_event(topic)["data"])
    helpers.deliver(runtime, topic, data, source=f"/mutual-deploy/{SOURCES[topic]}", subject="s")
    return data


def emitted(runtime, topic: str) -> list[dict]:
    return [e["data"] for e in runtime.outbox.events() if e["type"] == topic]


@pytest.fixture
def service(offline_runtime, fixed_clock):
    """logistics with the example plan dispatched, and the order of the unit 义乌 sent to 东阳."""
    clock = fixed_clock(T0)
    runtime = offline_runtime("logistics")
    for topic in ("support.requested", "plan.proposed", "plan.approved", "officers.committed"):
        deliver(runtime, topic)
    order = next(o for o in emitted(runtime, "dispatch.ordered") if o["from_county"] == "330782")
    return runtime, create_app(runtime).test_client(), order, clock


def refusal(resp) -> dict:
    assert resp.status_code == 403, (resp.status_code, resp.get_json())
    return resp.get_json()["errors"][0]


def test_only_the_sending_side_acknowledges_a_units_order(service):
    runtime, client, order, _ = service
    url = f"/orders/{order['order_id']}/ack"
    error = refusal(client.post(url, json={"unit_id": order["unit_id"]}, headers=RECEIVING_SUPPORT))
    assert error["code"] == "permission.object" and error["params"]["regions"] == "330782"
    assert emitted(runtime, "dispatch.acknowledged") == []
    assert client.get(f"/orders/{order['order_id']}", headers=RECEIVING_SUPPORT).status_code == 200   # it reads
    acked = client.post(url, json={"unit_id": order["unit_id"]}, headers=lead_of(order))
    assert acked.status_code == 200 and acked.get_json()["status"] == "acknowledged"


def test_only_the_sending_side_reports_a_units_position_and_so_its_arrival(service):
    runtime, client, order, clock = service
    clock.at = T0 + timedelta(minutes=6)
    url = f"/units/{order['unit_id']}/positions"
    at_the_point = {"order_id": order["order_id"], "point": order["reporting_point"]["point"],
                    "at": (T0 + timedelta(minutes=5)).isoformat()}
    error = refusal(client.post(url, json=at_the_point, headers=RECEIVING_SUPPORT))
    assert error["code"] == "permission.object" and error["params"]["regions"] == "330782"
    assert emitted(runtime, "unit.position-reported") == []
    assert client.post(url, json=at_the_point, headers=lead_of(order)).status_code == 202


def test_officer_ratings_come_from_the_sending_side(service):
    _, client, order, _ = service
    url = f"/deployments/{order['deployment_id']}/surveys"
    error = refusal(client.post(url, json={"side": "officer", "rating": 1}, headers=RECEIVING_SUPPORT))
    assert error["field"] == "side" and "330782" in error["reason"]
    assert client.post(url, json={"side": "officer", "rating": 4}, headers=lead_of(order)).status_code == 201


def test_a_person_rates_a_deployment_once_per_side(service):
    _, client, order, _ = service
    url = f"/deployments/{order['deployment_id']}/surveys"
    assert client.post(url, json={"side": "officer", "rating": 4}, headers=lead_of(order)).status_code == 201
    again = client.post(url, json={"side": "officer", "rating": 1}, headers=lead_of(order))
    assert again.status_code == 409
    (error,) = again.get_json()["errors"]
    assert error["field"] == "side" and error["code"] == "survey.already_rated" and "already rated" in error["reason"]
    assert client.post(url, json={"side": "receiver", "rating": 5}, headers=RECEIVER).status_code == 201
    assert client.post(url, json={"side": "receiver", "rating": 5}, headers=RECEIVER).status_code == 409
    score = client.get("/indicators?county=330783", headers=RECEIVER).get_json()["satisfaction"]["score"]
    assert score == 4.5                                           # one rating per person and side


def test_the_report_of_an_incident_known_only_from_its_report_is_of_the_county_it_was_reported_in(
        offline_runtime, fixed_clock):
    fixed_clock(T0)
    runtime = offline_runtime("logistics")
    client = create_app(runtime).test_client()
    incident = deliver(runtime, "incident.reported")["incident_id"]          # 东阳, no support asked yet
    for page in ("report", "report.html"):
        error = refusal(client.get(f"/incidents/{incident}/{page}", headers=XIHU_DUTY))
        assert error["code"] == "permission.object" and error["params"]["regions"] == "330783"
        assert client.get(f"/incidents/{incident}/{page}", headers=RECEIVER).status_code == 200
        assert client.get(f"/incidents/INC-NONE/{page}", headers=XIHU_DUTY).status_code == 404


def test_a_role_that_never_instructs_gets_the_same_refusal_whether_or_not_the_order_exists(service):
    runtime, client, order, _ = service
    body = {"task": "patrol"}
    known = client.post(f"/orders/{order['order_id']}/instructions", json=body, headers=VIEWER)
    unknown = client.post("/orders/ORD-NONE/instructions", json=body, headers=VIEWER)
    assert refusal(known) == refusal(unknown) and "330783" not in known.get_json()["detail"]
    assert known.get_json() == unknown.get_json()
    (recorded,) = emitted(runtime, "instruction.recorded")                  # the attempt is on the ledger
    assert recorded["order_id"] == order["order_id"] and recorded["accepted"] is False
