"""Provincial readiness: the support circle over 100,000 officers, and exact pre-positioning.

- `readiness.coverage_100k.s`: coverage of every county × 6 modules × 30/60/120 min for 100,000
  officers working from 15 stations per county (the travel matrix from their origins included);
  baseline: a plain Python loop over officers (the same counts) on a 5,000 subsample, scaled to 100,000.
- `readiness.preposition_90.s`: the slowest of the exact maximal covering solutions choosing 10, 20,
  30 and 40 stations among the 90 counties (population weights, 60 min); baseline: greedy covering.
  `readiness.preposition_90.gap` is the largest optimality gap (0: every one proven optimal) and
  `readiness.preposition_90.greedy_worse_pp` how many points of demand coverage greedy loses at worst.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone

import numpy as np

from services.geo import Geography
from services.geo.travel import make_travel_provider
from services.resources.readiness import coverage, preposition
from services.resources.readiness.force import MODULES, Force
from services.resources.readiness.policy import ReadinessPolicy

NOW = datetime(2026, 11, 1, 1, 30, tzinfo=timezone.utc)


def synthetic_force(geo, n: int = 100_000, stations_per_county: int = 15, seed: int = 3) -> Force:
    rng = np.random.default_rng(seed)
    seats = geo.seats
    n_c = len(seats)
    stations = np.repeat(seats, stations_per_county, axis=0) + rng.normal(0, 0.04, (n_c * stations_per_county, 2))
    county = rng.integers(0, n_c, n).astype(np.int16)
    origin = (n_c + county.astype(np.int32) * stations_per_county + rng.integers(0, stations_per_county, n)).astype(np.int32)
    return Force(ids=np.array([f"B{i:06d}" for i in range(n)], dtype=object), counties=tuple(c.code for c in geo.counties),
                 county=county, module=rng.integers(0, len(MODULES), n).astype(np.int8),
                 deployable=rng.random(n) < 0.55, state=rng.choice(3, n, p=[0.3, 0.05, 0.65]).astype(np.int8),
                 unavailable=np.zeros(n, dtype=bool), duty=rng.integers(0, 600, n).astype(np.int32), origin=origin,
                 origins=np.vstack((seats, stations)), rotation=np.zeros(n, dtype=np.int8),
                 watch=np.full(n, -1, dtype=np.int8), share=np.full(n_c, 0.7))


def bench_coverage(geo, travel, policy) -> dict:
    force = synthetic_force(geo)
    travel.matrix(geo.seats[:2], geo.seats)                       # the road graph's shortest paths, once
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        minutes = coverage.travel_minutes(travel, force.origins, geo.seats)
        coverage.compute(force, policy, minutes, NOW, coverage.project(force, policy, NOW, NOW))
        runs.append(time.perf_counter() - start)
    sample = np.random.default_rng(1).choice(len(force), 5000, replace=False)
    start = time.perf_counter()
    minutes = coverage.travel_minutes(travel, force.origins, geo.seats)
    coverage.loop_baseline(force, policy, minutes, rows=sample)
    loop = (time.perf_counter() - start) * len(force) / len(sample)
    return {"readiness.coverage_100k.s": {"value": round(min(runs), 3), "unit": "s", "baseline": round(loop, 2)}}


def bench_preposition(geo, travel) -> dict:
    minutes = travel.matrix(geo.seats, geo.seats) / 60
    cover = minutes <= 60
    weights = np.array([float(c.population or 0) for c in geo.counties])
    slowest, greedy_s, gap, worse = 0.0, 0.0, 0.0, 0.0
    for teams in (10, 20, 30, 40):
        start = time.perf_counter()
        best = preposition.solve(cover, weights, teams)
        slowest = max(slowest, time.perf_counter() - start)
        start = time.perf_counter()
        greedy = preposition.greedy(cover, weights, teams)
        greedy_s = max(greedy_s, time.perf_counter() - start)
        gap, worse = max(gap, best.gap), max(worse, (best.share - greedy.share) * 100)
    return {"readiness.preposition_90.s": {"value": round(slowest, 3), "unit": "s", "baseline": round(greedy_s, 4)},
            "readiness.preposition_90.gap": {"value": gap, "unit": "ratio", "baseline": None},
            "readiness.preposition_90.greedy_worse_pp": {"value": round(worse, 2), "unit": "pp", "baseline": None}}


def run() -> dict:
    geo = Geography.load("330000")
    travel, policy = make_travel_provider(geo), ReadinessPolicy.from_env({})
    return {**bench_coverage(geo, travel, policy), **bench_preposition(geo, travel)}


if __name__ == "__main__":
    for name, r in run().items():
        print(f"{name:45s} {r['value']:>10} {r['unit']:6s} baseline {r['baseline']}")
