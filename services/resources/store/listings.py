"""The reads behind resources' listings and summaries: regions, units, equipment, commitments, task
points and the force's figures."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, case, exists, func, or_, select, type_coerce
from sqlalchemy.engine import Connection

from ...common import keyset
from ...common.permissions import covers_clause
from ...geo.regions import region_covers
from .schema import commitment_officers, commitments, equipment, officers, points_ledger, regions, units


def region_rows(conn: Connection) -> list[dict]:
    return [r._asdict() for r in conn.execute(select(regions).order_by(regions.c.code))]


def unit_rows(conn: Connection, county: str | None, unit_ids: list[str] | None = None) -> list[dict]:
    stmt = select(units).order_by(units.c.unit_id)
    if county:
        stmt = stmt.where(units.c.county == county)
    if unit_ids is not None:
        stmt = stmt.where(units.c.unit_id.in_(unit_ids))
    return [r._asdict() for r in conn.execute(stmt)]


def equipment_items(conn: Connection, ids) -> dict[str, dict]:
    """The items of `ids` the pool holds, by id (a thousand ids a statement: a roster names tens of thousands)."""
    ids, out = sorted(set(ids)), {}
    for i in range(0, len(ids), 1000):
        rows = conn.execute(select(equipment).where(equipment.c.equipment_id.in_(ids[i:i + 1000])))
        out.update((r.equipment_id, r._asdict()) for r in rows)
    return out


COMMITMENTS_ORDER = keyset.Order("commitments", commitments.c.at.desc(), commitments.c.commit_id)


def commitment_rows(conn: Connection, status: str | None, region: str | None = None, *, limit: int = 500,
                    offset: int = 0, after: tuple | None = None) -> tuple[list[dict], int]:
    """(A page of the commitments, latest first (of `status`, when given); how many there are in all.)
    With `region` (a caller bound to it), those that concern it: its receiving county lies inside the
    region (all the officers shown, as the receiving side commands them), or some of its officers' home
    counties do (those officers shown). The database filters, counts and cuts the page; `after`: it starts after the
    commitment with these values of COMMITMENTS_ORDER."""
    where = [commitments.c.status == status] if status else []
    count_where, page_where = list(where), list(where)
    if region is not None:
        # The same rule written twice, each in the form that read fastest at 100,000 commitments
        # (bench/README.md): the count as an IN list of the commitments that send the region's officers
        # (one pass over commitment_officers' county index), the page as an EXISTS per commitment while
        # the commitments are read latest first along their time index, which stops at the page's last
        # row. On SQLite either the other way round cost 2.5 to 190 times as much; on PostgreSQL the
        # count 3 times, the page from 0.7 times (a county) to 60 times (a city).
        received = covers_clause(commitments.c.county, region)
        own = covers_clause(commitment_officers.c.county, region)
        count_where.append(or_(received, commitments.c.commit_id.in_(select(commitment_officers.c.commit_id).where(own))))
        page_where.append(or_(received, exists().where(commitment_officers.c.commit_id == commitments.c.commit_id, own)))
    total = conn.execute(select(func.count()).select_from(commitments).where(*count_where)).scalar_one()
    if after is not None:
        page_where.append(COMMITMENTS_ORDER.after(after))
    page = [_commitment(r) for r in conn.execute(select(commitments).where(*page_where).order_by(
        *COMMITMENTS_ORDER.terms).limit(limit).offset(offset))]
    sent = {r["commit_id"] for r in page if region is not None and not region_covers(region, r["county"])}
    if sent:   # received elsewhere: only the region's own officers
        mine = set(conn.execute(select(commitment_officers.c.commit_id, commitment_officers.c.officer_id).where(
            commitment_officers.c.commit_id.in_(sorted(sent)), own)).all())
        for row in page:
            if row["commit_id"] in sent:
                row["officer_ids"] = [i for i in row["officer_ids"] if (row["commit_id"], i) in mine]
    return page, total


def _commitment(r) -> dict:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r._asdict().items()}


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
