"""Incidents a service has heard of: the first consumer every service shares while its own
domain grows (matching uses them to pre-warm candidates, logistics to pre-plan reception)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, MetaData, String, Table, insert, select

from .storage import UtcDateTime


def observed_table(metadata: MetaData) -> Table:
    return Table(
        "observed_incidents", metadata,
        Column("incident_id", String(64), primary_key=True),
        Column("county", String(6), nullable=False),
        Column("event_id", String(64), nullable=False),
        Column("report", JSON, nullable=False),
        Column("seen_at", UtcDateTime(), nullable=False),
    )


def observe_handler(table: Table):
    def handle_incident_reported(ctx) -> None:
        data = ctx.data
        if ctx.conn.execute(select(table.c.incident_id).where(table.c.incident_id == data["incident_id"])).first():
            return  # a second report of the same incident (new event id) changes nothing
        ctx.conn.execute(insert(table).values(
            incident_id=data["incident_id"], county=data["location"]["county"], event_id=ctx.event["id"],
            report=data, seen_at=datetime.now(timezone.utc)))
    return handle_incident_reported


def declare_route(api, table: Table) -> None:
    """GET /incidents/observed on the service's `api` (an api.Api), read from its `table`: one
    declaration for every service that consumes incident.reported."""
    from flask import jsonify

    from .api import current_deps

    @api.route("GET", "/incidents/observed", "Incidents this service has consumed, once each",
               response="observed-incidents")
    def incidents_observed():
        with current_deps().runtime.engine.connect() as conn:
            return jsonify(observed_rows(conn, table))


def observed_rows(conn, table: Table) -> list[dict]:
    """GET /incidents/observed: the incidents heard of, oldest first."""
    rows = conn.execute(select(table.c.incident_id, table.c.county, table.c.event_id, table.c.seen_at)
                        .order_by(table.c.seen_at))
    return [{"incident_id": r.incident_id, "county": r.county, "event_id": r.event_id,
             "seen_at": r.seen_at.isoformat()} for r in rows]
