"""Provincial readiness: the support circle over 100,000 officers, and exact pre-positioning.

- `readiness.coverage_100k.s`: coverage of every county × 6 modules × 30/60/120 min for 100,000
  officers working from 15 stations per county (the travel matrix from their origins included);
  baseline: a plain Python loop over officers (the same counts) on a 5,000 subsample, scaled to 100,000.
- `readiness.preposition_90.s`: the slowest of the exact maximal covering solutions choosing 10, 20,
  30 and 40 stations among the 90 counties (population weights, 60 min); baseline: greedy covering.
  `readiness.preposition_90.gap` is the largest optimality gap (0: every one proven optimal) and
  `readiness.preposition_90.greedy_worse_pp` how many points of demand coverage greedy loses at worst.
- `readiness.report_halfyear.s`: demand's performance report of a half-year (province and every city, three
  previous half-years as trend) over two years of generated support (12 cross-region requests a day, their
  orders, checks, ratings, outcomes and points, each county's load every 2 hours), as HTML; the six
  indicators from an in-process logistics through its API (`?by=city`: one call per period answers the
  province and every city; 4 periods + the baseline year, and a call for each city a period's answer
  does not list).
"""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

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


def recorded_history(geo, start: datetime, months: int, per_day: int = 12, seed: int = 19):
    """Support as the stream records it over `months`: `per_day` cross-region requests a day across the
    province (each with its first plan 3-25 min later, 1-4 units from other counties, an equipment check per
    unit, ratings from both sides, most cases' outcome, points for every officer) and each county's load
    reported every 2 hours. Returns (demand rows, logistics rows)."""
    rng = np.random.default_rng(seed)
    counties = [c.code for c in geo.counties]
    days = int(months * 30.4)
    n = days * per_day
    at = [start + timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, days * 86400, n))]
    d = {"requests": [], "transitions": [], "awards": []}
    lg = {"deployments": [], "orders": [], "checks": [], "surveys": [], "outcomes": [], "loads": []}
    for i, t in enumerate(at):
        county, grade = counties[rng.integers(len(counties))], ("IV", "III", "II", "I")[min(3, int(rng.exponential(0.8)))]
        rid, inc, dep = f"req-{i}", f"inc-{i}", f"dep-{i}"
        d["requests"].append(dict(
            request_id=rid, incident_id=inc, echelon="", county=county, city=county[:4] + "00", grade=grade,
            severity=2, status="released", approval_level="city", deadline=t + timedelta(minutes=45),
            requested_at=t, updated_at=t, escalation_level=0, escalated_stages=[], progress={}, request={}))
        planned = t + timedelta(minutes=float(rng.uniform(3, 25)))
        d["transitions"].append(dict(request_id=rid, from_status="planning", to_status="awaiting_approval",
                                     cause="plan.proposed", at=planned))
        ordered = planned + timedelta(minutes=float(rng.uniform(2, 10)))
        units = int(rng.integers(1, 5))
        officers = []
        lg["deployments"].append(dict(deployment_id=dep, plan_id=f"plan-{i}", request_id=rid, incident_id=inc,
                                      county=county, grade=grade, headcount=units * 4, officer_ids=[],
                                      task_start=ordered, task_end=ordered + timedelta(hours=8),
                                      arrangements={k: {"status": "arranged" if rng.random() < 0.93 else "pending"}
                                                    for k in ("lodging", "meals", "transport", "medic")},
                                      flags=[], status="released", outcome="completed",
                                      created_at=ordered, released_at=ordered + timedelta(hours=8)))
        for u in range(units):
            donor = counties[rng.integers(len(counties))]
            response = int(rng.gamma(4.0, 600))
            oid = f"ord-{i}-{u}"
            lg["orders"].append(dict(order_id=oid, deployment_id=dep, request_id=rid, incident_id=inc,
                                     unit_id=f"unit-{i}-{u}", from_county=donor, officer_ids=[], order={}, ordered_at=ordered,
                                     deadline=ordered + timedelta(minutes=60), attempts=1, last_sent_at=ordered,
                                     late=False, arrived_at=ordered + timedelta(seconds=response), response_s=response))
            lg["checks"].append(dict(order_id=oid, county=county, checked=6, compatible=int(rng.binomial(6, 0.93)),
                                     at=ordered + timedelta(seconds=response + 600)))
            for k in range(4):
                officers.append(f"off-{donor}-{rng.integers(3000)}")
                d["awards"].append(dict(officer_id=officers[-1] + f"-{i}-{u}-{k}", task_id=dep, county=donor,
                                        request_id=rid, points=float(rng.uniform(5, 40)),
                                        at=ordered + timedelta(hours=8)))
        for side in ("officer", "receiver", "officer", "receiver"):
            lg["surveys"].append(dict(deployment_id=dep, incident_id=inc, county=county, rater=f"r-{i}", side=side,
                                      rating=int(rng.integers(3, 6)), at=ordered + timedelta(hours=9)))
        if rng.random() < 0.8:
            lg["outcomes"].append(dict(incident_id=inc, solved=bool(rng.random() < 0.7), recorded_by="bench",
                                       role="city_commander", at=ordered + timedelta(days=2)))
    for h in range(0, days * 24, 2):
        t = start + timedelta(hours=h)
        on_duty = rng.integers(150, 400, len(counties))
        free = (on_duty * rng.uniform(0.1, 0.35, len(counties))).astype(int)
        committed = (on_duty * rng.uniform(0.3, 0.6, len(counties))).astype(int)
        lg["loads"] += [dict(county=c, at=t, on_duty=int(o), available=int(f), committed=int(m))
                        for c, o, f, m in zip(counties, on_duty, free, committed)]
    return d, lg


def bench_report(geo, months: int = 24) -> dict:
    """The half-year report (province and every city, the period and three before it as trend) over
    `months` of recorded support; the six indicators from an in-process logistics service holding the
    same history, called through its HTTP API as demand calls it."""
    import tempfile

    from services.common.auth import Identity, signed_in
    from services.common.config import Settings
    from services.demand import store as dstore
    from services.demand.bootstrap import build_runtime as demand_runtime
    from services.demand.bootstrap import create_app as demand_app
    from services.demand.reports import build as report_build
    from services.logistics import store as lstore
    from services.logistics.bootstrap import build_runtime as logistics_runtime
    from services.logistics.bootstrap import create_app as logistics_app

    tmp = tempfile.mkdtemp(prefix="report-bench-")
    start = datetime(2026, 7, 1, tzinfo=timezone(timedelta(hours=8))) - timedelta(days=int(months * 30.4))
    d, lg = recorded_history(geo, start.astimezone(timezone.utc), months)
    lrt = logistics_runtime(Settings(service="logistics", database_url=f"sqlite:///{tmp}/l.db",
                                     kafka_bootstrap="127.0.0.1:1"))
    with lrt.engine.begin() as conn:
        for table, rows in ((lstore.deployments, lg["deployments"]), (lstore.orders, lg["orders"]),
                            (lstore.equipment_checks, lg["checks"]), (lstore.surveys, lg["surveys"]),
                            (lstore.case_outcomes, lg["outcomes"]), (lstore.loads, lg["loads"])):
            conn.execute(table.insert(), rows)
    lclient = signed_in(logistics_app(lrt).test_client(), Identity("service:demand", "integrator", "330000"))

    def indicators(f):
        resp = lclient.get("/indicators", query_string={k: (v.isoformat() if isinstance(v, datetime) else v)
                                                         for k, v in f.items()})
        if resp.status_code != 200:
            raise report_build.SourceUnavailable(f"logistics GET /indicators answered {resp.status_code}")
        return resp.get_json()

    drt = demand_runtime(Settings(service="demand", database_url=f"sqlite:///{tmp}/d.db", kafka_bootstrap="127.0.0.1:1",
                                  extra={"report_sources": report_build.Sources(indicators=indicators)}))
    with drt.engine.begin() as conn:
        conn.execute(dstore.requests.insert(), d["requests"])
        conn.execute(dstore.transitions.insert(), d["transitions"])
        conn.execute(dstore.points_awards.insert(), d["awards"])
    client = signed_in(demand_app(drt).test_client(), Identity("zj-commander", "province_commander", "330000"))
    assert drt.deps.reports.geography.cities  # loaded once when the service starts
    t0 = time.perf_counter()
    resp = client.get("/reports/performance?period=2026-H1&format=html")
    runs = [time.perf_counter() - t0]
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    lrt.engine.dispose()
    drt.engine.dispose()
    half = sum(1 for r in d["requests"] if r["requested_at"] >= datetime(2025, 12, 31, 16, tzinfo=timezone.utc))
    return {"readiness.report_halfyear.s": {"value": round(max(runs), 3), "unit": "s", "baseline": None,
                                            "requests_in_half_year": half, "orders": len(lg["orders"]),
                                            "load_reports": len(lg["loads"]), "awards": len(d["awards"])}}


def run() -> dict:
    geo = Geography.load("330000")
    travel, policy = make_travel_provider(geo), ReadinessPolicy.from_env({})
    return {**bench_coverage(geo, travel, policy), **bench_preposition(geo, travel), **bench_report(geo)}


if __name__ == "__main__":
    for name, r in run().items():
        print(f"{name:45s} {r['value']:>10} {r['unit']:6s} baseline {r['baseline']}")
