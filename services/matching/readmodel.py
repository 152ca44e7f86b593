"""The read model of the force: officers, county loads, task points and holds, kept from the
resource pool's events (and a first snapshot of its HTTP API), turned into the optimiser's inputs.
The rows are store.py's; here the facts are applied and the rows shaped."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from ..geo.regions import city_of
from . import store
from .domain.planner import CountyLoad
from .domain.pool import Pool, build_pool


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def status_changed(conn, data: dict) -> str | None:
    """Apply an officer's new status unless an older fact; returns the status now held, None if unknown."""
    at = parse_time(data["at"])
    as_of = store.officer_as_of(conn, data["officer_id"])
    if as_of is None:
        return None
    if as_of > at:
        return None
    store.set_officer_status(conn, data["officer_id"], data["to"], at)
    return data["to"]


def load_reported(conn, data: dict) -> None:
    store.upsert_county(conn, data["county"], {"on_duty": data["on_duty"], "available": data["available"],
                                               "reserve_floor": data["reserve_floor"], "as_of": parse_time(data["at"])})


def points_awarded(conn, data: dict) -> None:
    """The officer's task points, given by their county and received by the request's (when known)."""
    store.add_officer_points(conn, data["officer_id"], data["points"])
    store.upsert_county(conn, data["county"], {})
    store.add_points_given(conn, data["county"], data["points"])
    receiving = store.request_county(conn, data.get("request_id"))
    if receiving is not None:
        store.upsert_county(conn, receiving, {})
        store.add_points_received(conn, receiving, data["points"])


def pool(conn, county_codes: tuple[str, ...]) -> Pool:
    """The optimiser's pool of the officers of `county_codes`."""
    rows = store.officer_rows(conn)
    known = set(county_codes)
    return build_pool([r for r in rows if r["county"] in known], county_codes)


def loads(conn) -> dict[str, CountyLoad]:
    return {r.county: CountyLoad(r.on_duty, r.available, r.reserve_floor)
            for r in store.county_rows(conn) if r.as_of is not None}


def accepts(conn) -> dict[str, tuple[str, ...]]:
    return {r.county: tuple(r.accepts) for r in store.county_accepts(conn) if r.accepts is not None}


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
    for r in store.county_points_flows(conn):
        city = city_of(r.county)
        flows[city] = flows.get(city, 0.0) + (r.points_given or 0.0) - (r.points_received or 0.0)
    net = {c: flows.get(city_of(c), 0.0) for c in pool_.counties}
    return {c: 0.5 * _scaled(per, c) + 0.5 * _scaled(net, c) for c in pool_.counties}


def _scaled(values: dict[str, float], key: str) -> float:
    low, high = min(values.values(), default=0.0), max(values.values(), default=0.0)
    return 0.0 if high <= low else (values[key] - low) / (high - low)


def held(conn) -> dict[str, dict]:
    """officer_id -> {plan_id, request_id, line_id, committed} for officers approved plans hold."""
    return {r.officer_id: r._asdict() for r in store.all_holds(conn)}
