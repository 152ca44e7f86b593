"""The whole support loop across the four services in one process, with no broker (tests/system.py).

demand, resources, matching and logistics are each built by their own composition root on a SQLite
file of their own; the resource pool is seeded with the demo province. Every event goes from its
producer's outbox, by the relay's own publishing code, to every subscribing worker's own batch
processing (contract, ownership, signature, hash chain, inbox), so what is checked on the way is what a
deployment checks. Background loops (demand's deadline watch, matching's batcher, logistics' checker)
run one round when the test asks; matching's snapshot of the pool goes through the pool's app.

Covered, asserting on each service's HTTP API at every step: an incident in a county whose own force
cannot cover it → demand raises support.requested → matching plans → a province commander approves a
plan on matching's API → the pool commits the officers → logistics orders each unit → units acknowledge
and report arrival → the receiving county releases the deployment → officers are back on duty (or
resting) in the pool and in matching's read model, and the request is released. Then every event is
delivered again and changes nothing.

Not covered here: the transport (partitions, consumer groups, offsets, redelivery after a broker
restart, several instances). The broker-based tests cover it: tests/integration/test_kit.py,
test_*_flow.py, test_broker_restart.py, test_scale_out*.py, and tests/e2e/test_walking_skeleton.py.
Runs in a few seconds.
"""
from __future__ import annotations

import uuid
from collections import Counter

import pytest

from services.common.auth import Identity, headers_for
from services.common.clock import now, stamp
from tests.system import System

pytestmark = pytest.mark.integration

COUNTY = "330783"      # 东阳市: a handful of officers free in the demo province seeded below
PROVINCE = headers_for(Identity("zj-commander", "province_commander", "330000"))
RECEIVER = headers_for(Identity("dy-duty", "county_duty_officer", COUNTY))


def unit_lead(order: dict) -> dict:
    """The support officer who leads the ordered unit, of the county it comes from."""
    return headers_for(Identity(f"lead-{order['unit_id']}", "support_officer", order["from_county"]))


@pytest.fixture
def system(tmp_path):
    built = System(tmp_path, officers=1500, seed=7)   # the demo province's own seed
    yield built
    built.close()


def test_an_incident_the_county_cannot_cover_is_planned_approved_committed_dispatched_and_released(system):
    demand, matching = system.client("demand", PROVINCE), system.client("matching", PROVINCE)
    resources, logistics = system.client("resources", PROVINCE), system.client("logistics", PROVINCE)

    # The pool's load reports reach demand, matching and logistics; matching takes its snapshot.
    system.settle()
    assert len(system.events("county.load-reported")) == 90
    load = next(e["data"] for e in system.events("county.load-reported") if e["data"]["county"] == COUNTY)
    assert load["available"] < 10

    # A gathering of 40 needs 17 officers (requirements-v1, grade IV); demand asks for what the county lacks.
    incident_id = f"INC-{uuid.uuid4().hex[:10]}"
    resp = demand.post("/incidents", json={
        "incident_id": incident_id, "type": "mass_gathering", "domain": "public_order",
        "location": {"county": COUNTY}, "size": {"people_involved": 40},
        "description": "gathering outside the county government", "reported_by": "东阳市公安局指挥中心"})
    assert resp.status_code == 201, resp.get_json()
    system.settle()
    [raised] = [e for e in system.events("support.requested") if e["data"]["incident_id"] == incident_id]
    request_id, asked = raised["data"]["request_id"], raised["data"]
    assert raised["source"] == "/mutual-deploy/demand" and raised["correlationid"] == incident_id
    assert (asked["county"], asked["grade"], asked["reason"]) == (COUNTY, "IV", "force_gap")
    assert asked["need"] == 17 and asked["gap"] == 17 - sum(asked["local_share"].values()) > 10

    # matching planned it on its batcher's round; demand awaits the approval.
    plans = matching.get(f"/requests/{request_id}/plans").get_json()
    fastest = next(p for p in plans["plans"] if p["kind"] == "fastest")
    assert len(fastest["assignments"]) == asked["gap"] and not fastest["shortfall"]
    assert demand.get(f"/requests/{request_id}").get_json()["status"] == "awaiting_approval"
    officer_ids = sorted(a["officer_id"] for a in fastest["assignments"])
    assert {resources.get(f"/officers/{o}").get_json()["status"] for o in officer_ids} == {"on_duty"}

    # A province commander approves on matching's API; the pool commits, logistics orders each unit.
    resp = matching.post(f"/plans/{fastest['plan_id']}/approve", json={"version": fastest["version"]})
    assert resp.status_code == 200, resp.get_json()
    system.settle()
    [committed] = system.events("officers.committed")
    assert committed["data"]["plan_id"] == fastest["plan_id"] and sorted(committed["data"]["officer_ids"]) == officer_ids
    assert matching.get(f"/plans/{fastest['plan_id']}").get_json()["status"] == "committed"
    assert {resources.get(f"/officers/{o}").get_json()["status"] for o in officer_ids} == {"deployed"}
    orders = logistics.get("/orders", query_string={"request_id": request_id}).get_json()
    assert sorted(o for order in orders for o in order["officer_ids"]) == officer_ids
    assert {o["status"] for o in orders} == {"ordered"}
    assert {o["order"]["reporting_point"]["county"] for o in orders} == {COUNTY}
    assert demand.get(f"/requests/{request_id}").get_json()["status"] == "dispatched"

    # Each unit's lead acknowledges its order, then reports from the reporting point.
    for order in orders:
        ack = system.client("logistics", unit_lead(order)).post(f"/orders/{order['order_id']}/ack",
                                                                json={"unit_id": order["unit_id"]})
        assert ack.status_code == 200 and ack.get_json()["status"] == "acknowledged", ack.get_json()
    system.settle()
    assert len(system.events("dispatch.acknowledged")) == len(orders)
    for order in orders:
        body = {"order_id": order["order_id"], "point": order["order"]["reporting_point"]["point"], "at": stamp(now())}
        sent = system.client("logistics", unit_lead(order)).post(f"/units/{order['unit_id']}/positions", json=body)
        assert sent.status_code == 202, sent.get_json()
    system.settle()
    assert {o["status"] for o in logistics.get("/orders", query_string={"request_id": request_id}).get_json()} == {
        "arrived"}
    assert len(system.events("unit.arrived")) == len(orders)
    assert demand.get(f"/requests/{request_id}").get_json()["status"] == "on_scene"

    # The receiving county releases the deployment: officers go back, the request is released.
    [deployment] = logistics.get("/deployments", query_string={"request_id": request_id}).get_json()
    assert sorted(deployment["officer_ids"]) == officer_ids
    resp = system.client("logistics", RECEIVER).post(f"/deployments/{deployment['deployment_id']}/release",
                                                      json={"outcome": "completed"})
    assert resp.status_code == 200, resp.get_json()
    system.settle()
    assert logistics.get(f"/deployments/{deployment['deployment_id']}").get_json()["released_at"]
    back = {resources.get(f"/officers/{o}").get_json()["status"] for o in officer_ids}
    assert back <= {"on_duty", "resting"}, back
    shown = demand.get(f"/requests/{request_id}").get_json()
    assert shown["status"] == "released"
    assert [h["to_status"] for h in shown["history"]] == [
        "awaiting_approval", "approved", "committed", "dispatched", "on_scene", "released"]

    # Nothing was refused on the way; everything delivered again is dropped by every inbox.
    assert system.deadletters() == dict.fromkeys(system.runtimes, 0)
    handled = {name: stats["handled"] for name, stats in system.worker_stats().items()}
    topics = Counter(r.topic for r in system.bus.log)
    assert system.redeliver() == sum(topics.values())
    system.settle()
    assert {name: stats["handled"] for name, stats in system.worker_stats().items()} == handled
    assert Counter(r.topic for r in system.bus.log) == topics
    assert demand.get(f"/requests/{request_id}").get_json()["status"] == "released"
