"""demand's HTTP entry point, built by a factory; nothing connects at import time."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from sqlalchemy import select

from ..common.config import Settings
from ..common.http import Route, validated_body
from ..common.runtime import Runtime
from . import policies
from .handlers import HANDLERS, load_assessment, report_incident
from .store import incidents, metadata

ROUTES = [
    Route("POST", "/incidents", "Report an incident (idempotent by incident_id)", body="incident-report", status=201),
    Route("GET", "/incidents", "List incidents, newest first"),
    Route("GET", "/incidents/{incident_id}",
          "One incident as reported; with ?include=assessment also its grade, grading rule and requirement lines",
          params=("incident_id",)),
    Route("GET", "/incidents/{incident_id}/assessment",
          "The incident's grade (with the provincial rule and policy version that produced it) and requirement lines",
          params=("incident_id",)),
]


def build_runtime(settings: Settings | None = None) -> Runtime:
    policies.current()  # a broken grading policy or template file stops the service here, naming the rule
    return Runtime.build(settings or Settings.from_env("demand"), metadata=metadata, handlers=HANDLERS)


def create_app(runtime: Runtime) -> Flask:
    app = Flask("demand")
    runtime.install(app, ROUTES)

    @app.post("/incidents")
    def post_incident():
        body = validated_body("incident-report")
        with runtime.outbox.transaction() as tx:
            incident, created = report_incident(tx, body)
        return jsonify(incident), 201 if created else 200

    @app.get("/incidents")
    def list_incidents():
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(incidents.c.report).order_by(incidents.c.reported_at.desc()).limit(500))
            return jsonify([r.report for r in rows])

    @app.get("/incidents/<incident_id>")
    def get_incident(incident_id: str):
        with runtime.engine.connect() as conn:
            row = conn.execute(select(incidents.c.report).where(incidents.c.incident_id == incident_id)).first()
            assessment = load_assessment(conn, incident_id) if row is not None else None
        if row is None:
            abort(404, f"no incident {incident_id}")
        if request.args.get("include") == "assessment":
            return jsonify(dict(row.report, assessment=assessment))
        return jsonify(row.report)

    @app.get("/incidents/<incident_id>/assessment")
    def get_assessment(incident_id: str):
        with runtime.engine.connect() as conn:
            assessment = load_assessment(conn, incident_id)
        if assessment is None:
            abort(404, f"no assessment for incident {incident_id}")
        return jsonify(assessment)

    return app
