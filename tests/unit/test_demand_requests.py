"""Support requests raised from the force gap and the grade, moved along their lifecycle by the other
services' facts and by commands, escalated on missed deadlines, shown by region."""
from __future__ import annotations

import pytest

from services.demand.escalation import check_deadlines
from tests.unit.test_demand_helpers import (  # noqa: F401 (now, demand: shared fixtures)
    PROVINCE,
    T0,
    VIEWER,
    WENZHOU,
    XIHU,
    deliver,
    demand,
    emitted,
    incident,
    later,
    load_report,
    now,
    settings,
    stamp,
    valid,
)


def report(client, body, headers=PROVINCE):
    resp = client.post("/incidents", json=body, headers=headers)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def the_request(client, incident_id, headers=PROVINCE):
    found = [r for r in client.get("/requests", headers=headers).get_json() if r["incident_id"] == incident_id]
    assert len(found) == 1, found
    return found[0]


# ------------------------------------------------------------------------------------- raising

def test_a_grade_iii_incident_raises_a_request_with_the_deadline_counted_from_its_report(demand):
    runtime, client = demand
    inc = report(client, incident(people=150))  # mass gathering of 150: grade III
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert (data["grade"], data["reason"], data["approval_level"]) == ("III", "grade", "city")
    assert data["requested_at"] == inc["reported_at"] and data["deadline_minutes"] == 45
    assert data["deadline"] == stamp(later(45)).replace("+00:00", "Z").replace(":00Z", ":00.000Z")
    assert data["gap_basis"] == "no_load_report" and data["need"] == sum(x["headcount"] for x in data["lines"])
    assert data["task_window"]["start"] == data["deadline"] and data["expected_duration_minutes"] == 8 * 60
    assert valid("support.requested", data)
    assert the_request(client, inc["incident_id"])["status"] == "requested"


def test_grade_i_is_launched_in_15_and_on_scene_in_30_minutes_of_the_request_with_province_approval(demand):
    runtime, client = demand
    inc = report(client, incident(people=1500))
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert (data["grade"], data["approval_level"], data["deadline_minutes"]) == ("I", "province", 30)
    assert data["launch_deadline"].startswith("2026-09-15T01:15:00")
    assert data["deadline"].startswith("2026-09-15T01:30:00")  # both clocks from the request, not 15 + 30


def test_a_grade_iv_incident_waits_for_the_load_and_is_raised_when_the_gap_exceeds_30_percent(demand, now):
    runtime, client = demand
    inc = report(client, incident("330106", people=40))  # IV: its lines need a few officers
    assert emitted(runtime, "support.requested") == []
    need = client.get(f"/incidents/{inc['incident_id']}/assessment").get_json()["requirements"]
    need = sum(line["headcount"] for line in need)
    deliver(runtime, "county.load-reported", load_report("330106", need, later(1)))  # enough: no gap
    assert emitted(runtime, "support.requested") == []
    deliver(runtime, "county.load-reported", load_report("330106", int(need * 0.6), later(2)))  # 40 % short
    [data] = emitted(runtime, "support.requested")
    assert data["reason"] == "force_gap" and data["gap_ratio"] > 0.3 and data["gap_basis"] == "available"
    assert data["requested_at"] == stamp(later(2)).replace("+00:00", "Z").replace(":00Z", ":00.000Z")
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(3)))  # worse still: no second request
    assert len(emitted(runtime, "support.requested")) == 1


def test_a_gap_just_over_30_percent_raises_a_request_though_its_ratio_shows_as_0_3(demand):
    runtime, client = demand
    body = incident("330106", people=40, requirement_overrides=[{"line_id": "crowd_patrol", "headcount": 1992}],
                    override_reason="a long cordon")
    inc = report(client, body)
    need = sum(x["headcount"] for x in client.get(f"/incidents/{inc['incident_id']}/assessment").get_json()["requirements"])
    short = 3 * need // 10 + 1  # the smallest gap over 30 %
    assert need == 2003 and round(short / need, 4) == 0.3
    deliver(runtime, "county.load-reported", load_report("330106", need - short + 1, later(1)))  # just under 30 %
    assert emitted(runtime, "support.requested") == []
    deliver(runtime, "county.load-reported", load_report("330106", need - short, later(2)))  # 601 of 2003: 30.005 %
    [data] = emitted(runtime, "support.requested")
    assert (data["reason"], data["gap"], data["gap_ratio"]) == ("force_gap", short, 0.3) and valid("support.requested", data)


def test_an_older_load_report_does_not_replace_a_newer_one(demand):
    runtime, client = demand
    inc = report(client, incident("330106", people=40))
    deliver(runtime, "county.load-reported", load_report("330106", 100, later(5)))
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(4)))  # late, stale
    assert emitted(runtime, "support.requested", incident_id=inc["incident_id"]) == []


def test_incidents_of_one_county_share_its_free_force_oldest_first(demand, now):
    runtime, client = demand
    first = report(client, incident("330106", people=40))
    now.at = later(1)
    second = report(client, incident("330106", people=40))
    need = sum(x["headcount"] for x in client.get(f"/incidents/{first['incident_id']}/assessment").get_json()["requirements"])
    deliver(runtime, "county.load-reported", load_report("330106", need, later(2)))
    assert emitted(runtime, "support.requested", incident_id=first["incident_id"]) == []
    [data] = emitted(runtime, "support.requested", incident_id=second["incident_id"])
    assert data["gap_ratio"] == 1.0


def test_by_module_availability_counts_per_module(demand):
    runtime, client = demand
    inc = report(client, incident("330106", people=40))
    deliver(runtime, "county.load-reported", load_report("330106", 500, later(1), by_module={"traffic": 500}))
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert data["gap_basis"] == "by_module" and data["gap_ratio"] == 1.0  # plenty free, none of the right module


def test_a_retry_is_not_a_second_request_and_growth_escalates_the_open_one(demand, now):
    runtime, client = demand
    body = incident(people=150)
    report(client, body)
    report(client, body)
    assert len(emitted(runtime, "support.requested")) == 1
    now.at = later(10)
    grown = report(client, dict(body, size={"people_involved": 400}))
    assert grown["size"]["people_involved"] == 400 and grown["updated_at"].startswith("2026-09-15T01:10")
    [esc] = emitted(runtime, "support.escalated")
    assert (esc["from_grade"], esc["to_grade"], esc["approval_level"], esc["kind"]) == ("III", "II", "province", "growth")
    assert "people_involved 150 → 400" in esc["reason"] and valid("support.escalated", esc)
    assert esc["deadline"].startswith("2026-09-15T01:40:00")  # 10 min + 30 min for II, earlier than the old 01:45
    assert len(emitted(runtime, "support.requested")) == 1
    shown = the_request(client, body["incident_id"])
    assert (shown["grade"], shown["approval_level"]) == ("II", "province") and shown["lines"] == esc["lines"]
    assert [e["data"].get("updated_at") for e in runtime.outbox.events() if e["type"] == "incident.reported"][-1] \
        == grown["updated_at"]


def test_growth_to_grade_i_keeps_the_launch_deadline_before_the_on_scene_one(demand, now):
    runtime, client = demand
    body = incident(people=400)  # grade II: on scene by 01:30
    report(client, body)
    now.at = later(20)
    report(client, dict(body, size={"people_involved": 1200}))  # grade I at 01:20
    [esc] = emitted(runtime, "support.escalated")
    assert (esc["from_grade"], esc["to_grade"]) == ("II", "I") and valid("support.escalated", esc)
    assert esc["deadline"].startswith("2026-09-15T01:30:00")  # the earlier: from the request, not 01:50
    assert esc["launch_deadline"].startswith("2026-09-15T01:15:00")  # the same clock: not 01:35, after it
    shown = the_request(client, body["incident_id"])
    assert (shown["launch_deadline"], shown["deadline"]) == (esc["launch_deadline"], esc["deadline"])
    with runtime.outbox.transaction() as tx:
        [missed] = check_deadlines(tx, later(21))
    assert missed["kind"] == "deadline_missed:launch" and valid("support.escalated", missed)


# ---------------------------------------------------------------------------------- bad input

def test_unknown_counties_and_points_outside_the_province_are_refused_with_the_reason(demand):
    _, client = demand
    resp = client.post("/incidents", json=incident("330199"), headers=PROVINCE)
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "location.county"
    assert "no county 330199" in resp.get_json()["errors"][0]["reason"]
    resp = client.post("/incidents", json=incident("330106", point=(116.40, 39.90)), headers=PROVINCE)  # Beijing
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "location.point"
    assert "outside province 330000" in resp.get_json()["errors"][0]["reason"]
    assert report(client, incident("330106", point=(120.1485, 30.2425)))["location"]["county"] == "330106"


def test_the_reporting_officer_overrides_template_lines_and_who_did_it_is_kept(demand):
    runtime, client = demand
    body = incident(people=150, requirement_overrides=[
        {"line_id": "negotiators", "headcount": 5, "tags": ["negotiation", "foreign_language:en"]},
        {"line_id": "drone_watch", "module": "technical_support", "headcount": 2, "equipment": ["drone"]}],
        override_reason="foreign tourists; aerial view needed")
    inc = report(client, body, headers=XIHU)
    assessment = client.get(f"/incidents/{inc['incident_id']}/assessment", headers=PROVINCE).get_json()
    lines = {x["line_id"]: x for x in assessment["requirements"]}
    assert lines["negotiators"]["headcount"] == 5 and "foreign_language:en" in lines["negotiators"]["tags"]
    assert lines["drone_watch"] == {"line_id": "drone_watch", "module": "technical_support", "tags": [],
                                    "certifications": [], "equipment": ["drone"], "headcount": 2}
    assert assessment["overrides"]["overridden_by"] == "xihu-duty" and assessment["overrides"]["role"] == "county_duty_officer"
    assert "requirement_overrides" not in inc  # the incident and its event carry only the reported facts
    [data] = emitted(runtime, "support.requested", incident_id=inc["incident_id"])
    assert data["lines"] == assessment["requirements"]


def test_overrides_that_cannot_apply_or_come_from_a_viewer_are_refused(demand):
    _, client = demand
    resp = client.post("/incidents", json=incident(requirement_overrides=[{"line_id": "nope", "headcount": 3}]),
                       headers=PROVINCE)
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "requirement_overrides[0].line_id"
    resp = client.post("/incidents", json=incident(requirement_overrides=[{"line_id": "negotiators", "headcount": 3}]),
                       headers=VIEWER)
    assert resp.status_code == 403
    body = incident(requirement_overrides=[{"line_id": "negotiators", "headcount": 3}])
    assert client.post("/incidents", json=body, headers=WENZHOU).status_code == 403  # not its county
    assert client.get(f"/incidents/{body['incident_id']}", headers=PROVINCE).status_code == 404  # nothing stored


def test_an_incident_from_another_system_in_an_unknown_county_is_refused_for_the_dead_letter_topic(demand):
    runtime, _ = demand
    data = dict(incident("330199"), reported_at=stamp(T0))
    with pytest.raises(ValueError, match="location.county: no county 330199"):
        deliver(runtime, "incident.reported", data, source="/mutual-deploy/integrators/cad-110")
    assert emitted(runtime, "support.requested") == []


def test_only_the_system_that_reported_an_incident_reports_it_again(demand):
    """Another system, even a registered one, does not re-grade an incident that is not its own: its
    report is refused for the dead-letter topic and the incident stays as its reporter left it."""
    runtime, client = demand
    data = dict(incident(people=150), reported_at=stamp(T0))
    deliver(runtime, "incident.reported", data, source="/mutual-deploy/integrators/cad-110")
    bigger = dict(data, size={"people_involved": 1200}, updated_at=stamp(later(5)))
    with pytest.raises(ValueError, match=f"incident {data['incident_id']} is reported by "
                                         "/mutual-deploy/integrators/cad-110: only its reporter"):
        deliver(runtime, "incident.reported", bigger, source="/mutual-deploy/integrators/cad-120")
    assert client.get(f"/incidents/{data['incident_id']}", headers=PROVINCE).get_json()["size"]["people_involved"] == 150
    assert emitted(runtime, "support.escalated") == []
    posted = incident(people=150)   # one posted over HTTP is demand's own: no system re-reports it on the topic
    report(client, posted)
    with pytest.raises(ValueError, match="is reported by /mutual-deploy/demand"):
        deliver(runtime, "incident.reported", dict(posted, reported_at=stamp(T0), size={"people_involved": 1200}),
                source="/mutual-deploy/integrators/cad-110")


def test_a_growing_incident_from_another_system_escalates_its_request(demand):
    runtime, client = demand
    data = dict(incident(people=150), reported_at=stamp(T0))
    deliver(runtime, "incident.reported", data, source="/mutual-deploy/integrators/cad-110")
    deliver(runtime, "incident.reported", dict(data, size={"people_involved": 1200}, updated_at=stamp(later(5))),
            source="/mutual-deploy/integrators/cad-110")
    [esc] = emitted(runtime, "support.escalated")
    assert (esc["from_grade"], esc["to_grade"]) == ("III", "I") and esc["escalated_at"].startswith("2026-09-15T01:05")
    assert (esc["launch_deadline"][:19], esc["deadline"][:19]) == ("2026-09-15T01:20:00", "2026-09-15T01:35:00")
    assert [e["type"] for e in runtime.outbox.events()] == ["support.requested", "support.escalated"]  # no echo
