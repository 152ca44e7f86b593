"""The locks and writes of a commit and of the task's life after it (dispatch, positions on the way,
release), and a hand edit's. Rows are locked in key order; a commit locks its counties before its
officers (commit.py), so two commits never deadlock.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, bindparam, insert, select, type_coerce, update
from sqlalchemy.engine import Connection

from ...common.clock import as_utc
from .roster import CHUNK, insert_rows
from .schema import commitments, counties, officers, points_ledger, unit_positions


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


def commitment(conn: Connection, *, plan_id: str | None = None, commit_id: str | None = None) -> dict | None:
    col, value = (commitments.c.plan_id, plan_id) if plan_id else (commitments.c.commit_id, commit_id)
    row = conn.execute(select(commitments).where(col == value)).first()
    return row._asdict() if row else None


def update_officers(conn: Connection, ids: list[str], values: dict) -> None:
    """The same new values for every officer in `ids`."""
    for i in range(0, len(ids), CHUNK):
        conn.execute(update(officers).where(officers.c.officer_id.in_(ids[i:i + CHUNK])).values(**values))


def update_each(conn: Connection, rows: list[dict]) -> None:
    """Per-officer values: rows of {"officer_id": ..., column: value, ...}, all with the same columns."""
    if not rows:
        return
    cols = [k for k in rows[0] if k != "officer_id"]
    stmt = (update(officers).where(officers.c.officer_id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in cols}))
    conn.execute(stmt, [{"b_id": r["officer_id"], **{f"b_{k}": r[k] for k in cols}} for r in rows])


def insert_commitment(conn: Connection, values: dict) -> None:
    conn.execute(insert(commitments).values(**values))


def set_commitment_status(conn: Connection, commit_id: str, status: str) -> None:
    conn.execute(update(commitments).where(commitments.c.commit_id == commit_id).values(status=status))


def insert_points(conn: Connection, rows: list[dict]) -> None:
    insert_rows(conn, points_ledger, rows)


def newer_position(conn: Connection, unit_id: str, at: datetime) -> bool:
    """Record `at` as the unit's latest position time; False if a report as recent was applied before."""
    last = conn.execute(select(unit_positions.c.at).where(unit_positions.c.unit_id == unit_id)).scalar()
    if last is None:
        conn.execute(insert(unit_positions).values(unit_id=unit_id, at=at))
        return True
    if as_utc(last) >= at:
        return False
    conn.execute(update(unit_positions).where(unit_positions.c.unit_id == unit_id).values(at=at))
    return True


def move_unit(conn: Connection, unit_id: str, lon: float, lat: float) -> int:
    """Position of the officers travelling with `unit_id` (their dispatched unit, else their own)."""
    moving = conn.execute(update(officers).where(officers.c.task_unit == unit_id).values(lon=lon, lat=lat))
    if moving.rowcount:
        return moving.rowcount
    return conn.execute(update(officers).where(officers.c.unit_id == unit_id).values(lon=lon, lat=lat)).rowcount
