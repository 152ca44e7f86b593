"""The read model of the force: officers, county loads, task points and holds, kept from the
resource pool's events (and a first snapshot of its HTTP API), turned into the optimiser's inputs."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import delete, func, insert, select, update

from .domain.planner import CountyLoad
from .domain.pool import Pool, build_pool
from .store import counties, holds, officers, requests


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _utc(value: datetime | None) -> datetime | None:
    from datetime import timezone
    return value.replace(tzinfo=timezone.utc) if value is not None and value.tzinfo is None else value


def upsert_officers(conn, rows: list[dict]) -> None:
    ids = [r["officer_id"] for r in rows]
    conn.execute(delete(officers).where(officers.c.officer_id.in_(ids)))
    if rows:
        conn.execute(insert(officers), rows)


def upsert_county(conn, county: str, values: dict) -> None:
    if conn.execute(select(counties.c.county).where(counties.c.county == county)).first():
        if values:  # nothing to change: an empty SET is not SQL
            conn.execute(update(counties).where(counties.c.county == county).values(**values))
    else:
        conn.execute(insert(counties).values(county=county, **values))


def status_changed(conn, data: dict) -> str | None:
    """Apply an officer's new status unless an older fact; returns the status now held, None if unknown."""
    at = parse_time(data["at"])
    row = conn.execute(select(officers.c.as_of).where(officers.c.officer_id == data["officer_id"])).first()
    if row is None:
        return None
    if _utc(row.as_of) > at:
        return None
    conn.execute(update(officers).where(officers.c.officer_id == data["officer_id"])
                 .values(status=data["to"], as_of=at))
    return data["to"]


def load_reported(conn, data: dict) -> None:
    upsert_county(conn, data["county"], {"on_duty": data["on_duty"], "available": data["available"],
                                         "reserve_floor": data["reserve_floor"], "as_of": parse_time(data["at"])})


def points_awarded(conn, data: dict) -> None:
    conn.execute(update(officers).where(officers.c.officer_id == data["officer_id"])
                 .values(points=officers.c.points + data["points"]))
    upsert_county(conn, data["county"], {})
    conn.execute(update(counties).where(counties.c.county == data["county"])
                 .values(points_given=counties.c.points_given + data["points"]))
    req = conn.execute(select(requests.c.data).where(requests.c.request_id == data.get("request_id"))).first()
    if req is not None:
        upsert_county(conn, req.data["county"], {})
        conn.execute(update(counties).where(counties.c.county == req.data["county"])
                     .values(points_received=counties.c.points_received + data["points"]))


def officer_count(conn) -> int:
    return conn.execute(select(func.count()).select_from(officers)).scalar_one()


def fingerprint(conn) -> tuple:
    """Changes whenever the officers table does (count, latest fact, points): when to rebuild the pool."""
    return tuple(conn.execute(select(func.count(), func.max(officers.c.as_of), func.sum(officers.c.points))).one())


def pool(conn, county_codes: tuple[str, ...]) -> Pool:
    rows = [r._asdict() for r in conn.execute(select(officers).order_by(officers.c.officer_id))]
    known = set(county_codes)
    return build_pool([r for r in rows if r["county"] in known], county_codes)


def loads(conn) -> dict[str, CountyLoad]:
    return {r.county: CountyLoad(r.on_duty, r.available, r.reserve_floor)
            for r in conn.execute(select(counties)) if r.as_of is not None}


def accepts(conn) -> dict[str, tuple[str, ...]]:
    return {r.county: tuple(r.accepts) for r in conn.execute(select(counties.c.county, counties.c.accepts))
            if r.accepts is not None}


def county_points(conn, pool_: Pool) -> dict[str, float]:
    """Task points per officer of each county (officers' balances), the fairness measure."""
    sums = np.bincount(pool_.county, weights=pool_.points, minlength=len(pool_.counties))
    sizes = np.maximum(1, np.bincount(pool_.county, minlength=len(pool_.counties)))
    return {c: float(sums[i] / sizes[i]) for i, c in enumerate(pool_.counties)}


def fairness(conn, pool_: Pool) -> dict[str, float]:
    """0 (should give first) .. 1 (has given most): half task points per officer, half the net
    support the county's city gave (points given minus received, across its counties)."""
    per = county_points(conn, pool_)
    flows: dict[str, float] = {}
    for r in conn.execute(select(counties.c.county, counties.c.points_given, counties.c.points_received)):
        city = r.county[:4] + "00"
        flows[city] = flows.get(city, 0.0) + (r.points_given or 0.0) - (r.points_received or 0.0)
    net = {c: flows.get(c[:4] + "00", 0.0) for c in pool_.counties}
    return {c: 0.5 * _scaled(per, c) + 0.5 * _scaled(net, c) for c in pool_.counties}


def _scaled(values: dict[str, float], key: str) -> float:
    low, high = min(values.values(), default=0.0), max(values.values(), default=0.0)
    return 0.0 if high <= low else (values[key] - low) / (high - low)


def held(conn) -> dict[str, dict]:
    """officer_id -> {plan_id, request_id, line_id, committed} for officers approved plans hold."""
    return {r.officer_id: r._asdict() for r in conn.execute(select(holds))}
