"""Incident intake, by HTTP or from the topic: record or grow the incident, then watch the force gap."""
from __future__ import annotations

from datetime import datetime

from ..common.outbox import Tx
from . import incidents, monitor, needs_intake
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
    A need written as text (`needs`) is parsed and the proposal returned under `needs_proposal`; its
    `confirmed_lines` change the template's lines like overrides (recorded with who confirmed what).
    Raises OverrideError when `requirement_overrides` or confirmed lines cannot apply to the template lines.
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
    changes = list(body.get("requirement_overrides") or [])
    stated = body.get("needs")
    answer = incident
    if stated and stated.get("confirmed_lines"):
        template = incidents.load_assessment(tx.conn, incident["incident_id"])["requirements"]
        try:
            from_text, record = needs_intake.confirm(tx.conn, incident, stated, template, identity, now)
        except ValueError as exc:
            raise override_rules.OverrideError("needs.proposal_id", str(exc).split(": ", 1)[-1]) from None
        override_rules.check(template, from_text, "needs.confirmed_lines")
        changes += from_text
        answer = dict(incident, needs_confirmation=record)
    elif stated:
        answer = dict(incident, needs_proposal=needs_intake.propose(
            tx.conn, incident["location"]["county"], stated["text"], by=getattr(identity, "subject", "system"),
            now=now, incident_id=incident["incident_id"]))
    if changes:
        template = incidents.load_assessment(tx.conn, incident["incident_id"])["requirements"]
        override_rules.check(template, changes)
        reason = body.get("override_reason") or ("confirmed from the reporter's words" if stated else None)
        incidents.record_overrides(tx.conn, incident["incident_id"], changes, identity, reason, now)
    monitor.evaluate(tx, incident["location"]["county"], parse(incident["reported_at"]))
    return answer, "created"
