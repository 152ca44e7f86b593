"""What every service's Flask app shares: problem responses, body validation, health, metrics, OpenAPI.

Errors follow RFC 9457 (application/problem+json) with an `errors` list of {field, reason}, so a
client sees exactly which field is wrong and why.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, jsonify, request
from sqlalchemy import text
from werkzeug.exceptions import HTTPException

from . import contracts


class BadRequest(Exception):
    def __init__(self, status: int, title: str, errors: list[dict]):
        super().__init__(title)
        self.status, self.title, self.errors = status, title, errors


def problem(status: int, title: str, detail: str = "", errors: list[dict] | None = None):
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail or title,
            "errors": errors or []}
    resp = jsonify(body)
    resp.status_code = status
    resp.mimetype = "application/problem+json"
    return resp


def validated_body(name: str) -> dict:
    """The request's JSON body, checked against contracts/http/<name>.schema.json."""
    body = request.get_json(silent=True, force=True)
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


def install_common(app: Flask, *, service: str, routes: list[Route], health_checks: dict, metrics) -> None:
    """Error handlers, /health, /metrics and /openapi.json on `app`."""

    @app.errorhandler(BadRequest)
    def _bad_request(exc: BadRequest):
        return problem(exc.status, exc.title, errors=exc.errors)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return problem(exc.code or 500, exc.name, exc.description or "")

    @app.get("/health")
    def health():
        checks = {name: _run_check(fn) for name, fn in health_checks.items()}
        ok = all(v == "ok" for v in checks.values())
        body = {"status": "ok" if ok else "degraded", "service": service, "checks": checks,
                "mode": app.config.get("MODE", "live")}
        return jsonify(body), 200 if ok else 503

    @app.get("/metrics")
    def metrics_endpoint():
        lines = []
        for name, value in sorted(metrics().items()):
            metric = f"mutual_deploy_{name}".replace(".", "_").replace("-", "_")
            lines.append(f'{metric}{{service="{service}"}} {value}')
        return "\n".join(lines) + "\n", 200, {"Content-Type": "text/plain; version=0.0.4"}

    @app.get("/openapi.json")
    def openapi():
        return jsonify(openapi_document(service, routes))


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
    common = [Route("GET", "/health", "Liveness and dependencies", response="health"),
              Route("GET", "/metrics", "Counters in Prometheus text format")]
    for r in routes + common:
        op: dict = {"summary": r.summary, "operationId": f"{r.method.lower()}_{_op_name(r.path)}",
                    "responses": {str(r.status): _response(r)}}
        if r.body:
            op["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": contracts.http_schema(r.body), "example": contracts.example_body(r.body)}}}
            op["responses"]["422"] = _problem_response("The body breaks the contract")
            op["responses"]["400"] = _problem_response("The body is not JSON")
        if r.params:
            op["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                for p in r.params]
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {"openapi": "3.1.0",
            "info": {"title": f"mutual-deploy {service} service", "version": "0.1.0"},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "paths": paths}


def _op_name(path: str) -> str:
    return "_".join(p.strip("{}") for p in path.strip("/").split("/")) or "root"


def _response(r: Route) -> dict:
    resp = {"description": r.summary}
    if r.response:
        resp["content"] = {"application/json": {"schema": contracts.http_schema(r.response)}}
    return resp


def _problem_response(description: str) -> dict:
    return {"description": description,
            "content": {"application/problem+json": {"schema": contracts.http_schema("problem")}}}
