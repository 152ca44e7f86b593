"""matching's tables and its SQL: the read model of the force, requests, plans, the officers approved
plans hold, the officers proposed plans name, and the duty-limit alerts. The only module of matching
that defines database structure or writes a query. Plain functions of a connection, one statement each
unless said; the callers hold the transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Float, Integer, MetaData, String, Table, Text, func
from sqlalchemy.sql import delete, insert, select, update

from ..common import keyset
from ..common.observed import observed_table
from ..common.permissions import covers_clause
from ..common.storage import UtcDateTime

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
    Column("as_of", UtcDateTime(), nullable=False),   # time of the last fact applied
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
    Column("as_of", UtcDateTime()),
)

requests = Table(
    "requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),                # the support.requested payload (lines updated on escalation)
    Column("status", String(16), nullable=False),        # scheduled (a relief shift not yet due), pending, proposed, approved, cancelled
    Column("version", Integer, nullable=False),          # bumped whenever its plans are re-made
    Column("exclude", JSON, nullable=False),             # officers refused for this request (commit rejections)
    Column("replaces", String(64)),                      # the plan the next proposals replace (commit rejected)
    Column("replanned", JSON),                           # why it is planned again since its last plans (plan.proposed)
    Column("received_at", UtcDateTime(), nullable=False),
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
    Column("created_at", UtcDateTime(), nullable=False),
)

proposing = Table(   # the officers each plan awaiting a commander names: who drops out re-plans its request
    "proposing", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("plan_id", String(64), primary_key=True, index=True),   # dropped by plan when it leaves proposed
    Column("request_id", String(64), nullable=False),
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
    Column("reaches_limit_at", UtcDateTime(), nullable=False),
    Column("raise_at", UtcDateTime(), nullable=False),   # shown to the command from then on
    Column("relief_request_id", String(64)),             # the relief shift planned for the officer, if any
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
)

# Alerts published as duty.alert-raised: each once, when it is raised (its raise_at has come).
alerts_published = Table(
    "alerts_published", metadata,
    Column("alert_id", String(96), primary_key=True),
    Column("at", UtcDateTime(), nullable=False),
)


# --- the read model of the force: officers and counties ---------------------------------------------

def upsert_officers(conn, rows: list[dict]) -> None:
    """Officers as given (full rows) replace those with the same ids: a delete, then one insert."""
    ids = [r["officer_id"] for r in rows]
    conn.execute(delete(officers).where(officers.c.officer_id.in_(ids)))
    if rows:
        conn.execute(insert(officers), rows)


def officer_count(conn) -> int:
    return conn.execute(select(func.count()).select_from(officers)).scalar_one()


def fingerprint(conn) -> tuple:
    """(count, latest fact, points sum) of the officers table: changes whenever the table does."""
    return tuple(conn.execute(select(func.count(), func.max(officers.c.as_of), func.sum(officers.c.points))).one())


def officer_rows(conn) -> list[dict]:
    """Every officer's row as a dict, by officer_id."""
    return [r._asdict() for r in conn.execute(select(officers).order_by(officers.c.officer_id))]


def officer_as_of(conn, officer_id: str) -> datetime | None:
    """The time of the last fact applied to the officer; None: no such officer."""
    row = conn.execute(select(officers.c.as_of).where(officers.c.officer_id == officer_id)).first()
    return None if row is None else row.as_of


def set_officer_status(conn, officer_id: str, status: str, at: datetime) -> None:
    conn.execute(update(officers).where(officers.c.officer_id == officer_id).values(status=status, as_of=at))


def add_officer_points(conn, officer_id: str, points: float) -> None:
    conn.execute(update(officers).where(officers.c.officer_id == officer_id)
                 .values(points=officers.c.points + points))


def officer_statuses(conn, ids: list[str]) -> dict[str, str]:
    """officer_id -> status of those of `ids` the read model knows."""
    return dict(conn.execute(select(officers.c.officer_id, officers.c.status)
                             .where(officers.c.officer_id.in_(ids))).all())


def duty_minutes(conn, ids: list[str]) -> dict[str, int]:
    """officer_id -> minutes on duty in the last 24 hours, for those of `ids` the read model knows."""
    rows = conn.execute(select(officers.c.officer_id, officers.c.duty_minutes).where(officers.c.officer_id.in_(ids)))
    return {r.officer_id: int(r.duty_minutes) for r in rows}


def upsert_county(conn, county: str, values: dict) -> None:
    """The county's row gets `values` (made with them when new; a known county with no values is left
    as it is). Two statements: a look-up, then an update or an insert."""
    if conn.execute(select(counties.c.county).where(counties.c.county == county)).first():
        if values:  # nothing to change: an empty SET is not SQL
            conn.execute(update(counties).where(counties.c.county == county).values(**values))
    else:
        conn.execute(insert(counties).values(county=county, **values))


def add_points_given(conn, county: str, points: float) -> None:
    conn.execute(update(counties).where(counties.c.county == county)
                 .values(points_given=counties.c.points_given + points))


def add_points_received(conn, county: str, points: float) -> None:
    conn.execute(update(counties).where(counties.c.county == county)
                 .values(points_received=counties.c.points_received + points))


def county_rows(conn) -> list:
    """Every county's row (loads, floor, accepted standards, points, as_of)."""
    return conn.execute(select(counties)).all()


def county_accepts(conn) -> list:
    """(county, accepts) of every county; accepts None when not known."""
    return conn.execute(select(counties.c.county, counties.c.accepts)).all()


def county_points_flows(conn) -> list:
    """(county, points_given, points_received) of every county."""
    return conn.execute(select(counties.c.county, counties.c.points_given, counties.c.points_received)).all()


# --- the officers approved plans hold ---------------------------------------------------------------

def all_holds(conn) -> list:
    return conn.execute(select(holds)).all()


def hold(conn, officer_id: str):
    """The hold on the officer, None when no approved plan holds them."""
    return conn.execute(select(holds).where(holds.c.officer_id == officer_id)).first()


def holds_of_officers(conn, ids: list[str]) -> dict:
    """officer_id -> hold row, for those of `ids` approved plans hold."""
    return {r.officer_id: r for r in conn.execute(select(holds).where(holds.c.officer_id.in_(ids)))}


def insert_holds(conn, rows: list[dict]) -> None:
    """Holds as given ({officer_id, plan_id, request_id, line_id, committed}), in one insert."""
    conn.execute(insert(holds), rows)


def delete_hold(conn, officer_id: str) -> None:
    conn.execute(delete(holds).where(holds.c.officer_id == officer_id))


def delete_request_holds(conn, request_id: str, *, uncommitted_only: bool = False) -> None:
    """The request's holds go (only those the resource pool has not committed, when asked)."""
    if uncommitted_only:
        conn.execute(delete(holds).where(holds.c.request_id == request_id, holds.c.committed == 0))
    else:
        conn.execute(delete(holds).where(holds.c.request_id == request_id))


def delete_plan_holds(conn, plan_id: str, officer_ids: list[str] | None = None) -> None:
    """The plan's holds go: those of `officer_ids` when given, else all."""
    if officer_ids is not None:
        conn.execute(delete(holds).where(holds.c.plan_id == plan_id, holds.c.officer_id.in_(officer_ids)))
    else:
        conn.execute(delete(holds).where(holds.c.plan_id == plan_id))


def commit_holds(conn, plan_id: str) -> None:
    """The plan's holds are marked committed by the resource pool."""
    conn.execute(update(holds).where(holds.c.plan_id == plan_id).values(committed=1))


# --- requests --------------------------------------------------------------------------------------

def request(conn, request_id: str, *, lock: bool = False):
    """The request's row; `lock`: held until the transaction ends (SELECT ... FOR UPDATE), so that decisions
    on its plans take turns."""
    query = select(requests).where(requests.c.request_id == request_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def request_exists(conn, request_id: str) -> bool:
    return conn.execute(select(requests.c.request_id).where(requests.c.request_id == request_id)).first() is not None


def request_status(conn, request_id: str) -> str | None:
    """The request's status; None: no such request."""
    row = conn.execute(select(requests.c.status).where(requests.c.request_id == request_id)).first()
    return None if row is None else row.status


def request_county(conn, request_id: str) -> str | None:
    """The receiving county of the request; None: no such request."""
    data = conn.execute(select(requests.c.data).where(requests.c.request_id == request_id)).scalar()
    return None if data is None else data["county"]


REQUESTS_ORDER = keyset.Order("requests", requests.c.received_at, requests.c.request_id)


def requests_page(conn, region: str | None, *, limit: int, offset: int = 0,
                  after: tuple | None = None) -> tuple[list, int]:
    """(a page of the requests, received first, those of counties inside `region` when given; how many
    there are in all). The page is cut by the database, not after a read of all. `after`: the page
    starts after the request with these values of REQUESTS_ORDER."""
    where = [covers_clause(requests.c.data["county"].as_string(), region)] if region else []
    total = conn.execute(select(func.count()).select_from(requests).where(*where)).scalar_one()
    if after is not None:
        where.append(REQUESTS_ORDER.after(after))
    page = conn.execute(select(requests.c.request_id, requests.c.received_at, requests.c.data, requests.c.status,
                               requests.c.version)
                        .where(*where).order_by(*REQUESTS_ORDER.terms).limit(limit).offset(offset)).all()
    return page, total


def pending_requests(conn) -> list:
    """The requests waiting for a plan, received first."""
    return conn.execute(select(requests).where(requests.c.status == "pending").order_by(requests.c.received_at)).all()


def scheduled_requests(conn) -> list:
    """(request_id, data) of the relief shifts kept until their lead time."""
    return conn.execute(select(requests.c.request_id, requests.c.data).where(requests.c.status == "scheduled")).all()


def relief_shifts(conn, request_id: str) -> list[str]:
    """The relief shifts (by `relief_base` in their data) of the request `request_id` not yet closed or
    cancelled, by id."""
    rows = conn.execute(select(requests.c.request_id, requests.c.data)
                        .where(requests.c.status.notin_(("closed", "cancelled")), requests.c.request_id != request_id))
    return sorted(r.request_id for r in rows if r.data.get("relief_base") == request_id)


def insert_request(conn, request_id: str, data: dict, *, status: str, exclude: list[str], received_at: datetime) -> None:
    """A new request at version 1."""
    conn.execute(insert(requests).values(request_id=request_id, data=data, status=status, version=1, exclude=exclude,
                                         received_at=received_at))


def update_request(conn, request_id: str, **values) -> None:
    conn.execute(update(requests).where(requests.c.request_id == request_id).values(**values))


def set_requests_status(conn, request_ids: list[str], status: str) -> None:
    conn.execute(update(requests).where(requests.c.request_id.in_(request_ids)).values(status=status))


REPLANNED_KEPT = 20  # plan.proposed's replanned: at most this many reasons, the newest


def mark_for_replanning(conn, request_id: str, why: list[dict] | None = None) -> None:
    """The request is pending again at a new version (its proposals are superseded in the next batch; a
    request already pending keeps its version). `why` ({code, reason, params}) joins the reasons gathered
    since its last plans, which its next plans carry. The row is read locked, so that two reasons arriving at
    once (an officer dropping out while the pool refuses a commit) take turns: the second sees the request
    pending and adds its reason at the same version, where it would have replaced the first's and bumped the
    version twice."""
    row = conn.execute(select(requests.c.status, requests.c.replanned).where(requests.c.request_id == request_id)
                       .with_for_update()).first()
    if row is None:
        return
    waiting = row.status == "pending"   # its next plans are not made yet: their version stays, the reasons gather
    since = list(row.replanned or []) if waiting else []
    conn.execute(update(requests).where(requests.c.request_id == request_id)
                 .values(status="pending", version=requests.c.version + (0 if waiting else 1),
                         replanned=(since + list(why or []))[-REPLANNED_KEPT:] or None))


# --- plans -----------------------------------------------------------------------------------------

def plan(conn, plan_id: str):
    return conn.execute(select(plans).where(plans.c.plan_id == plan_id)).first()


def plans_of(conn, request_id: str) -> list:
    """A request's plans, newest version first."""
    return conn.execute(select(plans).where(plans.c.request_id == request_id)
                        .order_by(plans.c.version.desc(), plans.c.plan_id)).all()


def proposed_plans(conn, request_id: str) -> list:
    """The request's plans still proposed."""
    return conn.execute(select(plans).where(plans.c.request_id == request_id, plans.c.status == "proposed")).all()


def requests_proposing(conn, officer_id: str) -> list[str]:
    """The requests whose current proposals name the officer: awaiting a commander, or already waiting to
    be planned again (their proposals are superseded by the next plans). One indexed read."""
    rows = conn.execute(select(proposing.c.request_id).distinct()
                        .join(requests, requests.c.request_id == proposing.c.request_id)
                        .where(proposing.c.officer_id == officer_id,
                               requests.c.status.in_(("proposed", "pending")))).all()
    return sorted(r.request_id for r in rows)


def fill_proposing(conn) -> int:
    """A database made before `proposing`: its rows, from the plans still proposed (once; returns how many)."""
    if conn.execute(select(func.count()).select_from(proposing)).scalar():
        return 0
    rows = [{"officer_id": a["officer_id"], "plan_id": p.plan_id, "request_id": p.request_id}
            for p in conn.execute(select(plans.c.plan_id, plans.c.request_id, plans.c.body)
                                  .where(plans.c.status == "proposed"))
            for a in {a["officer_id"]: a for a in p.body["assignments"]}.values()]
    if rows:
        conn.execute(insert(proposing), rows)
    return len(rows)


def plan_counties(conn, plan_id: str) -> list[str] | None:
    """The receiving county and the counties the plan's officers come from; None: no such plan."""
    row = conn.execute(select(plans.c.body, requests.c.data).join(
        requests, requests.c.request_id == plans.c.request_id, isouter=True)
        .where(plans.c.plan_id == plan_id)).first()
    if row is None:
        return None
    sending = [a.get("from_county") for a in (row.body or {}).get("assignments") or []]
    return [c for c in [(row.data or {}).get("county"), *sending] if c]


def insert_plan(conn, *, plan_id: str, request_id: str, kind: str, status: str, version: int, body: dict,
                created_at: datetime) -> None:
    conn.execute(insert(plans).values(plan_id=plan_id, request_id=request_id, kind=kind, status=status,
                                      version=version, body=body, created_at=created_at))
    if status == "proposed":
        officers_named = sorted({a["officer_id"] for a in body["assignments"]})
        if officers_named:
            conn.execute(insert(proposing), [{"officer_id": o, "plan_id": plan_id, "request_id": request_id}
                                             for o in officers_named])


def update_plan(conn, plan_id: str, **values) -> None:
    """A plan's new values; one no longer proposed names no officer in `proposing`."""
    conn.execute(update(plans).where(plans.c.plan_id == plan_id).values(**values))
    if values.get("status", "proposed") != "proposed":
        conn.execute(delete(proposing).where(proposing.c.plan_id == plan_id))


# --- duty-limit alerts ------------------------------------------------------------------------------

def alert_exists(conn, alert_id: str) -> bool:
    return conn.execute(select(alerts.c.alert_id).where(alerts.c.alert_id == alert_id)).first() is not None


def insert_alert(conn, **values) -> None:
    """A new alert (every column of `alerts`)."""
    conn.execute(insert(alerts).values(**values))


def unpublished_alerts(conn, at: datetime) -> list:
    """Alerts raised by `at` not yet published, each with its request's data (None when unknown),
    earliest raised first."""
    done = select(alerts_published.c.alert_id)
    return conn.execute(select(alerts, requests.c.data).select_from(
        alerts.outerjoin(requests, requests.c.request_id == alerts.c.request_id))
        .where(alerts.c.raise_at <= at, alerts.c.alert_id.not_in(done))
        .order_by(alerts.c.raise_at, alerts.c.alert_id)).all()


def mark_published(conn, alert_id: str, at: datetime) -> None:
    conn.execute(insert(alerts_published).values(alert_id=alert_id, at=at))


def raised_alerts(conn, at: datetime) -> list:
    """Alerts raised by `at`, latest first."""
    return conn.execute(select(alerts).where(alerts.c.raise_at <= at)
                        .order_by(alerts.c.raise_at.desc(), alerts.c.alert_id)).all()
