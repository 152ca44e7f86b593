"""Each service's Flask app, built by its factory over a temporary SQLite file (no broker needed:
nothing connects until the runtime starts)."""
from __future__ import annotations

import importlib
import re

import pytest

from services.common import contracts, permissions
from services.common.auth import Identity, headers_for, signed_in

SERVICES = ["demand", "resources", "matching", "logistics"]


@pytest.fixture(params=SERVICES)
def service(request, offline_runtime):
    runtime = offline_runtime(request.param)
    app = importlib.import_module(f"services.{request.param}.bootstrap").create_app(runtime)
    return request.param, app, runtime


VIEWER = headers_for(Identity("viewer", "viewer"))


def allowed_caller(service: str, method: str, path: str) -> dict:
    """Headers of a province-wide caller whose role the permission table lets call the endpoint."""
    grants = permissions.table().rules(service)[f"{method} {path}"]
    return headers_for(Identity("caller", min(grants, key=lambda role: (grants[role] != "all", role))))


def flask_paths(app) -> set[tuple[str, str]]:
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        out |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def test_openapi_describes_exactly_the_routes_the_app_serves(service):
    _, app, _ = service
    doc = app.test_client().get("/openapi.json", headers=VIEWER).get_json()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    described = {("GET", "/openapi.json"), ("GET", "/docs"), ("GET", "/docs/init.js"), ("GET", "/docs/assets/{name}")}
    assert documented | described == flask_paths(app)
    assert doc["openapi"] == "3.1.0"


def test_every_documented_request_body_example_is_accepted(service):
    name, app, runtime = service
    if name == "resources":  # examples name the demo roster's officers (what-if): load a small demo province
        from services.resources.bootstrap import seed_demo_if_empty
        assert seed_demo_if_empty(runtime, officers_n=2000) == 2000
    doc = app.test_client().get("/openapi.json", headers=VIEWER).get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if "requestBody" in op:
                example = op["requestBody"]["content"]["application/json"]["example"]
                resp = app.test_client().open(path, method=method.upper(), json=example,
                                              headers=allowed_caller(name, method.upper(), path))
                if "{" in path:  # the literal "{id}" names nothing: the body must pass, the resource is absent
                    assert resp.status_code not in (400, 422) and resp.status_code < 500, (name, path, resp.get_json())
                else:
                    assert resp.status_code < 300, (name, path, resp.get_json())


def test_health_reports_the_database(service):
    _, app, _ = service
    body = app.test_client().get("/health").get_json()
    assert body["checks"]["database"] == "ok"


def test_demand_refuses_a_bad_body_with_the_field_and_reason(offline_runtime):
    from services.demand.bootstrap import create_app
    runtime = offline_runtime("demand")
    client = signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))
    body = contracts.example_body("incident-report")
    del body["reported_by"]
    resp = client.post("/incidents", json=body)
    assert resp.status_code == 422 and resp.mimetype == "application/problem+json"
    assert {"field": "reported_by", "reason": "'reported_by' is a required property"} in resp.get_json()["errors"]
    resp = client.post("/incidents", data="{oops", content_type="application/json")
    assert resp.status_code == 400
    assert runtime.outbox.events() == []  # nothing was recorded for either


def test_a_reported_incident_and_its_event_commit_together(offline_runtime):
    from services.demand.bootstrap import create_app
    runtime = offline_runtime("demand")
    client = signed_in(create_app(runtime).test_client(), Identity("zj-commander", "province_commander"))
    resp = client.post("/incidents", json=contracts.example_body("incident-report"))
    assert resp.status_code == 201
    incident = resp.get_json()
    events = runtime.outbox.events()
    assert [e["type"] for e in events] == ["incident.reported", "support.requested"]  # grade III: support asked
    assert events[0]["data"] == incident and events[0]["correlationid"] == incident["incident_id"]
    assert client.get(f"/incidents/{incident['incident_id']}").get_json() == incident
    assert client.get("/incidents/nope").status_code == 404
