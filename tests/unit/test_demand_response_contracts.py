"""demand's incident answers as their response contracts describe them (contracts/http/incident and
assessment), and the OpenAPI description names those contracts, so a generated client gets typed models."""
from __future__ import annotations

import copy

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in


@pytest.fixture
def demand(offline_runtime):
    from services.demand.bootstrap import create_app
    return signed_in(create_app(offline_runtime("demand")).test_client(), Identity("zj-commander", "province_commander"))


def test_every_incident_answer_keeps_its_contract(demand):
    body = contracts.example_body("incident-report")  # with the officer's override of a template line
    created = demand.post("/incidents", json=body)
    incident = created.get_json()
    assert created.status_code == 201 and contracts.validate_body("incident", incident) == []
    retried = demand.post("/incidents", json=dict(body, incident_id=incident["incident_id"]))
    assert retried.status_code == 200 and contracts.validate_body("incident", retried.get_json()) == []
    grown = demand.post("/incidents", json=dict(body, incident_id=incident["incident_id"],
                                                size={"people_involved": 2000}))
    assert "updated_at" in grown.get_json() and contracts.validate_body("incident", grown.get_json()) == []

    assessment = demand.get(f"/incidents/{incident['incident_id']}/assessment").get_json()
    assert "overrides" in assessment and contracts.validate_body("assessment", assessment) == []
    combined = demand.get(f"/incidents/{incident['incident_id']}?include=assessment").get_json()
    assert contracts.validate_body("incident", combined) == []


def test_an_assessment_without_overrides_or_reported_grade_keeps_its_contract(demand):
    body = {k: v for k, v in contracts.example_body("incident-report").items()
            if k not in ("requirement_overrides", "override_reason", "reported_grade")}
    incident = demand.post("/incidents", json=body).get_json()
    assessment = demand.get(f"/incidents/{incident['incident_id']}/assessment").get_json()
    assert assessment["grading"]["reported_grade"] is None and "overrides" not in assessment
    assert contracts.validate_body("assessment", assessment) == []


def test_the_contracts_refuse_what_a_client_could_not_rely_on():
    assessment = contracts.example_body("assessment")
    for broken, field in [({**assessment, "grade": "V"}, "grade"),
                          ({k: v for k, v in assessment.items() if k != "requirements"}, "requirements"),
                          ({**assessment, "requirements": [{"line_id": "x"}]}, "requirements")]:
        assert any(i.field.startswith(field) for i in contracts.validate_body("assessment", broken)), field
    incident = copy.deepcopy(contracts.example_body("incident"))
    del incident["reported_at"]
    assert contracts.validate_body("incident", incident) != []


def test_the_openapi_description_names_the_response_contracts(demand):
    paths = demand.get("/openapi.json").get_json()["paths"]

    def schema(path, method, status):
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]

    assert schema("/incidents", "post", "201") == "#/components/schemas/incident"
    assert schema("/incidents/{incident_id}", "get", "200") == "#/components/schemas/incident"
    assert schema("/incidents/{incident_id}/assessment", "get", "200") == "#/components/schemas/assessment"


def test_a_needs_proposal_and_the_incident_list_keep_their_contracts(demand):
    texts = ["需要5名网安民警带取证设备，2名翻译，另调一个防暴中队和两架无人机", "请派交警若干", "今天天气不错",
             "需要特警5名，" * 500]                          # 3,500 characters, past the 2,000 read: a note says so
    for text in texts:
        answer = demand.post("/needs/parse", json={"county": "330783", "text": text})
        assert answer.status_code == 200 and contracts.validate_body("needs-proposal", answer.get_json()) == []
    assert "note" in answer.get_json() and any(line["headcount"] is None for line in demand.post(
        "/needs/parse", json={"county": "330783", "text": texts[1]}).get_json()["lines"])
    body = {k: v for k, v in contracts.example_body("incident-report").items()
            if k not in ("requirement_overrides", "override_reason")}
    written = demand.post("/incidents", json=dict(body, incident_id="INC-T-NEEDS", needs={"text": texts[0]}))
    assert written.status_code == 201 and written.get_json()["needs_proposal"]["lines"]
    assert contracts.validate_body("incident", written.get_json()) == []
    listed = demand.get("/incidents").get_json()
    assert "INC-T-NEEDS" in {i["incident_id"] for i in listed} and contracts.validate_body("incidents", listed) == []
    assert contracts.validate_body("incident", {**written.get_json(), "needs_proposal": {"lines": "many"}}) != []
