"""Hostile input: schemathesis generates requests from each service's own OpenAPI description, valid
ones and ones that break it, and sends them signed in with a role the permission table allows; no
answer is a 5xx or breaks its documented response schema. Oversized bodies get 413 and error bodies never leak internals.

Bounded for CI: a few examples per operation (FUZZ_EXAMPLES raises it for a deeper run).
"""
from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from services.common import permissions
from services.common.auth import Identity, headers_for

pytestmark = pytest.mark.integration
SERVICES = ["demand", "resources", "matching", "logistics"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
LEAKS = ("Traceback (most recent call last)", '.py", line', ".py:", str(Path(__file__).resolve().parents[2]), "/home/",
         "/usr/lib/python",
         "site-packages", "sqlalchemy.", "sqlite3.", "psycopg.", "(Background on this error")


@pytest.fixture(params=SERVICES)
def service(request, tmp_path, make_settings):
    module = importlib.import_module(f"services.{request.param}.bootstrap")
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}")
    settings.max_body_bytes = 64 * 1024
    runtime = module.build_runtime(settings)
    yield request.param, runtime, module.create_app(runtime)
    runtime.engine.dispose()


def caller_for(service: str, method: str, path: str) -> dict:
    """A province-wide identity whose role the table allows on this endpoint (none for public ones)."""
    grants = permissions.table().rules(service).get(f"{method} {path}")
    if not grants:
        return {}
    return headers_for(Identity("fuzzer", min(grants, key=lambda role: (grants[role] != "all", role))))


def test_generated_requests_get_no_server_error_and_no_schema_violation(service):
    name, _, app = service
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, headers=headers_for(Identity("fuzzer", "viewer")))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3
    for operation in operations:
        auth = caller_for(name, operation.method.upper(), operation.path)
        fuzz(operation, GenerationMode.POSITIVE, auth)
        if list(operation.iter_parameters()) or list(operation.body):  # something to break
            fuzz(operation, GenerationMode.NEGATIVE, auth)


def fuzz(operation, mode: GenerationMode, auth: dict) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def probe(case):
        response = case.call(headers=auth)
        case.validate_response(response, checks=CHECKS)
        if response.status_code >= 400:
            assert_no_leak(response.text)

    probe()


def assert_no_leak(text: str) -> None:
    leaked = [marker for marker in LEAKS if marker in text]
    assert not leaked, f"the response reveals internals ({leaked}): {text[:300]}"


def test_an_oversized_body_is_refused_with_413_problem_json(service):
    name, _, app = service
    doc = app.test_client().get("/openapi.json", headers=headers_for(Identity("fuzzer", "viewer"))).get_json()
    with_body = [(method.upper(), path) for path, ops in doc["paths"].items() for method, op in ops.items()
                 if "requestBody" in op]
    if not with_body:
        pytest.skip(f"{name} has no endpoint that takes a body")
    body = b'{"pad": "' + b"x" * (65 * 1024) + b'"}'
    for method, path in with_body:
        resp = app.test_client().open(path.replace("{", "").replace("}", ""), method=method, data=body,
                                      content_type="application/json", headers=caller_for(name, method, path))
        assert resp.status_code == 413 and resp.mimetype == "application/problem+json", (path, resp.status_code)


def test_a_failing_database_answers_500_without_internals(service, tmp_path):
    name, runtime, app = service
    runtime.engine.dispose()
    (tmp_path / "db.sqlite").unlink()
    (tmp_path / "db.sqlite").mkdir()  # the database file is gone and cannot be re-created
    resp = app.test_client().get("/audit/ledger", headers=headers_for(Identity("zj-audit", "auditor")))
    assert resp.status_code == 500 and resp.mimetype == "application/problem+json"
    assert resp.get_json()["title"] == "Internal Server Error"
    assert_no_leak(resp.get_data(as_text=True))
