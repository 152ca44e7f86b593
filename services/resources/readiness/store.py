"""The support circle's SQL: the rota table (each officer's rotation and watch) and the reads that
build the force's columns (the pool's own tables and SQL are the store package's).

The rota is kept beside the pool's tables, in the same schema: the demo seed fills it from the
generated force; an officer without a row is projected by their role class's rotation (on duty now
until the end of the current shift, not counted back within the horizon).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Integer, String, Table, delete, func, insert, select

from ..store import available_clause, commitments, counties, metadata, officers, units
from ..store import observed as observed_incidents

rota = Table(
    "rota", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("rotation", String(32), nullable=False),     # four_watch | mobile_watch | day_night_rest
    Column("watch", Integer, nullable=False),           # 0 .. watches-1
)


def load_rota(conn, rows: list[dict]) -> int:
    """Replace the rota rows of these officers ({officer_id, rotation, watch})."""
    ids = [r["officer_id"] for r in rows]
    for i in range(0, len(ids), 1000):
        conn.execute(delete(rota).where(rota.c.officer_id.in_(ids[i:i + 1000])))
    if rows:
        conn.execute(insert(rota), rows)
    return len(rows)


def rota_of_force(force) -> list[dict]:
    """Rota rows from a generated force (services.demo): its `watch` labels, e.g. 'four_watch/2'."""
    out = []
    for o in force.officers:
        if o.watch and "/" in o.watch:
            name, watch = o.watch.split("/", 1)
            out.append({"officer_id": o.officer_id, "rotation": name, "watch": int(watch)})
    return out


def force_rows(conn, now: datetime) -> list[tuple]:
    """(officer_id, county, module, role_class, status, on duty now, duty minutes, window start,
    lon, lat, unit level, rotation, watch) of every officer, by id: the point is the officer's position,
    else their station's, else none (the county seat)."""
    joined = (officers.outerjoin(units, units.c.unit_id == officers.c.unit_id)
              .outerjoin(rota, rota.c.officer_id == officers.c.officer_id))
    lon, lat = officers.c.lon, officers.c.lat
    if "station_lon" in officers.c:  # where the officer works from when no position is known
        lon = func.coalesce(lon, officers.c.station_lon)
        lat = func.coalesce(lat, officers.c.station_lat)
    stmt = (select(officers.c.officer_id, officers.c.county, officers.c.module, officers.c.role_class,
                   officers.c.status, available_clause(now), officers.c.duty_minutes_24h,
                   officers.c.duty_window_start, lon, lat, units.c.level,
                   rota.c.rotation, rota.c.watch)
            .select_from(joined).order_by(officers.c.officer_id))
    return [tuple(r) for r in conn.execute(stmt)]


def reserve_shares(conn) -> dict[str, float | None]:
    return {c: s for c, s in conn.execute(select(counties.c.county, counties.c.reserve_share))}


def committed_officers(conn, plan_id: str) -> list[str] | None:
    row = conn.execute(select(commitments.c.officer_ids).where(commitments.c.plan_id == plan_id)).first()
    return None if row is None else list(row[0])


def incident_history(conn) -> list[tuple[str, dict]]:
    """(county, report) of every incident this service has heard of."""
    return [(c, r) for c, r in conn.execute(select(observed_incidents.c.county, observed_incidents.c.report))]
