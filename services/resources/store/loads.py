"""Counties: their rows and settings, and the counts behind each county's load (strength, available,
committed, qualified, received)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection

from .schema import commitments, counties, officers
from .search import available_clause

STRENGTH = ("on_duty", "reserved", "deployed")


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
    codes_of: dict[tuple, tuple] = {}   # each combination of tags and certifications split once
    for county, module, tags, certs, n in conn.execute(stmt):
        codes = codes_of.get((tags, certs))
        if codes is None:
            codes = codes_of[tags, certs] = tuple({c for c in f"{tags};{certs}".split(";") if c})
        held = out.setdefault(county, {}).setdefault(module, {})
        n = int(n)
        for code in codes:
            held[code] = held.get(code, 0) + n
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


def set_reserve_share(conn: Connection, county: str, share: float | None) -> int:
    return conn.execute(update(counties).where(counties.c.county == county).values(reserve_share=share)).rowcount


def set_standards(conn: Connection, rows: list[dict]) -> None:
    stmt = (update(counties).where(counties.c.county == bindparam("b_county"))
            .values(accepts=bindparam("b_accepts"), legacy=bindparam("b_legacy")))
    conn.execute(stmt, [{"b_county": r["county"], "b_accepts": r["accepts"], "b_legacy": r["legacy"]} for r in rows])
