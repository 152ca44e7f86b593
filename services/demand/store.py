"""demand's tables and its SQL: the only module of this service that defines database structure or
writes a query (the performance report's own reads are reports/build.py's). Plain functions of a
connection; the callers hold the transaction."""
from __future__ import annotations

from collections import namedtuple
from datetime import datetime

from sqlalchemy import (
    JSON,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    func,
    inspect,
    or_,
    text,
)
from sqlalchemy.sql import delete, insert, select, update

from ..common import keyset
from ..common.clock import parse_time, stamp
from ..common.permissions import covers_clause
from ..common.storage import Prepared, UtcDateTime, add_columns
from .domain import overrides as override_rules
from .domain.grading import SEVERITY
from .domain.lifecycle import OPEN

metadata = MetaData()

incidents = Table(
    "incidents", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("type", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("report", JSON, nullable=False),
    Column("reported_at", UtcDateTime(), nullable=False),
    # the event source that reported it on the topic (another system); demand's own for one posted over
    # HTTP; NULL in a database made before it was kept. Only that source reports the incident again.
    Column("reporter", String(120)),
)

# The grade and requirement lines demand assessed for each incident (kept apart from the reported
# incident, whose stored form is exactly the `incident.reported` payload).
assessments = Table(
    "incident_assessments", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("grade", String(4), nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("policy_version", String(64), nullable=False),
    Column("templates_version", String(64), nullable=False),
    Column("reason", String(1000), nullable=False),
    Column("grading", JSON, nullable=False),
    Column("lines", JSON, nullable=False),
    Column("assessed_at", UtcDateTime(), nullable=False),
)

# The reporting officer's changes to the template lines of an incident, with who made them and why.
overrides = Table(
    "requirement_overrides", metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("changes", JSON, nullable=False),
    Column("overridden_by", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("reason", String(1000)),
    Column("at", UtcDateTime(), nullable=False),
)

# The latest load report of each county (what it has free), from county.load-reported.
county_loads = Table(
    "county_loads", metadata,
    Column("county", String(6), primary_key=True),
    Column("report", JSON, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Support requests: at most one open request per incident (per echelon for a pre-positioned major
# event). A request that ended (withdrawn, cancelled, released) leaves room for a new one when the
# incident calls for support again.
requests = Table(
    "support_requests", metadata,
    Column("request_id", String(64), primary_key=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("echelon", String(64), nullable=False),  # "" for an incident's own request
    Column("county", String(6), nullable=False, index=True),
    Column("city", String(6), nullable=False, index=True),
    Column("grade", String(4), nullable=False),
    Column("severity", Integer, nullable=False),  # I → 4 ... IV → 1, for sorting
    Column("status", String(24), nullable=False, index=True),
    Column("approval_level", String(16), nullable=False),
    Column("deadline", UtcDateTime(), nullable=False),
    Column("launch_deadline", UtcDateTime()),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("escalation_level", Integer, nullable=False, default=0),
    Column("escalated_stages", JSON, nullable=False),   # e.g. ["approval", "on_scene"]
    Column("next_check", UtcDateTime(), index=True),  # the next deadline to watch, if any
    Column("progress", JSON, nullable=False),           # officers committed, units ordered and arrived
    Column("request", JSON, nullable=False),            # the latest support.requested-shaped view
)

ENDED = ("released", "closed", "cancelled")  # a request in one of these no longer holds its incident's place
_open = requests.c.status.notin_(ENDED)
one_open_request = Index("one_open_request_per_incident_echelon", requests.c.incident_id, requests.c.echelon,
                         unique=True, sqlite_where=_open, postgresql_where=_open)

# Every status change of every request, in order (the same facts as support.status-changed).
transitions = Table(
    "request_transitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False, index=True),
    Column("from_status", String(24), nullable=False),
    Column("to_status", String(24), nullable=False),
    Column("cause", String(80), nullable=False),
    Column("by", String(128)),
    Column("note", String(1000)),
    Column("at", UtcDateTime(), nullable=False),
)

# A major-event security task scheduled ahead (e.g. the Asian Games) and its echelons.
prepositions = Table(
    "prepositions", metadata,
    Column("preposition_id", String(64), primary_key=True),
    Column("incident_id", String(64), nullable=False),
    Column("county", String(6), nullable=False, index=True),
    Column("body", JSON, nullable=False),
    Column("scheduled_by", String(128), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

echelons = Table(
    "preposition_echelons", metadata,
    Column("preposition_id", String(64), primary_key=True),
    Column("echelon_id", String(64), primary_key=True),
    Column("due_at", UtcDateTime(), nullable=False, index=True),
    Column("request_id", String(64)),  # set when the echelon became a support request
    Column("body", JSON, nullable=False),
)


# Needs written as text: what demand proposed from the words (POST /needs/parse or an incident's needs).
needs_proposals = Table(
    "needs_proposals", metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("county", String(6), nullable=False, index=True),
    Column("incident_id", String(64), index=True),
    Column("text", String(4000), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("proposed_by", String(128), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Every confirmation or edit of proposed lines: who, the lines as proposed and as confirmed, what changed.
# The matcher is retrained from these (python -m services.demand.needs retrain).
needs_feedback = Table(
    "needs_feedback", metadata,
    Column("feedback_id", String(64), primary_key=True),
    Column("proposal_id", String(64), nullable=False, index=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("county", String(6), nullable=False),
    Column("text", String(4000), nullable=False),
    Column("model_version", String(128), nullable=False),
    Column("proposed", JSON, nullable=False),
    Column("confirmed", JSON, nullable=False),
    Column("changes", JSON, nullable=False),
    Column("confirmed_by", String(128), nullable=False),
    Column("role", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
)

# Task points awarded to officers (points.awarded from resources): the cities' reciprocity balance of the
# performance report (the officer's home county gives, the request's county receives).
points_awards = Table(
    "points_awards", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("task_id", String(64), primary_key=True),
    Column("county", String(6)),
    Column("request_id", String(64), index=True),
    Column("points", Float, nullable=False),
    Column("at", UtcDateTime(), nullable=False, index=True),
)

# Every performance report generated (on demand or by the schedule) whose content differs from the one
# kept before for the same period and region: its SHA-256 makes a later change visible.
performance_reports = Table(
    "performance_reports", metadata,
    Column("report_id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(32), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("generated_at", UtcDateTime(), nullable=False),
    Column("trigger", String(16), nullable=False),        # on_demand | schedule
    Column("generated_by", String(128), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("complete", Integer, nullable=False),           # 1 when every source answered
    Column("body", JSON, nullable=False),
)


# --- statements of the incident report's path, built and compiled once ------------------------------
# An incident report runs about ten statements; building each with Core and running it through
# SQLAlchemy's execution cost several times what SQLite spends on it. These are compiled once per
# dialect (storage.Prepared) and run on the driver inside the caller's transaction.

class _Read:
    """A select run as a storage.Prepared: rows are named tuples of its selected columns, each value
    through its column type's own result processing for the dialect (JSON decoded, as SQLAlchemy does)."""

    def __init__(self, stmt):
        self._prepared = Prepared(stmt)
        self._types = [c.type for c in stmt.selected_columns]
        self._row = namedtuple("Row", [c.key for c in stmt.selected_columns])
        self._procs: dict = {}

    def _processors(self, dialect):
        procs = self._procs.get(dialect)
        if procs is None:
            procs = self._procs[dialect] = tuple(t.dialect_impl(dialect).result_processor(dialect, None)
                                                 for t in self._types)
        return procs

    def _made(self, procs, raw):
        return self._row(*(v if p is None or v is None else p(v) for p, v in zip(procs, raw)))

    def all(self, conn, params: dict | None = None) -> list:
        cur = self._prepared.execute(conn, params)
        try:
            raw = cur.fetchall()
        finally:
            cur.close()
        procs = self._processors(conn.dialect)
        return [self._made(procs, r) for r in raw]

    def first(self, conn, params: dict | None = None):
        cur = self._prepared.execute(conn, params)
        try:
            raw = cur.fetchone()
        finally:
            cur.close()
        return None if raw is None else self._made(self._processors(conn.dialect), raw)


def _one_of(column, values) -> object:
    """`column IN (values)` for a fixed set of values, as bound constants a compiled statement keeps."""
    return or_(*(column == v for v in sorted(values)))


def _binds(table: Table, names) -> dict:
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


_INCIDENT = _Read(select(incidents.c.county, incidents.c.report).where(incidents.c.incident_id == bindparam("id")))
_INSERT_INCIDENT = Prepared(insert(incidents).values(_binds(
    incidents, ("incident_id", "county", "type", "status", "report", "reported_at", "reporter"))))
_INSERT_ASSESSMENT = Prepared(insert(assessments).values(_binds(
    assessments, ("incident_id", "grade", "rule_id", "policy_version", "templates_version", "reason", "grading",
                  "lines", "assessed_at"))))
_LATEST_LOAD = _Read(select(county_loads.c.report).where(county_loads.c.county == bindparam("county")))
_request_inserts: dict[tuple[str, ...], Prepared] = {}
_REQUESTS_BY_ID = select(requests).where(requests.c.request_id.in_(bindparam("ids", expanding=True)))
_REQUESTS_BY_ID_LOCKED = _REQUESTS_BY_ID.with_for_update()
_watched: dict[tuple[str, ...], _Read] = {}
_status_changes: dict[tuple[str, ...] | None, Prepared] = {}


OLD_CONSTRAINT = "one_request_per_incident_echelon"


def upgrade(engine) -> bool:
    """Databases made before an incident could have a second request kept one request per incident and
    echelon for ever: that constraint gives way to `one_open_request`; those made before incidents kept
    their reporter gain the column. True when something changed."""
    added = bool(add_columns(engine, incidents))
    return _one_open_request(engine) or added


def _one_open_request(engine) -> bool:
    with engine.begin() as conn:
        found = inspect(conn)
        if not found.has_table(requests.name):
            return False
        if OLD_CONSTRAINT not in {c["name"] for c in found.get_unique_constraints(requests.name)}:
            return False
        if engine.dialect.name == "postgresql":
            conn.execute(text(f'ALTER TABLE {requests.name} DROP CONSTRAINT IF EXISTS "{OLD_CONSTRAINT}"'))
            one_open_request.create(conn, checkfirst=True)
            return True
        # SQLite drops no constraint: the table is built again and its rows copied over
        indexes = [index["name"] for index in found.get_indexes(requests.name)]
        conn.execute(text(f"ALTER TABLE {requests.name} RENAME TO {requests.name}_old"))
        for name in indexes:
            conn.execute(text(f'DROP INDEX "{name}"'))
        requests.create(conn)
        cols = ", ".join(c.name for c in requests.columns)
        conn.execute(text(f"INSERT INTO {requests.name} ({cols}) SELECT {cols} FROM {requests.name}_old"))
        conn.execute(text(f"DROP TABLE {requests.name}_old"))
    return True


# --- incidents, their assessment and the reporting officer's changes --------------------------------

def incident(conn, incident_id: str) -> dict | None:
    """The incident as reported (its `incident.reported` payload)."""
    row = _INCIDENT.first(conn, {"id": incident_id})
    return None if row is None else row.report


def incident_and_county(conn, incident_id: str) -> tuple[str, dict] | None:
    """(county, the incident as reported) in one read, or None when there is no such incident."""
    row = _INCIDENT.first(conn, {"id": incident_id})
    return None if row is None else (row.county, row.report)


def incident_county(conn, incident_id: str) -> str | None:
    return conn.execute(select(incidents.c.county).where(incidents.c.incident_id == incident_id)).scalar()


INCIDENTS_ORDER = keyset.Order("incidents", incidents.c.reported_at.desc(), incidents.c.incident_id)


def incident_reports(conn, region: str | None, *, limit: int, offset: int = 0,
                     after: tuple | None = None) -> tuple[list, int]:
    """(a page of the incidents, newest first, inside `region` when given, each a row of `report` (the
    incident as reported) and the columns of INCIDENTS_ORDER; how many there are in all). `after`: the
    page starts after the incident with these values of INCIDENTS_ORDER."""
    query, count = (select(incidents.c.report, incidents.c.reported_at, incidents.c.incident_id),
                    select(func.count()).select_from(incidents))
    if region:
        query, count = (q.where(covers_clause(incidents.c.county, region)) for q in (query, count))
    if after is not None:
        query = query.where(INCIDENTS_ORDER.after(after))
    page = conn.execute(query.order_by(*INCIDENTS_ORDER.terms).limit(limit).offset(offset)).all()
    return page, conn.execute(count).scalar_one()


def insert_incident(conn, incident: dict, status: str, reporter: str | None = None) -> None:
    _INSERT_INCIDENT.execute(conn, {
        "incident_id": incident["incident_id"], "county": incident["location"]["county"], "type": incident["type"],
        "status": status, "report": incident, "reported_at": parse_time(incident["reported_at"]),
        "reporter": reporter}).close()


def incident_reporter(conn, incident_id: str) -> str | None:
    """The source that reported the incident (None: none kept, or no such incident)."""
    return conn.execute(select(incidents.c.reporter).where(incidents.c.incident_id == incident_id)).scalar()


def update_report(conn, incident: dict) -> None:
    conn.execute(update(incidents).where(incidents.c.incident_id == incident["incident_id"]).values(report=incident))


def set_incident_status(conn, incident_id: str, status: str, *, only_from: tuple[str, ...] | None = None) -> None:
    """The incident's status becomes `status` (only from one of `only_from` when given)."""
    only_from = None if only_from is None else tuple(only_from)
    prepared = _status_changes.get(only_from)
    if prepared is None:
        stmt = update(incidents).where(incidents.c.incident_id == bindparam("id"))
        if only_from is not None:
            stmt = stmt.where(_one_of(incidents.c.status, only_from))
        prepared = _status_changes[only_from] = Prepared(stmt.values(status=bindparam("to")))
    prepared.execute(conn, {"id": incident_id, "to": status}).close()


def save_assessment(conn, incident_id: str, *, replace: bool, **values) -> None:
    if replace:
        conn.execute(delete(assessments).where(assessments.c.incident_id == incident_id))
    _INSERT_ASSESSMENT.execute(conn, dict(values, incident_id=incident_id)).close()


def assessment(conn, incident_id: str) -> dict | None:
    """Grade, grading rule and the lines in force (the template's, with the officer's overrides applied)."""
    row = conn.execute(select(assessments).where(assessments.c.incident_id == incident_id)).first()
    if row is None:
        return None
    view = {"grade": row.grading["grade"], "grading": dict(row.grading), "requirements_version": row.templates_version,
            "requirements": row.lines}
    changed = conn.execute(select(overrides).where(overrides.c.incident_id == incident_id)).first()
    if changed is not None:
        view["requirements"] = override_rules.apply(row.lines, changed.changes)
        view["template_requirements"] = row.lines
        view["overrides"] = {"changes": changed.changes, "overridden_by": changed.overridden_by,
                             "role": changed.role, "reason": changed.reason, "at": stamp(changed.at)}
    return view


def record_overrides(conn, incident_id: str, changes: list[dict], identity, reason: str | None, at: datetime) -> None:
    """Keep who changed which template lines of the incident, and why (checked by the caller)."""
    conn.execute(delete(overrides).where(overrides.c.incident_id == incident_id))
    conn.execute(insert(overrides).values(incident_id=incident_id, changes=changes, overridden_by=identity.subject,
                                          role=identity.role, reason=reason, at=at))


# --- the counties' load and the incidents watched against it ----------------------------------------

# A transaction-scoped advisory lock per schema and county (its key a 64-bit slice of an MD5, with documented
# functions only): advisory locks are database-wide, and one database may host several demands' schemas.
_LOCK_COUNTY = text("SELECT pg_advisory_xact_lock(('x' || substr(md5(current_schema() || '/demand/county-gap/' "
                    "|| :county), 1, 16))::bit(64)::bigint)")


def lock_county(conn, county: str) -> None:
    """Take the county's turn to assess its force gap, until the transaction ends.

    An incident reported while a load report of its county is handled: each transaction read the
    other's write as not yet committed, so the report was assessed against the old load and the load
    against the county's incidents without the new one, and neither raised the request that both
    together call for. On PostgreSQL the second now waits for the first and then reads its facts;
    SQLite's writers take turns already (BEGIN IMMEDIATE)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_LOCK_COUNTY, {"county": county})


def latest_load(conn, county: str) -> dict | None:
    row = _LATEST_LOAD.first(conn, {"county": county})
    return None if row is None else row.report


def record_load(conn, report: dict) -> bool:
    """Keep the county's latest report; False when `report` is older than the one kept."""
    at = parse_time(report["at"])
    row = conn.execute(select(county_loads.c.at).where(county_loads.c.county == report["county"])).first()
    if row is None:
        conn.execute(insert(county_loads).values(county=report["county"], report=report, at=at))
    elif row.at <= at:
        conn.execute(update(county_loads).where(county_loads.c.county == report["county"])
                     .values(report=report, at=at))
    else:
        return False
    return True


def watched_incidents(conn, county: str, statuses: tuple[str, ...]) -> list:
    """The county's incidents in `statuses`, oldest first, with their assessment, overrides and the fields
    `request_id`, `request_status` and `progress` of their open request when they have one."""
    statuses = tuple(statuses)
    read = _watched.get(statuses)
    if read is None:
        read = _watched[statuses] = _Read(
            select(incidents.c.incident_id, incidents.c.status, incidents.c.report,
                   assessments.c.grading, assessments.c.lines, overrides.c.changes, requests.c.request_id,
                   requests.c.status.label("request_status"), requests.c.progress)
            .select_from(incidents.join(assessments, assessments.c.incident_id == incidents.c.incident_id)
                         .outerjoin(overrides, overrides.c.incident_id == incidents.c.incident_id)
                         .outerjoin(requests, (requests.c.incident_id == incidents.c.incident_id)
                                    & (requests.c.echelon == "") & _one_of(requests.c.status, OPEN)))
            .where(incidents.c.county == bindparam("county"), _one_of(incidents.c.status, statuses))
            .order_by(incidents.c.reported_at, incidents.c.incident_id))
    return read.all(conn, {"county": county})


# --- support requests and their transitions ---------------------------------------------------------

SORTS = {"deadline": requests.c.deadline, "grade": requests.c.severity.desc(),
         "requested_at": requests.c.requested_at, "updated_at": requests.c.updated_at.desc()}
# each sort as the page's whole order: then by deadline, then by id (keyset.py)
REQUESTS_ORDERS = {name: keyset.Order(f"requests.{name}", term, requests.c.deadline, requests.c.request_id)
                   for name, term in SORTS.items()}


def request(conn, request_id: str, *, lock: bool = False):
    query = select(requests).where(requests.c.request_id == request_id)
    return conn.execute(query.with_for_update() if lock else query).first()


def requests_by_id(conn, request_ids: list[str], *, lock: bool = False) -> dict:
    """request_id -> row, in one query (a county's open requests, read once per evaluation)."""
    if not request_ids:
        return {}
    query = _REQUESTS_BY_ID_LOCKED if lock else _REQUESTS_BY_ID
    return {r.request_id: r for r in conn.execute(query, {"ids": list(request_ids)})}


def request_county(conn, request_id: str) -> str | None:
    return conn.execute(select(requests.c.county).where(requests.c.request_id == request_id)).scalar()


def open_request(conn, incident_id: str):
    """The incident's own open request (not an echelon's), if any."""
    return conn.execute(select(requests).where(requests.c.incident_id == incident_id, requests.c.echelon == "",
                                               requests.c.status.in_(OPEN))).first()


def another_open(conn, row) -> bool:
    """Whether the incident has an open request of its own other than `row`."""
    return conn.execute(select(requests.c.request_id).where(
        requests.c.incident_id == row.incident_id, requests.c.echelon == "", requests.c.request_id != row.request_id,
        requests.c.status.in_(OPEN))).first() is not None


def insert_request(conn, **values) -> None:
    names = tuple(values)
    prepared = _request_inserts.get(names)
    if prepared is None:
        prepared = _request_inserts[names] = Prepared(insert(requests).values(_binds(requests, names)))
    prepared.execute(conn, values).close()


def update_request(conn, request_id: str, **values) -> None:
    conn.execute(update(requests).where(requests.c.request_id == request_id).values(**values))


def save_progress(conn, row, **facts) -> None:
    """Record what happened to a request so far (officers committed, units ordered and arrived)."""
    update_request(conn, row.request_id, progress=dict(row.progress, **facts))


def due_requests(conn, now: datetime, limit: int) -> list:
    """Requests whose next watched deadline has come, locked, the earliest first."""
    return conn.execute(select(requests).where(requests.c.next_check <= now)
                        .order_by(requests.c.next_check).limit(limit).with_for_update()).all()


def visible_requests(conn, level: str, region: str, *, statuses: list[str], grades: list[str], county: str | None,
                     city: str | None, sort: str, limit: int, offset: int = 0,
                     after: tuple | None = None) -> tuple[list, int]:
    """GET /requests: the province sees every request of the province, a city its counties', a county its
    own; filtered, sorted by `sort` (a key of SORTS) then by deadline. (The page, how many in all.)
    `after`: the page starts after the request with these values of REQUESTS_ORDERS[sort]."""
    if level == "province":
        stmt = select(requests).where(covers_clause(requests.c.county, region))
    elif level == "city":
        stmt = select(requests).where(requests.c.city == region)
    else:
        stmt = select(requests).where(requests.c.county == region)
    if statuses:
        stmt = stmt.where(requests.c.status.in_(statuses))
    if grades:
        stmt = stmt.where(requests.c.severity.in_([SEVERITY[g] for g in grades]))
    if county:
        stmt = stmt.where(requests.c.county == county)
    if city:
        stmt = stmt.where(requests.c.city == city)
    total = conn.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    order = REQUESTS_ORDERS[sort]
    if after is not None:
        stmt = stmt.where(order.after(after))
    page = stmt.order_by(*order.terms).limit(limit).offset(offset)
    return conn.execute(page).all(), total


def insert_transition(conn, row, from_status: str, to_status: str, *, cause: str, by: str | None,
                      note: str | None, at: datetime) -> None:
    conn.execute(insert(transitions).values(request_id=row.request_id, from_status=from_status, to_status=to_status,
                                            cause=cause, by=by, note=note, at=at))


def history(conn, request_id: str) -> list[dict]:
    rows = conn.execute(select(transitions).where(transitions.c.request_id == request_id).order_by(transitions.c.id))
    return [{"from_status": r.from_status, "to_status": r.to_status, "cause": r.cause, "by": r.by, "note": r.note,
             "at": stamp(r.at)} for r in rows]


# --- pre-positioned tasks and their echelons --------------------------------------------------------

def preposition(conn, preposition_id: str):
    return conn.execute(select(prepositions).where(prepositions.c.preposition_id == preposition_id)).first()


def preposition_county(conn, preposition_id: str) -> str | None:
    return conn.execute(select(prepositions.c.county)
                        .where(prepositions.c.preposition_id == preposition_id)).scalar()


def insert_preposition(conn, body: dict, *, preposition_id: str, incident_id: str, by: str, at: datetime) -> None:
    conn.execute(insert(prepositions).values(preposition_id=preposition_id, incident_id=incident_id,
                                             county=body["location"]["county"], body=body, scheduled_by=by, at=at))
    for e in body["echelons"]:
        conn.execute(insert(echelons).values(preposition_id=preposition_id, echelon_id=e["echelon_id"],
                                             due_at=parse_time(e["due_at"]), body=e))


def due_echelons(conn, now: datetime) -> list:
    """Echelons due at `now` and not yet raised, the earliest first."""
    return conn.execute(select(echelons).where(echelons.c.request_id.is_(None), echelons.c.due_at <= now)
                        .order_by(echelons.c.due_at)).all()


def echelon_raised(conn, echelon, request_id: str) -> None:
    conn.execute(update(echelons).where(echelons.c.preposition_id == echelon.preposition_id,
                                        echelons.c.echelon_id == echelon.echelon_id).values(request_id=request_id))


def echelons_of(conn, preposition_id: str) -> list:
    """A task's echelons (due first) with the status of the request each became."""
    return conn.execute(select(echelons, requests.c.status).select_from(
        echelons.outerjoin(requests, requests.c.request_id == echelons.c.request_id))
        .where(echelons.c.preposition_id == preposition_id).order_by(echelons.c.due_at)).all()


# --- needs written as text: proposals and confirmations ---------------------------------------------

def insert_proposal(conn, proposal: dict, *, incident_id: str | None, by: str, at: datetime) -> None:
    conn.execute(insert(needs_proposals).values(
        proposal_id=proposal["proposal_id"], county=proposal["county"], incident_id=incident_id,
        text=proposal["text"][:4000], model_version=proposal["model_version"], lines=proposal["lines"],
        proposed_by=by, at=at))


def proposal(conn, proposal_id: str):
    return conn.execute(select(needs_proposals).where(needs_proposals.c.proposal_id == proposal_id)).first()


def latest_proposal(conn, incident_id: str):
    """The last proposal made from the words of the incident's report."""
    return conn.execute(select(needs_proposals).where(needs_proposals.c.incident_id == incident_id)
                        .order_by(needs_proposals.c.at.desc(), needs_proposals.c.proposal_id.desc())).first()


def last_confirmed_lines(conn, incident_id: str) -> list[dict] | None:
    """The lines of the incident's latest confirmation, if any."""
    row = conn.execute(select(needs_feedback.c.confirmed).where(needs_feedback.c.incident_id == incident_id)
                       .order_by(needs_feedback.c.at.desc())).first()
    return None if row is None else row.confirmed


def insert_feedback(conn, **values) -> None:
    conn.execute(insert(needs_feedback).values(**values))


def all_feedback(conn):
    """Every recorded confirmation, oldest first (the needs model's training rows)."""
    return conn.execute(select(needs_feedback).order_by(needs_feedback.c.at))
