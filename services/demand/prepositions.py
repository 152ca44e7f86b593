"""Pre-positioning: a major-event security task scheduled ahead, whose echelons become due in turn.

Scheduling records the task as an incident (status `scheduled`, so the force-gap monitor leaves it
alone: its support is planned, not a gap) and keeps each echelon with its lines and due time. When
an echelon's time comes on the process clock, it becomes a `support.requested` (reason `manual`)
whose deadline is the echelon's `in_place_by` (else its due time plus the grade's deadline).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from ..common.clock import parse_time, stamp
from ..common.outbox import Tx
from . import policies, report_incident, store, support
from .domain.gap import Gap


def problems(body: dict, now: datetime) -> list[dict]:
    """What the schema cannot say about a schedule: times in order and in the future, distinct echelons."""
    out = []
    start, end = parse_time(body["window"]["start"]), parse_time(body["window"]["end"])
    if end <= start:
        out.append({"field": "window.end", "reason": "must be after window.start"})
    if end <= now:
        out.append({"field": "window.end", "reason": f"the window is over (now {stamp(now)}): schedule a future one"})
    seen = set()
    for i, e in enumerate(body["echelons"]):
        if e["echelon_id"] in seen:
            out.append({"field": f"echelons[{i}].echelon_id", "reason": f"{e['echelon_id']!r} is given twice"})
        seen.add(e["echelon_id"])
        due = parse_time(e["due_at"])
        if due >= end:
            out.append({"field": f"echelons[{i}].due_at", "reason": "must be before the window ends"})
        if e.get("in_place_by") and not due < parse_time(e["in_place_by"]) <= end:
            out.append({"field": f"echelons[{i}].in_place_by", "reason": "must be after due_at and within the window"})
    return out


def donor_problems(body: dict, geography) -> list[dict]:
    """Each designated donor city must be one of the province's cities (or a county-level city it
    administers directly, by its own code): a city matching cannot find would leave its line unfilled."""
    cities = {c.city_code for c in geography.counties} | {c.code for c in geography.counties if c.city_code == c.code}
    out = []
    for i, e in enumerate(body["echelons"]):
        for k, line in enumerate(e["lines"]):
            for n, city in enumerate(line.get("donor_cities") or ()):
                if city not in cities:
                    out.append({"field": f"echelons[{i}].lines[{k}].donor_cities[{n}]",
                                "reason": f"{city} is not a city of province {geography.province_code}"})
    return out


def schedule(tx: Tx, body: dict, *, now: datetime, by: str) -> dict:
    pid = body.get("preposition_id") or f"PRE-{uuid.uuid4().hex[:12].upper()}"
    report = {"type": body.get("type", "major_event"), "domain": "major_event_security", "location": body["location"],
              "description": body["description"], "reported_by": body["reported_by"]}
    if body.get("size"):
        report["size"] = body["size"]
    incident = report_incident.record(tx, report, now, emit=True, status="scheduled")
    store.insert_preposition(tx.conn, body, preposition_id=pid, incident_id=incident["incident_id"], by=by, at=now)
    return view(tx.conn, pid)


def raise_due(tx: Tx, now: datetime) -> list[dict]:
    """Every echelon due at `now` and not yet raised becomes a support request."""
    raised = []
    for e in store.due_echelons(tx.conn, now):
        plan = store.preposition(tx.conn, e.preposition_id)
        incident = store.incident(tx.conn, plan.incident_id)
        assessment = dict(store.assessment(tx.conn, plan.incident_id), requirements=e.body["lines"])
        need = sum(line["headcount"] for line in e.body["lines"])
        due_at = e.due_at
        grade_minutes = policies.current().support.deadlines[assessment["grade"]].arrive_minutes
        deadline = (parse_time(e.body["in_place_by"]) if e.body.get("in_place_by")
                    else due_at + timedelta(minutes=grade_minutes))
        scheduled = Gap(need=need, covered=0, basis="scheduled", shortfall=tuple(e.body["lines"]))
        data = support.raise_request(
            tx, incident, assessment, scheduled, "manual", due_at,
            echelon={"echelon_id": e.echelon_id, "preposition_id": e.preposition_id, "deadline": deadline,
                     "window_end": parse_time(plan.body["window"]["end"])})
        store.echelon_raised(tx.conn, e, data["request_id"])
        raised.append(data)
    return raised


def view(conn, pid: str) -> dict | None:
    plan = store.preposition(conn, pid)
    if plan is None:
        return None
    rows = store.echelons_of(conn, pid)
    return dict(plan.body, preposition_id=pid, incident_id=plan.incident_id, scheduled_by=plan.scheduled_by,
                scheduled_at=stamp(plan.at),
                echelons=[dict(r.body, request_id=r.request_id, status=r.status or "scheduled") for r in rows])
