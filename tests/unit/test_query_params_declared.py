"""Every query parameter a service reads is declared in its OpenAPI document (`Api.route(query=...)`), so
a client generated from /openapi.json can send it: read while a view runs (GET routes, each called as a
role the permission table lets through with no parameter) and as written in each view's source."""
from __future__ import annotations

import importlib
import inspect
import re

import flask
import pytest
from flask import Request, g
from werkzeug.datastructures import ImmutableMultiDict

from services.common import permissions
from services.common.auth import Identity, headers_for
from tests.helpers import offline_settings

SERVICES = ["demand", "resources", "matching", "logistics"]
WRITTEN = re.compile(r"""args(?:\.get|\.getlist)?\(\s*["']([a-z_]+)["']|args\[\s*["']([a-z_]+)["']\s*\]|["']([a-z_]+)["']\s+in\s+(?:request\.)?args""")
NOT_A_VIEWS = {"token"}   # a page's sign-in token, read before any view (services.common.throttle)
TALKS_TO_THE_BROKER = {"/audit/verify"}   # reads no parameter; with no broker it only waits


class Recorded(ImmutableMultiDict):
    """The query string, noting each name a view asks for (once the permission hook has run)."""

    def _note(self, key):
        if g.get("reading_query") is not None:
            g.reading_query.add(key)

    def get(self, key, *args, **kw):
        self._note(key)
        return super().get(key, *args, **kw)

    def getlist(self, key, *args, **kw):
        self._note(key)
        return super().getlist(key, *args, **kw)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)


class RecordingRequest(Request):
    @property
    def args(self):
        if "_recorded_args" not in self.__dict__:
            self.__dict__["_recorded_args"] = Recorded(Request.args.fget(self))
        return self.__dict__["_recorded_args"]


@pytest.fixture(scope="module", params=SERVICES)
def service(request, tmp_path_factory):
    module = importlib.import_module(f"services.{request.param}.bootstrap")
    runtime = module.build_runtime(offline_settings(request.param, tmp_path_factory.mktemp(request.param)))
    app = module.create_app(runtime)
    app.request_class = RecordingRequest
    seen: dict[str, set[str]] = {}

    @app.before_request
    def _record():   # registered last: after the permission hook, whose region fields are not the view's reads
        if flask.request.url_rule is not None:
            method = "GET" if flask.request.method == "HEAD" else flask.request.method
            g.reading_query = seen.setdefault(f"{method} {flask.request.url_rule.rule}", set())
    yield request.param, app, seen
    runtime.engine.dispose()


def declared(doc: dict) -> dict[str, set[str]]:
    """'METHOD /flask/<rule>' → the query parameters the document declares."""
    out = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            rule = re.sub(r"{([^{}]+)}", r"<\1>", path)
            out[f"{method.upper()} {rule}"] = {p["name"] for p in op.get("parameters", ()) if p["in"] == "query"}
    return out


def caller(service: str, endpoint: str) -> Identity | None:
    """A role the table lets call `endpoint` over the whole province (None: no such role)."""
    grants = permissions.table().rules(service).get(endpoint) or {}
    role = next((r for r, scope in sorted(grants.items()) if scope == "all"), None)
    return Identity(f"probe-{role}", role) if role else None


def test_every_query_parameter_a_view_reads_is_declared(service):
    name, app, seen = service
    client = app.test_client()
    doc = client.get("/openapi.json").get_json()
    documented = declared(doc)
    for path, ops in doc["paths"].items():
        if "get" not in ops or path in TALKS_TO_THE_BROKER:
            continue
        who = caller(name, f"GET {path}")
        if who is not None:
            client.get(re.sub(r"{[^{}]+}", "X-1", path), headers=headers_for(who))
    run = {k: v - NOT_A_VIEWS for k, v in seen.items() if k in documented}
    undeclared = {k: sorted(v - documented[k]) for k, v in run.items() if v - documented[k]}
    assert not undeclared, f"{name}: read but not declared in OpenAPI: {undeclared}"
    assert any(run.values()), "no view read a query parameter: the recording does not work"
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            key = f"{method} {rule.rule}"
            if key not in documented:
                continue
            source = inspect.getsource(app.view_functions[rule.endpoint])
            written = {a or b or c for a, b, c in WRITTEN.findall(source)} - NOT_A_VIEWS
            assert written <= documented[key], f"{name} {key}: reads {sorted(written - documented[key])} undeclared"


def test_a_declared_parameter_says_what_it_takes():
    module = importlib.import_module("services.resources.http")
    (officers,) = [r for r in module.api.routes if r.method == "GET" and r.path == "/officers"]
    names = {n: (text, kind) for n, text, kind in officers.query}
    assert {"county", "city", "module", "ids", "lon", "lat", "max_travel_min", "limit", "offset"} <= set(names)
    assert names["limit"][1] == "integer" and names["lon"][1] == "number" and "500" in names["ids"][0]
