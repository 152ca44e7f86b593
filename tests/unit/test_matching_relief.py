"""Duty through the whole task: relief shifts before a shift ends, alerts to the receiving command,
and an extension that would take officers past 12 hours re-staffed."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.clock import now
from services.matching.store import officers, requests
from tests.helpers import frozen_clock
from tests.unit.test_matching_service import PROVINCE, ask, events, force, handle, places, proposed, service  # noqa: F401

OTHER_COUNTY = headers_for(Identity("ls-duty", "county_duty_officer", "331102"))
RECEIVING = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))


def long_task(runtime, request_id: str, hours: int) -> dict:
    data = ask(runtime, request_id, grade="II", level="province")
    start = datetime.fromisoformat(data["deadline"])
    data["task_window"] = {"start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}
    with runtime.engine.begin() as conn:
        conn.execute(update(requests).where(requests.c.request_id == request_id).values(data=data))
    return data


def approve(runtime, client, request_id: str, *, duty: int | None = None, left_after_arrival: int | None = None) -> dict:
    runtime.deps.planner.plan_pending()
    plan = proposed(client, request_id)
    if left_after_arrival is not None:      # the limit comes this many minutes after the last arrival
        duty = 720 - (max(a["eta_s"] for a in plan["assignments"]) // 60 + 1) - left_after_arrival
    if duty is not None:
        with runtime.engine.begin() as conn:
            conn.execute(update(officers).where(officers.c.officer_id.in_([a["officer_id"] for a in plan["assignments"]]))
                         .values(duty_minutes=duty))
    resp = client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["approval"]


def test_a_task_longer_than_a_shift_gets_its_relief_shift_with_the_same_approval(service):  # noqa: F811
    runtime, client = service
    long_task(runtime, "REQ-LONG", hours=20)
    approval = approve(runtime, client, "REQ-LONG", duty=0)
    end = datetime.fromisoformat(approval["task_end"])
    assert end - datetime.fromisoformat(approval["task_start"]) == timedelta(hours=8)
    with runtime.engine.connect() as conn:
        relief = conn.execute(select(requests).where(requests.c.request_id == "REQ-LONG-S2")).one()
    assert relief.status == "scheduled"                     # proposed 2 h before the shift ends, not now
    assert relief.data["approval_level"] == "province" and relief.data["grade"] == "II"
    assert datetime.fromisoformat(relief.data["deadline"]) == end
    assert datetime.fromisoformat(relief.data["not_before"]) == end - timedelta(hours=2)
    assert sum(line["headcount"] for line in relief.data["lines"]) == len(approval["assignments"])
    assert set(relief.exclude) == {a["officer_id"] for a in approval["assignments"]}
    assert runtime.deps.planner.plan_pending() == 0          # not due yet
    # when its lead time comes, the relief is planned and proposed before the first shift ends
    due = datetime.fromisoformat(relief.data["not_before"])
    with frozen_clock(due):
        assert runtime.deps.planner.plan_pending() >= 1
        plan = proposed(client, "REQ-LONG-S2")
        resp = client.post(f"/plans/{plan['plan_id']}/approve", json={"version": 1}, headers=PROVINCE)
    assert not {a["officer_id"] for a in plan["assignments"]} & {a["officer_id"] for a in approval["assignments"]}
    assert datetime.fromisoformat(plan["proposed_at"]) < end
    second = resp.get_json()["approval"]
    assert datetime.fromisoformat(second["task_start"]) >= end      # takes over when the first shift ends
    with runtime.engine.connect() as conn:                          # 20 h: a third shift follows the second
        assert conn.execute(select(requests.c.status).where(requests.c.request_id == "REQ-LONG-S3")).scalar() == "scheduled"


def test_officers_near_twelve_hours_cut_the_shift_and_alert_the_receiving_command(service):  # noqa: F811
    runtime, client = service
    long_task(runtime, "REQ-NEAR", hours=8)
    approval = approve(runtime, client, "REQ-NEAR", left_after_arrival=30)   # the limit comes on scene
    start, end = (datetime.fromisoformat(approval[k]) for k in ("task_start", "task_end"))
    assert timedelta(minutes=29) < end - start <= timedelta(minutes=31)      # the shift ends at the limit
    with frozen_clock(end - timedelta(minutes=61)) as fixed:      # raised an hour before the limit, not earlier
        assert client.get("/alerts", headers=RECEIVING).get_json()["items"] == []
        fixed.at = end - timedelta(minutes=59)
        answer = client.get("/alerts", headers=RECEIVING).get_json()
        assert contracts.validate_body("duty-alerts", answer) == []
        alerts = answer["items"]
        other = client.get("/alerts", headers=OTHER_COUNTY).get_json()["items"]
    assert {a["officer_id"] for a in alerts} == {a["officer_id"] for a in approval["assignments"]}
    assert all(a["kind"] == "approaching_limit" and a["relief_request_id"] == "REQ-NEAR-S2" for a in alerts)
    assert other == []
    with runtime.engine.connect() as conn:    # the relief of the shortened shift is due its lead time before it ends
        relief = conn.execute(select(requests).where(requests.c.request_id == "REQ-NEAR-S2")).one()
    assert datetime.fromisoformat(relief.data["relief_from"]) == end
    assert datetime.fromisoformat(relief.data["not_before"]) == end - timedelta(hours=2)


def test_an_extension_past_twelve_hours_is_re_staffed_and_alerted(service):  # noqa: F811
    runtime, client = service
    ask(runtime, "REQ-EXT")
    approval = approve(runtime, client, "REQ-EXT", duty=180)       # 3 h worked: 9 h left from the order
    ordered = datetime.fromisoformat(approval["at"])
    until = ordered + timedelta(hours=10)
    ids = [a["officer_id"] for a in approval["assignments"]]
    handle(runtime, "deployment.extended", {
        "deployment_id": "DEP-EXT", "request_id": "REQ-EXT", "plan_id": approval["plan_id"], "officer_ids": ids,
        "previous_until": approval["task_end"], "until": until.isoformat(), "reason": "取证延长",
        "requested_by": "330783 现场指挥员", "approved_by": "zj-duty-chief", "role": "province_commander",
        "at": now().isoformat()})
    answer = client.get("/alerts", headers=PROVINCE).get_json()
    assert contracts.validate_body("duty-alerts", answer) == []
    alerts = [a for a in answer["items"] if a["kind"] == "extension_past_limit"]
    assert {a["officer_id"] for a in alerts} == set(ids)
    (relief_id,) = {a["relief_request_id"] for a in alerts}
    with runtime.engine.connect() as conn:
        relief = conn.execute(select(requests).where(requests.c.request_id == relief_id)).one()
    assert relief.data["relief_of"] == approval["plan_id"] and relief.status == "scheduled"
    assert datetime.fromisoformat(relief.data["relief_from"]) == ordered + timedelta(hours=9)
    assert datetime.fromisoformat(relief.data["task_window"]["end"]) == until
    assert sum(line["headcount"] for line in relief.data["lines"]) == len(ids)


def test_an_extension_within_the_limit_needs_no_relief(service):  # noqa: F811
    runtime, client = service
    ask(runtime, "REQ-OK")
    approval = approve(runtime, client, "REQ-OK", duty=0)
    until = datetime.fromisoformat(approval["at"]) + timedelta(hours=11)
    handle(runtime, "deployment.extended", {
        "deployment_id": "DEP-OK", "request_id": "REQ-OK", "plan_id": approval["plan_id"],
        "officer_ids": [a["officer_id"] for a in approval["assignments"]], "previous_until": approval["task_end"],
        "until": until.isoformat(), "requested_by": "x", "approved_by": "y", "role": "province_commander",
        "at": now().isoformat()})
    assert [a for a in client.get("/alerts", headers=PROVINCE).get_json()["items"]
            if a["kind"] == "extension_past_limit"] == []
