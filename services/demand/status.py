"""Moving a request along its lifecycle: one `support.status-changed` event per step.

Commands (close, cancel) must be one legal step (`lifecycle.check`, refused otherwise). Facts from
other services move the request forward through `lifecycle.route`; a stale fact changes nothing.
`decide` is the use case of a person's command over HTTP (refusals as Problem).
"""
from __future__ import annotations

from datetime import datetime

from ..common.clock import stamp
from ..common.http import Problem
from ..common.outbox import Tx
from . import store
from .domain import escalation, lifecycle
from .domain.lifecycle import IllegalTransition

COMMAND_ROLES = ("county_duty_officer", "city_commander", "province_commander", "integrator")

# What an incident becomes when its own request ends: only while the incident's state is its request's
# (an incident handed back to the watch after a withdrawal, or with a newer open request, stays as it is).
# "support_dropped" fits the column (16 characters) where the longer "support_cancelled", which SQLite
# files may still hold, did not on PostgreSQL.
INCIDENT_AFTER = {"closed": "closed", "cancelled": "support_dropped"}
FOLLOWS_REQUEST = ("supported", "support_dropped", "support_cancelled")


def visible(conn, request_id: str, who, *, lock: bool = False):
    """The request, when the caller's region covers its county: else 404 (none) or 403."""
    row = store.request(conn, request_id, lock=lock)
    if row is None:
        raise Problem(404, "No such request", [{"field": "request_id", "reason": f"no request {request_id}"}])
    if not who.covers(row.county):
        raise Problem(403, "Outside your region", [{"field": "request_id", "reason": (
            f"request {request_id} is for county {row.county}, outside {who.region}")}])
    return row


def decide(tx: Tx, request_id: str, target: str, who, *, at: datetime, note: str | None,
           reason: str | None = None):
    """The use case: a commander cancels (support.cancelled, with `reason`) or closes a request; the
    request as it is then. 404/403 for a request the caller cannot see or a role that may not command,
    409 for a step its status does not allow."""
    row = visible(tx.conn, request_id, who, lock=True)
    if who.role not in COMMAND_ROLES:
        raise Problem(403, "Not allowed for this role", [{"field": "X-Role", "reason": (
            f"{who.role} may not change a request (needs one of {', '.join(COMMAND_ROLES)})")}])
    try:
        command(tx, row, target, at=at, by=who.subject, note=note)
    except IllegalTransition as exc:
        raise Problem(409, "Illegal transition", [{"field": "status", "reason": str(exc)}], detail=str(exc)) from None
    if target == "cancelled":
        tx.emit("support.cancelled", {
            "request_id": row.request_id, "incident_id": row.incident_id, "county": row.county,
            "reason": reason, "cancelled_by": who.subject, "cancelled_at": stamp(at)},
            key=row.request_id, correlationid=row.incident_id)
    return store.request(tx.conn, request_id)


def command(tx: Tx, row, target: str, *, at: datetime, by: str, note: str | None = None) -> list[dict]:
    """A person's command (close, cancel): exactly one legal step, else IllegalTransition."""
    lifecycle.check(row.status, target)
    return _steps(tx, row, [target], cause="http", at=at, by=by, note=note)


def follow(tx: Tx, row, target: str, *, cause: str, at: datetime, note: str | None = None, **extra) -> list[dict]:
    """A fact from another service implies `target`: take the legal steps there (none if stale)."""
    return _steps(tx, row, lifecycle.route(row.status, target), cause=cause, at=at, note=note, **extra)


def _steps(tx: Tx, row, steps: list[str], *, cause: str, at: datetime, by: str | None = None,
           note: str | None = None, **extra) -> list[dict]:
    events, current = [], row.status
    for target in steps:
        data = {"request_id": row.request_id, "incident_id": row.incident_id, "county": row.county,
                "from_status": current, "to_status": target, "cause": cause, "at": stamp(at), **extra}
        if by:
            data["by"] = by
        if note:
            data["note"] = note[:1000]
        store.insert_transition(tx.conn, row, current, target, cause=cause, by=by, note=note and note[:1000], at=at)
        events.append(tx.emit("support.status-changed", data, key=row.request_id, correlationid=row.incident_id))
        current = target
    if events:
        store.update_request(
            tx.conn, row.request_id, status=current, updated_at=max(row.updated_at, at),
            next_check=escalation.next_check(current, row.launch_deadline,
                                             row.deadline, row.escalated_stages))
        if current in INCIDENT_AFTER and not row.echelon and not store.another_open(tx.conn, row):
            store.set_incident_status(tx.conn, row.incident_id, INCIDENT_AFTER[current], only_from=FOLLOWS_REQUEST)
    return events
