"""Reads of officers: the availability search (its filters, the candidates inside the travel box) and
officers by id.

Every datetime is stored in UTC; SQLite hands them back naive, so `as_utc()` puts the zone back.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from ...common.clock import as_utc
from ..domain import duty
from .schema import officers, units


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


def duty_now(row: dict, now: datetime) -> int:
    return duty.minutes_in_window(row["duty_minutes_24h"], as_utc(row["duty_window_start"]), now)
