"""An incident reported to demand is graded and its requirement lines derived in the same transaction;
the reported incident and its event stay exactly as the contract has them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in


@pytest.fixture
def demand(offline_runtime):
    from services.demand.bootstrap import create_app
    runtime = offline_runtime("demand")
    return runtime, signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))


def test_a_reported_incident_is_graded_and_its_lines_are_stored(demand):
    runtime, client = demand
    body = contracts.example_body("incident-report")  # 260 people at 断桥, reported IV
    incident = client.post("/incidents", json=body).get_json()
    assessment = client.get(f"/incidents/{incident['incident_id']}/assessment").get_json()
    assert assessment["grade"] == "III"
    assert assessment["grading"]["rule_id"] == "mass_gathering"
    assert assessment["grading"]["policy_version"] == "grading-v1"
    assert "reported grade IV overruled by computed III" in assessment["grading"]["reason"]
    assert assessment["requirements_version"] == "requirements-v1"
    assert {line["line_id"] for line in assessment["requirements"]} == {"riot_control", "negotiators", "crowd_patrol"}
    combined = client.get(f"/incidents/{incident['incident_id']}?include=assessment").get_json()
    assert combined == dict(incident, assessment=assessment)
    # the plain resource and the event carry only the reported facts
    assert client.get(f"/incidents/{incident['incident_id']}").get_json() == incident
    assert runtime.outbox.events()[0]["data"] == incident and "assessment" not in incident
    assert client.get("/incidents/nope/assessment").status_code == 404


def test_a_retry_does_not_grade_twice(demand):
    _, client = demand
    body = dict(contracts.example_body("incident-report"), incident_id="INC-RETRY-1")
    assert client.post("/incidents", json=body).status_code == 201
    assert client.post("/incidents", json=body).status_code == 200
    assert client.get("/incidents/INC-RETRY-1/assessment").get_json()["grade"] == "III"


def test_an_incident_from_another_system_is_graded_like_ours(demand):
    runtime, client = demand
    from services.demand.handlers import handle_incident_reported
    event = contracts.example_event("incident.reported")
    event = dict(event, source="/city-110/cad")
    with runtime.outbox.transaction() as tx:
        handle_incident_reported(SimpleNamespace(data=event["data"], event=event, settings=runtime.settings, tx=tx,
                                                 conn=tx.conn))
    assessment = client.get(f"/incidents/{event['data']['incident_id']}/assessment").get_json()
    assert (assessment["grade"], assessment["grading"]["rule_id"]) == ("III", "telecom_fraud")
    assert {line["module"] for line in assessment["requirements"]} == {"technical_support", "investigation"}
