"""What every service gets from the security kit, installed once by Runtime.install: the permission
table enforced before each view, a request size limit, the access log, and the auditor's endpoints
(GET /audit/access, GET /audit/ledger)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, jsonify, request

from . import access_log, ledger, permissions, throttle
from .auth import Identity
from .http import BadRequest, Route, endpoint_of, query_params

ROUTES = [
    Route("GET", "/audit/access", "Who called what and when, newest first (?subject=, ?path= prefix, ?since=, "
          "?limit= up to 1000)", response="access-log", query=query_params({
              "subject": "only this caller (a user or service:<name>)", "path": "only paths starting so",
              "since": "only calls at or after this ISO 8601 time", "limit": ("rows, 1 to 1000 (default 100)", "integer")})),
    Route("GET", "/audit/ledger", "Verify this service's hash-chained ledger record by record", response="ledger-report"),
]


def install(app: Flask, runtime) -> None:
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    install_failure_limits(app, runtime)  # before the permission table: a blocked client's token is not even read
    permissions.install(app)
    access_log.install(app, runtime.engine)

    @app.get("/audit/access")
    def audit_access():
        return jsonify(access_log.entries(runtime.engine, **_access_filters(request.args)))

    @app.get("/audit/ledger")
    def audit_ledger():
        # A service may add its own test of each record (runtime.ledger_check, event → reason or None).
        return jsonify(ledger.report(runtime.engine, app.name, runtime.settings.source,
                                     runtime.ledger_check))


def install_failure_limits(app: Flask, runtime) -> throttle.FailureLimiter:
    """Bad tokens counted (mutual_deploy_auth_failures), written to the access log under the client's
    address, and rate-limited per client (429 with Retry-After; numbers in auth-limits.yaml)."""
    telemetry = runtime.telemetry

    def public() -> bool:
        rule = request.url_rule
        method = "GET" if request.method == "HEAD" else request.method
        return endpoint_of(method, rule.rule if rule else request.path) in permissions.table().public

    def record(client: str, status: int) -> None:
        access_log.record(runtime.engine, identity=Identity(f"(unauthenticated) {client}", "none", ""),
                          method=request.method, path=request.path,
                          query=request.query_string.decode("utf-8", "replace"), status=status)

    def failed(client: str, reason: str | None) -> None:
        telemetry.auth_failures.labels(runtime.settings.service, throttle.reason_kind(reason)).inc()
        record(client, 401)

    def refused(client: str, _wait: int) -> None:
        telemetry.auth_throttled.labels(runtime.settings.service).inc()
        record(client, 429)

    limits = runtime.settings.extra.get("auth_limits")
    return throttle.install(app, limiter=throttle.FailureLimiter(limits), exempt=public,
                            on_failure=failed, on_refused=refused)


def _access_filters(args) -> dict:
    errors, out = [], {"subject": args.get("subject") or None, "path": args.get("path") or None}
    limit = args.get("limit", "100")
    if not limit.isdigit() or not 1 <= int(limit) <= access_log.MAX_ROWS:
        errors.append({"field": "limit", "reason": f"an integer from 1 to {access_log.MAX_ROWS}"})
    else:
        out["limit"] = int(limit)
    if args.get("since"):
        try:
            since = datetime.fromisoformat(args["since"].replace("Z", "+00:00"))
            out["since"] = since.astimezone(timezone.utc) if since.tzinfo else since.replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError):   # not a time, or one outside the years 1 to 9999 in UTC
            errors.append({"field": "since", "reason": "an ISO 8601 date-time"})
    if errors:
        raise BadRequest(400, "Bad audit query", errors)
    return out
