"""Confirming the lines proposed from an incident's words after the report
(POST /incidents/{incident_id}/needs/confirm): the confirmed lines then count exactly as lines confirmed
with the report do (assessment, force gap, request), who changed what is recorded, and only the
incident's county or a region covering it may confirm."""
from __future__ import annotations

from sqlalchemy import select

from services.demand.store import needs_feedback
from tests.helpers import assert_answers
from tests.unit import test_demand_helpers as helpers
from tests.unit.test_demand_helpers import (
    HANGZHOU,
    VIEWER,
    WENZHOU,
    XIHU,
    deliver,
    emitted,
    incident,
    later,
    load_report,
    valid,
)

demand, now = helpers.demand, helpers.now  # the demand fixtures: a service on a fixed clock

TEXT = "需要懂越南语的反诈民警5名、无人机操作员2名，今晚到西湖区"
FRAUD = dict(type_="telecom_fraud", domain="criminal_investigation")
KEYS = ("line_id", "module", "tags", "certifications", "equipment", "headcount")


def confirmed_from(proposal: dict) -> list[dict]:
    """The reporter keeps the investigators (one more than proposed), drops the pilots, adds a medic."""
    investigators = {k: proposal["lines"][0][k] for k in KEYS}
    return [dict(investigators, headcount=6),
            {"line_id": "medic", "module": "emergency_rescue", "tags": ["first_aid"], "certifications": [],
             "equipment": [], "headcount": 1}]


def lines_of(client, incident_id: str) -> dict:
    assessment = client.get(f"/incidents/{incident_id}/assessment", headers=XIHU).get_json()
    return {x["line_id"]: x for x in assessment["requirements"]}


def test_lines_confirmed_later_count_as_lines_confirmed_with_the_report(demand, now):
    runtime, client = demand
    deliver(runtime, "county.load-reported", load_report("330106", 0, later(0)))  # nobody free: all is shortfall
    # at the report
    first = client.post("/needs/parse", json={"county": "330106", "text": TEXT}, headers=XIHU).get_json()
    at_once = incident(**FRAUD, people=23, needs={"text": TEXT, "proposal_id": first["proposal_id"],
                                                 "confirmed_lines": confirmed_from(first)})
    assert client.post("/incidents", json=at_once, headers=XIHU).status_code == 201
    # after the report: the text alone, the proposal returned, the template's lines in force meanwhile
    later_body = incident(**FRAUD, people=23, needs={"text": TEXT})
    resp = client.post("/incidents", json=later_body, headers=XIHU)
    proposal = resp.get_json()["needs_proposal"]
    inc = later_body["incident_id"]
    assert set(lines_of(client, inc)) == {"forensics", "cyber_investigation"}
    [asked] = emitted(runtime, "support.requested", incident_id=inc)
    assert {x["line_id"] for x in asked["lines"]} == {"forensics", "cyber_investigation"}

    now.at = later(5)
    resp = client.post(f"/incidents/{inc}/needs/confirm",
                       json={"proposal_id": proposal["proposal_id"], "confirmed_lines": confirmed_from(proposal)},
                       headers=XIHU)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert_answers("needs-confirmed", body)
    assert body["needs_confirmation"]["changes"] == {
        "kept": [], "edited": [{"line_id": proposal["lines"][0]["line_id"], "headcount": {"from": 5, "to": 6}}],
        "removed": [proposal["lines"][1]["line_id"]], "added": ["medic"]}
    # the same lines in force as for the incident confirmed at its report
    strip = lambda lines: {k: {f: v for f, v in x.items()} for k, x in lines.items()}  # noqa: E731
    assert strip(lines_of(client, inc)) == strip(lines_of(client, at_once["incident_id"]))
    assert lines_of(client, inc)["cyber_investigation"]["tags"] == ["cybercrime_investigation", "foreign_language:vi"]
    assert lines_of(client, inc)["cyber_investigation"]["headcount"] == 6 and "medic" in lines_of(client, inc)
    assert body["assessment"]["overrides"]["overridden_by"] == "xihu-duty"
    assert "confirmed from the reporter's words" in body["assessment"]["overrides"]["reason"]
    # the open request now asks for the confirmed lines, as the other incident's request did from the start
    [at_once_request] = emitted(runtime, "support.requested", incident_id=at_once["incident_id"])
    [escalated] = emitted(runtime, "support.escalated", request_id=asked["request_id"])
    assert escalated["lines"] == at_once_request["lines"] and valid("support.escalated", escalated)
    assert "confirmed the lines" in escalated["reason"]
    shown = client.get(f"/requests/{asked['request_id']}", headers=XIHU).get_json()
    assert shown["lines"] == at_once_request["lines"]

    # recorded as feedback: who, role, what changed, against the proposal made from the report's words
    record = body["needs_confirmation"]
    assert record["confirmed_by"] == "xihu-duty" and record["role"] == "county_duty_officer"
    assert record["proposal_id"] == proposal["proposal_id"]
    assert record["changes"] == {"kept": [], "edited": [{"line_id": "text-1", "headcount": {"from": 5, "to": 6}}],
                                 "removed": ["text-2"], "added": ["medic"]}
    with runtime.engine.connect() as conn:
        row = conn.execute(select(needs_feedback).where(needs_feedback.c.incident_id == inc)).one()
    assert row.text == TEXT and row.proposed == proposal["lines"] and row.confirmed == confirmed_from(proposal)


def test_without_a_proposal_id_the_incidents_latest_proposal_is_confirmed(demand):
    runtime, client = demand
    body = incident(**FRAUD, needs={"text": TEXT})
    proposal = client.post("/incidents", json=body, headers=XIHU).get_json()["needs_proposal"]
    keep = [{k: line[k] for k in KEYS} for line in proposal["lines"]]
    resp = client.post(f"/incidents/{body['incident_id']}/needs/confirm", json={"confirmed_lines": keep}, headers=XIHU)
    assert resp.status_code == 200
    assert resp.get_json()["needs_confirmation"]["changes"]["kept"] == ["text-1", "text-2"]
    assert resp.get_json()["needs_confirmation"]["proposal_id"] == proposal["proposal_id"]
    assert {x["module"] for x in lines_of(client, body["incident_id"]).values()} >= {"technical_support"}
    # an incident reported without words has nothing to confirm unless the text is given now
    plain = incident(**FRAUD)
    client.post("/incidents", json=plain, headers=XIHU)
    resp = client.post(f"/incidents/{plain['incident_id']}/needs/confirm", json={"confirmed_lines": keep},
                       headers=XIHU)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "proposal_id"
    resp = client.post(f"/incidents/{plain['incident_id']}/needs/confirm", json={"text": TEXT, "confirmed_lines": keep},
                       headers=XIHU)
    assert resp.status_code == 200 and resp.get_json()["needs_confirmation"]["changes"]["kept"] == ["text-1", "text-2"]


def test_a_second_confirmation_replaces_the_first_and_the_officers_own_overrides_stay(demand):
    _, client = demand
    body = incident(**FRAUD, needs={"text": TEXT}, override_reason="more forensics for the seized phones",
                    requirement_overrides=[{"line_id": "forensics", "headcount": 9}])
    proposal = client.post("/incidents", json=body, headers=XIHU).get_json()["needs_proposal"]
    url = f"/incidents/{body['incident_id']}/needs/confirm"
    assert client.post(url, json={"confirmed_lines": confirmed_from(proposal)}, headers=XIHU).status_code == 200
    lines = lines_of(client, body["incident_id"])
    assert lines["forensics"]["headcount"] == 9 and "medic" in lines and lines["cyber_investigation"]["headcount"] == 6
    second = [dict(confirmed_from(proposal)[0], headcount=3)]  # the medic is not needed after all
    resp = client.post(url, json={"confirmed_lines": second}, headers=HANGZHOU)  # the city covers the county
    assert resp.status_code == 200
    lines = lines_of(client, body["incident_id"])
    assert lines["forensics"]["headcount"] == 9 and "medic" not in lines
    assert lines["cyber_investigation"]["headcount"] == 3
    overrides = resp.get_json()["assessment"]["overrides"]
    assert overrides["overridden_by"] == "hz-commander"
    assert overrides["reason"] == "more forensics for the seized phones; lines confirmed from the reporter's words"


def test_only_the_incidents_county_or_a_region_covering_it_may_confirm(demand):
    runtime, client = demand
    body = incident(**FRAUD, needs={"text": TEXT})
    proposal = client.post("/incidents", json=body, headers=XIHU).get_json()["needs_proposal"]
    url = f"/incidents/{body['incident_id']}/needs/confirm"
    lines = {"confirmed_lines": confirmed_from(proposal)}
    assert client.post(url, json=lines, headers=WENZHOU).status_code == 403  # another city
    assert client.post(url, json=lines, headers=VIEWER).status_code == 403  # a role that may not
    assert client.post("/incidents/INC-NOSUCH/needs/confirm", json=lines, headers=XIHU).status_code in (403, 404)
    assert client.post("/incidents/INC-NOSUCH/needs/confirm", json=lines, headers=HANGZHOU).status_code == 404
    # another county's proposal, and another incident's, are not this incident's
    other = client.post("/needs/parse", json={"county": "330102", "text": TEXT}, headers=HANGZHOU).get_json()
    resp = client.post(url, json=dict(lines, proposal_id=other["proposal_id"]), headers=XIHU)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "proposal_id"
    second = incident(**FRAUD, needs={"text": TEXT})
    theirs = client.post("/incidents", json=second, headers=XIHU).get_json()["needs_proposal"]
    resp = client.post(url, json=dict(lines, proposal_id=theirs["proposal_id"]), headers=XIHU)
    assert resp.status_code == 422 and "incident" in resp.get_json()["errors"][0]["reason"]
    # a body that is not a confirmation
    assert client.post(url, json={"confirmed_lines": []}, headers=XIHU).status_code == 422
    with runtime.engine.connect() as conn:
        assert conn.execute(select(needs_feedback)).all() == []  # nothing refused was recorded
    assert "overrides" not in client.get(f"/incidents/{body['incident_id']}/assessment", headers=XIHU).get_json()


def test_lines_that_would_leave_nothing_are_refused_and_not_recorded(demand):
    runtime, client = demand
    body = incident(**FRAUD, needs={"text": TEXT})
    client.post("/incidents", json=body, headers=XIHU)
    bad = [{"line_id": "x", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 1},
           {"line_id": "x", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 2}]
    resp = client.post(f"/incidents/{body['incident_id']}/needs/confirm", json={"confirmed_lines": bad}, headers=XIHU)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"].startswith("confirmed_lines")
    with runtime.engine.connect() as conn:
        assert conn.execute(select(needs_feedback)).all() == []
