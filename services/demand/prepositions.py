"""Pre-positioning: a major-event security task scheduled ahead, whose echelons become due in turn.

Scheduling records the task as an incident (status `scheduled`, so the force-gap monitor leaves it
alone: its support is planned, not a gap) and keeps each echelon with its lines and due time. When
an echelon's time comes on the process clock, it becomes a `support.requested` (reason `manual`)
whose deadline is the echelon's `in_place_by` (else its due time plus the grade's deadline).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from ..common.outbox import Tx
from . import incidents, policies, support
from .domain.gap import Gap
from .store import echelons, prepositions, requests
from .times import parse, stamp, utc


def problems(body: dict, now: datetime) -> list[dict]:
    """What the schema cannot say about a schedule: times in order and in the future, distinct echelons."""
    out = []
    start, end = parse(body["window"]["start"]), parse(body["window"]["end"])
    if end <= start:
        out.append({"field": "window.end", "reason": "must be after window.start"})
    if end <= now:
        out.append({"field": "window.end", "reason": f"the window is over (now {stamp(now)}): schedule a future one"})
    seen = set()
    for i, e in enumerate(body["echelons"]):
        if e["echelon_id"] in seen:
            out.append({"field": f"echelons[{i}].echelon_id", "reason": f"{e['echelon_id']!r} is given twice"})
        seen.add(e["echelon_id"])
        due = parse(e["due_at"])
        if due >= end:
            out.append({"field": f"echelons[{i}].due_at", "reason": "must be before the window ends"})
        if e.get("in_place_by") and not due < parse(e["in_place_by"]) <= end:
            out.append({"field": f"echelons[{i}].in_place_by", "reason": "must be after due_at and within the window"})
    return out


def schedule(tx: Tx, body: dict, *, now: datetime, by: str) -> dict:
    pid = body.get("preposition_id") or f"PRE-{uuid.uuid4().hex[:12].upper()}"
    report = {"type": body.get("type", "major_event"), "domain": "major_event_security", "location": body["location"],
              "description": body["description"], "reported_by": body["reported_by"]}
    if body.get("size"):
        report["size"] = body["size"]
    incident = incidents.create(tx, report, now, emit=True, status="scheduled")
    tx.conn.execute(insert(prepositions).values(preposition_id=pid, incident_id=incident["incident_id"],
                                                county=body["location"]["county"], body=body, scheduled_by=by, at=now))
    for e in body["echelons"]:
        tx.conn.execute(insert(echelons).values(preposition_id=pid, echelon_id=e["echelon_id"],
                                                due_at=parse(e["due_at"]), body=e))
    return view(tx.conn, pid)


def raise_due(tx: Tx, now: datetime) -> list[dict]:
    """Every echelon due at `now` and not yet raised becomes a support request."""
    due = tx.conn.execute(select(echelons).where(echelons.c.request_id.is_(None), echelons.c.due_at <= now)
                          .order_by(echelons.c.due_at)).all()
    raised = []
    for e in due:
        plan = tx.conn.execute(select(prepositions).where(prepositions.c.preposition_id == e.preposition_id)).first()
        incident = incidents.stored(tx.conn, plan.incident_id)
        assessment = dict(incidents.load_assessment(tx.conn, plan.incident_id), requirements=e.body["lines"])
        need = sum(line["headcount"] for line in e.body["lines"])
        due_at = utc(e.due_at)
        grade_minutes = policies.current().support.deadlines[assessment["grade"]].arrive_minutes
        deadline = parse(e.body["in_place_by"]) if e.body.get("in_place_by") else due_at + timedelta(minutes=grade_minutes)
        scheduled = Gap(need=need, covered=0, basis="scheduled", shortfall=tuple(e.body["lines"]))
        data = support.raise_request(
            tx, incident, assessment, scheduled, "manual", due_at,
            echelon={"echelon_id": e.echelon_id, "preposition_id": e.preposition_id, "deadline": deadline,
                     "window_end": parse(plan.body["window"]["end"])})
        tx.conn.execute(update(echelons).where(echelons.c.preposition_id == e.preposition_id,
                                               echelons.c.echelon_id == e.echelon_id)
                        .values(request_id=data["request_id"]))
        raised.append(data)
    return raised


def view(conn, pid: str) -> dict | None:
    plan = conn.execute(select(prepositions).where(prepositions.c.preposition_id == pid)).first()
    if plan is None:
        return None
    rows = conn.execute(select(echelons, requests.c.status).select_from(
        echelons.outerjoin(requests, requests.c.request_id == echelons.c.request_id))
        .where(echelons.c.preposition_id == pid).order_by(echelons.c.due_at)).all()
    return dict(plan.body, preposition_id=pid, incident_id=plan.incident_id, scheduled_by=plan.scheduled_by,
                scheduled_at=stamp(plan.at),
                echelons=[dict(r.body, request_id=r.request_id, status=r.status or "scheduled") for r in rows])
