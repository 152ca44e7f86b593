"""demand's use cases as plain functions: they take a transaction, never open one."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import insert, select

from ..common.outbox import Tx
from . import policies
from .domain.grading import grade
from .domain.requirements import requirements
from .store import assessments, incidents


def assess(conn, incident: dict, now: datetime, rules: policies.Policies | None = None) -> dict:
    """Grade the incident by the provincial policy, derive its requirement lines, store both."""
    rules = rules or policies.current()
    grading = grade(incident, rules.grading)
    lines = requirements(incident, grading, rules.templates)
    conn.execute(insert(assessments).values(
        incident_id=incident["incident_id"], grade=grading.grade, rule_id=grading.rule_id,
        policy_version=grading.policy_version, templates_version=rules.templates.version,
        reason=grading.reason[:1000], grading=grading.as_dict(), lines=lines, assessed_at=now))
    return assessment_view(grading.as_dict(), rules.templates.version, lines)


def assessment_view(grading: dict, templates_version: str, lines: list[dict]) -> dict:
    return {"grade": grading["grade"], "grading": dict(grading), "requirements_version": templates_version,
            "requirements": lines}


def load_assessment(conn, incident_id: str) -> dict | None:
    row = conn.execute(select(assessments).where(assessments.c.incident_id == incident_id)).first()
    return None if row is None else assessment_view(row.grading, row.templates_version, row.lines)


def report_incident(tx: Tx, body: dict, *, now: datetime | None = None) -> tuple[dict, bool]:
    """Record a reported incident and emit `incident.reported`. Returns (incident, created).

    A retry carrying the same `incident_id` returns the stored incident and emits nothing.
    The incident is graded and its requirement lines derived in the same transaction; they are stored
    beside it (see `load_assessment`), not added to the `incident.reported` payload, whose contract
    admits only the reported facts.
    """
    incident_id = body.get("incident_id") or f"INC-{uuid.uuid4().hex[:12].upper()}"
    existing = tx.conn.execute(select(incidents.c.report).where(incidents.c.incident_id == incident_id)).first()
    if existing:
        return existing.report, False
    now = now or datetime.now(timezone.utc)
    incident = dict(body, incident_id=incident_id,
                    reported_at=now.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    tx.conn.execute(insert(incidents).values(
        incident_id=incident_id, county=incident["location"]["county"], type=incident["type"],
        status="reported", report=incident, reported_at=now))
    assess(tx.conn, incident, now)
    tx.emit("incident.reported", incident, key=incident_id, subject=incident_id, correlationid=incident_id)
    return incident, True


def handle_incident_reported(ctx) -> None:
    """An incident reported by another system straight onto the topic is recorded like ours."""
    data = ctx.data
    if ctx.event["source"] == ctx.settings.source:
        return  # our own event coming back: already stored when it was emitted
    found = ctx.conn.execute(select(incidents.c.incident_id).where(incidents.c.incident_id == data["incident_id"])).first()
    if found:
        return
    reported_at = datetime.fromisoformat(data["reported_at"].replace("Z", "+00:00"))
    ctx.conn.execute(insert(incidents).values(
        incident_id=data["incident_id"], county=data["location"]["county"], type=data["type"],
        status="reported", report=data, reported_at=reported_at))
    assess(ctx.conn, data, reported_at)


HANDLERS = {"incident.reported": handle_incident_reported}
