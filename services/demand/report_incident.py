"""The use case of an incident reported, by HTTP (POST /incidents) or from the topic (incident.reported
of another system), in one transaction and in this order:

1. the incident is recorded (or, reported again with a bigger size, grown: domain/growth.py), graded
   and its template lines derived (domain/grading.py, domain/requirements.py), and incident.reported
   emitted;
2. a new incident's stated needs and line changes are recorded: the words parsed into a proposal, the
   lines the reporter confirmed and the officer's overrides checked against the template
   (domain/overrides.py) and kept with who made them;
3. its county's force gap is assessed (support.py: support.requested, or, for growth, the open
   request's support.escalated / support.cancelled).

`confirm_lines` is the later confirmation of the lines proposed from an incident's words (POST
/incidents/{incident_id}/needs/confirm): step 2 and 3 again. The SQL is store.py's.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from ..common.clock import parse_time, stamp
from ..common.http import Problem
from ..common.outbox import Tx
from . import needs_intake, policies, store, support
from .domain import growth
from .domain import overrides as override_rules
from .domain.grading import grade
from .domain.requirements import requirements

CONFIRMED_NOTE = "lines confirmed from the reporter's words"


def place_problems(location: dict, geography) -> list[dict]:
    """What is wrong with an incident's location in this province: [] when nothing is."""
    county = location["county"]
    try:
        geography.county(county)
    except KeyError:
        return [{"field": "location.county",
                 "reason": f"no county {county} in province {geography.province_code} ({geography.province_name})"}]
    point = location.get("point")
    if point and geography.county_at(point["lon"], point["lat"]) is None:
        return [{"field": "location.point",
                 "reason": f"({point['lon']}, {point['lat']}) lies outside province {geography.province_code} "
                           f"({geography.province_name})"}]
    return []


_UNREAD = object()


def report(tx: Tx, body: dict, *, now: datetime, identity=None, emit: bool = True,
           existing=_UNREAD, reporter: str | None = None) -> tuple[dict, str]:
    """Record a reported incident. Returns (incident, "created" | "grown" | "unchanged").

    A report with a known `incident_id` and a bigger size is an update: the incident is re-graded, its
    lines derived again (with the officer's overrides) and its open request escalated. The same id
    without growth is a retry: the stored incident is returned and nothing is emitted.
    A need written as text (`needs`) is parsed and the proposal returned under `needs_proposal`; its
    `confirmed_lines` change the template's lines like overrides (recorded with who confirmed what).
    Raises OverrideError when `requirement_overrides` or confirmed lines cannot apply to the template lines.
    `existing`: the stored incident of that id (None: there is none) when the caller read it already
    in this transaction. `reporter`: the event source that reported it on the topic (demand's own when
    it came over HTTP), kept with a new incident.
    """
    if existing is _UNREAD:
        existing = store.incident(tx.conn, body["incident_id"]) if body.get("incident_id") else None
    if existing is not None:
        if not growth.grows(existing.get("size"), body.get("size")):
            return existing, "unchanged"
        incident = growth.grown(existing, body, now)
        store.update_report(tx.conn, incident)
        at = growth.fact_time(incident)
        assess(tx.conn, incident, at)
        if emit:
            tx.emit("incident.reported", incident, key=incident["incident_id"], correlationid=incident["incident_id"])
        support.reassess(tx, incident, at, growth.note(existing, incident), reopen=True)
        return incident, "grown"
    incident = record(tx, body, now, emit=emit, reporter=reporter)
    answer = _stated_lines(tx.conn, incident, body, identity, now)
    support.evaluate(tx, incident["location"]["county"], parse_time(incident["reported_at"]))
    return answer, "created"


def record(tx: Tx, body: dict, now: datetime, *, emit: bool, status: str = "reported",
           reporter: str | None = None) -> dict:
    """Store a new incident (`incident.reported`-shaped), grade it, and emit it unless it came from the topic.
    `reporter`: the source that reported it on the topic; demand's own (`tx.source`) when none is given."""
    incident_id = body.get("incident_id") or f"INC-{uuid.uuid4().hex[:12].upper()}"
    incident = {k: v for k, v in body.items() if k not in ("requirement_overrides", "override_reason", "needs")}
    incident = dict(incident, incident_id=incident_id, reported_at=incident.get("reported_at") or stamp(now))
    store.insert_incident(tx.conn, incident, status, reporter or tx.source)
    assess(tx.conn, incident, now)
    if emit:
        tx.emit("incident.reported", incident, key=incident_id, subject=incident_id, correlationid=incident_id)
    return incident


def assess(conn, incident: dict, now: datetime) -> None:
    """Grade the incident by the provincial policy, derive its template lines, store both (replacing)."""
    rules = policies.current()
    grading = grade(incident, rules.grading)
    lines = requirements(incident, grading, rules.templates)
    store.save_assessment(  # a new incident has nothing to replace
        conn, incident["incident_id"], replace=bool(incident.get("updated_at")), grade=grading.grade,
        rule_id=grading.rule_id, policy_version=grading.policy_version, templates_version=rules.templates.version,
        reason=grading.reason[:1000], grading=grading.as_dict(), lines=lines, assessed_at=now)


def _stated_lines(conn, incident: dict, body: dict, identity, now: datetime) -> dict:
    """Step 2 for a new incident: the words (`needs`) and line changes of the report, recorded; the
    incident as answered (with the proposal made from its words, or the confirmation recorded)."""
    changes = list(body.get("requirement_overrides") or [])
    stated = body.get("needs")
    answer = incident
    if stated and stated.get("confirmed_lines"):
        template = store.assessment(conn, incident["incident_id"])["requirements"]
        try:
            from_text, confirmation = needs_intake.confirm(conn, incident, stated, template, identity, now)
        except ValueError as exc:
            raise override_rules.OverrideError("needs.proposal_id", str(exc).split(": ", 1)[-1]) from None
        override_rules.check(template, from_text, "needs.confirmed_lines")
        changes += from_text
        answer = dict(incident, needs_confirmation=confirmation)
    elif stated:
        answer = dict(incident, needs_proposal=needs_intake.propose(
            conn, incident["location"]["county"], stated["text"], by=getattr(identity, "subject", "system"),
            now=now, incident_id=incident["incident_id"]))
    if changes:
        template = store.assessment(conn, incident["incident_id"])["requirements"]
        override_rules.check(template, changes)
        reason = body.get("override_reason") or ("confirmed from the reporter's words" if stated else None)
        store.record_overrides(conn, incident["incident_id"], changes, identity, reason, now)
    return answer


def confirm_lines(tx: Tx, incident: dict, body: dict, identity, now: datetime) -> dict:
    """The use case: the reporter confirms or edits, after the report, the lines proposed from its words.

    The same effect as confirmed lines sent with the report: the confirmed lines refine or join the
    template's lines as overrides (the officer's own requirement_overrides stay; the lines of an
    earlier confirmation are replaced), the confirmation is recorded as feedback, and the incident's
    force gap is assessed again (an open request asks for the new shortfall, support.escalated; an
    incident without one gets a request if it now calls for one), timed from the confirmation.
    Returns the recorded confirmation; 422 naming the field when the proposal or the lines do not apply.
    """
    conn, incident_id = tx.conn, incident["incident_id"]
    assessment = store.assessment(conn, incident_id)
    template = assessment.get("template_requirements") or assessment["requirements"]
    earlier = store.last_confirmed_lines(conn, incident_id)
    from_earlier = set() if earlier is None else {c["line_id"] for c in needs_intake.line_changes(template, earlier)}
    own = [c for c in (assessment.get("overrides") or {}).get("changes", []) if c["line_id"] not in from_earlier]
    try:
        from_text, confirmation = needs_intake.confirm(conn, incident, body, template, identity, now)
        override_rules.check(template, own + from_text, "confirmed_lines")
    except override_rules.OverrideError as exc:
        raise Problem(422, "Confirmed lines do not apply", [{"field": exc.field, "reason": exc.reason}]) from None
    except ValueError as exc:
        field, _, reason = str(exc).partition(": ")
        raise Problem(422, "No such proposal", [{"field": field.removeprefix("needs."), "reason": reason}]) from None
    reason = ((assessment.get("overrides") or {}).get("reason") or "") if own else ""
    reason = "; ".join(r for r in (reason.removesuffix(CONFIRMED_NOTE).removesuffix("; "), CONFIRMED_NOTE) if r)
    store.record_overrides(conn, incident_id, own + from_text, identity, reason, now)
    support.reassess(tx, incident, now, "the reporter confirmed the lines proposed from their words")
    return confirmation
