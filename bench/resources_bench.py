"""The resource pool: availability search over 100,000 officers, and commits of a 60-officer plan.

- `resources.search_100k.p95_ms`: GET /officers with module + status filters and a 60-minute
  travel-time bound from a county seat (SQL filter, then one travel matrix over the candidates);
  baseline: the same filters without the travel-time bound.
- `resources.search_100k_nearest.p95_ms`: GET /officers for the province's on-duty officers nearest a
  county seat, a page of 50 by travel time with no bound (found in widening boxes, `officers._nearest`);
  baseline: the same search without a point (a page by id, cut by the database).
- `resources.commit_60.<db>.p95_ms`: committing an approved 60-officer plan (locks, checks, 60
  status changes, the commit event and load snapshots, in one transaction) on SQLite and on
  PostgreSQL; baseline: a 1-officer plan in the same run. The plan is drawn as matching draws one:
  5 officers from each of 12 counties. Planned on the demo force of 20,000 officers, the fastest
  plans of 30 requests of 60 officers each (`bench.instances`) drew from a median of 11.5 donor
  counties (10th to 90th percentile: 4 to 20), and the demo's own plans draw 121 officers from 14
  counties and 12 from 5 (`python -m bench.resources_bench --donors` prints the first again).
- `resources.commit_60_spread.<db>.p95_ms`: the worst case, the same 60 officers from 60 counties,
  one each (a load report and a county count for every one of them); same baseline.

- `resources.read_121_by_id.p95_ms`: a plan's 121 officers read in one GET /officers?ids= over HTTP
  (waitress on loopback, a 20,000-officer pool, as a city commander), what the printed order does;
  baseline: the same officers read one GET /officers/{id} each, six at a time, as it did before.

`python -m bench.resources_bench --search 10000,100000,1000000 --commit 1,10,60` gives the same
figures at other sizes (a scaling curve: each search size beside its own baseline, each plan size
beside the 1-officer plan); `--keep DIR` keeps the seeded search pools there for the next run (a
million officers take a quarter of an hour to seed).

`python -m bench.resources_bench --stages` prints where a commit's time goes instead: each part of the
three plans' commits (1 officer, 60 from 12 counties, 60 from 60) timed where commit_plan calls it, on
SQLite and PostgreSQL (bench/README.md has a run).
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import create_engine, select, text

from services.common.auth import Identity, signed_in
from services.common.config import Settings
from services.common.storage import database_answers
from services.resources import store
from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
from services.resources.commit import commit_plan
from services.resources.store import officers

from . import producers

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MODULES = ("patrol", "investigation", "technical_support", "traffic", "riot_control", "emergency_rescue")


def p95(samples: list[float]) -> float:
    return round(float(np.percentile(samples, 95)), 1)


def figure(samples: list[float], baseline: list[float]) -> dict:
    """p95 beside the baseline's p95, and both medians (steadier than a p95 of a few dozen samples on a
    shared machine)."""
    return {"value": p95(samples), "unit": "ms", "baseline": p95(baseline),
            "median": round(float(np.median(samples)), 1), "baseline_median": round(float(np.median(baseline)), 1)}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def runtime_for(url: str, name: str):
    """resources on its own database (schema `name`): its outbox signs the commit events as resources."""
    return build_runtime(Settings(service=name, database_url=url, kafka_bootstrap="127.0.0.1:1", acts_as="resources"))


def size_label(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def bench_search(workdir: str, n: int = 100_000, rounds: int = 40) -> dict:
    runtime = runtime_for(f"sqlite:///{workdir}/search_{n}.db", "bench_search")
    seed_demo_if_empty(runtime, officers_n=n, seed=11)
    client = signed_in(create_app(runtime).test_client(), Identity("bench", "province_commander"))
    seats = list(runtime.deps.places.seats.values())
    client.get(f"/officers?lon={seats[0][0]}&lat={seats[0][1]}&max_travel_min=60")   # load the road graph
    gc.collect()
    gc.freeze()   # the seeded heap set aside, as a service's start-up heap is (common.runtime._settle_heap)
    with_bound, without, nearest, by_id = [], [], [], []
    try:
        for i in range(rounds):
            lon, lat = seats[i % len(seats)]
            query = f"/officers?status=on_duty&module={MODULES[i % len(MODULES)]}"
            bounded = f"{query}&lon={lon}&lat={lat}&max_travel_min=60"
            with_bound.append(timed(lambda url=bounded: client.get(url)))
            without.append(timed(lambda url=query: client.get(url)))
            nearest.append(timed(lambda url=f"/officers?status=on_duty&lon={lon}&lat={lat}": client.get(url)))
            by_id.append(timed(lambda: client.get("/officers?status=on_duty")))
    finally:
        gc.unfreeze()
        runtime.engine.dispose()
    label = size_label(n)
    return {f"resources.search_{label}.p95_ms": figure(with_bound, without),
            f"resources.search_{label}_nearest.p95_ms": figure(nearest, by_id)}


def bench_by_id(workdir: str, n: int = 121, rounds: int = 20) -> dict:
    """`n` officers of one county read by id in one request, beside one request each (six at a time)."""
    import requests

    from services.common.auth import headers_for
    from services.common.runtime import HttpServer

    runtime = runtime_for(f"sqlite:///{workdir}/by_id.db", "bench_by_id")
    seed_demo_if_empty(runtime, officers_n=20_000, seed=5)
    with runtime.engine.connect() as conn:
        ids = conn.execute(select(officers.c.officer_id).where(officers.c.city == "330700")
                           .order_by(officers.c.officer_id).limit(n)).scalars().all()
    server = HttpServer(create_app(runtime), "127.0.0.1", 0, threads=8)   # as services.common.runtime.serve
    threading.Thread(target=server.run, daemon=True).start()
    url = f"http://127.0.0.1:{server.server.effective_port}"
    session, headers = requests.Session(), headers_for(Identity("bench", "city_commander", "330700"))

    def together():
        body = session.get(f"{url}/officers", params={"ids": ",".join(ids)}, headers=headers, timeout=30).json()
        assert len(body["items"]) == len(ids), body.get("not_shown")

    def one_each():
        with ThreadPoolExecutor(6) as pool:
            found = list(pool.map(lambda i: session.get(f"{url}/officers/{i}", headers=headers, timeout=30), ids))
        assert all(r.status_code == 200 for r in found)

    try:
        together(), one_each()   # warm: connections, compiled statements
        by_id, single = [], []
        for _ in range(rounds):
            by_id.append(timed(together))
            single.append(timed(one_each))
    finally:
        server.close()
        runtime.engine.dispose()
    return {f"resources.read_{n}_by_id.p95_ms": figure(by_id, single)}


def plan(ids: list[str]) -> dict:
    start = datetime.now(timezone.utc)
    return {"plan_id": f"PLAN-{uuid.uuid4().hex[:10]}", "request_id": "REQ-BENCH", "county": "330783",
            "grade": "III", "at": start.isoformat(), "task_start": start.isoformat(), "task_end": (start + timedelta(hours=4)).isoformat(),
            "assignments": [{"officer_id": i} for i in ids]}


PER_COUNTY = 5   # officers a plan draws from each donor county (60 from 12: see the module's docstring)


def lendable_officers(runtime) -> dict[str, list[str]]:
    """Available officers with room for a 4-hour task, per county: a quarter of each county's (so no
    county's reserve floor is what a sample measures)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(officers.c.officer_id, officers.c.county).where(
            officers.c.status == "on_duty", officers.c.duty_minutes_24h <= 400).order_by(officers.c.officer_id)).all()
    by_county: dict[str, list[str]] = {}
    for officer_id, county in rows:
        by_county.setdefault(county, []).append(officer_id)
    for ids in by_county.values():   # keep within each county's 30%
        del ids[len(ids) // 4:]
    return by_county


def deal(by_county: dict[str, list[str]], size: int, per_county: int) -> list[str]:
    """`size` officers, `per_county` from each of the counties with the most, the next in each county's
    turn (each county's list rotates: the officers dealt go to its end)."""
    out: list[str] = []
    for county in sorted(by_county, key=lambda c: -len(by_county[c])):
        ids = by_county[county]
        take = min(per_county, size - len(out), len(ids))
        out += ids[:take]
        ids[:] = ids[take:] + ids[:take]
        if len(out) == size:
            return out
    raise RuntimeError(f"the pool has fewer than {size} lendable officers in counties of {per_county}")


def returned(runtime, ids: list[str]) -> None:
    """The committed officers back on duty and uncommitted (not timed), so that every round draws from
    the same pool: the lendable officers are fewer than the rounds' plans need."""
    with runtime.engine.begin() as conn:
        store.update_officers(conn, ids, {"status": "on_duty", "status_since": datetime.now(timezone.utc),
                                                   "commit_id": None, "rest_until": None})


@contextmanager
def commit_pool(url: str, prefix: str):
    """(runtime, lendable officers per county, policy) of a seeded 20,000-officer pool on `url`, as the
    commit figures use it; a PostgreSQL schema made for it is dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    runtime = runtime_for(url, name)
    try:
        seed_demo_if_empty(runtime, officers_n=20_000, seed=5)
        settle(runtime)
        yield runtime, lendable_officers(runtime), runtime.settings.extra["policy"]
    finally:
        runtime.engine.dispose()
        if url.startswith("postgresql"):
            with create_engine(url).begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def bench_commit(url: str, label: str, rounds: int = 15, sizes: tuple[int, ...] = (60,)) -> dict:
    """Plans of each size in `sizes` (PER_COUNTY officers from each donor county, and one from each
    county for the spread figure) beside a 1-officer plan, in turn, `rounds` times."""
    with commit_pool(url, "bench_commit") as (runtime, pool, policy):
        shapes = [(1, 1, ""), *((size, PER_COUNTY, "") for size in sizes), *((size, 1, "_spread") for size in sizes)]
        samples: dict[tuple, list[float]] = {shape: [] for shape in shapes}
        for _ in range(rounds):
            for size, per_county, tag in shapes:
                ids = deal(pool, size, per_county)
                samples[size, per_county, tag].append(timed(lambda ids=ids: _commit(runtime, ids, policy)))
                returned(runtime, ids)
    return {f"resources.commit_{size}{tag}.{label}.p95_ms": figure(samples[size, per, tag], samples[1, 1, ""])
            for size, per, tag in shapes if size != 1}


def settle(runtime) -> None:
    """On PostgreSQL, the officers table as autovacuum leaves it within a minute of a bulk load
    (statistics for the planner, the visibility map that lets a covering index answer alone): the
    pool a service commits against, not one measured the instant it was seeded."""
    if runtime.engine.dialect.name == "postgresql":
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE officers")


def _commit(runtime, ids: list[str], policy) -> None:
    with runtime.outbox.transaction() as tx:
        result = commit_plan(tx, plan(ids), policy, datetime.now(timezone.utc))
    if result["status"] != "committed":
        raise RuntimeError(f"benchmark plan refused: {result['reasons'][:3]}")


# Where a commit's time goes (`--stages`): the functions a commit calls, each timed where it is called
# (its module attribute wrapped for the run), inclusive of what it calls. The events' parts are within
# "events written"; "transaction" is BEGIN and COMMIT (the whole less commit_plan); "the rest" is
# commit_plan less its timed parts (the rules, the events' payloads, the counts after the commit).
STAGES = (
    ("plan looked up, homes read", "services.resources.store", "commitment"),
    ("plan looked up, homes read", "services.resources.store", "officer_counties"),
    ("counties and officers locked", "services.resources.store", "lock_counties"),
    ("counties and officers locked", "services.resources.store", "lock_for_commit"),
    ("county counts (before)", "services.resources.store", "county_counts"),
    ("qualified counts (after)", "services.resources.store", "qualified_counts"),
    ("received, county rows", "services.resources.store", "received_by_county"),
    ("received, county rows", "services.resources.store", "county_rows"),
    ("officers updated", "services.resources.store", "update_officers"),
    ("commitment written", "services.resources.store", "insert_commitment"),
    ("events written", "services.common.outbox", "Tx.emit_many"),
    ("  of which sealed", "services.common.outbox", "sealed"),
    ("    of which signed", "services.common.keys", "Signer.sign"),
    ("  of which contract checks", "services.common.contracts", "validate_event"),
)
_PARTS = frozenset(("  of which sealed", "    of which signed", "  of which contract checks"))


def stage_owner(module: str, name: str) -> tuple[object, str]:
    """(the module or class that holds `name` of STAGES, the attribute's own name)."""
    owner = importlib.import_module(module)
    *path, attr = name.split(".")
    for part in path:
        owner = getattr(owner, part)
    return owner, attr


@contextmanager
def timed_stages(spent: dict[str, float]):
    """While open, each function of STAGES adds the time of its calls to `spent[label]`."""
    undo = []
    for label, module, name in STAGES:
        owner, attr = stage_owner(module, name)
        original = owner.__dict__[attr]

        def wrapper(*args, _fn=original, _label=label, **kwargs):
            start = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - start
        setattr(owner, attr, wrapper)
        undo.append((owner, attr, original))
    try:
        yield spent
    finally:
        for owner, attr, original in reversed(undo):
            setattr(owner, attr, original)


def commit_stages(url: str, rounds: int = 20, shapes=((1, 1), (60, PER_COUNTY), (60, 1))) -> dict[tuple, dict]:
    """Per plan shape (officers, per county): the median whole commit and each stage's mean, in ms."""
    with commit_pool(url, "bench_stages") as (runtime, pool, policy):
        for shape in shapes:   # warm: statements compiled, caches filled
            for _ in range(3):
                ids = deal(pool, *shape)
                _commit(runtime, ids, policy)
                returned(runtime, ids)
        spent: dict[str, float] = {}
        totals: dict[tuple, dict[str, float]] = {shape: {} for shape in shapes}
        wholes: dict[tuple, list[float]] = {shape: [] for shape in shapes}
        planned = dict.fromkeys(shapes, 0.0)
        with timed_stages(spent):
            for _ in range(rounds):   # the shapes in turn, as bench_commit takes them
                for shape in shapes:
                    ids = deal(pool, *shape)
                    spent.clear()
                    start = time.perf_counter()
                    with runtime.outbox.transaction() as tx:
                        inner = time.perf_counter()
                        result = commit_plan(tx, plan(ids), policy, datetime.now(timezone.utc))
                        planned[shape] += time.perf_counter() - inner
                    wholes[shape].append(time.perf_counter() - start)
                    if result["status"] != "committed":
                        raise RuntimeError(f"benchmark plan refused: {result['reasons'][:3]}")
                    for label, t in spent.items():
                        totals[shape][label] = totals[shape].get(label, 0.0) + t
                    returned(runtime, ids)   # not a commit's: its update is not counted
    out: dict[tuple, dict] = {}
    for shape in shapes:
        stages = {label: 1000 * t / rounds for label, t in totals[shape].items()}
        top = sum(v for k, v in stages.items() if k not in _PARTS)
        stages["transaction (BEGIN, COMMIT)"] = 1000 * (sum(wholes[shape]) - planned[shape]) / rounds
        stages["the rest (rules, payloads, counts after)"] = 1000 * planned[shape] / rounds - top
        out[shape] = {"median_ms": 1000 * float(np.median(wholes[shape])),
                      "mean_ms": 1000 * sum(wholes[shape]) / rounds, "stages": stages}
    return out


def stages_table(label: str, figures: dict[tuple, dict]) -> str:
    """figures (commit_stages) as a text table: a row per stage, a column per plan shape."""
    shapes = list(figures)
    heads = ["1 officer" if s == (1, 1) else f"{s[0]} from {s[0] // s[1]} counties" for s in shapes]
    order = [label for label, _, _ in STAGES] + ["transaction (BEGIN, COMMIT)", "the rest (rules, payloads, counts after)"]
    lines = [f"{label}: mean ms per commit" + "".join(f" | {h:>20s}" for h in heads)]
    for stage in dict.fromkeys(order):
        lines.append(f"  {stage:42s}" + "".join(f" | {figures[s]['stages'].get(stage, 0.0):20.2f}" for s in shapes))
    lines.append(f"  {'whole commit, mean (median)':42s}" + "".join(
        f" | {figures[s]['mean_ms']:12.2f} ({figures[s]['median_ms']:.1f})" for s in shapes))
    return "\n".join(lines)


def postgres_available() -> bool:
    return database_answers(PG_URL)


def run(search_sizes: tuple[int, ...] = (100_000,), commit_sizes: tuple[int, ...] = (60,), *,
        keep: str | None = None, search_rounds: int = 40, commit_rounds: int = 15, by_id: int = 121) -> dict:
    results: dict = {}
    with producers.registry(), tempfile.TemporaryDirectory() as workdir:
        if by_id:
            results.update(bench_by_id(workdir, by_id))
        for n in search_sizes:
            results.update(bench_search(keep or workdir, n, search_rounds))
        sizes = tuple(s for s in commit_sizes if s != 1)
        if sizes:
            results.update(bench_commit(f"sqlite:///{workdir}/commit.db", "sqlite", commit_rounds, sizes))
            if postgres_available():
                results.update(bench_commit(PG_URL, "postgres", commit_rounds, sizes))
    return results


def donors(officers_n: int = 20_000, requests: int = 30, headcount: int = 60, seed: int = 2) -> str:
    """How many donor counties matching's fastest plans draw from: `requests` requests of `headcount`
    officers each on the demo force of `officers_n` (bench.instances), planned in one batch."""
    from bench.instances import instance
    from services.matching.domain.planner import plan_batch
    inst = instance(officers=officers_n, requests=requests, seed=seed, headcount=headcount)
    batch = plan_batch(inst.pool, inst.requests, inst.travel, inst.accepts, kinds=("fastest",))
    plans = [batch.options[r]["fastest"].assignments for r in range(requests) if "fastest" in batch.options[r]]
    counties = np.array([len({a.from_county for a in plan}) for plan in plans if plan])
    sizes = np.array([len(plan) for plan in plans if plan])
    return (f"{len(counties)} plans of {requests} requests for {headcount} officers each ({officers_n:,} officers): "
            f"officers per plan median {np.median(sizes):g}; donor counties median {np.median(counties):g}, "
            f"10th to 90th percentile {np.percentile(counties, 10):g} to {np.percentile(counties, 90):g}")


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


if __name__ == "__main__":  # python -m bench.resources_bench: this module's figures alone
    parser = argparse.ArgumentParser(prog="python -m bench.resources_bench")
    parser.add_argument("--search", type=_sizes, default=(100_000,), help="pool sizes to search (comma-separated)")
    parser.add_argument("--commit", type=_sizes, default=(1, 60), help="plan sizes to commit (comma-separated; "
                        "each beside a 1-officer plan)")
    parser.add_argument("--keep", help="a folder where the seeded search pools are kept and found again")
    parser.add_argument("--search-rounds", type=int, default=40)
    parser.add_argument("--commit-rounds", type=int, default=15)
    parser.add_argument("--by-id", type=int, default=121, help="officers read by id in one request (0: none)")
    parser.add_argument("--donors", action="store_true", help="print how many donor counties matching's plans of "
                        "60 officers draw from, and nothing else")
    parser.add_argument("--stages", action="store_true", help="print where a commit's time goes, stage by stage, "
                        "on SQLite and (when it answers) PostgreSQL, and nothing else")
    args = parser.parse_args()
    if args.stages:
        with producers.registry(), tempfile.TemporaryDirectory() as workdir:
            print(stages_table("sqlite", commit_stages(f"sqlite:///{workdir}/stages.db", args.commit_rounds)), flush=True)
            if postgres_available():
                print(stages_table("postgres", commit_stages(PG_URL, args.commit_rounds)), flush=True)
        raise SystemExit(0)
    if args.donors:
        print(donors())
        raise SystemExit(0)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    for name, r in run(args.search, args.commit, keep=args.keep, search_rounds=args.search_rounds,
                         commit_rounds=args.commit_rounds, by_id=args.by_id).items():
        ratio = f"{r['value'] / r['baseline']:.2f}x" if r["baseline"] else "-"
        print(f"{name:40s} {r['value']:8.1f} {r['unit']}   baseline {r['baseline']:8.1f}   {ratio}   (medians "
              f"{r['median']:.1f} / {r['baseline_median']:.1f} = {r['median'] / r['baseline_median']:.2f}x)", flush=True)
