"""Reproducible matching instances: the demo province's generated force and random support requests.

    from bench.instances import instance
    inst = instance(officers=100_000, requests=200, seed=1)
    big = instance(officers=1_000_000, requests=2_000, seed=1, cache=True)   # built once, then read back

Officers come from services.demo.generate (same seed, same force) and leave from their police
stations; requests pick a receiving county, a point in it (near one of its stations), a grade with
its deadline, and 1-3 lines whose module, tags, certificates and equipment are drawn from what the
force actually holds, so instances are realistic and mostly feasible. `travel` is the batch's Trips
(station -> incident point, the default road-graph provider); `seat_travel` the seat-to-seat matrix.

Generating a large force takes minutes (a million officers: about six), so `cache=True` keeps the
instance in var/bench/ (not in git), under its size, seed and a digest of the code that makes it.
"""
from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.matching.domain.geo import Trips, county_matrix
from services.matching.domain.model import Line, Request
from services.matching.domain.pool import Pool, build_pool

DEADLINE_MIN = {"I": 30, "II": 30, "III": 45, "IV": 60}
TAG_CERT = {"e_forensics": "e_forensics_examiner", "negotiation": "crisis_negotiator", "eod": "eod_operator",
            "drone_pilot": "uav_pilot_licence", "sniper": "marksman", "k9": "k9_handler"}
TAG_KIT = {"e_forensics": "forensic_kit", "drone_pilot": "drone"}
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
# what an instance is made from: a change to any of these makes a cached instance stale
SOURCES = ("bench/instances.py", "services/demo", "services/geo", "services/matching/domain/pool.py",
           "services/matching/domain/model.py", "services/matching/domain/geo.py", "services/matching/planning.py")


@dataclass
class Instance:
    pool: Pool
    requests: list[Request]
    travel: Trips
    accepts: dict[str, tuple[str, ...]]
    seat_travel: np.ndarray | None = None


@lru_cache(maxsize=4)
def _force(officers: int, seed: int):
    from services.demo import generate
    from services.geo import Geography
    from services.geo.travel import make_travel_provider
    geo = Geography.load("330000")
    force = generate("330000", officers=officers, seed=seed, geography=geo)
    counties, travel = county_matrix(geo, make_travel_provider(geo, env={}))
    return force, counties, travel


def officer_records(force) -> list[dict]:
    kit = {e.equipment_id: {"type": e.type, "interface_standard": e.interface_standard, "readiness": e.readiness}
           for e in force.equipment}
    level = {u.unit_id: u.level for u in force.units}
    return [{"officer_id": o.officer_id, "county": o.county, "module": o.module, "tags": o.tags,
             "role_class": o.role_class, "province_reserve": level[o.unit_id] == "province",
             "certifications": [{"name": c.name, "expires": c.expires} for c in o.certifications],
             "equipment": [kit[e] for e in o.equipment_ids], "duty_minutes": o.duty_minutes_24h,
             "status": o.status, "points": o.points_balance, "unit_id": o.unit_id,
             "station_id": o.station_id, "station": o.station} for o in force.officers]


def instance(*, officers: int, requests: int, seed: int = 1, headcount: int | None = None,
             cache: bool = False) -> Instance:
    """`requests` requests over a force of `officers`; `headcount` fixes one request's total. `cache`:
    read the instance from var/bench/ when it was built before with the same code, else build and keep it."""
    if not cache:
        return _build(officers, requests, seed, headcount)
    path = CACHE / f"matching_{officers}_{requests}_{seed}_{headcount or 0}_{_digest()}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    inst = _build(officers, requests, seed, headcount)
    _force.cache_clear()                 # a large force is not kept in memory beside its instance
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    with partial.open("wb") as f:
        pickle.dump(inst, f, protocol=pickle.HIGHEST_PROTOCOL)
    partial.replace(path)
    return inst


@lru_cache(maxsize=1)
def _digest() -> str:
    files = sorted(f for name in SOURCES for f in ([ROOT / name] if name.endswith(".py")
                                                   else (ROOT / name).rglob("*.py")))
    h = hashlib.sha1()
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def _build(officers: int, requests: int, seed: int, headcount: int | None) -> Instance:
    force, counties, travel = _force(officers, seed)
    pool = build_pool(officer_records(force), counties)
    rng = np.random.default_rng(seed)
    on_duty = [o for o in force.officers if o.status == "on_duty"]
    reqs = [_request(rng, i, counties, on_duty, force.as_of, headcount) for i in range(requests)]
    return Instance(pool, reqs, _places().trips(pool, reqs), {s.county: s.accepts for s in force.standards},
                    travel)


@lru_cache(maxsize=1)
def _places():
    from services.matching.planning import Places
    return Places("330000", env={})


def _request(rng, i: int, counties, on_duty, as_of, headcount: int | None) -> Request:
    grade = str(rng.choice(["I", "II", "III", "IV"], p=[0.05, 0.15, 0.3, 0.5]))
    n_lines = 1 if headcount is None and rng.random() < 0.4 else int(rng.integers(2, 4))
    sizes = _split(rng, headcount, n_lines) if headcount else rng.integers(2, 16, size=n_lines)
    lines = []
    for k, size in enumerate(sizes):
        model = on_duty[int(rng.integers(len(on_duty)))]       # a real officer's profile, so lines are fillable
        tags = tuple(t for t in model.tags[:1] if rng.random() < 0.5)
        lines.append(Line(line_id=f"L{k + 1}", module=model.module, headcount=int(size), tags=tags,
                          certifications=tuple(TAG_CERT[t] for t in tags if t in TAG_CERT),
                          equipment=tuple(TAG_KIT[t] for t in tags if t in TAG_KIT) + ("body_camera",)))
    county = counties[int(rng.integers(len(counties)))]
    local = [o.station for o in on_duty if o.county == county and o.station] or [None]
    near = local[int(rng.integers(len(local)))]
    point = None if near is None else (round(near[0] + rng.normal(0, 0.02), 6), round(near[1] + rng.normal(0, 0.02), 6))
    return Request(request_id=f"REQ-{county}-{i:04d}", county=county, lines=tuple(lines), planned_at=as_of,
                   deadline=as_of + timedelta(minutes=DEADLINE_MIN[grade]), grade=grade, point=point)


def _split(rng, total: int, parts: int) -> list[int]:
    cuts = np.sort(rng.choice(np.arange(1, total), size=parts - 1, replace=False))
    return [int(x) for x in np.diff(np.concatenate([[0], cuts, [total]]))]
