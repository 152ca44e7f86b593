"""logistics' tables and its SQL: the only module of this service that defines database structure or
writes a query. Plain functions of a connection, one statement each unless said; the callers (handlers,
use-case modules, the HTTP views) hold the transaction. The position report's two statements run on
the driver (`storage.Prepared`), the rest through Core."""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Column, Float, Integer, MetaData, String, Table, and_, bindparam, func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import insert, or_, select, union, update

from ..common import keyset
from ..common.observed import observed_table
from ..common.permissions import covers_clause
from ..common.storage import Prepared, UtcDateTime

metadata = MetaData()
TS = UtcDateTime()

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
    Column("county", String(6), nullable=False, index=True),   # the region's page (orders_page, deployments_page)
    Column("grade", String(3)),
    Column("headcount", Integer, nullable=False),
    Column("officer_ids", JSON, nullable=False),
    Column("task_start", TS, nullable=False),
    Column("task_end", TS, nullable=False),
    Column("arrangements", JSON, nullable=False),
    Column("flags", JSON, nullable=False),          # items not arranged before arrival
    Column("extension", JSON),                      # a pending extension request
    Column("status", String(16), nullable=False),   # dispatched, released (each unit's arrival: its order)
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
    Column("from_county", String(6), index=True),          # the region's page (orders_page, deployments_page)
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
    Column("route", JSON),                                 # the way it drives, with the seconds left (positions.py)
    Column("pace_at", TS), Column("pace_left_s", Float),   # where the unit's pace is measured from
    Column("progress", Float),
    Column("eta", TS),
    Column("late", Boolean, nullable=False, default=False),
    Column("arrived_at", TS),
    Column("response_s", Integer),
    Column("released_at", TS),
)

# The counties each deployment concerns: where it is received and where each of its units comes from,
# one row each, written with the deployment and its orders. A region's deployments are those with a row
# of a county inside it (deployments_page): read by the key's county range, not from every order.
deployment_counties = Table(
    "deployment_counties", metadata,
    Column("county", String(6), primary_key=True),
    Column("deployment_id", String(64), primary_key=True),
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
    Column("seq", BigInteger),   # the event's place in its producer's chain: the order of facts of one time
)

observed = observed_table(metadata)  # GET /incidents/observed



# --- support requests ------------------------------------------------------------------------------

def request(conn, request_id: str) -> dict | None:
    """One support request as logistics learned it; None when there is none."""
    row = conn.execute(select(requests).where(requests.c.request_id == request_id)).mappings().first()
    return None if row is None else dict(row)


def request_exists(conn, request_id: str) -> bool:
    return conn.execute(select(requests.c.request_id).where(requests.c.request_id == request_id)).first() is not None


def insert_request(conn, **values) -> None:
    conn.execute(insert(requests).values(**values))


def update_request(conn, request_id: str, **values) -> None:
    conn.execute(update(requests).where(requests.c.request_id == request_id).values(**values))


def cancel_requests(conn, request_ids: list[str]) -> None:
    conn.execute(update(requests).where(requests.c.request_id.in_(request_ids)).values(status="cancelled"))


def request_on_scene(conn, request_id: str) -> None:
    """An open request whose units are all in place is on scene."""
    conn.execute(update(requests).where(requests.c.request_id == request_id, requests.c.status == "open")
                 .values(status="on_scene"))


def approval_level(conn, request_id: str) -> str | None:
    return conn.execute(select(requests.c.approval_level).where(requests.c.request_id == request_id)).scalar()


def incident_of_request(conn, request_id: str) -> str | None:
    return conn.execute(select(requests.c.incident_id).where(requests.c.request_id == request_id)).scalar()


def requests_of_incident(conn, incident_id: str) -> list:
    return conn.execute(select(requests).where(requests.c.incident_id == incident_id)).mappings().all()


# --- plans -----------------------------------------------------------------------------------------

def plan(conn, plan_id: str) -> dict | None:
    row = conn.execute(select(plans).where(plans.c.plan_id == plan_id)).mappings().first()
    return None if row is None else dict(row)


def insert_plan(conn, **values) -> None:
    conn.execute(insert(plans).values(**values))


def update_plan(conn, plan_id: str, **values) -> None:
    conn.execute(update(plans).where(plans.c.plan_id == plan_id).values(**values))


def plans_of_requests(conn, request_ids: list[str]) -> list:
    return conn.execute(select(plans).where(plans.c.request_id.in_(request_ids))).mappings().all()


def other_plans_of_incident(conn, incident_id: str, request_id: str) -> list:
    """(request_id, proposal, approval) of the incident's plans for requests other than `request_id`."""
    return conn.execute(select(plans.c.request_id, plans.c.proposal, plans.c.approval)
                        .where(plans.c.incident_id == incident_id, plans.c.request_id != request_id)).mappings().all()


def wages_of(conn, plan_ids: list[str]) -> dict[str, dict]:
    """{plan_id: {officer_id: daily base wage}} as resources committed the plans' officers."""
    if not plan_ids:
        return {}
    rows = conn.execute(select(plans.c.plan_id, plans.c.committed).where(plans.c.plan_id.in_(sorted(set(plan_ids)))))
    return {pid: dict((committed or {}).get("base_wage_daily") or {}) for pid, committed in rows}


# --- deployments -----------------------------------------------------------------------------------

def deployment(conn, deployment_id: str, *, lock: bool = False) -> dict | None:
    """One deployment, its times as aware UTC datetimes; None when there is none. `lock`: its row held
    until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's write transaction holds it already)."""
    query = select(deployments).where(deployments.c.deployment_id == deployment_id)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    return None if row is None else dict(row)


DEPLOYMENTS_ORDER = keyset.Order("deployments", deployments.c.created_at, deployments.c.deployment_id)


def deployments_page(conn, *, region: str | None = None, request_id: str | None = None,
                     incident_id: str | None = None, limit: int, offset: int = 0,
                     after: tuple | None = None) -> tuple[list[dict], int]:
    """(a page of the deployments in the order they were made: those of a request or an incident when
    given, and when `region` is, those received inside it or with a unit from it; how many in all).
    `after`: the page starts after the deployment with these values of DEPLOYMENTS_ORDER."""
    where = []
    if request_id:
        where.append(deployments.c.request_id == request_id)
    if incident_id:
        where.append(deployments.c.incident_id == incident_id)
    return _region_page(conn, DEPLOYMENTS_ORDER, deployments, where, functools.partial(_deployments_of, region),
                        by_key=bool(request_id or incident_id), limit=limit, offset=offset, after=after)


def _region_page(conn, order: keyset.Order, table: Table, where: list, of_region, *, by_key: bool, limit: int,
                 offset: int, after: tuple | None) -> tuple[list[dict], int]:
    """(the page of `table`'s rows meeting `where` and `of_region(unindexed)` in `order`, how many in all).
    The count decides how the region's rule is read (keyset.read_in_order), unless `by_key`: a filter of
    `where` finds few rows by its own index."""
    rule = of_region(False)
    total = conn.execute(select(func.count()).select_from(table).where(*where, *rule)).scalar_one()
    if not total:
        return [], 0
    if rule and not by_key and keyset.read_in_order(conn, table, total, offset, limit):
        rule = of_region(True)
    page_where = [*where, *rule, *([order.after(after)] if after is not None else [])]
    page = conn.execute(select(table).where(*page_where).order_by(*order.terms).limit(limit).offset(offset))
    return [dict(r) for r in page.mappings()], total


def _deployments_of(region: str | None, unindexed: bool = False) -> list:
    """The condition "the deployment concerns `region`: received there or with a unit from there" (none
    without a region); `unindexed`: as _orders_of."""
    if not region:
        return []
    column = keyset.Unindexed if unindexed else (lambda c: c)
    concerned = select(deployment_counties.c.deployment_id).where(covers_clause(deployment_counties.c.county, region))
    return [column(deployments.c.deployment_id).in_(concerned)]


def deployments_of_incident(conn, incident_id: str) -> list:
    """The incident's deployments as stored (the after-action report's reception)."""
    return conn.execute(select(deployments).where(deployments.c.incident_id == incident_id)).mappings().all()


def unreleased_deployments_of(conn, request_ids: list[str]) -> list[dict]:
    rows = conn.execute(select(deployments).where(deployments.c.request_id.in_(request_ids),
                                                  deployments.c.status != "released")).mappings().all()
    return [dict(r) for r in rows]


def insert_deployment(conn, **values) -> None:
    conn.execute(insert(deployments).values(**values))
    _concerns(conn, values["deployment_id"], values["county"])


def _concerns(conn, deployment_id: str, county: str | None) -> None:
    """Record that the deployment concerns `county` (once: a second unit from a county adds nothing)."""
    if county:
        statement = (sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert)(deployment_counties)
        conn.execute(statement.values(county=county, deployment_id=deployment_id).on_conflict_do_nothing())


def fill_deployment_counties(engine) -> int:
    """Deployments made before `deployment_counties` was kept get their rows, from their own county and
    their orders' (once: any row there means every dispatch since wrote its own). Returns how many rows
    were written. Two instances starting together may both try: the one whose rows clash finds them
    written."""
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(deployment_counties)).scalar_one():
            return 0
    both = union(select(deployments.c.county, deployments.c.deployment_id),
                 select(orders.c.from_county, orders.c.deployment_id).where(orders.c.from_county.is_not(None)))
    try:
        with engine.begin() as conn:
            conn.execute(insert(deployment_counties).from_select(["county", "deployment_id"], both))
            return conn.execute(select(func.count()).select_from(deployment_counties)).scalar_one()
    except IntegrityError:
        return 0


def update_deployment(conn, deployment_id: str, **values) -> None:
    conn.execute(update(deployments).where(deployments.c.deployment_id == deployment_id).values(**values))


def regrade_deployments(conn, request_id: str, grade: str) -> None:
    conn.execute(update(deployments).where(deployments.c.request_id == request_id).values(grade=grade))


def arrangements_in_county(conn, county: str, other_than: str) -> list[dict]:
    """The arrangements of the county's deployments not released, but for `other_than`."""
    return list(conn.execute(select(deployments.c.arrangements).where(
        deployments.c.county == county, deployments.c.status != "released",
        deployments.c.deployment_id != other_than)).scalars())


def deployment_county(conn, deployment_id: str) -> str | None:
    return conn.execute(select(deployments.c.county).where(deployments.c.deployment_id == deployment_id)).scalar()


def incident_county(conn, incident_id: str) -> str | None:
    """The receiving county of an incident's support: its deployments', else its requests' (up to two
    statements)."""
    for table in (deployments, requests):
        county = conn.execute(select(table.c.county).where(table.c.incident_id == incident_id)).scalar()
        if county:
            return county
    return None


def incident_counties(conn, incident_id: str) -> set[str]:
    """The counties of the incident's requests and deployments (two statements)."""
    counties = set(conn.execute(select(requests.c.county).where(requests.c.incident_id == incident_id)).scalars())
    counties |= set(conn.execute(select(deployments.c.county)
                                 .where(deployments.c.incident_id == incident_id)).scalars())
    return counties


# --- orders ----------------------------------------------------------------------------------------

def order(conn, order_id: str) -> dict | None:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    return None if row is None else dict(row)


ORDERS_ORDER = keyset.Order("orders", orders.c.ordered_at, orders.c.order_id)


def orders_page(conn, *, region: str | None = None, request_ids: list[str] | None = None,
                deployment_id: str | None = None, late: bool = False, limit: int, offset: int = 0,
                after: tuple | None = None) -> tuple[list[dict], int]:
    """(a page of the orders in the order they were given: those of some requests or of a deployment, or
    only late ones, and those concerning `region` when given, the county the unit reports to or the one
    it comes from; how many there are in all). The page is cut by the database, not after a read of all.
    The county an order's unit reports to is its deployment's (dispatch writes both from the approval),
    found by the deployments' county index rather than by parsing each order's JSON. `after`: the page
    starts after the order with these values of ORDERS_ORDER."""
    where = []
    if request_ids:
        where.append(orders.c.request_id.in_(request_ids))
    if deployment_id:
        where.append(orders.c.deployment_id == deployment_id)
    if late:
        where.append(orders.c.late.is_(True))
    return _region_page(conn, ORDERS_ORDER, orders, where, functools.partial(_orders_of, region),
                        by_key=bool(request_ids or deployment_id), limit=limit, offset=offset, after=after)


def _orders_of(region: str | None, unindexed: bool = False) -> list:
    """The condition "the order concerns `region`" (none without one); `unindexed`: written so that the
    database tests it on rows read in the list's order rather than finding them by its indexes."""
    if not region:
        return []
    column = keyset.Unindexed if unindexed else (lambda c: c)
    received = select(deployments.c.deployment_id).where(covers_clause(deployments.c.county, region))
    return [or_(column(orders.c.deployment_id).in_(received), covers_clause(column(orders.c.from_county), region))]


def orders_of_deployment(conn, deployment_id: str) -> list:
    """The deployment's orders as stored."""
    return conn.execute(select(orders).where(orders.c.deployment_id == deployment_id)).mappings().all()


def orders_of_incident(conn, incident_id: str) -> list:
    return conn.execute(select(orders).where(orders.c.incident_id == incident_id)
                        .order_by(orders.c.ordered_at)).mappings().all()


def latest_order_of_unit(conn, unit_id: str) -> dict | None:
    """The unit's latest order (its current task); None for a unit never dispatched."""
    row = conn.execute(select(orders).where(orders.c.unit_id == unit_id)
                       .order_by(orders.c.ordered_at.desc())).mappings().first()
    return None if row is None else dict(row)


def insert_order(conn, **values) -> None:
    conn.execute(insert(orders).values(**values))
    _concerns(conn, values["deployment_id"], values.get("from_county"))


def acknowledge_order(conn, order_id: str, at: datetime) -> bool:
    """Mark the order acknowledged at `at`; False when it already was (by a transaction committed meanwhile:
    on PostgreSQL the update waits for it and then finds the order acknowledged)."""
    done = conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.acked_at.is_(None))
                        .values(acked_at=at))
    return done.rowcount == 1


def set_order_body(conn, order_id: str, body: dict) -> None:
    """The order's dispatch.ordered payload (its `order` column)."""
    conn.execute(update(orders).where(orders.c.order_id == order_id).values(order=body))


def release_orders(conn, deployment_id: str, at: datetime) -> None:
    conn.execute(update(orders).where(orders.c.deployment_id == deployment_id).values(released_at=at))


def hold_orders_to(conn, request_id: str, deadline: datetime) -> None:
    """The request's orders not yet in place take the new deadline; their late alert may come again."""
    conn.execute(update(orders).where(orders.c.request_id == request_id, orders.c.arrived_at.is_(None))
                 .values(deadline=deadline, late=False))


def unit_on_the_way(conn, deployment_id: str) -> bool:
    """Whether a unit of the deployment has not arrived yet."""
    return conn.execute(select(orders.c.order_id).where(orders.c.deployment_id == deployment_id,
                                                        orders.c.arrived_at.is_(None))).first() is not None


def orders_to_chase(conn, due: datetime) -> list:
    """Orders on the way, neither acknowledged nor escalated, last sent at `due` or before."""
    return conn.execute(select(orders).where(
        orders.c.acked_at.is_(None), orders.c.escalated_at.is_(None), orders.c.arrived_at.is_(None),
        orders.c.released_at.is_(None), orders.c.last_sent_at <= due)).mappings().all()


# Conditional updates: when another instance of logistics changed the row first, they change nothing
# and say False.

def resend_order(conn, order_id: str, attempts: int, *, last_sent_at: datetime, body: dict) -> bool:
    """Attempt `attempts` + 1 of an order still at `attempts`."""
    done = conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.attempts == attempts)
                        .values(attempts=attempts + 1, last_sent_at=last_sent_at, order=body))
    return done.rowcount == 1


def escalate_order(conn, order_id: str, at: datetime) -> bool:
    done = conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.escalated_at.is_(None))
                        .values(escalated_at=at))
    return done.rowcount == 1


def orders_past_deadline(conn, now: datetime) -> list:
    """Orders on the way whose deadline passed, no late alert raised yet."""
    return conn.execute(select(orders).where(orders.c.arrived_at.is_(None), orders.c.released_at.is_(None),
                                             orders.c.late.is_(False), orders.c.deadline < now)).mappings().all()


def flag_late(conn, order_id: str) -> bool:
    done = conn.execute(update(orders).where(orders.c.order_id == order_id, orders.c.late.is_(False))
                        .values(late=True))
    return done.rowcount == 1


def order_counties_row(conn, order_id: str):
    """The order's (order, from_county); None when there is none."""
    return conn.execute(select(orders.c.order, orders.c.from_county)
                        .where(orders.c.order_id == order_id)).mappings().first()


def unit_counties_row(conn, unit_id: str):
    """(order, from_county) of the unit's latest order; None for a unit never dispatched."""
    return conn.execute(select(orders.c.order, orders.c.from_county).where(orders.c.unit_id == unit_id)
                        .order_by(orders.c.ordered_at.desc())).mappings().first()


def sending_counties(conn, deployment_id: str) -> list:
    """The counties the deployment's units come from (None for a unit of the receiving county)."""
    return list(conn.execute(select(orders.c.from_county).distinct()
                             .where(orders.c.deployment_id == deployment_id)).scalars())


# --- a position report: on the driver -------------------------------------------------------------
# Built once and run on the driver (storage.Prepared): constructing a statement per report cost more
# than running it, and SQLAlchemy's execution machinery about as much again.

MOVED = ("lon", "lat", "position_at", "start_km", "pace_at", "pace_left_s", "progress", "eta", "late", "arrived_at",
         "response_s")
# What a report reads of its order: the order's state and, of the dispatched body, only the reporting
# point, taken out by the database (the body's scope area, a county outline of a few hundred
# positions, cost more to decode than the rest of the report's handling).
REPORT_COLUMNS = ("order_id", "deployment_id", "request_id", "incident_id", "unit_id", "ordered_at", "deadline", "route",
                  *MOVED)
_REPORTING_POINT = orders.c.order[("reporting_point", "point")]
_FIND = Prepared(select(*(orders.c[name] for name in REPORT_COLUMNS), _REPORTING_POINT.label("reporting_point"))
                 .where(orders.c.order_id == bindparam("b_order_id")))
_MOVE = Prepared(update(orders).where(orders.c.order_id == bindparam("b_order_id")).values(
    {c: bindparam(c) for c in MOVED}))
_MOVE_ROUTED = Prepared(update(orders).where(orders.c.order_id == bindparam("b_order_id")).values(
    {c: bindparam(c) for c in (*MOVED, "route")}))   # a report that planned the unit's route (again)
_FOUND_TYPES = [(name, orders.c[name].type) for name in REPORT_COLUMNS] + [("reporting_point", _REPORTING_POINT.type)]
_COLUMNS: dict = {}  # dialect -> [(column name, its result processor or None)]


def _columns(dialect, description) -> list:
    """The columns `_FIND` reads as the dialect reads them back (dates, JSON, booleans), given the
    driver's description of the result (its type codes)."""
    found = _COLUMNS.get(dialect)
    if found is None:
        found = _COLUMNS[dialect] = [(name, kind.dialect_impl(dialect).result_processor(dialect, d[1]))
                                     for (name, kind), d in zip(_FOUND_TYPES, description)]
    return found


def order_on_driver(conn, order_id: str) -> dict | None:
    """What a position report needs of `order` (REPORT_COLUMNS and its `reporting_point`, {lon, lat}),
    read on the driver; None when there is none."""
    cur = _FIND.execute(conn, {"b_order_id": order_id})
    found = cur.fetchone()
    row = None if found is None else {name: (read(v) if read is not None and v is not None else v)
                                      for (name, read), v in zip(_columns(conn.dialect, cur.description), found)}
    cur.close()
    return row


def move_unit(conn, row: dict, values: dict) -> None:
    """The order `row` takes `values` for the MOVED columns (the rest as in `row`) and, when `values`
    has one, the route, on the driver."""
    params = {c: values.get(c, row[c]) for c in MOVED} | {"b_order_id": row["order_id"]}
    if "route" in values:
        _MOVE_ROUTED.execute(conn, params | {"route": values["route"]}).close()
    else:
        _MOVE.execute(conn, params).close()


# --- what the receiving side records ---------------------------------------------------------------

def add_instruction(conn, **values) -> None:
    conn.execute(insert(instructions).values(**values))


def add_survey(conn, **values) -> None:
    conn.execute(insert(surveys).values(**values))


def survey_given(conn, deployment_id: str, rater: str, side: str) -> bool:
    """Whether `rater` already rated the deployment as `side`."""
    return conn.execute(select(surveys.c.id).where(surveys.c.deployment_id == deployment_id, surveys.c.rater == rater,
                                                   surveys.c.side == side).limit(1)).first() is not None


def add_equipment_check(conn, **values) -> None:
    conn.execute(insert(equipment_checks).values(**values))


def case_outcome(conn, incident_id: str):
    """The case outcome recorded for the incident; None when there is none."""
    return conn.execute(select(case_outcomes).where(case_outcomes.c.incident_id == incident_id)).mappings().first()


def put_case_outcome(conn, incident_id: str, **values) -> None:
    """Replace the incident's case outcome, or add it (an update, then an insert when nothing was there)."""
    done = conn.execute(update(case_outcomes).where(case_outcomes.c.incident_id == incident_id).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(case_outcomes).values(incident_id=incident_id, **values))


# --- the province's position switch ----------------------------------------------------------------

def position_switch(conn) -> bool | None:
    """The switch's latest value; None when the province never turned it."""
    return conn.execute(select(position_policy.c.receiving_command_sees_own_units)
                        .order_by(position_policy.c.id.desc()).limit(1)).scalar()


def position_switch_history(conn, limit: int) -> list:
    """The latest `limit` changes, newest first."""
    return conn.execute(select(position_policy).order_by(position_policy.c.id.desc()).limit(limit)).mappings().all()


def add_position_switch(conn, **values) -> None:
    conn.execute(insert(position_policy).values(**values))


# --- the timeline and county loads -----------------------------------------------------------------

def event_recorded(conn, event_id: str) -> bool:
    return conn.execute(select(timeline.c.event_id).where(timeline.c.event_id == event_id)).first() is not None


def insert_event(conn, **values) -> None:
    conn.execute(insert(timeline).values(**values))


def timeline_of_incident(conn, incident_id: str) -> list:
    """The incident's events in time order; those of one time (an incident and the request it raised)
    in the order their producer emitted them."""
    return conn.execute(select(timeline).where(timeline.c.incident_id == incident_id)
                        .order_by(timeline.c.at, timeline.c.seq, timeline.c.event_id)).mappings().all()


def reported_incident(conn, incident_id: str) -> dict | None:
    """What incident.reported said of the incident (its data); None when logistics did not see it."""
    return conn.execute(select(timeline.c.data).where(timeline.c.incident_id == incident_id,
                                                      timeline.c.type == "incident.reported").limit(1)).scalar()


def incident_on_timeline(conn, incident_id: str) -> bool:
    return conn.execute(select(timeline.c.event_id).where(timeline.c.incident_id == incident_id)
                        .limit(1)).first() is not None


def load_recorded(conn, county: str, at: datetime) -> bool:
    return conn.execute(select(loads.c.county).where(loads.c.county == county, loads.c.at == at)).first() is not None


def insert_load(conn, **values) -> None:
    conn.execute(insert(loads).values(**values))


# --- the indicators' reads -------------------------------------------------------------------------
# `f` is the filters {from, to, city, county, incident} (all optional).

def _where(col_county, col_time, f: dict, col_incident=None) -> list:
    out = []
    if f.get("county"):
        out.append(col_county == f["county"])
    if f.get("city"):
        out.append(covers_clause(col_county, f["city"]))
    if f.get("from"):
        out.append(col_time >= f["from"])
    if f.get("to"):
        out.append(col_time < f["to"])
    if f.get("incident") and col_incident is not None:
        out.append(col_incident == f["incident"])
    return out


def arrivals(conn, f: dict) -> list:
    """Rows (response_s, arrived_at, deadline, grade, county) of the orders in place, by their order's time
    and their deployment's county."""
    return conn.execute(select(orders.c.response_s, orders.c.arrived_at, orders.c.deadline, deployments.c.grade,
                               deployments.c.county)
                        .join(deployments, deployments.c.deployment_id == orders.c.deployment_id)
                        .where(orders.c.arrived_at.is_not(None),
                               *_where(deployments.c.county, orders.c.ordered_at, f, orders.c.incident_id))).all()


def deployment_arrangements(conn, f: dict) -> list:
    """(county, arrangements) of the deployments made in scope."""
    return conn.execute(select(deployments.c.county, deployments.c.arrangements).where(
        *_where(deployments.c.county, deployments.c.created_at, f, deployments.c.incident_id))).mappings().all()


def equipment_checks_in(conn, f: dict) -> list:
    """(checked, compatible, county) of the equipment checks in scope."""
    return conn.execute(select(equipment_checks.c.checked, equipment_checks.c.compatible, equipment_checks.c.county)
                        .join(orders, orders.c.order_id == equipment_checks.c.order_id)
                        .where(*_where(equipment_checks.c.county, equipment_checks.c.at, f, orders.c.incident_id))
                        ).mappings().all()


def ratings(conn, f: dict) -> list:
    """(side, rating, county) of the surveys in scope."""
    return conn.execute(select(surveys.c.side, surveys.c.rating, surveys.c.county).where(
        *_where(surveys.c.county, surveys.c.at, f, surveys.c.incident_id))).mappings().all()


def cross_region_pairs(conn, f: dict):
    """Rows (incident_id, county), once each: incidents whose deployment in `county` had a unit from
    another county."""
    return conn.execute(select(orders.c.incident_id, deployments.c.county).distinct()
                        .join(deployments, deployments.c.deployment_id == orders.c.deployment_id)
                        .where(orders.c.incident_id.is_not(None), orders.c.from_county.is_not(None),
                               orders.c.from_county != deployments.c.county,
                               *_where(deployments.c.county, deployments.c.created_at, f, orders.c.incident_id)))


def solved_cases(conn, incident_ids: list[str]) -> dict[str, bool]:
    """{incident_id: solved} of those with a recorded case outcome."""
    return dict(conn.execute(select(case_outcomes.c.incident_id, case_outcomes.c.solved)
                             .where(case_outcomes.c.incident_id.in_(incident_ids or [""]))).all())


def donor_counties(conn, incident_id: str) -> set[str]:
    """The counties units came from for the incident."""
    return {c for (c,) in conn.execute(select(orders.c.from_county).where(orders.c.incident_id == incident_id)) if c}


def latest_loads(conn, f: dict, counties: set[str] | None = None) -> list[dict]:
    """The latest load report per county in the period (of `counties` only, when given)."""
    conds = _where(loads.c.county, loads.c.at, f)
    if counties is not None:
        conds.append(loads.c.county.in_(sorted(counties) or [""]))
    latest = select(loads.c.county, func.max(loads.c.at).label("at")).where(*conds).group_by(loads.c.county).subquery()
    rows = conn.execute(select(loads).join(latest, and_(loads.c.county == latest.c.county, loads.c.at == latest.c.at)))
    return [dict(r) for r in rows.mappings()]
