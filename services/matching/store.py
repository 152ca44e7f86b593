"""matching's tables: the read model of the force, requests, plans and the officers approved plans hold.
The only module of matching that defines database tables, and the reads its HTTP surface makes."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Integer, MetaData, String, Table, Text, select

from ..common.observed import observed_table

metadata = MetaData()
observed = observed_table(metadata)

officers = Table(
    "officers", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("module", String(32), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("certifications", JSON, nullable=False),      # [{name, expires}]
    Column("equipment", JSON, nullable=False),           # [{type, interface_standard, readiness}]
    Column("duty_minutes", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("points", Float, nullable=False, default=0.0),
    Column("unit_id", String(64)),
    Column("role_class", String(16), nullable=False, default="regular"),   # mobile, specialist, rotating, regular
    Column("province_reserve", Integer, nullable=False, default=0),      # 1: in the province reserve
    Column("station_id", String(64)),                    # the police station the officer leaves from
    Column("station_lon", Float),                        # its point (WGS84); NULL: the county's seat
    Column("station_lat", Float),
    Column("as_of", DateTime(timezone=True), nullable=False),   # time of the last fact applied
)

counties = Table(
    "counties", metadata,
    Column("county", String(6), primary_key=True),
    Column("on_duty", Integer, nullable=False, default=0),
    Column("available", Integer, nullable=False, default=0),
    Column("reserve_floor", Integer, nullable=False, default=0),
    Column("accepts", JSON),                             # interface standards the county's systems accept
    Column("points_given", Float, nullable=False, default=0.0),
    Column("points_received", Float, nullable=False, default=0.0),
    Column("as_of", DateTime(timezone=True)),
)

requests = Table(
    "requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),                # the support.requested payload (lines updated on escalation)
    Column("status", String(16), nullable=False),        # scheduled (a relief shift not yet due), pending, proposed, approved, cancelled
    Column("version", Integer, nullable=False),          # bumped whenever its plans are re-made
    Column("exclude", JSON, nullable=False),             # officers refused for this request (commit rejections)
    Column("replaces", String(64)),                      # the plan the next proposals replace (commit rejected)
    Column("received_at", DateTime(timezone=True), nullable=False),
)

plans = Table(
    "plans", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),        # proposed, infeasible, approved, committed, rejected, void
    Column("version", Integer, nullable=False),          # the request version it was made for
    Column("body", JSON, nullable=False),                # the plan.proposed payload
    Column("approval", JSON),                            # the plan.approved payload once approved
    Column("reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

holds = Table(
    "holds", metadata,
    Column("officer_id", String(64), primary_key=True),  # one approved plan per officer at a time
    Column("plan_id", String(64), nullable=False, index=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("line_id", String(64), nullable=False),
    Column("committed", Integer, nullable=False, default=0),   # 1 once the resource pool committed it
)

alerts = Table(
    "alerts", metadata,
    Column("alert_id", String(96), primary_key=True),
    Column("kind", String(32), nullable=False),          # approaching_limit, extension_past_limit
    Column("county", String(6), nullable=False, index=True),   # the receiving county, whose command is alerted
    Column("request_id", String(64), nullable=False),
    Column("plan_id", String(64), nullable=False),
    Column("officer_id", String(64), nullable=False),
    Column("reaches_limit_at", DateTime(timezone=True), nullable=False),
    Column("raise_at", DateTime(timezone=True), nullable=False),   # shown to the command from then on
    Column("relief_request_id", String(64)),             # the relief shift planned for the officer, if any
    Column("text", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Alerts published as duty.alert-raised: each once, when it is raised (its raise_at has come).
alerts_published = Table(
    "alerts_published", metadata,
    Column("alert_id", String(96), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)


# The reads of the HTTP surface (http.py): one query each.

def request(conn, request_id: str):
    return conn.execute(select(requests).where(requests.c.request_id == request_id)).first()


def request_county(conn, request_id: str) -> str | None:
    data = conn.execute(select(requests.c.data).where(requests.c.request_id == request_id)).scalar()
    return None if data is None else data["county"]


def all_requests(conn) -> list:
    return conn.execute(select(requests).order_by(requests.c.received_at)).all()


def plan(conn, plan_id: str):
    return conn.execute(select(plans).where(plans.c.plan_id == plan_id)).first()


def plans_of(conn, request_id: str) -> list:
    """A request's plans, newest version first."""
    return conn.execute(select(plans).where(plans.c.request_id == request_id)
                        .order_by(plans.c.version.desc(), plans.c.plan_id)).all()


def plan_counties(conn, plan_id: str) -> list[str] | None:
    """The receiving county and the counties the plan's officers come from; None: no such plan."""
    row = conn.execute(select(plans.c.body, requests.c.data).join(
        requests, requests.c.request_id == plans.c.request_id, isouter=True)
        .where(plans.c.plan_id == plan_id)).first()
    if row is None:
        return None
    sending = [a.get("from_county") for a in (row.body or {}).get("assignments") or []]
    return [c for c in [(row.data or {}).get("county"), *sending] if c]
