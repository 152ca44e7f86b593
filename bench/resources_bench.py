"""The resource pool: availability search over 100,000 officers, and commits of a 60-officer plan.

- `resources.search_100k.p95_ms`: GET /officers with module + status filters and a 60-minute
  travel-time bound from a county seat (SQL filter, then one travel matrix over the candidates);
  baseline: the same filters without the travel-time bound.
- `resources.commit_60.<db>.p95_ms`: committing an approved 60-officer plan (locks, checks, 60
  status changes, the commit event and load snapshots, in one transaction) on SQLite and on
  PostgreSQL; baseline: a 1-officer plan in the same run.
"""
from __future__ import annotations

import os
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import create_engine, select, text

from services.common.auth import Identity, signed_in
from services.common.config import Settings
from services.common.storage import database_answers
from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
from services.resources.commit import commit_plan
from services.resources.store import officers

from . import producers

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
MODULES = ("patrol", "investigation", "technical_support", "traffic", "riot_control", "emergency_rescue")


def p95(samples: list[float]) -> float:
    return round(float(np.percentile(samples, 95)), 1)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def runtime_for(url: str, name: str):
    """resources on its own database (schema `name`): its outbox signs the commit events as resources."""
    return build_runtime(Settings(service=name, database_url=url, kafka_bootstrap="127.0.0.1:1", acts_as="resources"))


def bench_search(workdir: str, n: int = 100_000, rounds: int = 40) -> dict:
    runtime = runtime_for(f"sqlite:///{workdir}/search.db", "bench_search")
    seed_demo_if_empty(runtime, officers_n=n, seed=11)
    client = signed_in(create_app(runtime).test_client(), Identity("bench", "province_commander"))
    seats = list(runtime.deps.places.seats.values())
    client.get(f"/officers?lon={seats[0][0]}&lat={seats[0][1]}&max_travel_min=60")   # load the road graph
    with_bound, without = [], []
    for i in range(rounds):
        lon, lat = seats[i % len(seats)]
        query = f"/officers?status=on_duty&module={MODULES[i % len(MODULES)]}"
        bounded = f"{query}&lon={lon}&lat={lat}&max_travel_min=60"
        with_bound.append(timed(lambda url=bounded: client.get(url)))
        without.append(timed(lambda url=query: client.get(url)))
    runtime.engine.dispose()
    return {"resources.search_100k.p95_ms": {"value": p95(with_bound), "unit": "ms", "baseline": p95(without)}}


def plan(ids: list[str]) -> dict:
    start = datetime.now(timezone.utc)
    return {"plan_id": f"PLAN-{uuid.uuid4().hex[:10]}", "request_id": "REQ-BENCH", "county": "330783",
            "grade": "III", "at": start.isoformat(), "task_start": start.isoformat(), "task_end": (start + timedelta(hours=4)).isoformat(),
            "assignments": [{"officer_id": i} for i in ids]}


def lendable_officers(runtime) -> list[str]:
    """Available officers with room for a 4-hour task, dealt round-robin over counties (so no
    county's reserve floor is what a sample measures)."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(officers.c.officer_id, officers.c.county).where(
            officers.c.status == "on_duty", officers.c.duty_minutes_24h <= 400).order_by(officers.c.officer_id)).all()
    by_county: dict[str, list[str]] = {}
    for officer_id, county in rows:
        by_county.setdefault(county, []).append(officer_id)
    for ids in by_county.values():   # keep within each county's 30%
        del ids[len(ids) // 4:]
    out = []
    while any(by_county.values()):
        for ids in by_county.values():
            if ids:
                out.append(ids.pop())
    return out


def bench_commit(url: str, label: str, rounds: int = 15) -> dict:
    name = f"bench_commit_{uuid.uuid4().hex[:8]}"
    runtime = runtime_for(url, name)
    try:
        seed_demo_if_empty(runtime, officers_n=20_000, seed=5)
        pool, policy = lendable_officers(runtime), runtime.settings.extra["policy"]
        sixty, one = [], []
        for _ in range(rounds):
            for size, samples in ((60, sixty), (1, one)):
                ids, pool = pool[:size], pool[size:]
                samples.append(timed(lambda ids=ids: _commit(runtime, ids, policy)))
        return {f"resources.commit_60.{label}.p95_ms": {"value": p95(sixty), "unit": "ms", "baseline": p95(one)}}
    finally:
        runtime.engine.dispose()
        if url.startswith("postgresql"):
            with create_engine(url).begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def _commit(runtime, ids: list[str], policy) -> None:
    with runtime.outbox.transaction() as tx:
        result = commit_plan(tx, plan(ids), policy, datetime.now(timezone.utc))
    if result["status"] != "committed":
        raise RuntimeError(f"benchmark plan refused: {result['reasons'][:3]}")


def postgres_available() -> bool:
    return database_answers(PG_URL)


def run() -> dict:
    results: dict = {}
    with producers.registry(), tempfile.TemporaryDirectory() as workdir:
        results.update(bench_search(workdir))
        results.update(bench_commit(f"sqlite:///{workdir}/commit.db", "sqlite"))
        if postgres_available():
            results.update(bench_commit(PG_URL, "postgres"))
    return results


if __name__ == "__main__":  # python -m bench.resources_bench: this module's figures alone
    for figure, r in run().items():
        ratio = f"{r['value'] / r['baseline']:.2f}x" if r["baseline"] else "-"
        print(f"{figure:40s} {r['value']:8.1f} {r['unit']}   baseline {r['baseline']:8.1f}   {ratio}")
