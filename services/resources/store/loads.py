"""Counties: their rows and settings, and the counts behind each county's load (strength, available,
committed, qualified, received)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, bindparam, case, func, or_, select, update
from sqlalchemy.engine import Connection

from ...common import storage
from .schema import commitments, counties, officers
from .search import available_clause

STRENGTH = ("on_duty", "reserved", "deployed")


_COUNTY_ROWS = select(counties).order_by(counties.c.county)
_COUNTY_ROWS_IN = _COUNTY_ROWS.where(counties.c.county.in_(bindparam("codes", expanding=True)))


def county_rows(conn: Connection, codes: list[str] | None = None) -> dict[str, dict]:
    rows = conn.execute(_COUNTY_ROWS) if codes is None else conn.execute(_COUNTY_ROWS_IN, {"codes": list(codes)})
    return {r.county: r._asdict() for r in rows}


def county_counts(conn: Connection, codes: list[str] | None, now: datetime, *,
                  only: list[str] | None = None) -> dict[str, dict]:
    """Per county: strength (on duty, committed or not), available, committed, available per module
    (of the officers in `only`, when given).

    SQL counts per county, status and module (the order of the load index, so without a sort) and
    how many of the resting have rested; available = on duty + rested."""
    out: dict[str, dict] = {}
    for county, status, module, n, rested_n in _rows(conn, "counts", _counts_statement, now, codes, only):
        c = out.get(county)
        if c is None:
            c = out[county] = {"available": 0, "committed": 0, "by_module": {}}
        available = int(n) if status == "on_duty" else int(rested_n or 0) if status == "resting" else 0
        c["available"] += available
        if status in ("reserved", "deployed"):
            c["committed"] += int(n)
        by_module = c["by_module"]
        by_module[module] = by_module.get(module, 0) + available
    for c in out.values():
        c["by_module"] = dict(sorted(c["by_module"].items()))
    return out


def qualified_counts(conn: Connection, codes: list[str] | None, now: datetime) -> dict[str, dict]:
    """Per county and module: how many available officers hold each skill tag or certification.

    Officers are counted in SQL per distinct (county, module, tags, certifications) combination, so
    the rows returned grow with the variety of qualifications, not with the number of officers."""
    out: dict[str, dict] = {}
    codes_of: dict[tuple, tuple] = {}   # each combination of tags and certifications split once
    for county, module, tags, certs, n in _rows(conn, "qualified", _qualified_statement, now, codes):
        held_codes = codes_of.get((tags, certs))
        if held_codes is None:
            held_codes = codes_of[tags, certs] = tuple({c for c in f"{tags};{certs}".split(";") if c})
        held = out.setdefault(county, {}).setdefault(module, {})
        n = int(n)
        for code in held_codes:
            held[code] = held.get(code, 0) + n
    return out


def _values(name: str, values: list[str] | None) -> list:
    """`values` as binds named name_0, name_1, ... (their number is part of the statement's shape)."""
    return [bindparam(f"{name}_{i}", v, type_=String) for i, v in enumerate(values or ())]


def _counts_statement(now: datetime, codes: list[str] | None, only: list[str] | None = None):
    rest_over = or_(officers.c.rest_until.is_(None), officers.c.rest_until <= bindparam("now", now, type_=REST_UNTIL))
    stmt = (select(officers.c.county, officers.c.status, officers.c.module, func.count(),
                   func.sum(case((rest_over, 1), else_=0)))
            .group_by(officers.c.county, officers.c.status, officers.c.module))
    if codes is not None:
        stmt = stmt.where(officers.c.county.in_(_values("county", codes)))
    if only is not None:
        stmt = stmt.where(officers.c.officer_id.in_(_values("only", only)))
    return stmt


def _qualified_statement(now: datetime, codes: list[str] | None):
    stmt = (select(officers.c.county, officers.c.module, officers.c.tags_text, officers.c.cert_text, func.count())
            .where(available_clause(bindparam("now", now, type_=REST_UNTIL)))
            .group_by(officers.c.county, officers.c.module, officers.c.tags_text, officers.c.cert_text))
    if codes is not None:
        stmt = stmt.where(officers.c.county.in_(_values("county", codes)))
    return stmt


REST_UNTIL = officers.c.rest_until.type
_STATEMENTS = storage.Shaped()   # the counts' statements, per dialect, name and shape


def _rows(conn: Connection, name: str, build, now: datetime, codes: list[str] | None,
          only: list[str] | None = None) -> list[tuple]:
    """The rows of `build(now, codes[, only])`, run on the driver (storage.Shaped).

    A commit counts tens of counties, about two thousand grouped rows: compiling the statement (its
    IN list expanded anew each time) and the result's type processing per grouped row cost as much
    as the counting itself. The text is compiled once per dialect and shape (how many counties, how many
    officers, each rounded up to a power of two by repeating the last value, which an IN list
    ignores), `now` bound as SQLAlchemy binds it."""
    dialect = conn.dialect
    codes, only = _padded(codes), _padded(only)
    shape = (name, len(codes) if codes is not None else None, len(only) if only is not None else None)
    when = REST_UNTIL.dialect_impl(dialect).bind_processor(dialect)
    values = {"now": when(now) if when is not None else now}
    values.update((f"county_{i}", v) for i, v in enumerate(codes or ()))
    values.update((f"only_{i}", v) for i, v in enumerate(only or ()))
    return _STATEMENTS.rows(conn, shape, lambda: build(now, codes, only) if only is not None else build(now, codes),
                            values)


def _padded(values: list[str] | None) -> list[str] | None:
    """`values` with its last one repeated up to the next power of two (none and one as they are)."""
    if not values or len(values) & (len(values) - 1) == 0:
        return values
    return [*values, *[values[-1]] * ((1 << len(values).bit_length()) - len(values))]


_RECEIVED = select(commitments.c.county, commitments.c.officer_ids).where(commitments.c.status == "committed")
_RECEIVED_IN = _RECEIVED.where(commitments.c.county.in_(bindparam("codes", expanding=True)))


def received_by_county(conn: Connection, codes: list[str] | None = None) -> dict[str, int]:
    """Officers held by commitments in force, per receiving county (of `codes`, when given)."""
    rows = conn.execute(_RECEIVED) if codes is None else conn.execute(_RECEIVED_IN, {"codes": list(codes)})
    out: dict[str, int] = {}
    for county, ids in rows:
        out[county] = out.get(county, 0) + len(ids)
    return out


def set_reserve_share(conn: Connection, county: str, share: float | None) -> int:
    return conn.execute(update(counties).where(counties.c.county == county).values(reserve_share=share)).rowcount


def set_standards(conn: Connection, rows: list[dict]) -> None:
    stmt = (update(counties).where(counties.c.county == bindparam("b_county"))
            .values(accepts=bindparam("b_accepts"), legacy=bindparam("b_legacy")))
    conn.execute(stmt, [{"b_county": r["county"], "b_accepts": r["accepts"], "b_legacy": r["legacy"]} for r in rows])
