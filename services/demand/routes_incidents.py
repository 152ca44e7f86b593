"""demand's incident and pre-positioning endpoints."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from sqlalchemy import select

from ..common import clock, permissions
from ..common.auth import current_identity, region_covers
from ..common.http import BadRequest, Route, validated_body
from . import intake, needs_intake, prepositions
from .domain.overrides import OverrideError
from .incidents import load_assessment, location_problems
from .store import incidents
from .store import prepositions as prepositions_table

# Who may change the template's lines or schedule a major-event task.
OVERRIDE_ROLES = ("county_duty_officer", "city_commander", "province_commander", "trainer", "integrator")

ROUTES = [
    Route("POST", "/incidents", "Report an incident (idempotent by incident_id; a bigger size updates it); "
          "requirement_overrides change the template's lines; needs.text is parsed into proposed lines, which "
          "count only as needs.confirmed_lines (recorded with who confirmed what)", body="incident-report",
          response="incident", status=201),
    Route("POST", "/needs/parse", "Propose requirement lines (module, tags, certifications, equipment, headcount), "
          "each with a confidence and the words it came from, for a need written in plain Chinese; nothing counts "
          "until confirmed in POST /incidents", body="needs-parse"),
    Route("GET", "/incidents", "List incidents, newest first"),
    Route("GET", "/incidents/{incident_id}",
          "One incident as reported; with ?include=assessment also its grade, grading rule and requirement lines",
          response="incident", params=("incident_id",)),
    Route("GET", "/incidents/{incident_id}/assessment",
          "The incident's grade (with the provincial rule and policy version that produced it), its requirement "
          "lines and the reporting officer's overrides", response="assessment", params=("incident_id",)),
    Route("POST", "/prepositions", "Schedule a major-event security task with echelons that become support "
          "requests when due", body="preposition", status=201),
    Route("GET", "/prepositions/{preposition_id}", "A scheduled task, its echelons and their requests",
          params=("preposition_id",)),
]


def _allowed(county: str, what: str) -> None:
    who = current_identity()
    if who.role not in OVERRIDE_ROLES or not who.covers(county):
        raise BadRequest(403, f"Not allowed to {what}", [{"field": "X-Role", "reason": (
            f"{who.role} of {who.region} may not {what} for county {county} "
            f"(needs one of {', '.join(OVERRIDE_ROLES)} covering it)")}])


def _not_another_countys(conn, table, key: str, value: str | None, county: str) -> None:
    """A report or schedule naming an existing id updates that object only: refused (403) when the
    object lies outside the caller's region, and (409) when it is another county's than the body says,
    so an id can never carry one county's report over another county's."""
    if not value:
        return
    stored = conn.execute(select(table.c.county).where(getattr(table.c, key) == value)).scalar()
    if stored is None:
        return
    bound = permissions.bound_region()
    if bound and not region_covers(bound, stored):
        who = current_identity()
        raise permissions.Forbidden(f"{key} {value} is of region {stored}, outside the region {who.region} "
                                    f"of role {who.role}")
    if stored != county:
        raise BadRequest(409, f"{key} belongs to another county", [{"field": key, "reason": (
            f"{value} is county {stored}'s, not {county}'s: report it with its own county or a new id")}])


def install(app: Flask, runtime) -> None:
    geography = runtime.extras["geography"]

    def incident_regions(incident_id: str):
        with runtime.engine.connect() as conn:
            county = conn.execute(select(incidents.c.county).where(incidents.c.incident_id == incident_id)).scalar()
        return None if county is None else [county]

    def preposition_regions(preposition_id: str):
        with runtime.engine.connect() as conn:
            county = conn.execute(select(prepositions_table.c.county)
                                  .where(prepositions_table.c.preposition_id == preposition_id)).scalar()
        return None if county is None else [county]

    permissions.objects(app, {"incident_id": incident_regions, "preposition_id": preposition_regions})

    @app.post("/incidents")
    def post_incident():
        body = validated_body("incident-report")
        problems = location_problems(body["location"], geography())
        if problems:
            raise BadRequest(422, "Unknown place", problems)
        if body.get("requirement_overrides"):
            _allowed(body["location"]["county"], "override requirement lines")
        if (body.get("needs") or {}).get("confirmed_lines"):
            _allowed(body["location"]["county"], "confirm requirement lines")
        try:
            with runtime.outbox.transaction() as tx:
                _not_another_countys(tx.conn, incidents, "incident_id", body.get("incident_id"),
                                     body["location"]["county"])
                incident, outcome = intake.report_incident(tx, body, now=clock.now(), identity=current_identity())
        except OverrideError as exc:
            raise BadRequest(422, "Override does not apply", [{"field": exc.field, "reason": exc.reason}]) from None
        return jsonify(incident), 201 if outcome == "created" else 200

    @app.post("/needs/parse")
    def parse_needs():
        body = validated_body("needs-parse")
        problems = location_problems({"county": body["county"]}, geography())
        if problems:
            raise BadRequest(422, "Unknown place", problems)
        with runtime.engine.begin() as conn:
            proposal = needs_intake.propose(conn, body["county"], body["text"], by=current_identity().subject,
                                            now=clock.now())
        return jsonify(proposal)

    @app.get("/incidents")
    def list_incidents():
        query = select(incidents.c.report).order_by(incidents.c.reported_at.desc()).limit(500)
        if bound := permissions.bound_region():
            query = query.where(permissions.covers_clause(incidents.c.county, bound))
        with runtime.engine.connect() as conn:
            rows = conn.execute(query)
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

    @app.post("/prepositions")
    def post_preposition():
        body = validated_body("preposition")
        now = clock.now()
        problems = location_problems(body["location"], geography()) + prepositions.problems(body, now)
        if problems:
            raise BadRequest(422, "Schedule refused", problems)
        _allowed(body["location"]["county"], "schedule a major-event task")
        with runtime.engine.connect() as conn:
            _not_another_countys(conn, prepositions_table, "preposition_id", body.get("preposition_id"),
                                 body["location"]["county"])
            if body.get("preposition_id") and prepositions.view(conn, body["preposition_id"]):
                return jsonify(prepositions.view(conn, body["preposition_id"])), 200
        with runtime.outbox.transaction() as tx:
            plan = prepositions.schedule(tx, body, now=now, by=current_identity().subject)
        return jsonify(plan), 201

    @app.get("/prepositions/<preposition_id>")
    def get_preposition(preposition_id: str):
        with runtime.engine.connect() as conn:
            plan = prepositions.view(conn, preposition_id)
        if plan is None:
            abort(404, f"no pre-positioned task {preposition_id}")
        return jsonify(plan)
