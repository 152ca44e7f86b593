"""An integrator's own client: openapi-python-client generates a Python package from demand's served
/openapi.json (into a temporary folder, as an integrating system would), and that package reports an
incident to a running demand over HTTP and reads the incident's assessment back, both as the typed
models the contracts describe."""
from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
import threading
import uuid

import pytest
import requests
from werkzeug.serving import make_server

from infra.ports import free_port
from services.common import contracts
from services.common.auth import Identity, headers_for
from services.demand.bootstrap import build_runtime, create_app
from tests.helpers import offline_settings, token_for

pytestmark = pytest.mark.integration
COMMANDER = Identity("zj-commander", "province_commander")


@pytest.fixture
def demand(make_settings):
    """demand serving HTTP on a free loopback port, its relay and worker on the test broker."""
    runtime = build_runtime(make_settings(acts_as="demand"))
    port = free_port()
    server = make_server("127.0.0.1", port, create_app(runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    runtime.start()
    yield runtime, f"http://127.0.0.1:{port}"
    runtime.stop()
    server.shutdown()


def generate(url: str, prefix: str, tmp_path, monkeypatch):
    """The package openapi-python-client generates from the document served at `url`, imported."""
    doc = requests.get(url + "/openapi.json", headers=headers_for(COMMANDER), timeout=10).json()
    (tmp_path / "openapi.json").write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")  # no formatter needed
    package = f"{prefix}_client_{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(tmp_path / "openapi.json"),
         "--meta", "none", "--output-path", str(tmp_path / package), "--config", str(tmp_path / "config.yaml")],
        capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(package), package


def forget(package: str) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


@pytest.fixture
def generated(demand, tmp_path, monkeypatch):
    """demand's client, generated from its served document."""
    client_package, package = generate(demand[1], "demand", tmp_path, monkeypatch)
    yield client_package, package
    forget(package)


@pytest.fixture
def resources(tmp_path, monkeypatch):
    """resources serving HTTP on a free loopback port (no broker: reads only), with the demo force of
    2,000 officers, and its client generated from its served document."""
    from services.resources.bootstrap import build_runtime as build_resources
    from services.resources.bootstrap import create_app as create_resources
    from services.resources.bootstrap import seed_demo_if_empty
    runtime = build_resources(offline_settings("resources", tmp_path))
    seed_demo_if_empty(runtime, officers_n=2000, seed=3)
    port = free_port()
    server = make_server("127.0.0.1", port, create_resources(runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client_package, package = generate(f"http://127.0.0.1:{port}", "resources", tmp_path, monkeypatch)
    yield f"http://127.0.0.1:{port}", client_package, package
    forget(package)
    server.shutdown()
    runtime.engine.dispose()


def operation(package: str, name: str):
    return importlib.import_module(f"{package}.api.default.{name}")


def body_model(package: str, module):
    """The model class the generated operation takes as its body."""
    annotation = inspect.signature(module.sync_detailed).parameters["body"].annotation
    models = importlib.import_module(f"{package}.models")
    return getattr(models, annotation) if isinstance(annotation, str) else annotation


def test_a_generated_client_reports_an_incident_and_reads_its_assessment(demand, generated):
    runtime, url = demand
    client_package, package = generated
    token = token_for(COMMANDER)
    client = client_package.AuthenticatedClient(base_url=url, token=token, raise_on_unexpected_status=True)
    post = operation(package, "post_incidents")
    incident_id = f"INC-GEN-{uuid.uuid4().hex[:8]}"
    body = body_model(package, post).from_dict({**contracts.example_body("incident-report"),
                                                "incident_id": incident_id})
    reported = post.sync_detailed(client=client, body=body)
    assert reported.status_code == 201, reported.content
    assert json.loads(reported.content)["incident_id"] == incident_id
    assert type(reported.parsed).__name__ == "Incident" and reported.parsed.incident_id == incident_id

    read = operation(package, "get_incidents_incident_id_assessment")
    answered = read.sync_detailed(incident_id=incident_id, client=client)
    assert answered.status_code == 200, answered.content
    assessment = json.loads(answered.content)
    with runtime.engine.connect() as conn:  # what demand itself holds for the incident
        from services.demand.store import assessment as load_assessment
        assert assessment == json.loads(json.dumps(load_assessment(conn, incident_id)))
    assert assessment["grade"] in ("I", "II", "III", "IV")
    typed = answered.parsed  # the generated model of contracts/http/assessment.schema.json
    assert type(typed).__name__ == "IncidentAssessment" and typed.grade.value == assessment["grade"]
    assert typed.grading.rule_id == assessment["grading"]["rule_id"]
    assert [(line.line_id, line.headcount) for line in typed.requirements] == \
        [(line["line_id"], line["headcount"]) for line in assessment["requirements"]]

    # query parameters are the generated operations' own arguments (declared in the document)
    one = operation(package, "get_incidents_incident_id")
    assert "include" in inspect.signature(one.sync_detailed).parameters
    whole = json.loads(one.sync_detailed(incident_id=incident_id, client=client, include="assessment").content)
    assert whole["assessment"] == assessment
    assert "assessment" not in json.loads(one.sync_detailed(incident_id=incident_id, client=client).content)
    listed = operation(package, "get_requests")
    assert {"status", "grade", "county", "city", "sort", "limit"} <= set(inspect.signature(listed.sync_detailed).parameters)
    county = contracts.example_body("incident-report")["location"]["county"]
    other = next(c for c in ("330106", "330783") if c != county)
    mine = json.loads(listed.sync_detailed(client=client, county=county, limit=5).content)
    assert mine and {r["county"] for r in mine} == {county}                     # the report's request
    assert json.loads(listed.sync_detailed(client=client, county=other, limit=5).content) == []


def test_the_generated_client_parses_a_refusal_as_the_problem_model(demand, generated):
    _, url = demand
    client_package, package = generated
    token = token_for(COMMANDER)
    client = client_package.AuthenticatedClient(base_url=url, token=token)
    post = operation(package, "post_incidents")
    body = body_model(package, post).from_dict({**contracts.example_body("incident-report"),
                                                "location": {"county": "999999"}})
    refused = post.sync_detailed(client=client, body=body)
    assert refused.status_code == 422
    problem = refused.parsed
    assert type(problem).__name__ != "NoneType" and problem.status == 422
    assert any(e.field.startswith("location") for e in problem.errors), problem.to_dict()

    anonymous = client_package.Client(base_url=url)
    refused = operation(package, "get_incidents_incident_id_assessment").sync_detailed(
        incident_id="INC-NONE", client=anonymous)
    assert refused.status_code == 401 and refused.parsed.status == 401


def test_a_generated_client_reads_officers_as_the_typed_models_of_their_contracts(resources):
    url, client_package, package = resources
    duty = Identity("dy-duty", "county_duty_officer", "330783")
    client = client_package.AuthenticatedClient(base_url=url, token=token_for(duty), raise_on_unexpected_status=True)
    search = operation(package, "get_officers")
    page = search.sync(client=client, limit=5)      # a county's duty officer: their county's officers
    assert type(page).__name__ == "OfficerSearchPage" and page.total > 5 and len(page.items) == 5
    first = page.items[0]
    assert type(first).__name__ == "Officer" and {o.county for o in page.items} == {"330783"}
    assert first.status.value in ("on_duty", "off_duty", "resting", "unavailable")
    assert [m.value for m in first.masked] == ["phone", "home_address", "id_number"] and first.position is None

    ids = ",".join([o.officer_id for o in page.items] + ["ZJ330102-00001"])    # the last: another county's
    named = search.sync(client=client, ids=ids)
    assert type(named).__name__ == "OfficersById"
    assert [o.officer_id for o in named.items] == [o.officer_id for o in page.items]
    assert named.not_shown == ["ZJ330102-00001"]

    one = operation(package, "get_officers_officer_id").sync(officer_id=first.officer_id, client=client)
    assert type(one).__name__ == "Officer" and one.to_dict() == first.to_dict()
    assert json.loads(requests.get(f"{url}/officers/{first.officer_id}", timeout=10,
                                   headers=headers_for(duty)).content) == one.to_dict()   # nothing lost in the model


@pytest.mark.parametrize("service", ["demand", "resources", "matching", "logistics"])
def test_every_json_operation_and_model_of_each_service_is_generated(service, tmp_path):
    """openapi-python-client reads each service's whole document: no model it cannot make (two
    components it would name alike, a schema it cannot read) and no JSON operation or answer left out;
    only bodies that are not JSON (the roster's CSV, plotly.js) are passed over, with their media type."""
    from tests.helpers import offline_settings
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    runtime = bootstrap.build_runtime(offline_settings(service, tmp_path))
    try:
        doc = bootstrap.create_app(runtime).test_client().get("/openapi.json").get_json()
    finally:
        runtime.engine.dispose()
    (tmp_path / "openapi.json").write_text(json.dumps(doc), encoding="utf-8")
    (tmp_path / "config.yaml").write_text("post_hooks: []\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(tmp_path / "openapi.json"),
         "--meta", "none", "--output-path", str(tmp_path / "client"), "--config", str(tmp_path / "config.yaml")],
        capture_output=True, text=True, timeout=180)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    problems = [line for line in said.splitlines() if line.startswith(("Unable to", "Cannot parse", "Could not"))
                or "will not be generated" in line]
    passed_over = [line for line in problems if "Unsupported content_type" in line]
    assert [line for line in problems if line not in passed_over] == [], said
    assert len(passed_over) == (1 if service == "logistics" else 0)   # plotly.js
    operations = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    generated = {p.stem for p in (tmp_path / "client" / "api" / "default").glob("*.py")} - {"__init__"}
    assert operations - generated == set() and generated - operations == set()
