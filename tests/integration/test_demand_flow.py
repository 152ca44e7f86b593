"""demand through the real broker and a real database: an incident becomes a support request on the
topic, the other services' facts (published by a stand-in producer) move it along its lifecycle."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from services.common.auth import Identity, signed_in
from services.demand.bootstrap import build_runtime, create_app
from tests.integration.test_kit import read_topic, signed_approval

pytestmark = pytest.mark.integration


def now_stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def live(make_settings, database_url, stand_ins):
    """A running demand, and producers standing in for matching and resources."""
    demand = build_runtime(make_settings(database_url=database_url, acts_as="demand"))
    client = signed_in(create_app(demand).test_client(), Identity("zj-commander", "province_commander"))
    upstream = stand_ins("matching", "resources")
    demand.start()
    yield demand, client, upstream
    demand.stop()


def send(upstream, topic: str, data: dict, key: str) -> dict:
    if topic == "plan.approved":
        data = signed_approval(data)
    with upstream.outbox.transaction() as tx:
        return tx.emit(topic, data, key=key)


def incident(county: str, people: int) -> dict:
    return {"incident_id": f"INC-{uuid.uuid4().hex[:10]}", "type": "mass_gathering", "domain": "public_order",
            "location": {"county": county}, "size": {"people_involved": people},
            "description": "integration", "reported_by": "test"}


def test_an_incident_becomes_a_request_on_the_broker_and_the_loop_moves_it(live, broker):
    demand, client, upstream = live
    body = incident("330782", 150)  # grade III
    assert client.post("/incidents", json=body).status_code == 201
    [event] = read_topic(broker, "support.requested", lambda e: e["data"]["incident_id"] == body["incident_id"], 1)
    rid = event["data"]["request_id"]
    assert event["source"] == demand.settings.source and event["correlationid"] == body["incident_id"]
    approved = send(upstream["matching"], "plan.approved", {
        "plan_id": "P-1", "request_id": rid, "approved_by": "hz-commander", "role": "city_commander",
        "signature": "c2lnbmF0dXJlLW9mLXRoZS1jb21tYW5kZXI=", "county": "330782", "grade": "III",
        "task_start": now_stamp(), "task_end": now_stamp(), "assignments": [{"officer_id": "O-1"}],
        "at": now_stamp()}, key=rid)
    changes = read_topic(broker, "support.status-changed", lambda e: e["data"]["request_id"] == rid, 2)
    assert [(e["data"]["from_status"], e["data"]["to_status"]) for e in changes] == [
        ("requested", "awaiting_approval"), ("awaiting_approval", "approved")]
    assert changes[-1]["causationid"] == approved["id"]
    assert client.get(f"/requests/{rid}").get_json()["status"] == "approved"


def test_a_load_report_on_the_topic_raises_the_request_of_a_short_county(live, broker):
    demand, client, upstream = live
    body = incident("330781", 40)  # grade IV: only the force gap can call for support
    assert client.post("/incidents", json=body).status_code == 201
    send(upstream["resources"], "county.load-reported", {"county": "330781", "on_duty": 10, "available": 0, "committed": 0,
                                            "reserve_floor": 7, "at": now_stamp()}, key="330781")
    [event] = read_topic(broker, "support.requested", lambda e: e["data"]["incident_id"] == body["incident_id"], 1,
                         timeout=30)
    assert (event["data"]["reason"], event["data"]["gap_ratio"]) == ("force_gap", 1.0)
    shown = client.get(f"/requests/{event['data']['request_id']}").get_json()
    assert (shown["status"], shown["gap_basis"], shown["need"]) == ("requested", "available", event["data"]["need"])

