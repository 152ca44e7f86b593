"""A request asks for what the county is missing, line by line; the local share is recorded; growth adds
only the new shortfall; officers freed later shrink an open request; a grade-triggered request names the
lines the county cannot staff with the qualifications required."""
from __future__ import annotations

from services.demand.domain.gap import allocate
from tests.unit.test_demand_helpers import (  # noqa: F401 (now, demand: shared fixtures)
    PROVINCE,
    deliver,
    demand,
    emitted,
    incident,
    later,
    load_report,
    now,
    valid,
)

FRAUD = dict(type_="telecom_fraud", domain="criminal_investigation")  # 23 people: III, forensics 6 + investigation 8


def report(client, body):
    resp = client.post("/incidents", json=body, headers=PROVINCE)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def by_line(lines):
    return {x["line_id"]: x["headcount"] for x in lines}


def test_a_fraud_case_asks_for_the_county_gap_not_the_whole_need(demand):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330783", 40, later(0), by_module={
        "technical_support": 5, "investigation": 6, "patrol": 29}))
    inc = report(client, incident("330783", people=23, **FRAUD))
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert data["need"] == 14 and by_line(data["lines"]) == {"forensics": 1, "cyber_investigation": 2}
    assert data["gap"] == 3 and data["local_share"] == {"technical_support": 5, "investigation": 6}
    assert data["reason"] == "grade" and data["deadline_line"] == "investigation" and data["deadline_minutes"] == 180
    assert "covers 11 of 14" in data["explanation"] and valid("support.requested", data)


def test_growth_adds_only_the_new_shortfall_and_freed_officers_shrink_the_request(demand, now):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 20, later(0), by_module={"riot_control": 20}))
    body = incident("330106", people=150)  # III: riot_control 30 (15 per 10 people), negotiators 2, crowd_patrol 15
    report(client, body)
    [data] = emitted(runtime, "support.requested", incident_id=body["incident_id"])
    assert by_line(data["lines"]) == {"riot_control": 10, "negotiators": 2, "crowd_patrol": 15}
    assert data["local_share"] == {"riot_control": 20}
    # the same 20 local officers are still reported free: they are on this incident, not free twice
    deliver(runtime, "county.load-reported", load_report("330106", 20, later(1), by_module={"riot_control": 20}))
    assert emitted(runtime, "support.escalated") == []
    deliver(runtime, "county.load-reported", load_report("330106", 25, later(2), by_module={"riot_control": 25}))
    [shrunk] = emitted(runtime, "support.escalated", kind="local_cover")  # 5 more locals free: 5 fewer asked
    assert by_line(shrunk["lines"]) == {"riot_control": 5, "negotiators": 2, "crowd_patrol": 15}
    assert shrunk["local_share"] == {"riot_control": 25} and valid("support.escalated", shrunk)
    now.at = later(3)
    report(client, dict(body, size={"people_involved": 250}))  # still III, the same lines: nothing new to ask
    assert emitted(runtime, "support.escalated", kind="growth") == []
    report(client, dict(body, size={"people_involved": 400}))  # II: riot_control 80, negotiators 4, crowd_patrol 40
    grown = emitted(runtime, "support.escalated", kind="growth")[-1]
    assert by_line(grown["lines"]) == {"riot_control": 55, "negotiators": 4, "crowd_patrol": 40}  # 80 - 25 local


def test_a_request_the_county_now_covers_entirely_is_withdrawn(demand):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0), by_module={"patrol": 0}))
    inc = report(client, incident("330106", people=40))  # IV: crowd lines only, nothing free: force gap
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert data["reason"] == "force_gap" and data["gap"] == data["need"]
    deliver(runtime, "county.load-reported", load_report("330106", 500, later(1), by_module={
        "riot_control": 200, "patrol": 300}))
    [cancelled] = emitted(runtime, "support.cancelled", request_id=data["request_id"])
    assert "local officers freed" in cancelled["reason"] and valid("support.cancelled", cancelled)
    assert client.get(f"/requests/{data['request_id']}", headers=PROVINCE).get_json()["status"] == "cancelled"


def test_a_grade_triggered_request_asks_for_the_lines_the_county_cannot_staff_with_qualified_officers(demand):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330783", 40, later(0), by_module={
        "technical_support": 10, "investigation": 10}, qualified={
        "technical_support": {"e_forensics": 10, "e_forensics_examiner": 2},
        "investigation": {"cybercrime_investigation": 10}}))
    inc = report(client, incident("330783", people=23, **FRAUD))
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert data["reason"] == "grade" and data["gap_ratio"] < 0.3  # no numeric gap over 30 %
    assert by_line(data["lines"]) == {"forensics": 4}  # 6 needed, 2 certified examiners free
    assert "lack the qualifications for forensics (needs e_forensics, e_forensics_examiner)" in data["explanation"]


def test_a_grade_iii_incident_the_county_staffs_itself_raises_no_request(demand):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330783", 40, later(0), by_module={
        "technical_support": 10, "investigation": 10}))
    inc = report(client, incident("330783", people=23, **FRAUD))
    assert emitted(runtime, "support.requested", incident_id=inc["incident_id"]) == []


def test_the_allocation_keeps_an_incident_local_share_out_of_the_free_pool():
    lines = [{"line_id": "a", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 10}]
    gaps = allocate([("A", lines), ("B", lines)], {"available": 12, "by_module": {"patrol": 12}}, {"A": {"a": 8}})
    assert (gaps["A"].covered, [x["headcount"] for x in gaps["A"].shortfall]) == (10, [])  # 8 held + 2 free
    assert gaps["B"].covered == 2  # 12 free less A's 8 held and 2 newly drawn
