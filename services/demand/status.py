"""Moving a request along its lifecycle: one `support.status-changed` event per step.

Commands (close, cancel) must be one legal step (`lifecycle.check`, refused otherwise). Facts from
other services move the request forward through `lifecycle.route`; a stale fact changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from ..common.outbox import Tx
from .domain import escalation, lifecycle
from .store import incidents, requests, transitions
from .times import stamp, utc

# What an incident becomes when its own request ends: only while the incident's state is its request's
# (an incident handed back to the watch after a withdrawal, or with a newer open request, stays as it is).
# "support_dropped" fits the column (16 characters) where the longer "support_cancelled", which SQLite
# files may still hold, did not on PostgreSQL.
INCIDENT_AFTER = {"closed": "closed", "cancelled": "support_dropped"}
FOLLOWS_REQUEST = ("supported", "support_dropped", "support_cancelled")


def load(conn, request_id: str, *, lock: bool = False):
    query = select(requests).where(requests.c.request_id == request_id)
    return conn.execute(query.with_for_update() if lock else query).first()


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
        tx.conn.execute(insert(transitions).values(request_id=row.request_id, from_status=current, to_status=target,
                                                   cause=cause, by=by, note=note and note[:1000], at=at))
        events.append(tx.emit("support.status-changed", data, key=row.request_id, correlationid=row.incident_id))
        current = target
    if events:
        tx.conn.execute(update(requests).where(requests.c.request_id == row.request_id).values(
            status=current, updated_at=max(utc(row.updated_at), utc(at)),
            next_check=escalation.next_check(current, row.launch_deadline and utc(row.launch_deadline),
                                             utc(row.deadline), row.escalated_stages)))
        if current in INCIDENT_AFTER and not row.echelon and not _another_open(tx.conn, row):
            tx.conn.execute(update(incidents).where(incidents.c.incident_id == row.incident_id,
                                                    incidents.c.status.in_(FOLLOWS_REQUEST))
                            .values(status=INCIDENT_AFTER[current]))
    return events


def _another_open(conn, row) -> bool:
    """Whether the incident has an open request of its own other than `row`."""
    return conn.execute(select(requests.c.request_id).where(
        requests.c.incident_id == row.incident_id, requests.c.echelon == "", requests.c.request_id != row.request_id,
        requests.c.status.in_(lifecycle.OPEN))).first() is not None


def history(conn, request_id: str) -> list[dict]:
    rows = conn.execute(select(transitions).where(transitions.c.request_id == request_id).order_by(transitions.c.id))
    return [{"from_status": r.from_status, "to_status": r.to_status, "cause": r.cause, "by": r.by, "note": r.note,
             "at": stamp(r.at)} for r in rows]


def save_progress(conn, row, **facts) -> None:
    """Record what happened to a request so far (officers committed, units ordered and arrived)."""
    conn.execute(update(requests).where(requests.c.request_id == row.request_id)
                 .values(progress=dict(row.progress, **facts)))
