"""An incident report writes its access-log row in the report's own transaction: one row per request, with the
status answered, committed with the incident; a report that is refused or rolled back leaves the row
of its refusal alone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from services.common import access_log
from services.demand import report_incident
from services.demand.bootstrap import build_runtime, create_app
from tests.unit.test_demand_helpers import PROVINCE, T0, WENZHOU, incident, settings


@pytest.fixture
def demand(tmp_path, fixed_clock):
    fixed_clock(T0)
    runtime = build_runtime(settings(tmp_path))
    yield runtime, create_app(runtime).test_client()
    runtime.engine.dispose()


COMMANDER = "zj-commander"


def rows(runtime) -> list[tuple]:
    with runtime.engine.connect() as conn:
        return [(r.subject, r.method, r.path, r.status) for r in conn.execute(
            select(access_log.access_log).where(access_log.access_log.c.path == "/incidents")
            .order_by(access_log.access_log.c.id))]


def test_each_report_has_exactly_one_row_with_the_status_it_answered(demand):
    runtime, client = demand
    body = incident(people=150)
    assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 201
    assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 200  # a retry: unchanged
    assert client.post("/incidents", json=dict(body, size={"people_involved": 400}),
                       headers=PROVINCE).status_code == 200  # grown
    assert client.post("/incidents", json=dict(body, location={"county": "330302"}),
                       headers=PROVINCE).status_code == 409  # another county's id
    assert client.post("/incidents", json=incident(requirement_overrides=[{"line_id": "nope", "headcount": 3}]),
                       headers=PROVINCE).status_code == 422  # rolled back
    assert client.post("/incidents", json=incident(), headers=WENZHOU).status_code == 403
    assert rows(runtime) == [(COMMANDER, "POST", "/incidents", s) for s in (201, 200, 200, 409, 422)] + [
        ("wz-commander", "POST", "/incidents", 403)]


def test_the_row_commits_with_the_incident_it_describes(demand, monkeypatch):
    runtime, client = demand
    written = []

    def failing(tx, body, **kw):  # the report's transaction fails after the row was written in it
        access_log.record_in(tx.conn, 201)
        written.append(body["incident_id"])
        raise RuntimeError("the database went away")
    monkeypatch.setattr(report_incident, "report", failing)
    client.application.config["PROPAGATE_EXCEPTIONS"] = False
    body = incident()
    assert client.post("/incidents", json=body, headers=PROVINCE).status_code == 500
    assert written and rows(runtime) == [(COMMANDER, "POST", "/incidents", 500)]  # the 201 rolled back
    assert client.get(f"/incidents/{body['incident_id']}", headers=PROVINCE).status_code == 404


def test_a_response_with_another_status_than_the_row_gets_its_own_row(demand):
    runtime, client = demand
    app = client.application

    @app.after_request
    def _changed(response):  # something after the view turns the answer into another status
        if response.status_code == 201:
            response.status_code = 202
        return response
    assert client.post("/incidents", json=incident(), headers=PROVINCE).status_code == 202
    assert [r[3] for r in rows(runtime)] == [201, 202]
