"""Reads of officers: the availability search (its filters, the candidates inside the travel box) and
officers by id.

Times are read back as aware UTC datetimes (storage.UtcDateTime), on either database.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Integer, String, and_, bindparam, func, or_, select, type_coerce, union_all
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import BindParameter

from ...common import storage
from ..domain import duty
from .schema import commitments, officer_certificates, officers, units


def available_clause(now: datetime):
    """On duty now: on_duty, or resting with the rest over. Written as `status IN (on_duty, resting)`
    and a rest test so that an index leading with status (after module or county) is searched by
    range rather than scanned."""
    now = _now(now)
    rested = or_(officers.c.status == "on_duty", officers.c.rest_until.is_(None), officers.c.rest_until <= now)
    return and_(officers.c.status.in_(("on_duty", "resting")), rested)


def status_clause(status: str, now: datetime):
    if status == "on_duty":
        return available_clause(now)
    if status == "resting":
        return and_(officers.c.status == "resting", officers.c.rest_until > _now(now))
    return officers.c.status == status


LISTED = ("county", "city", "module", "unit_id")


def search_filters(f: dict, now: datetime) -> list:
    """The search's conditions. Every value the caller gives is a parameter named after its filter and
    place (`module_0`, `tag_1`, `now`, `valid_on`, ...: `_filter_values`), so searches of one shape share
    one statement text (`candidate_positions` compiles it once).

    A certification keeps the officers holding one of that name valid on `valid_on` (the day asked, or
    today's date at `now`): a look-up of each candidate in `officer_certificates` by its key (officer,
    name, expiry), not a read of the candidate's JSON list."""
    where = []
    for name in LISTED:
        if f.get(name):
            where.append(officers.c[name].in_([bindparam(f"{name}_{i}", v) for i, v in enumerate(f[name])]))
    for i, code in enumerate(f.get("tag", [])):
        where.append(officers.c.tags_text.contains(bindparam(f"tag_{i}", _like(code)), escape="/"))
    held = officer_certificates.c
    for i, code in enumerate(f.get("certification", [])):
        where.append(select(held.officer_id).where(
            held.officer_id == officers.c.officer_id, held.name == bindparam(f"cert_name_{i}", code, type_=String),
            held.expires >= bindparam("valid_on", _valid_on(f, now), type_=String)).exists())
    if f.get("status"):
        where.append(or_(*[status_clause(s, now) for s in f["status"]]))
    return where


def _valid_on(f: dict, now: datetime) -> str:
    """The day certificates must be valid on, as the ISO text their expiry dates are kept in (so the
    database compares them as text, in date order)."""
    return (f.get("valid_on") or now.date()).isoformat()


def _now(now):
    return now if isinstance(now, BindParameter) else bindparam("now", now, type_=officers.c.rest_until.type)


def _like(code: str) -> str:
    """';code;' escaped for LIKE with '/' (as `contains(..., autoescape=True)` escapes it)."""
    return ";" + code.replace("/", "//").replace("%", "/%").replace("_", "/_") + ";"


def _filter_values(conn: Connection, f: dict, now: datetime, box) -> dict:
    """The parameters of search_filters (and of the box), by name, in the driver's form (`now` bound
    as SQLAlchemy binds the column's type on this connection's dialect)."""
    when = officers.c.rest_until.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    out = {"now": now if when is None else when(now)}
    for name in LISTED:
        out.update((f"{name}_{i}", v) for i, v in enumerate(f.get(name) or ()))
    out.update((f"tag_{i}", _like(code)) for i, code in enumerate(f.get("tag", [])))
    out.update((f"cert_name_{i}", code) for i, code in enumerate(f.get("certification", [])))
    if f.get("certification"):
        out["valid_on"] = _valid_on(f, now)
    if box is not None:
        out.update(min_lon=box[0], max_lon=box[1], min_lat=box[2], max_lat=box[3])
    return out


def _shape(f: dict, box) -> tuple:
    """What the candidates' statement text depends on: which filters hold how many values, the statuses
    asked for, whether there is a box."""
    return (tuple(len(f.get(name) or ()) for name in LISTED), len(f.get("tag", [])),
            len(f.get("certification", [])), tuple(f.get("status") or ()), box is not None)


_STATEMENTS = storage.Shaped()   # the candidates' statement, per dialect and shape of search


def candidate_positions(conn: Connection, f: dict, now: datetime,
                        box: tuple[float, float, float, float] | None = None) -> list[tuple]:
    """(officer_id, county, lon, lat) of every officer the filters keep, by id; with `box` (min_lon,
    max_lon, min_lat, max_lat) only those inside it or with no known position.

    The box is asked as two statements in one (UNION ALL): the officers placed inside it, which an
    index with the longitude after module and status reads as a range, and those with no position;
    one condition "no position or inside" would read every officer of the module instead.

    Run on the driver: a search reads thousands of candidates (tens of thousands at a million
    officers), where SQLAlchemy's Row for each, and compiling the statement, cost as much as the
    statement. The text is compiled once per shape of search (`_shape`) by the connection's dialect
    and run with this search's values (datetimes bound as SQLAlchemy binds them); rows are the
    driver's tuples."""
    values = _filter_values(conn, f, now, box)
    return _STATEMENTS.rows(conn, _shape(f, box), lambda: _candidates_statement(f, now, box), values)


def candidate_page(conn: Connection, f: dict, now: datetime, *, limit: int, offset: int = 0,
                   after: str | None = None) -> tuple[list[str], int]:
    """(ids, total): the ids of one page of the officers the filters keep, in id order (`limit` of them,
    `offset` skipped, or those after the id `after`), and how many the filters keep in all. Two
    statements cut in the database, for a search without a point (whose travel times are decided per
    candidate in Python): a page costs a count and the page's rows, not a read of every candidate,
    so a reader following the pages to the end of a million officers reads each once."""
    values = _filter_values(conn, f, now, None)
    shape = _shape(f, None)
    total = _count(conn, f, now, values)
    values.update(page_limit=limit, page_offset=offset)
    if after is not None:
        values["after"] = after
    rows = _STATEMENTS.rows(conn, ("page", shape, after is not None),
                            lambda: _page_statement(f, now, after is not None), values)
    return [r[0] for r in rows], total


def candidate_count(conn: Connection, f: dict, now: datetime) -> int:
    """How many officers the filters keep (the count `candidate_page` answers with its page)."""
    return _count(conn, f, now, _filter_values(conn, f, now, None))


def _count(conn: Connection, f: dict, now: datetime, values: dict) -> int:
    return _STATEMENTS.rows(conn, ("count", _shape(f, None)), lambda: _count_statement(f, now), values)[0][0]


def _count_statement(f: dict, now: datetime):
    return select(func.count()).select_from(officers).where(*search_filters(f, now))


def _page_statement(f: dict, now: datetime, after: bool):
    where = search_filters(f, now)
    if after:
        where.append(officers.c.officer_id > bindparam("after", "", type_=String))
    return (select(officers.c.officer_id).where(*where).order_by(officers.c.officer_id)
            .limit(bindparam("page_limit", 0, type_=Integer)).offset(bindparam("page_offset", 0, type_=Integer)))


def _candidates_statement(f: dict, now: datetime, box):
    cols = [officers.c.officer_id, officers.c.county, officers.c.lon, officers.c.lat]
    where = search_filters(f, now)
    if box is None:
        return select(*cols).where(*where).order_by(officers.c.officer_id)
    inside = and_(officers.c.lon.between(bindparam("min_lon", box[0]), bindparam("max_lon", box[1])),
                  officers.c.lat.between(bindparam("min_lat", box[2]), bindparam("max_lat", box[3])))
    both = union_all(select(*cols).where(*where, inside), select(*cols).where(*where, officers.c.lon.is_(None)))
    return both.order_by(both.selected_columns.officer_id)


# The JSON columns are read as the driver hands them (text on SQLite, decoded on PostgreSQL) and decoded
# here, the sealed fields then opened by the column's own type: the same values SQLAlchemy's result
# processing gives, without its layers per value (a search's 50-officer page reads whole rows; opening
# the sealed fields is the larger part of what is left).
_JSON_COLUMNS = ("certifications", "equipment_ids", "personal")
_BY_ID_COLUMNS = [type_coerce(c, String).label(c.name) if c.name in _JSON_COLUMNS else c for c in officers.c]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def officers_by_id(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """Officers by id, each with its unit's level (`unit_level`: province, city, county; None if unknown)."""
    out = {}
    joined = officers.outerjoin(units, units.c.unit_id == officers.c.unit_id)
    personal, dialect = officers.c.personal.type, conn.dialect
    for i in range(0, len(ids), 1000):
        result = conn.execute(select(*_BY_ID_COLUMNS, units.c.level.label("unit_level")).select_from(joined)
                              .where(officers.c.officer_id.in_(ids[i:i + 1000])))
        keys = list(result.keys())
        for values in result:
            row = dict(zip(keys, values))
            row["certifications"] = _json(row["certifications"])
            row["equipment_ids"] = _json(row["equipment_ids"])
            row["personal"] = personal.process_result_value(_json(row["personal"]), dialect)
            out[row["officer_id"]] = row
    return out


def officer_counties(conn: Connection, ids: list[str]) -> set[str]:
    """The home counties of the officers in `ids` (those that exist)."""
    out: set[str] = set()
    for i in range(0, len(ids), 1000):
        out.update(conn.execute(_COUNTIES_OF, {"ids": ids[i:i + 1000]}).scalars())
    return out


_COUNTIES_OF = select(officers.c.county).where(officers.c.officer_id.in_(bindparam("ids", expanding=True)))


def officer_homes(conn: Connection, ids: list[str]) -> dict[str, str]:
    """Each officer of `ids` the roster holds: their home county."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 1000):
        out.update(conn.execute(_HOMES_OF, {"ids": ids[i:i + 1000]}).all())
    return out


_HOMES_OF = select(officers.c.officer_id, officers.c.county).where(officers.c.officer_id.in_(bindparam("ids", expanding=True)))


def officer(conn: Connection, officer_id: str) -> dict | None:
    return officers_by_id(conn, [officer_id]).get(officer_id)


def officer_county(conn: Connection, officer_id: str) -> str | None:
    """The officer's home county (where their roster is kept), None for no such officer."""
    return conn.execute(select(officers.c.county).where(officers.c.officer_id == officer_id)).scalar()


def commanding_county(conn: Connection, officer_id: str) -> str | None:
    """The county that commands the officer on scene: the receiving county of the commitment in force
    that holds them (None when none does)."""
    return commanding_counties(conn, [officer_id]).get(officer_id)


def commanding_counties(conn: Connection, ids: list[str]) -> dict[str, str]:
    """`commanding_county` of each officer in `ids` that a commitment in force holds."""
    out: dict[str, str] = {}
    for i in range(0, len(ids), 1000):
        out.update((officer_id, county) for officer_id, county in conn.execute(_COMMANDING, {"ids": ids[i:i + 1000]}))
    return out


_COMMANDING = (select(officers.c.officer_id, commitments.c.county)
               .select_from(officers.join(commitments, commitments.c.commit_id == officers.c.commit_id))
               .where(officers.c.officer_id.in_(bindparam("ids", expanding=True)), commitments.c.status == "committed"))


def duty_now(row: dict, now: datetime) -> int:
    return duty.minutes_in_window(row["duty_minutes_24h"], row["duty_window_start"], now)
