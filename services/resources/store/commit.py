"""The locks and writes of a commit and of the task's life after it (dispatch, positions on the way,
release), and a hand edit's. Rows are locked in key order; a commit locks its counties before its
officers (commit.py), so two commits never deadlock.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, bindparam, insert, select, type_coerce, update
from sqlalchemy.engine import Connection

from .roster import CHUNK, insert_rows, replace_certificates
from .schema import commitment_officers, commitments, counties, officers, points_ledger, unit_positions
from .search import officer_homes

# The statements of a commit are built once: building one with a 60-value IN list (each value coerced
# to a bind) cost more than SQLAlchemy's cached compilation of it. Only the IN lists are expanded per call.
_IDS, _CODES = bindparam("ids", expanding=True), bindparam("codes", expanding=True)
_LOCK_OFFICERS = (select(officers).where(officers.c.officer_id.in_(_IDS))
                  .order_by(officers.c.officer_id).with_for_update())


def lock_officers(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """The officers' rows, locked in id order (PostgreSQL) so two commits never deadlock."""
    return {r.officer_id: r._asdict() for r in conn.execute(_LOCK_OFFICERS, {"ids": sorted(ids)})}


COMMIT_COLUMNS = ("officer_id", "county", "module", "status", "rest_until", "duty_minutes_24h", "duty_window_start",
                  "certifications")


def lock_for_commit(conn: Connection, ids: list[str]) -> dict[str, dict]:
    """lock_officers with only what a commit reads: the columns above, and `personal` as stored (its
    sealed fields left sealed: a commit reads only the daily wage, which is never sealed)."""
    return {r.officer_id: r._asdict() for r in conn.execute(_LOCK_FOR_COMMIT, {"ids": sorted(ids)})}


_LOCK_FOR_COMMIT = (select(*(officers.c[c] for c in COMMIT_COLUMNS), type_coerce(officers.c.personal, JSON).label("personal"))
                    .where(officers.c.officer_id.in_(_IDS)).order_by(officers.c.officer_id).with_for_update())
_LOCK_COUNTIES = select(counties).where(counties.c.county.in_(_CODES)).order_by(counties.c.county).with_for_update()


def lock_counties(conn: Connection, codes: list[str]) -> dict[str, dict]:
    return {r.county: r._asdict() for r in conn.execute(_LOCK_COUNTIES, {"codes": sorted(codes)})}


def commitment(conn: Connection, *, plan_id: str | None = None, commit_id: str | None = None) -> dict | None:
    col, value = (commitments.c.plan_id, plan_id) if plan_id else (commitments.c.commit_id, commit_id)
    row = conn.execute(select(commitments).where(col == value)).first()
    return row._asdict() if row else None


def update_officers(conn: Connection, ids: list[str], values: dict) -> None:
    """The same new values for every officer in `ids`."""
    stmt = _UPDATES.get(tuple(values))
    if stmt is None:   # one statement per set of columns written (a handful in all)
        stmt = _UPDATES[tuple(values)] = (update(officers).where(officers.c.officer_id.in_(_IDS))
                                          .values({k: bindparam(f"v_{k}") for k in values}))
    params = {f"v_{k}": v for k, v in values.items()}
    for i in range(0, len(ids), CHUNK):
        conn.execute(stmt, {"ids": ids[i:i + CHUNK], **params})


_UPDATES: dict[tuple, object] = {}


def update_each(conn: Connection, rows: list[dict]) -> None:
    """Per-officer values: rows of {"officer_id": ..., column: value, ...}, all with the same columns (new
    `certifications` replace the officers' certificate rows too)."""
    if not rows:
        return
    cols = [k for k in rows[0] if k != "officer_id"]
    stmt = (update(officers).where(officers.c.officer_id == bindparam("b_id"))
            .values({k: bindparam(f"b_{k}") for k in cols}))
    conn.execute(stmt, [{"b_id": r["officer_id"], **{f"b_{k}": r[k] for k in cols}} for r in rows])
    if "certifications" in cols:
        replace_certificates(conn, rows)


def insert_commitment(conn: Connection, values: dict, homes: dict[str, str] | None = None) -> None:
    """The commitment and, in `commitment_officers`, each of its officers with their home county: from
    `homes` (officer id to county), else as the roster has it (an officer it does not hold is left out)."""
    conn.execute(insert(commitments).values(**values))
    insert_officer_homes(conn, [(values["commit_id"], values["officer_ids"])], homes)


def insert_officer_homes(conn: Connection, made: list[tuple[str, list[str]]], homes: dict[str, str] | None = None) -> int:
    """`commitment_officers`' rows of the commitments `made` ((commit id, officer ids), ...): each officer
    with their home county, from `homes` or else the roster (an officer it does not hold is left out).
    Returns how many of the commitments got rows."""
    if homes is None:
        homes = officer_homes(conn, sorted({o for _, ids in made for o in ids}))
    rows = [{"commit_id": commit_id, "officer_id": o, "county": homes[o]}
            for commit_id, ids in made for o in dict.fromkeys(ids) if o in homes]
    insert_rows(conn, commitment_officers, rows)
    return len({r["commit_id"] for r in rows})


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
    if last >= at:
        return False
    conn.execute(update(unit_positions).where(unit_positions.c.unit_id == unit_id).values(at=at))
    return True


def move_unit(conn: Connection, unit_id: str, lon: float, lat: float) -> int:
    """Position of the officers travelling with `unit_id` (their dispatched unit, else their own)."""
    moving = conn.execute(update(officers).where(officers.c.task_unit == unit_id).values(lon=lon, lat=lat))
    if moving.rowcount:
        return moving.rowcount
    return conn.execute(update(officers).where(officers.c.unit_id == unit_id).values(lon=lon, lat=lat)).rowcount
