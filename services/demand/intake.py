"""Incident intake, by HTTP or from the topic: record or grow the incident, then watch the force gap."""
from __future__ import annotations

from datetime import datetime

from ..common.outbox import Tx
from . import incidents, monitor
from .domain import overrides as override_rules
from .domain.grading import MEASURES
from .times import parse


def growth_note(old: dict, new: dict) -> str:
    parts = [f"{m} {(old.get('size') or {}).get(m, 0)} → {new['size'][m]}" for m in MEASURES
             if (new.get("size") or {}).get(m) is not None and new["size"][m] != (old.get("size") or {}).get(m)]
    return "incident grew: " + ", ".join(parts)


def report_incident(tx: Tx, body: dict, *, now: datetime, identity=None, emit: bool = True) -> tuple[dict, str]:
    """Record a reported incident. Returns (incident, "created" | "grown" | "unchanged").

    A report with a known `incident_id` and a bigger size is an update: the incident is re-graded, its
    lines derived again (with the officer's overrides) and its open request escalated. The same id
    without growth is a retry: the stored incident is returned and nothing is emitted.
    Raises OverrideError when `requirement_overrides` cannot apply to the template lines.
    """
    existing = incidents.stored(tx.conn, body["incident_id"]) if body.get("incident_id") else None
    if existing is not None:
        if not incidents.grows(existing.get("size"), body.get("size")):
            return existing, "unchanged"
        incident = incidents.grown(existing, body, now)
        incidents.update_grown(tx, incident, emit=emit)
        monitor.on_growth(tx, incident, growth_note(existing, incident))
        return incident, "grown"
    incident = incidents.create(tx, body, now, emit=emit)
    changes = body.get("requirement_overrides")
    if changes:
        template = incidents.load_assessment(tx.conn, incident["incident_id"])["requirements"]
        override_rules.check(template, changes)
        incidents.record_overrides(tx.conn, incident["incident_id"], changes, identity, body.get("override_reason"),
                                   now)
    monitor.evaluate(tx, incident["location"]["county"], parse(incident["reported_at"]))
    return incident, "created"
