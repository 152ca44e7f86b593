"""What every service gets from the security kit, installed once by Runtime.install: the permission
table enforced before each view, a request size limit, the access log, and the auditor's endpoints
(GET /audit/access, GET /audit/ledger)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask, jsonify, request

from . import access_log, ledger, permissions
from .http import BadRequest, Route

ROUTES = [
    Route("GET", "/audit/access", "Who called what and when, newest first (?subject=, ?path= prefix, ?since=, "
          "?limit= up to 1000)", response="access-log"),
    Route("GET", "/audit/ledger", "Verify this service's hash-chained ledger record by record", response="ledger-report"),
]


def install(app: Flask, runtime) -> None:
    app.config["MAX_CONTENT_LENGTH"] = runtime.settings.max_body_bytes
    permissions.install(app)
    access_log.install(app, runtime.engine)

    @app.get("/audit/access")
    def audit_access():
        return jsonify(access_log.entries(runtime.engine, **_access_filters(request.args)))

    @app.get("/audit/ledger")
    def audit_ledger():
        # A service may add its own test of each record (runtime.extras["ledger_check"], event → reason or None).
        return jsonify(ledger.report(runtime.engine, app.name, runtime.settings.source,
                                     runtime.extras.get("ledger_check")))


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
        except ValueError:
            errors.append({"field": "since", "reason": "an ISO 8601 date-time"})
    if errors:
        raise BadRequest(400, "Bad audit query", errors)
    return out
