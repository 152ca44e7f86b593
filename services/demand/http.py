"""demand's HTTP surface: incidents (reported, graded, their lines), needs in words, pre-positioned
tasks and support requests (the performance report is reports/http.py's). Each route is declared once
(services.common.api); the views are thin: the use cases are report_incident.py, prepositions.py and
status.decide, the reads store.py's."""
from __future__ import annotations

from flask import jsonify, request
from sqlalchemy.exc import IntegrityError

from ..common import access_log, clock, paging, permissions
from ..common.api import Api, current_deps
from ..common.auth import current_identity, region_covers
from ..common.clock import stamp
from ..common.http import Problem, validated_body
from . import needs, needs_intake, prepositions, report_incident, status, store
from .domain.grading import GRADES
from .domain.lifecycle import STATUSES
from .domain.overrides import OverrideError

api = Api("demand")

# Who may change the template's lines or schedule a major-event task.
OVERRIDE_ROLES = ("county_duty_officer", "city_commander", "province_commander", "trainer", "integrator")


def _read():
    return current_deps().runtime.engine.connect()


def _regions(county: str | None):
    return None if county is None else [county]


def incident_regions(incident_id: str):
    with _read() as conn:
        return _regions(store.incident_county(conn, incident_id))


def preposition_regions(preposition_id: str):
    with _read() as conn:
        return _regions(store.preposition_county(conn, preposition_id))


def request_regions(request_id: str):
    with _read() as conn:
        return _regions(store.request_county(conn, request_id))


api.objects({"incident_id": incident_regions, "preposition_id": preposition_regions,
             "request_id": request_regions})


def _allowed(county: str, what: str) -> None:
    who = current_identity()
    if who.role not in OVERRIDE_ROLES or not who.covers(county):
        raise Problem(403, f"Not allowed to {what}", [{"field": "X-Role", "reason": (
            f"{who.role} of {who.region} may not {what} for county {county} "
            f"(needs one of {', '.join(OVERRIDE_ROLES)} covering it)")}])


def _not_another_countys(county_of, conn, key: str, value: str | None, county: str) -> None:
    """A report or schedule naming an existing id updates that object only: refused (403) when the
    object lies outside the caller's region, and (409) when it is another county's than the body says,
    so an id can never carry one county's report over another county's."""
    stored = county_of(conn, value) if value else None
    if stored is None:
        return
    bound = permissions.bound_region()
    if bound and not region_covers(bound, stored):
        who = current_identity()
        raise permissions.Forbidden(f"{key} {value} is of region {stored}, outside the region {who.region} "
                                    f"of role {who.role}")
    if stored != county:
        raise Problem(409, f"{key} belongs to another county", [{"field": key, "reason": (
            f"{value} is county {stored}'s, not {county}'s: report it with its own county or a new id")}])


def _place(location: dict) -> list[dict]:
    return report_incident.place_problems(location, current_deps().geography())


# --- incidents and their needs ----------------------------------------------------------------------

@api.route("POST", "/incidents", "Report an incident (idempotent by incident_id; a bigger size updates it); "
           "requirement_overrides change the template's lines; needs.text is parsed into proposed lines, which "
           "count only as needs.confirmed_lines (recorded with who confirmed what)", body="incident-report",
           response="incident", status=201)
def post_incident():
    body = validated_body("incident-report")
    county = body["location"]["county"]
    problems = _place(body["location"])
    if problems:
        raise Problem(422, "Unknown place", problems)
    if body.get("requirement_overrides"):
        _allowed(county, "override requirement lines")
    if (body.get("needs") or {}).get("confirmed_lines"):
        _allowed(county, "confirm requirement lines")
    for attempt in (1, 2):
        try:
            incident, answered = _report(body, county)
            break
        except IntegrityError:
            # The same report at once from a client that retried (PostgreSQL: both found no incident of that id,
            # the other stored it first): once more, this one finds it and answers as for a retry.
            if attempt == 2 or not body.get("incident_id"):
                raise
        except OverrideError as exc:
            raise Problem(422, "Override does not apply", [{"field": exc.field, "reason": exc.reason}]) from None
    access_log.recorded(answered)
    return jsonify(incident), answered


def _report(body: dict, county: str) -> tuple[dict, int]:
    """POST /incidents' transaction: (the incident as answered, 201 or 200)."""
    with current_deps().runtime.outbox.transaction() as tx:
        known = store.incident_and_county(tx.conn, body["incident_id"]) if body.get("incident_id") else None
        _not_another_countys(lambda _conn, _id: known and known[0], tx.conn, "incident_id",
                             body.get("incident_id"), county)
        incident, outcome = report_incident.report(tx, body, now=clock.now(), identity=current_identity(),
                                                   existing=known and known[1])
        answered = 201 if outcome == "created" else 200
        access_log.record_in(tx.conn, answered)  # the audit row commits with the report it describes
    return incident, answered


@api.route("POST", "/needs/parse", "Propose requirement lines (module, tags, certifications, equipment, headcount), "
           "each with a confidence and the words it came from, for a need written in plain Chinese; nothing counts "
           "until confirmed in POST /incidents", body="needs-parse", response="needs-proposal")
def parse_needs():
    body = validated_body("needs-parse")
    problems = _place({"county": body["county"]})
    if problems:   # named as this body names the county (the incident's is location.county)
        raise Problem(422, "Unknown place", [dict(p, field=p["field"].removeprefix("location.")) for p in problems])
    with current_deps().runtime.engine.begin() as conn:
        proposal = needs_intake.propose(conn, body["county"], body["text"], by=current_identity().subject,
                                        now=clock.now())
    return jsonify(proposal)


@api.route("GET", "/incidents", "List incidents, newest first (in pages: ?limit=, ?offset= or ?after=)",
           response="incidents", paged=500)
def list_incidents():
    limit, offset, after = paging.args(store.INCIDENTS_ORDER)
    with _read() as conn:
        rows, total = store.incident_reports(conn, permissions.bound_region(), limit=limit + 1, offset=offset,
                                             after=after)
    return paging.answer(rows, total, limit, store.INCIDENTS_ORDER, lambda r: r.report)


@api.route("GET", "/incidents/{incident_id}",
           "One incident as reported; with ?include=assessment also its grade, grading rule and requirement lines",
           response="incident", query={"include": "assessment: add the grade, grading rule and requirement lines"})
def get_incident(incident_id: str):
    if request.args.get("include") not in (None, "", "assessment"):
        raise Problem(400, "Bad query parameter", [{"field": "include", "reason": "assessment, or nothing"}])
    with _read() as conn:
        incident = store.incident(conn, incident_id)
        assessment = store.assessment(conn, incident_id) if incident is not None else None
    if incident is None:
        raise Problem(404, "Not Found", detail=f"no incident {incident_id}")
    if request.args.get("include") == "assessment":
        return jsonify(dict(incident, assessment=assessment))
    return jsonify(incident)


@api.route("GET", "/incidents/{incident_id}/assessment",
           "The incident's grade (with the provincial rule and policy version that produced it), its requirement "
           "lines and the reporting officer's overrides", response="assessment")
def get_assessment(incident_id: str):
    with _read() as conn:
        assessment = store.assessment(conn, incident_id)
    if assessment is None:
        raise Problem(404, "Not Found", detail=f"no assessment for incident {incident_id}")
    return jsonify(assessment)


@api.route("POST", "/prepositions", "Schedule a major-event security task with echelons that become support "
           "requests when due", body="preposition", status=201, response="preposition-plan")
def post_preposition():
    body = validated_body("preposition")
    now = clock.now()
    county = body["location"]["county"]
    problems = (_place(body["location"]) + prepositions.problems(body, now)
                + prepositions.donor_problems(body, current_deps().geography()))
    if problems:
        raise Problem(422, "Schedule refused", problems)
    _allowed(county, "schedule a major-event task")
    with _read() as conn:
        _not_another_countys(store.preposition_county, conn, "preposition_id", body.get("preposition_id"), county)
        known = prepositions.view(conn, body["preposition_id"]) if body.get("preposition_id") else None
    if known:
        return jsonify(known), 200
    try:
        with current_deps().runtime.outbox.transaction() as tx:
            plan = prepositions.schedule(tx, body, now=now, by=current_identity().subject)
    except IntegrityError:
        if not body.get("preposition_id"):
            raise
        with _read() as conn:   # the same schedule sent again at once: the other stored it first
            known = prepositions.view(conn, body["preposition_id"])
        if known is None:
            raise
        return jsonify(known), 200
    return jsonify(plan), 201


@api.route("GET", "/prepositions/{preposition_id}", "A scheduled task, its echelons and their requests",
           response="preposition-plan")
def get_preposition(preposition_id: str):
    with _read() as conn:
        plan = prepositions.view(conn, preposition_id)
    if plan is None:
        raise Problem(404, "Not Found", detail=f"no pre-positioned task {preposition_id}")
    return jsonify(plan)


@api.route("POST", "/incidents/{incident_id}/needs/confirm",
           "Confirm or edit, after the report, the lines proposed from the incident's words: they then count as "
           "confirmed lines sent with the report do (they refine or join the template's lines, the force gap is "
           "assessed again and an open request asks for the new shortfall), and who changed what is recorded",
           body="needs-confirmation", response="needs-confirmed")
def confirm_needs(incident_id: str):
    body = validated_body("needs-confirmation")
    with _read() as conn:
        incident = store.incident(conn, incident_id)
    if incident is None:
        raise Problem(404, "Not Found", detail=f"no incident {incident_id}")
    _allowed(incident["location"]["county"], "confirm requirement lines")
    with current_deps().runtime.outbox.transaction() as tx:
        record = report_incident.confirm_lines(tx, incident, body, current_identity(), clock.now())
    with _read() as conn:
        assessment = store.assessment(conn, incident_id)
    return jsonify({"incident_id": incident_id, "needs_confirmation": record, "assessment": assessment})


@api.route("GET", "/needs/model", "The needs matcher in force: lexicon and model version, its training card and "
           "held-out figures, when this process loaded it (a newer version is picked up without a restart)",
           response="needs-model")
def needs_model():
    return jsonify(needs.in_force())


# --- support requests -------------------------------------------------------------------------------

def request_view(row, history: list[dict] | None = None) -> dict:
    """The request as the views show it: the support.requested fields plus its current state."""
    out = dict(row.request, status=row.status, grade=row.grade, approval_level=row.approval_level,
               deadline=stamp(row.deadline), city=row.city, escalation_level=row.escalation_level,
               escalated=bool(row.escalated_stages), escalated_stages=list(row.escalated_stages),
               progress=dict(row.progress), updated_at=stamp(row.updated_at))
    if history is not None:
        out["history"] = history
    return out


def _choices(name: str, allowed) -> list[str]:
    values = [v for raw in request.args.getlist(name) for v in raw.split(",") if v]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise Problem(400, "Bad filter", [{"field": name, "reason": f"{bad[0]!r} is not one of {', '.join(allowed)}"}])
    return values


def _code(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None and not (len(value) == 6 and value.isdigit()):
        raise Problem(400, "Bad filter", [{"field": name, "reason": "a 6-digit region code"}])
    return value


@api.route("GET", "/requests", "Support requests the caller's region covers (province: all; city: its counties; "
           "county: its own); filters status, grade, county, city; sort deadline|grade|requested_at|updated_at",
           query={"status": "statuses, comma-separated or repeated", "grade": "grades I-IV, comma-separated or repeated",
                  "county": "a 6-digit county code", "city": "a 6-digit city code",
                  "sort": "deadline (default: most urgent first), grade, requested_at or updated_at"},
           response="support-requests", paged=200)
def list_requests():
    """Filters status, grade (comma-separated or repeated), county, city; sort by deadline (default; most
    urgent first), grade (most severe first), requested_at or updated_at, then by deadline; in pages
    (limit default 200, at most 1000; offset, or after: the position a page's Link rel="next" carries)."""
    statuses, grades = _choices("status", STATUSES), _choices("grade", GRADES)
    county, city = _code("county"), _code("city")
    sort = request.args.get("sort", "deadline")
    if sort not in store.SORTS:
        raise Problem(400, "Bad sort", [{"field": "sort", "reason": f"one of {', '.join(store.SORTS)}"}])
    order = store.REQUESTS_ORDERS[sort]
    limit, offset, after = paging.args(order)
    who = current_identity()
    with _read() as conn:
        rows, total = store.visible_requests(conn, who.level, who.region, statuses=statuses, grades=grades,
                                             county=county, city=city, sort=sort, limit=limit + 1, offset=offset,
                                             after=after)
    return paging.answer(rows, total, limit, order, request_view)


@api.route("GET", "/requests/{request_id}", "One support request with its status history", response="support-request")
def get_request(request_id: str):
    with _read() as conn:
        row = status.visible(conn, request_id, current_identity())
        return jsonify(request_view(row, store.history(conn, request_id)))


def _decide(request_id: str, target: str, *, note: str | None, reason: str | None = None):
    at = clock.now()
    with current_deps().runtime.outbox.transaction() as tx:
        row = status.decide(tx, request_id, target, current_identity(), at=at, note=note, reason=reason)
        return jsonify(request_view(row, store.history(tx.conn, request_id)))


@api.route("POST", "/requests/{request_id}/cancel", "Withdraw a request (emits support.cancelled); 409 when its "
           "status does not allow it", body="request-cancel", response="support-request")
def cancel_request(request_id: str):
    body = validated_body("request-cancel")
    return _decide(request_id, "cancelled", note=body["reason"], reason=body["reason"])


@api.route("POST", "/requests/{request_id}/close", "Close a released (or cancelled) request; 409 otherwise",
           body="request-close", response="support-request")
def close_request(request_id: str):
    body = validated_body("request-close")
    return _decide(request_id, "closed", note=body.get("comment"))
