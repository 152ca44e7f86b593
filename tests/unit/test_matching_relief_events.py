"""A relief shift's plans name the incident's request they relieve (relief_of), and duty alerts go out
to the receiving county as duty.alert-raised once they are due, each once."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from services.common import contracts
from services.matching.store import requests
from tests.helpers import frozen_clock
from tests.unit.test_matching_relief import approve, long_task
from tests.unit.test_matching_service import (  # noqa: F401 (force, places, service: fixtures)
    PROVINCE,
    events,
    force,
    handle,
    places,
    plans_of,
    proposed,
    service,
)


def valid(topic: str, data: dict) -> list:
    return contracts.validate_event(topic, dict(contracts.example_event(topic), data=data))


def test_the_relief_shift_plans_say_which_request_they_relieve(service):  # noqa: F811
    runtime, client = service
    first = long_task(runtime, "REQ-ECH", hours=12)
    approval = approve(runtime, client, "REQ-ECH", duty=0)
    assert "relief_of" not in approval and "relief_of" not in events(runtime, "plan.approved")[0]
    end = datetime.fromisoformat(approval["task_end"])
    with frozen_clock(end - timedelta(hours=2)):
        runtime.deps.planner.plan_pending()
        plan = proposed(client, "REQ-ECH-S2")
        resp = client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    marker = {"request_id": "REQ-ECH", "shift": 2, "takes_over_at": end.isoformat()}
    [offered] = [p for p in events(runtime, "plan.proposed") if p["plan_id"] == plan["plan_id"]]
    [approved] = [p for p in events(runtime, "plan.approved") if p["request_id"] == "REQ-ECH-S2"]
    assert offered["relief_of"] == marker and approved["relief_of"] == marker
    assert approved["incident_id"] == first["incident_id"]
    assert valid("plan.proposed", offered) == [] and valid("plan.approved", approved) == []


def test_a_duty_alert_is_published_to_the_receiving_county_when_it_is_due_and_once(service):  # noqa: F811
    runtime, client = service
    data = long_task(runtime, "REQ-NEAR", hours=8)
    approval = approve(runtime, client, "REQ-NEAR", left_after_arrival=30)   # the limit comes on scene
    end = datetime.fromisoformat(approval["task_end"])
    assert events(runtime, "duty.alert-raised") == []                        # due an hour before the limit
    with frozen_clock(end - timedelta(minutes=59)):
        runtime.deps.planner.plan_pending()
        runtime.deps.planner.plan_pending()
        served = client.get("/alerts", headers=PROVINCE).get_json()["items"]
    published = events(runtime, "duty.alert-raised")
    assert sorted(a["officer_id"] for a in published) == sorted(a["officer_id"] for a in approval["assignments"])
    assert all(a["county"] == "330783" and a["kind"] == "approaching_limit" and a["incident_id"] == data["incident_id"]
               and a["relief_request_id"] == "REQ-NEAR-S2" for a in published)
    assert all(valid("duty.alert-raised", a) == [] for a in published)
    assert {a["alert_id"] for a in served} == {a["alert_id"] for a in published}


def test_cancelling_the_incident_request_voids_its_relief_shift(service):  # noqa: F811
    runtime, client = service
    long_task(runtime, "REQ-CXL", hours=12)
    approval = approve(runtime, client, "REQ-CXL", duty=0)
    handle(runtime, "support.cancelled", {"request_id": "REQ-CXL", "incident_id": "INC-330783-20250915-0007",
                                          "county": "330783", "reason": "事态平息", "cancelled_by": "东阳市指挥中心",
                                          "cancelled_at": approval["at"]})
    with runtime.engine.connect() as conn:
        status = conn.execute(select(requests.c.status).where(requests.c.request_id == "REQ-CXL-S2")).scalar()
    assert status == "cancelled"
    with frozen_clock(datetime.fromisoformat(approval["task_end"]) - timedelta(hours=2)):
        runtime.deps.planner.plan_pending()
    assert plans_of(client, "REQ-CXL-S2") == []
