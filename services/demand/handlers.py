"""demand's use cases as plain functions: they take a transaction, never open one."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import insert, select

from ..common.outbox import Tx
from .store import incidents


def report_incident(tx: Tx, body: dict, *, now: datetime | None = None) -> tuple[dict, bool]:
    """Record a reported incident and emit `incident.reported`. Returns (incident, created).

    A retry carrying the same `incident_id` returns the stored incident and emits nothing.
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
    ctx.conn.execute(insert(incidents).values(
        incident_id=data["incident_id"], county=data["location"]["county"], type=data["type"],
        status="reported", report=data, reported_at=datetime.fromisoformat(data["reported_at"].replace("Z", "+00:00"))))


HANDLERS = {"incident.reported": handle_incident_reported}
