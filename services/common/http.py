"""What every service's Flask app shares: problem responses, body validation, health, metrics, OpenAPI.

Errors follow RFC 9457 (application/problem+json) with an `errors` list of {field, reason}, so a
client sees exactly which field is wrong and why.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field

from flask import Flask, current_app, g, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from . import api_docs, contracts, logs, strict_json

access_log = logging.getLogger("http")


class Problem(Exception):
    """The one refusal a view or a use case raises: answered as application/problem+json with the
    status, a title, a detail and the fields at fault ({field, reason})."""

    def __init__(self, status: int, title: str, errors: list[dict] | None = None, detail: str = ""):
        super().__init__(detail or title)
        self.status, self.title, self.errors, self.detail = status, title, errors or [], detail

    @classmethod
    def of_field(cls, status: int, title: str, field: str, reason: str, *, code: str | None = None,
                 params: dict | None = None) -> "Problem":
        """One field at fault; `code` and `params` name the refusal for a client that words it in its own
        language (contracts/http/problem.schema.json), `reason` says it in English for everyone else."""
        return cls(status, title, [issue(field, reason, code, params)], detail=reason)


def issue(field: str, reason: str, code: str | None = None, params: dict | None = None) -> dict:
    """One entry of a problem's `errors`: the field and the reason, with the refusal's code and its
    values when it has them."""
    entry: dict = {"field": field, "reason": reason}
    if code:
        entry["code"] = code
        if params:
            entry["params"] = params
    return entry


BadRequest = Problem  # the name body validation has always raised


def problem(status: int, title: str, detail: str = "", errors: list[dict] | None = None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title,
            "errors": errors or []}
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


JSON = "application/json"
_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def endpoint_of(method: str, flask_rule: str) -> str:
    """'GET /incidents/<incident_id>' (Flask) → 'GET /incidents/{incident_id}' (Route, the permission table)."""
    return method + " " + _FLASK_PARAM.sub(r"{\1}", flask_rule)


def request_body():
    """The request's JSON body, parsed once and shared by everything that reads it (the permission
    check before the view and the view itself), so both see the same thing; None without a body.

    Strict: a body labelled anything but application/json is refused (415 naming the type it came
    with), unless its route accepts that type too (Route.media: the roster's text/csv, which the view
    reads itself; this answers None for it). A body that is not JSON, or nested beyond reason, is a 400.
    """
    if "json_body" in g:
        return g.json_body
    raw = request.get_data(cache=True)
    if not raw:
        g.json_body = None
        return None
    mimetype = request.mimetype or ""
    if mimetype != JSON:
        rule = request.url_rule
        accepted = current_app.extensions.get("body_media", {}).get(
            endpoint_of(request.method, rule.rule) if rule else "", (JSON,))
        if mimetype not in accepted:
            raise BadRequest(415, "Unsupported media type", [{"field": "Content-Type", "reason": (
                f"the body must be {' or '.join(accepted)}, not {mimetype or 'unlabelled'}")}])
        g.json_body = None
        return None
    try:
        g.json_body = strict_json.loads(raw.decode(request.mimetype_params.get("charset") or "utf-8"))
    except strict_json.NotJson as exc:
        raise BadRequest(400, "Body is not valid JSON", [{"field": "(body)", "reason": str(exc)}]) from None
    except (ValueError, UnicodeDecodeError, LookupError):
        raise BadRequest(400, "Body is not valid JSON", [{"field": "(body)", "reason": "expected JSON"}]) from None
    except RecursionError:
        raise BadRequest(400, "Body is not valid JSON", [{"field": "(body)", "reason": "nested too deeply"}]) from None
    return g.json_body


def validated_body(name: str) -> dict:
    """The request's JSON body (request_body: the one parse), checked against
    contracts/http/<name>.schema.json."""
    body = request_body()
    if body is None:
        raise BadRequest(400, "Body is not valid JSON", [{"field": "(body)", "reason": "expected a JSON object"}])
    issues = contracts.validate_body(name, body)
    if issues:
        raise BadRequest(422, "Body breaks the contract", [{"field": i.field, "reason": i.reason} for i in issues])
    return body


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    body: str | None = None       # contracts/http/<body>.schema.json
    response: str | None = None   # contracts/http/<response>.schema.json
    status: int = 200
    params: tuple[str, ...] = field(default=())
    media: tuple[str, ...] = (JSON,)  # the body's accepted types (request_body); anything else is a 415
    query: tuple[tuple[str, str, str], ...] = ()   # (name, description, JSON type) of each query parameter
    answers: str | None = None    # a success answer that is not JSON: its media type (text/html...)
    paged: bool = False           # a list in pages: the answer's headers X-Total-Count and Link (paging.py)
    linked: bool = False          # an answer naming its next page in the header Link only


def query_params(declared: dict[str, str | tuple[str, str]] | None) -> tuple[tuple[str, str, str], ...]:
    """{name: description, or (description, JSON type)} → Route.query (a string unless a type is given)."""
    return tuple((name, *(spec if isinstance(spec, tuple) else (spec, "string"))) for name, spec in (declared or {}).items())


def install_common(app: Flask, *, service: str, routes: list[Route], health_checks, metrics,
                   ready_checks=None) -> None:
    """Error handlers, request ids and access logs, /health, /ready, /metrics, /openapi.json and the
    API documentation (/docs, Swagger UI served by the service itself: api_docs) on `app`.

    `metrics` is a metrics.ServiceMetrics; checks are {name: fn} dicts or callables returning one.
    /health is liveness (the process and its threads), /ready whether the dependencies answer
    (database, broker), 503 naming what does not.
    """
    install_request_tracking(app, metrics)
    app.extensions["body_media"] = {f"{r.method} {r.path}": r.media for r in routes if r.media != (JSON,)}

    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors or _missing(exc.status, exc.detail))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or "",
                       errors=_missing(exc.code or 500, "no such resource"))

    def report(checks):
        checks = checks() if callable(checks) else checks  # a callable: what to check may change at start
        results = {name: _run_check(fn) for name, fn in checks.items()}
        ok = all(v == "ok" for v in results.values())
        body = {"status": "ok" if ok else "degraded", "service": service, "checks": results,
                "mode": app.config.get("MODE", "live")}
        return jsonify(body), 200 if ok else 503

    @app.get("/health")
    def health():
        return report(health_checks)

    @app.get("/ready")
    def ready():
        return report(ready_checks if ready_checks is not None else health_checks)

    @app.get("/metrics")
    def metrics_endpoint():
        body, content_type = metrics.render()
        return body, 200, {"Content-Type": content_type}

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi_document(service, routes))

    api_docs.install(app, service)


def install_request_tracking(app: Flask, metrics) -> None:
    """Every request gets an id (X-Request-ID, kept from the caller or made here), a log scope that
    carries it, one access-log line and its place in the request counters and latency histogram."""

    @app.before_request
    def _begin():
        g.request_started = time.perf_counter()
        g.request_id = (request.headers.get("X-Request-ID") or uuid.uuid4().hex)[:64]
        g.log_scope = logs.open_scope(request_id=g.request_id)

    @app.after_request
    def _finish(response):
        started = getattr(g, "request_started", None)
        if started is None:
            return response
        seconds = time.perf_counter() - started
        route = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        metrics.observe_request(route, request.method, response.status_code, seconds)
        response.headers["X-Request-ID"] = g.request_id
        if route not in QUIET_ROUTES:
            access_log.info("%s %s %d %.1fms", request.method, request.path, response.status_code, seconds * 1000)
        return response

    @app.teardown_request
    def _end(_exc):
        token = g.pop("log_scope", None)
        if token is not None:
            logs.close_scope(token)


QUIET_ROUTES = {"/health", "/ready", "/metrics"}  # probed every few seconds: counted, not logged


def _run_check(fn) -> str:
    try:
        result = fn()
        return "ok" if result in (None, True) else str(result)
    except Exception as exc:
        return f"failing: {exc.__class__.__name__}"


def database_check(engine):
    def check():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    return check


def openapi_document(service: str, routes: list[Route]) -> dict:
    """OpenAPI 3.1 generated from the routes and the contracts they name, so it cannot drift."""
    paths: dict = {}
    common = [Route("GET", "/health", "Liveness: the process and its relay and worker threads", response="health"),
              Route("GET", "/ready", "Readiness: database and broker answer (503 naming what does not)",
                    response="health"),
              Route("GET", "/metrics", "Requests, latencies, events, outbox backlog, consumer lag (Prometheus text "
                    "exposition format)", answers="text/plain")]
    schemas = contracts.ComponentSchemas()  # shared definitions, referenced as #/components/schemas/...
    for r in routes + common:
        op: dict = {"summary": r.summary, "operationId": f"{r.method.lower()}_{_op_name(r.path)}",
                    "responses": {str(r.status): _response(r, schemas)}}
        if r.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": schemas.http(r.body), "example": contracts.example_body(r.body)}}}
            for other in set(r.media) - {JSON}:
                op["requestBody"]["content"][other] = {"schema": {"type": "string"}}
            op["responses"]["422"] = _problem_response(422, "The body breaks the contract", schemas)
            op["responses"]["400"] = _problem_response(400, "The body is not JSON", schemas)
            op["responses"]["415"] = _problem_response(415, "The body is not labelled application/json", schemas)
        if r.params or r.query:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                for p in r.params] + [
                {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": kind}}
                for name, text, kind in r.query]
        if r.path in ("/health", "/ready"):
            op["security"] = []  # probes answer without a token
        else:
            op["responses"]["401"] = _problem_response(401, "No valid bearer token", schemas)
            op["responses"]["403"] = _problem_response(403, "The permission table refuses this role or region", schemas)
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": f"mutual-deploy {service} service", "version": "0.1.0"},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "components": {"schemas": contracts.model_titles(schemas.schemas()),
                           "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
            "security": [{"bearer": []}],
            "paths": paths}


def _op_name(path: str) -> str:
    """The path as an identifier: /readiness/what-if -> readiness_what_if (code generators name by it)."""
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(p.strip("{}") for p in path.strip("/").split("/"))) or "root"


PAGE_HEADERS = {
    "X-Total-Count": {"description": "How many rows the list holds in all, across its pages",
                      "schema": {"type": "integer", "minimum": 0}},
    "Link": {"description": 'While rows are left, the next page: `</path?...&after=TOKEN>; rel="next"` (RFC 8288, '
                            "relative to the request), placed after the last row of this page",
             "schema": {"type": "string"}},
}


def _response(r: Route, schemas) -> dict:
    resp = {"description": r.summary}
    if r.paged:
        resp["headers"] = PAGE_HEADERS
    elif r.linked:
        resp["headers"] = {"Link": PAGE_HEADERS["Link"]}
    if r.answers:
        resp["content"] = {r.answers: {"schema": {"type": "string"}}}
    if r.response:
        resp["content"] = {"application/json": {"schema": schemas.http(r.response),
                                                "example": contracts.example_body(r.response)}}
    return resp


def _problem(status: int, title: str, field: str, reason: str, **extra) -> dict:
    return {"type": "about:blank", "title": title, "status": status, "detail": title,
            "errors": [{"field": field, "reason": reason, **extra}]}


# each refusal the document declares, as the services word it (tests/unit/test_openapi_standard.py
# holds these to what a service answers)
PROBLEM_EXAMPLES = {
    400: _problem(400, "Body is not valid JSON", "(body)", "expected JSON"),
    401: _problem(401, "Not authenticated", "Authorization", "a bearer token is required (Authorization: Bearer <token>)"),
    403: _problem(403, "Not permitted", "Authorization",
                  "officer_id ZJ330102-00001 is of region 330102, outside the region 330783 of role county_duty_officer",
                  code="permission.object", params={"id": "ZJ330102-00001", "object": "officer_id", "region": "330783",
                                                    "regions": "330102", "role": "county_duty_officer"}),
    415: _problem(415, "Unsupported media type", "Content-Type",
                  "the body must be application/json, not application/x-www-form-urlencoded"),
    422: _problem(422, "Body breaks the contract", "status", "'flying' is not one of ['on_duty', 'off_duty', 'unavailable']"),
}


def _missing(status: int, reason: str) -> list[dict]:
    """A 404 that names nothing says which part of the path named nothing: the route's one path
    variable (/officers/{officer_id}: officer_id), or the path itself; other refusals as they are."""
    if status != 404:
        return []
    rule = request.url_rule
    names = list(rule.arguments) if rule is not None else []
    field = names[0] if len(names) == 1 else "(path)"
    return [{"field": field, "reason": (reason or "no such resource")[:1000]}]


def _problem_response(status: int, description: str, schemas) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": schemas.http("problem"),
                                                     "example": PROBLEM_EXAMPLES[status]}}}
