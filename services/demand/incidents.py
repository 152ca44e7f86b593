"""Incidents: recorded, graded, their lines derived (and overridden), updated when they grow.

Plain functions that take a transaction, never open one. Grading and requirement lines are stored
beside the incident (see `load_assessment`); the `incident.reported` payload carries only the
reported facts, as its contract says.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, insert, select, update

from ..common.outbox import Tx
from . import policies
from .domain import overrides as override_rules
from .domain.grading import MEASURES, grade
from .domain.requirements import requirements
from .store import assessments, incidents, overrides
from .times import parse, stamp, utc


def location_problems(location: dict, geography) -> list[dict]:
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


def assess(conn, incident: dict, now: datetime, rules: policies.Policies | None = None) -> None:
    """Grade the incident by the provincial policy, derive its template lines, store both (replacing)."""
    rules = rules or policies.current()
    grading = grade(incident, rules.grading)
    lines = requirements(incident, grading, rules.templates)
    if incident.get("updated_at"):  # a new incident has nothing to replace
        conn.execute(delete(assessments).where(assessments.c.incident_id == incident["incident_id"]))
    conn.execute(insert(assessments).values(
        incident_id=incident["incident_id"], grade=grading.grade, rule_id=grading.rule_id,
        policy_version=grading.policy_version, templates_version=rules.templates.version,
        reason=grading.reason[:1000], grading=grading.as_dict(), lines=lines, assessed_at=now))


def load_assessment(conn, incident_id: str) -> dict | None:
    """Grade, grading rule and the lines in force (the template's, with the officer's overrides applied)."""
    row = conn.execute(select(assessments).where(assessments.c.incident_id == incident_id)).first()
    if row is None:
        return None
    view = {"grade": row.grading["grade"], "grading": dict(row.grading), "requirements_version": row.templates_version,
            "requirements": row.lines}
    changed = conn.execute(select(overrides).where(overrides.c.incident_id == incident_id)).first()
    if changed is not None:
        view["requirements"] = override_rules.apply(row.lines, changed.changes)
        view["template_requirements"] = row.lines
        view["overrides"] = {"changes": changed.changes, "overridden_by": changed.overridden_by,
                             "role": changed.role, "reason": changed.reason, "at": stamp(changed.at)}
    return view


def record_overrides(conn, incident_id: str, changes: list[dict], identity, reason: str | None, at: datetime) -> None:
    """Keep who changed which template lines of the incident, and why (checked by the caller)."""
    conn.execute(delete(overrides).where(overrides.c.incident_id == incident_id))
    conn.execute(insert(overrides).values(incident_id=incident_id, changes=changes, overridden_by=identity.subject,
                                          role=identity.role, reason=reason, at=at))


def grows(old: dict | None, new: dict | None) -> bool:
    """Whether a report's size is bigger than the stored one in any measure."""
    old, new = old or {}, new or {}
    return any(new.get(m) is not None and new[m] > (old.get(m) or 0) for m in MEASURES)


def grown(stored: dict, report: dict, at: datetime) -> dict:
    """The stored incident with the bigger size of `report` (each measure's maximum) and updated_at."""
    size = dict(stored.get("size") or {})
    for m in MEASURES:
        if (report.get("size") or {}).get(m) is not None:
            size[m] = max(size.get(m) or 0, report["size"][m])
    out = dict(stored, size=size, updated_at=stamp(at))
    if report.get("reported_grade"):
        out["reported_grade"] = report["reported_grade"]
    if report.get("description"):
        out["description"] = report["description"]
    return out


def stored(conn, incident_id: str) -> dict | None:
    row = conn.execute(select(incidents.c.report).where(incidents.c.incident_id == incident_id)).first()
    return None if row is None else row.report


def create(tx: Tx, body: dict, now: datetime, *, emit: bool, status: str = "reported") -> dict:
    """Store a new incident (`incident.reported`-shaped), grade it, and emit it unless it came from the topic."""
    incident_id = body.get("incident_id") or f"INC-{uuid.uuid4().hex[:12].upper()}"
    incident = {k: v for k, v in body.items() if k not in ("requirement_overrides", "override_reason", "needs")}
    incident = dict(incident, incident_id=incident_id, reported_at=incident.get("reported_at") or stamp(now))
    tx.conn.execute(insert(incidents).values(
        incident_id=incident_id, county=incident["location"]["county"], type=incident["type"],
        status=status, report=incident, reported_at=parse(incident["reported_at"])))
    assess(tx.conn, incident, now)
    if emit:
        tx.emit("incident.reported", incident, key=incident_id, subject=incident_id, correlationid=incident_id)
    return incident


def update_grown(tx: Tx, incident: dict, *, emit: bool) -> dict:
    tx.conn.execute(update(incidents).where(incidents.c.incident_id == incident["incident_id"]).values(report=incident))
    assess(tx.conn, incident, utc(parse(incident.get("updated_at") or incident["reported_at"])))
    if emit:
        tx.emit("incident.reported", incident, key=incident["incident_id"], correlationid=incident["incident_id"])
    return incident
