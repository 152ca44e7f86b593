"""logistics' tables: the one module that declares them (handlers and routes query through Core)."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, MetaData, String, Table

metadata = MetaData()
TS = DateTime(timezone=True)

# What logistics learned of each support request (support.requested / escalated / cancelled).
requests = Table(
    "requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("incident_id", String(64), index=True),
    Column("county", String(6), nullable=False),
    Column("grade", String(3)),
    Column("approval_level", String(10)),
    Column("deadline", TS),
    Column("lon", Float), Column("lat", Float),
    Column("requested_at", TS),
    Column("modules", JSON),       # modules of the request's lines: the tasks an order may grant
    Column("status", String(16), nullable=False, default="open"),  # open, cancelled, on_scene
)

# Plans: proposals (for units and the after-action report), the approval and the commit.
plans = Table(
    "plans", metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64)),
    Column("kind", String(32)),
    Column("proposal", JSON),      # plan.proposed data
    Column("approval", JSON),      # plan.approved data
    Column("committed", JSON),     # officers.committed data
    Column("dispatched", Boolean, nullable=False, default=False),
)

deployments = Table(
    "deployments", metadata,
    Column("deployment_id", String(64), primary_key=True),
    Column("plan_id", String(64), nullable=False, unique=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64), index=True),
    Column("county", String(6), nullable=False),
    Column("grade", String(3)),
    Column("headcount", Integer, nullable=False),
    Column("officer_ids", JSON, nullable=False),
    Column("task_start", TS, nullable=False),
    Column("task_end", TS, nullable=False),
    Column("arrangements", JSON, nullable=False),
    Column("flags", JSON, nullable=False),          # items not arranged before arrival
    Column("extension", JSON),                      # a pending extension request
    Column("status", String(16), nullable=False),   # dispatched, on_scene, released
    Column("created_at", TS, nullable=False, index=True),  # the indicators' periods
    Column("released_at", TS),
    Column("outcome", String(16)),                  # completed, cancelled, rotated
)

orders = Table(
    "orders", metadata,
    Column("order_id", String(64), primary_key=True),
    Column("deployment_id", String(64), nullable=False, index=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64)),
    Column("unit_id", String(64), nullable=False, index=True),
    Column("from_county", String(6)),
    Column("officer_ids", JSON, nullable=False),
    Column("order", JSON, nullable=False),          # the dispatch.ordered payload
    Column("ordered_at", TS, nullable=False, index=True),  # the indicators' periods
    Column("deadline", TS, nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("last_sent_at", TS, nullable=False),
    Column("acked_at", TS),
    Column("escalated_at", TS),
    Column("lon", Float), Column("lat", Float), Column("position_at", TS),
    Column("start_km", Float),
    Column("progress", Float),
    Column("eta", TS),
    Column("late", Boolean, nullable=False, default=False),
    Column("arrived_at", TS),
    Column("response_s", Integer),
    Column("released_at", TS),
)

instructions = Table(
    "instructions", metadata,
    Column("instruction_id", String(64), primary_key=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("issued_by", String(128), nullable=False),
    Column("role", String(40), nullable=False),
    Column("region", String(6), nullable=False),
    Column("task", String(200), nullable=False),
    Column("accepted", Boolean, nullable=False),
    Column("reason", String(200)),
    Column("at", TS, nullable=False),
)

surveys = Table(
    "surveys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deployment_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64)),
    Column("county", String(6)),
    Column("rater", String(128), nullable=False),
    Column("side", String(16), nullable=False),     # officer or receiver
    Column("rating", Integer, nullable=False),
    Column("comment", String(400)),
    Column("at", TS, nullable=False),
)

equipment_checks = Table(
    "equipment_checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_id", String(64), nullable=False, index=True),
    Column("county", String(6), nullable=False),
    Column("checked", Integer, nullable=False),
    Column("compatible", Integer, nullable=False),
    Column("at", TS, nullable=False),
)

# Whether each cross-region case was solved, as its receiving command recorded it (cross-region clearance).
case_outcomes = Table(
    "case_outcomes", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("solved", Boolean, nullable=False),
    Column("note", String(400)),
    Column("recorded_by", String(128), nullable=False),
    Column("role", String(40), nullable=False),
    Column("at", TS, nullable=False),
)

# The province's switch: may a receiving command see the live positions of the units sent to it?
# Every change is a row (who, when, why): the current value is the latest row, the rest its history.
position_policy = Table(
    "position_policy", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("receiving_command_sees_own_units", Boolean, nullable=False),
    Column("reason", String(400), nullable=False),
    Column("changed_by", String(128), nullable=False),
    Column("role", String(40), nullable=False),
    Column("at", TS, nullable=False),
)

# County force loads (county.load-reported), latest per county and report time, for utilisation.
loads = Table(
    "loads", metadata,
    Column("county", String(6), primary_key=True),
    Column("at", TS, primary_key=True, index=True),  # a period across every county
    Column("on_duty", Integer, nullable=False),
    Column("available", Integer, nullable=False),
    Column("committed", Integer, nullable=False),
)

# Every loop event logistics consumed or emitted: the after-action report's timeline.
timeline = Table(
    "timeline", metadata,
    Column("event_id", String(64), primary_key=True),
    Column("incident_id", String(64), index=True),
    Column("request_id", String(64), index=True),
    Column("type", String(80), nullable=False),
    Column("source", String(120), nullable=False),
    Column("actor", String(128)),
    Column("at", TS, nullable=False),
    Column("data", JSON, nullable=False),
)
