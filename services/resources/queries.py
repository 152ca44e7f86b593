"""Reads of the resource pool (SQL lives here and in store.py / updates.py only).

Every datetime is stored in UTC; SQLite hands them back naive, so `as_utc()` puts the zone back.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, and_, case, func, or_, select, type_coerce
from sqlalchemy.engine import Connection

from ..common.clock import as_utc
from .domain import duty
from .store import commitments, counties, equipment, officers, points_ledger, regions, units

STRENGTH = ("on_duty", "reserved", "deployed")


def available_clause(now: datetime):
    """On duty now: on_duty, or resting with the rest over. Written as `status IN (on_duty, resting)`
    and a rest test so that an index leading with status (after module or county) is searched by
    range rather than scanned."""
    rested = or_(officers.c.status == "on_duty", officers.c.rest_until.is_(None), officers.c.rest_until <= now)
    return and_(officers.c.status.in_(("on_duty", "resting")), rested)


def status_clause(status: str, now: datetime):
    if status == "on_duty":
        return available_clause(now)
    if status == "resting":
        return and_(officers.c.status == "resting", officers.c.rest_until > now)
    return officers.c.status == status


def search_filters(f: dict, now: datetime) -> list:
    where = []
    for name in ("county", "city", "module", "unit_id"):
        if f.get(name):
            where.append(officers.c[name].in_(f[name]))
    for tag in f.get("tag", []):
        where.append(officers.c.tags_text.contains(f";{tag};", autoescape=True))
    for cert in f.get("certification", []):
        where.append(officers.c.cert_text.contains(f";{cert};", autoescape=True))
    if f.get("status"):
        where.append(or_(*[status_clause(s, now) for s in f["status"]]))
    return where


def candidate_positions(conn: Connection, f: dict, now: datetime,
                        box: tuple[float, float, float, float] | None = None) -> list:
    """(officer_id, county, lon, lat, certifications) of every officer the filters keep, by id; with
    `box` (min_lon, max_lon, min_lat, max_lat) only those inside it or with no known position."""
    cols = [officers.c.officer_id, officers.c.county, officers.c.lon, officers.c.lat]
    if f.get("certification"):
        cols.append(officers.c.certifications)
    where = search_filters(f, now)
    if box is not None:
        where.append(or_(officers.c.lon.is_(None),
                         and_(officers.c.lon.between(box[0], box[1]), officers.c.lat.between(box[2], box[3]))))
    stmt = select(*cols).where(*where).order_by(officers.c.officer_id)
    return conn.execute(stmt).all()


def officers_by_id(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """Officers by id, each with its unit's level (`unit_level`: province, city, county; None if unknown)."""
    out = {}
    joined = officers.outerjoin(units, units.c.unit_id == officers.c.unit_id)
    for i in range(0, len(ids), 1000):
        rows = conn.execute(select(officers, units.c.level.label("unit_level")).select_from(joined)
                            .where(officers.c.officer_id.in_(ids[i:i + 1000])))
        out.update({r.officer_id: r._asdict() for r in rows})
    return out


def officer_counties(conn: Connection, ids: list[str]) -> set[str]:
    """The home counties of the officers in `ids` (those that exist)."""
    out: set[str] = set()
    for i in range(0, len(ids), 1000):
        out.update(conn.execute(select(officers.c.county).where(officers.c.officer_id.in_(ids[i:i + 1000]))).scalars())
    return out


def officer(conn: Connection, officer_id: str) -> dict | None:
    return officers_by_id(conn, [officer_id]).get(officer_id)


def officer_county(conn: Connection, officer_id: str) -> str | None:
    """The officer's home county (where their roster is kept), None for no such officer."""
    return conn.execute(select(officers.c.county).where(officers.c.officer_id == officer_id)).scalar()


def lock_officers(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """The officers' rows, locked in id order (PostgreSQL) so two commits never deadlock."""
    stmt = select(officers).where(officers.c.officer_id.in_(sorted(ids))).order_by(officers.c.officer_id)
    return {r.officer_id: r._asdict() for r in conn.execute(stmt.with_for_update())}


COMMIT_COLUMNS = ("officer_id", "county", "module", "status", "rest_until", "duty_minutes_24h", "duty_window_start",
                  "certifications")


def lock_for_commit(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """lock_officers with only what a commit reads: the columns above, and `personal` as stored (its
    sealed fields left sealed: a commit reads only the daily wage, which is never sealed)."""
    stored = type_coerce(officers.c.personal, JSON).label("personal")
    stmt = (select(*(officers.c[c] for c in COMMIT_COLUMNS), stored)
            .where(officers.c.officer_id.in_(sorted(ids))).order_by(officers.c.officer_id))
    return {r.officer_id: r._asdict() for r in conn.execute(stmt.with_for_update())}


def lock_counties(conn: Connection, codes: list[str]) -> dict[str, dict]:
    stmt = select(counties).where(counties.c.county.in_(sorted(codes))).order_by(counties.c.county)
    return {r.county: r._asdict() for r in conn.execute(stmt.with_for_update())}


def county_rows(conn: Connection, codes: list[str] | None = None) -> dict[str, dict]:
    stmt = select(counties).order_by(counties.c.county)
    if codes is not None:
        stmt = stmt.where(counties.c.county.in_(codes))
    return {r.county: r._asdict() for r in conn.execute(stmt)}


def county_counts(conn: Connection, codes: list[str] | None, now: datetime, *,
                  only: list[str] | None = None) -> dict[str, dict]:
    """Per county: strength (on duty, committed or not), available, committed, available per module
    (of the officers in `only`, when given).

    SQL counts per county, status and module (the order of the load index, so without a sort) and
    how many of the resting have rested; available = on duty + rested."""
    rested = func.sum(case((or_(officers.c.rest_until.is_(None), officers.c.rest_until <= now), 1), else_=0))
    stmt = (select(officers.c.county, officers.c.status, officers.c.module, func.count(), rested)
            .group_by(officers.c.county, officers.c.status, officers.c.module))
    if codes is not None:
        stmt = stmt.where(officers.c.county.in_(codes))
    if only is not None:
        stmt = stmt.where(officers.c.officer_id.in_(only))
    out: dict[str, dict] = {}
    for county, status, module, n, rested_n in conn.execute(stmt):
        c = out.setdefault(county, {"available": 0, "committed": 0, "by_module": {}})
        available = int(n) if status == "on_duty" else int(rested_n or 0) if status == "resting" else 0
        c["available"] += available
        if status in ("reserved", "deployed"):
            c["committed"] += int(n)
        c["by_module"][module] = c["by_module"].get(module, 0) + available
    for c in out.values():
        c["by_module"] = dict(sorted(c["by_module"].items()))
    return out


def qualified_counts(conn: Connection, codes: list[str] | None, now: datetime) -> dict[str, dict]:
    """Per county and module: how many available officers hold each skill tag or certification.

    Officers are counted in SQL per distinct (county, module, tags, certifications) combination, so
    the rows returned grow with the variety of qualifications, not with the number of officers."""
    stmt = (select(officers.c.county, officers.c.module, officers.c.tags_text, officers.c.cert_text, func.count())
            .where(available_clause(now))
            .group_by(officers.c.county, officers.c.module, officers.c.tags_text, officers.c.cert_text))
    if codes is not None:
        stmt = stmt.where(officers.c.county.in_(codes))
    out: dict[str, dict] = {}
    for county, module, tags, certs, n in conn.execute(stmt):
        held = out.setdefault(county, {}).setdefault(module, {})
        for code in {c for c in f"{tags};{certs}".split(";") if c}:
            held[code] = held.get(code, 0) + int(n)
    return out


def received_by_county(conn: Connection, codes: list[str] | None = None) -> dict[str, int]:
    """Officers held by commitments in force, per receiving county (of `codes`, when given)."""
    stmt = select(commitments.c.county, commitments.c.officer_ids).where(commitments.c.status == "committed")
    if codes is not None:
        stmt = stmt.where(commitments.c.county.in_(codes))
    out: dict[str, int] = {}
    for county, ids in conn.execute(stmt):
        out[county] = out.get(county, 0) + len(ids)
    return out


def commitment(conn: Connection, *, plan_id: str | None = None, commit_id: str | None = None) -> dict | None:
    col, value = (commitments.c.plan_id, plan_id) if plan_id else (commitments.c.commit_id, commit_id)
    row = conn.execute(select(commitments).where(col == value)).first()
    return row._asdict() if row else None


def equipment_items(conn: Connection, ids: list[str]) -> dict[str, dict]:
    rows = conn.execute(select(equipment).where(equipment.c.equipment_id.in_(ids)))
    return {r.equipment_id: r._asdict() for r in rows}


def region_rows(conn: Connection) -> list[dict]:
    return [r._asdict() for r in conn.execute(select(regions).order_by(regions.c.code))]


def points_by(conn: Connection, column: str) -> dict[str, float]:
    col = officers.c[column]
    rows = conn.execute(select(col, func.sum(officers.c.points_balance)).group_by(col).order_by(col))
    return {key: round(float(total or 0), 1) for key, total in rows}


def ledger(conn: Connection, *, officer_id: str | None = None) -> list[dict]:
    stmt = select(points_ledger).order_by(points_ledger.c.id)
    if officer_id:
        stmt = stmt.where(points_ledger.c.officer_id == officer_id)
    return [r._asdict() for r in conn.execute(stmt)]


def city_flows(conn: Connection) -> list[tuple[str, str, float]]:
    stmt = select(points_ledger.c.city, points_ledger.c.receiving_city, points_ledger.c.points).where(
        points_ledger.c.receiving_city.is_not(None))
    return [(a, b, float(p)) for a, b, p in conn.execute(stmt)]


def duty_now(row: dict, now: datetime) -> int:
    return duty.minutes_in_window(row["duty_minutes_24h"], as_utc(row["duty_window_start"]), now)


def unit_rows(conn: Connection, county: str | None) -> list[dict]:
    stmt = select(units).order_by(units.c.unit_id)
    if county:
        stmt = stmt.where(units.c.county == county)
    return [r._asdict() for r in conn.execute(stmt)]


def commitment_rows(conn: Connection, status: str | None) -> list[dict]:
    stmt = select(commitments).order_by(commitments.c.at.desc()).limit(500)
    if status:
        stmt = stmt.where(commitments.c.status == status)
    return [{k: (as_utc(v).isoformat() if isinstance(v, datetime) else v) for k, v in r._asdict().items()}
            for r in conn.execute(stmt)]


def status_counts(conn: Connection) -> list[tuple[str, str, int]]:
    rows = conn.execute(select(officers.c.county, officers.c.status, func.count())
                        .group_by(officers.c.county, officers.c.status))
    return [tuple(r) for r in rows]


def force_counts(conn: Connection) -> dict[str, dict[str, int]]:
    """Per county: equipment items and those ready (the register's readiness), officers and those
    willing to volunteer (the roster's volunteer flag; an officer without it is not counted as one)."""
    out: dict[str, dict[str, int]] = {}

    def row(county: str) -> dict[str, int]:
        return out.setdefault(county, {"equipment_items": 0, "ready_items": 0, "officers": 0, "volunteers": 0})

    for county, items, ready in conn.execute(
            select(equipment.c.county, func.count(), func.sum(case((equipment.c.readiness == "ready", 1), else_=0)))
            .group_by(equipment.c.county)):
        row(county).update(equipment_items=int(items), ready_items=int(ready or 0))
    volunteer = type_coerce(officers.c.personal, JSON)["volunteer"].as_boolean()
    for county, n, willing in conn.execute(
            select(officers.c.county, func.count(), func.sum(case((volunteer.is_(True), 1), else_=0)))
            .group_by(officers.c.county)):
        row(county).update(officers=int(n), volunteers=int(willing or 0))
    return out
