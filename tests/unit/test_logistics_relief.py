"""A relief shift (the next echelon of a task longer than one shift) is dispatched as part of the same
incident: its orders are due when it takes over, at the incident's reporting point, and the
after-action report and indicators count it under that incident, not as an incident of its own."""
from __future__ import annotations

from tests.unit.test_logistics_flow import (  # noqa: F401 (service, now: fixtures)
    EMERGENCY,
    PROVINCE,
    SOURCES,
    deliver,
    dispatched,
    emitted,
    example,
    now,
    service,
)

REQUEST = "REQ-330783-20250915-0003"
RELIEF = f"{REQUEST}-S2"
TAKES_OVER = "2025-09-15T17:10:00+08:00"


def relieve(runtime) -> list[dict]:
    mark = {"request_id": REQUEST, "shift": 2, "takes_over_at": TAKES_OVER}
    plan_id = f"PLAN-{RELIEF}-1A"
    deliver(runtime, "plan.proposed", dict(example("plan.proposed"), plan_id=plan_id, request_id=RELIEF, relief_of=mark))
    deliver(runtime, "plan.approved", dict(example("plan.approved"), plan_id=plan_id, request_id=RELIEF, relief_of=mark,
                                           task_start=TAKES_OVER, task_end="2025-09-16T01:10:00+08:00"))
    deliver(runtime, "officers.committed", dict(example("officers.committed"), commit_id="COMMIT-S2", plan_id=plan_id,
                                                request_id=RELIEF))
    return [o for o in emitted(runtime, "dispatch.ordered") if o["request_id"] == RELIEF]


def test_the_relief_shift_is_ordered_to_the_same_incident_and_due_when_it_takes_over(service):  # noqa: F811
    runtime, client = service
    deliver(runtime, "incident.reported", example("incident.reported"))
    first = dispatched(runtime, EMERGENCY)
    second = relieve(runtime)
    assert second and len(second) == len(first)
    for order in second:
        assert order["incident_id"] == first[0]["incident_id"]
        assert order["deadline"] == "2025-09-15T09:10:00.000Z"             # 17:10 in Zhejiang: when it takes over
        assert order["reporting_point"] == first[0]["reporting_point"]   # the incident's point, not the county seat
        assert order["scope"]["tasks"] == first[0]["scope"]["tasks"]
    incident = first[0]["incident_id"]
    body = client.get(f"/incidents/{incident}/report", headers=PROVINCE).get_json()
    shifts = {r["request_id"]: r for r in body["requests"]}
    assert set(shifts) == {REQUEST, RELIEF}
    assert (shifts[RELIEF]["relief_of"], shifts[RELIEF]["shift"]) == (REQUEST, 2) and "relief_of" not in shifts[REQUEST]
    assert {p["request_id"] for p in body["plans"] if p["chosen"]} == {REQUEST, RELIEF}
    assert len(body["reception"]) == 2                                   # two deployments of one task
    clearance = client.get(f"/indicators?incident={incident}", headers=PROVINCE).get_json()["cross_region_clearance"]
    assert clearance["cases"] == 1                                       # one cross-region case, two shifts
    every = client.get("/indicators", headers=PROVINCE).get_json()
    assert every["cross_region_clearance"]["cases"] == 1


def test_cancelling_the_incident_request_releases_its_relief_shift_too(service):  # noqa: F811
    runtime, client = service
    dispatched(runtime, EMERGENCY)
    relieve(runtime)
    SOURCES["support.cancelled"] = "demand"          # the flow tests' producers: demand owns this topic
    deliver(runtime, "support.cancelled", dict(example("support.cancelled"), request_id=REQUEST))
    released = {d["request_id"] for d in emitted(runtime, "deployment.released")}
    assert released == {REQUEST, RELIEF}
