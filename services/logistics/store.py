"""logistics' tables (the one module that declares them) and the reads and writes the HTTP views
need; the handlers and the use-case modules query through Core as well."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, insert, select

from ..common.clock import as_utc
from ..common.observed import observed_table

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

observed = observed_table(metadata)  # GET /incidents/observed


# ---- reads and writes behind the HTTP views ----

DEPLOYMENT_TIMES = ("task_start", "task_end", "released_at", "created_at")


def _deployment(row) -> dict:
    row = dict(row)
    for k in DEPLOYMENT_TIMES:
        row[k] = as_utc(row[k])
    return row


def deployment(conn, deployment_id: str) -> dict | None:
    """One deployment, its times as aware UTC datetimes; None when there is none."""
    row = conn.execute(select(deployments).where(deployments.c.deployment_id == deployment_id)).mappings().first()
    return None if row is None else _deployment(row)


def deployments_where(conn, *, request_id: str | None = None, incident_id: str | None = None) -> list[dict]:
    """Deployments in the order they were made, those of a request or an incident when given."""
    query = select(deployments).order_by(deployments.c.created_at)
    if request_id:
        query = query.where(deployments.c.request_id == request_id)
    if incident_id:
        query = query.where(deployments.c.incident_id == incident_id)
    return [_deployment(r) for r in conn.execute(query).mappings()]


def wages_of(conn, plan_ids: list[str]) -> dict[str, dict]:
    """{plan_id: {officer_id: daily base wage}} as resources committed the plans' officers."""
    if not plan_ids:
        return {}
    rows = conn.execute(select(plans.c.plan_id, plans.c.committed).where(plans.c.plan_id.in_(sorted(set(plan_ids)))))
    return {pid: dict((committed or {}).get("base_wage_daily") or {}) for pid, committed in rows}


def approval_level(conn, request_id: str) -> str | None:
    return conn.execute(select(requests.c.approval_level).where(requests.c.request_id == request_id)).scalar()


def order(conn, order_id: str) -> dict | None:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    return None if row is None else dict(row)


def orders_where(conn, *, request_id: str | None = None, deployment_id: str | None = None,
                 late: bool = False) -> list[dict]:
    """Orders in the order they were given, those of a request or a deployment, or only late ones."""
    query = select(orders).order_by(orders.c.ordered_at, orders.c.order_id)
    if request_id:
        query = query.where(orders.c.request_id == request_id)
    if deployment_id:
        query = query.where(orders.c.deployment_id == deployment_id)
    if late:
        query = query.where(orders.c.late.is_(True))
    return [dict(r) for r in conn.execute(query).mappings()]


def latest_order_of_unit(conn, unit_id: str) -> dict | None:
    """The unit's latest order (its current task); None for a unit never dispatched."""
    row = conn.execute(select(orders).where(orders.c.unit_id == unit_id)
                       .order_by(orders.c.ordered_at.desc())).mappings().first()
    return None if row is None else dict(row)


def add_instruction(conn, **values) -> None:
    conn.execute(insert(instructions).values(**values))


def add_survey(conn, **values) -> None:
    conn.execute(insert(surveys).values(**values))


def add_equipment_check(conn, **values) -> None:
    conn.execute(insert(equipment_checks).values(**values))
