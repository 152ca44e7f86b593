"""A page of logistics' orders as the table grows: the database filters by the caller's region, cuts
the page and counts (`store.orders_page`), beside the way the route used to answer, measured in the same
run: every order read and decoded, filtered by region in Python, then the page cut.

`logistics.orders_page.<rows>.<caller>.p95_ms`: the route's page of 50 (`GET /orders?limit=50&offset=`,
through the Flask app: token, permissions, the page as JSON) for the province commander reading a page
in the middle of the orders and for a city commander (金华, three of the 18 counties that receive and
send: about 3 orders in 10 concern it) reading its first page, on SQLite, at 2,000, 20,000 and 100,000
orders (a province's orders of a bad day, of a year, of several). Baseline: the old answer of the same page, read in-process (store and
representation, no HTTP), so the ratio flatters the old way if anything; it is timed fewer times at the
larger sizes (at least 3), where one read of every order takes seconds.

`logistics.orders_page.<rows>.province_by_link.p95_ms`: the same middle page reached as a reader who
follows the links reaches it (`?after=`, the position of the previous page's last order), beside the
page by `?offset=` through the route in the same run: the offset skips half the orders, the position
reads on from the index.

`logistics.deployments_page.<rows>.city.p95_ms`: 金华's first page of deployments (`GET /deployments?limit=50`
through the Flask app), found by `deployment_counties` (a row per county a deployment concerns), beside
the same page read in-process as it was before that table: the deployments received in the region or
named by an order sent from it (a list of the region's sent orders), counted and cut by the database.

`resources.commitments_page.<rows>.<caller>.p95_ms`: resources' `GET /commitments?limit=50` for 金华's
city commander and 东阳's duty officer (first pages; each commitment received in one of the 18 counties
with 12 officers from three of them, so about 5 in 10 concern 金华 and 2 in 10 东阳), at the same sizes.
Baseline: the old answer of the same page in-process: every commitment read and filtered in Python by
its receiving county and the region's officers (read here from the commitments' officers, not from a
roster of the region's officers as the route did, so again the old way is flattered).

`resources.officers_page.<officers>.province_by_link.p95_ms`: resources' `GET /officers?limit=1000` for
the province, the page in the middle of the force reached by position (`?after=`, as the page before's
`next` names it), on the demo force at 20,000 and 100,000 officers (SQLite). Baseline: the same page as
the route answered it before, in-process and encoded as JSON: every candidate read by id, then cut.

`resources.officers_page.<officers>.certified_by_link.p95_ms`: the province's search for on-duty holders
of a valid firearms certificate (`GET /officers?certification=firearms&status=on_duty&limit=50`), the
page in the middle reached by position: the database reads each holder's expiry dates, cuts and counts.
Baseline: the same page as the route answered it before, in-process and encoded as JSON: every holder
of the name read with their certificates (on the driver, as the route did), the dates checked in
Python, the ids sorted and the page cut.

`matching.snapshot_officers.<officers>.s`: matching's first picture of the force (`Snapshot.officers`,
pages of 1,000 following `next`) through the Flask app, once; baseline: the same pages the old way
(every candidate read on each page), in-process, once. The old way's whole read grows with the square
of the force, the new one in proportion.
"""
from __future__ import annotations

import functools
import gc
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

import numpy as np
from sqlalchemy import bindparam, or_, select

from services.common import contracts, keyset, storage
from services.common.auth import Identity, region_covers, signed_in
from services.common.config import Settings
from services.common.permissions import covers_clause
from services.logistics import regions, representations, store
from services.logistics.bootstrap import build_runtime, create_app
from services.matching import snapshot
from services.resources import bootstrap as resources_bootstrap
from services.resources import officers as resources_officers
from services.resources import store as resources_store
from services.resources.store import search as resources_search

SIZES = tuple(int(s) for s in os.environ.get("BENCH_PAGE_SIZES", "2000,20000,100000").split(","))
OFFICER_SIZES = tuple(int(s) for s in os.environ.get("BENCH_OFFICER_PAGE_SIZES", "20000,100000").split(","))
ROUNDS = int(os.environ.get("BENCH_PAGE_ROUNDS", "20"))
LIMIT = 50
CALLERS = {"province": Identity("bench", "province_commander", "330000"),
           "city": Identity("bench-jh", "city_commander", "330700")}
COMMITMENT_CALLERS = {"city": Identity("bench-jh", "city_commander", "330700"),
                      "county": Identity("bench-dy", "county_duty_officer", "330783")}
# The counties that receive and send, each as often: 金华's three and 15 of the rest of the province.
COUNTIES = ["330106", "330102", "330110", "330109", "330302", "330381", "330402", "330502", "330602", "330681",
            "330783", "330782", "330702", "331002", "331081", "330902", "331102", "330802"]


def _orders(n: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """`n` orders of n/4 deployments, four units each from anywhere, reporting to their deployment's county."""
    example = contracts.example_event("dispatch.ordered")["data"]
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    orders, deployments = [], []
    for i in range(n):
        at, dep = t0 + timedelta(minutes=i * 3), f"DEP-{i // 4:06d}"
        if i % 4 == 0:
            to = rng.choice(COUNTIES)
            deployments.append({"deployment_id": dep, "plan_id": f"PLAN-{i // 4:06d}", "request_id": f"REQ-{i // 8:06d}",
                                "incident_id": f"INC-{i // 8:06d}", "county": to, "grade": "III", "headcount": 16,
                                "officer_ids": [], "task_start": at, "task_end": at + timedelta(hours=12),
                                "arrangements": {}, "flags": [], "status": "released", "created_at": at})
        home = rng.choice(COUNTIES)
        order = dict(example, order_id=f"ORD-{i:06d}", unit_id=f"U-{home}-{i:06d}", from_county=home, deployment_id=dep,
                     reporting_point=dict(example["reporting_point"], county=to))
        route = [[120.0 + k / 100, 29.0 + k / 100, 600 - k * 100] for k in range(7)]
        orders.append({"order_id": f"ORD-{i:06d}", "deployment_id": dep, "request_id": f"REQ-{i // 8:06d}",
                       "incident_id": f"INC-{i // 8:06d}", "unit_id": f"U-{home}-{i:06d}", "from_county": home,
                       "officer_ids": [f"P-{home}-{i:06d}-{k}" for k in range(4)], "order": order, "ordered_at": at,
                       "deadline": at + timedelta(minutes=60), "attempts": 1, "last_sent_at": at, "acked_at": at,
                       "route": route, "progress": 1.0, "eta": at + timedelta(minutes=50),
                       "arrived_at": at + timedelta(minutes=48), "response_s": 2880, "late": rng.random() < 0.1})
    return orders, deployments


def _old_page(conn, region: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    """The page as the route answered it before: every order read, filtered, then cut."""
    rows = [dict(r) for r in conn.execute(select(store.orders).order_by(store.orders.c.ordered_at,
                                                                         store.orders.c.order_id)).mappings()]
    kept = [r for r in rows if not region or any(region_covers(region, c) for c in regions.order_counties(r))]
    return [representations.order(r) for r in kept[offset:offset + limit]], len(kept)


def _old_deployments_page(conn, region: str, limit: int, offset: int) -> tuple[list[dict], int]:
    """The region's page of deployments as it was read before `deployment_counties`: received in the
    region, or named by an order sent from it."""
    def of_region(unindexed: bool = False) -> list:
        column = keyset.Unindexed if unindexed else (lambda c: c)
        sent = select(store.orders.c.deployment_id).where(covers_clause(store.orders.c.from_county, region))
        return [or_(covers_clause(column(store.deployments.c.county), region),
                    column(store.deployments.c.deployment_id).in_(sent))]
    return store._region_page(conn, store.DEPLOYMENTS_ORDER, store.deployments, [], of_region, by_key=False,
                              limit=limit, offset=offset, after=None)


def _p95(times: list[float]) -> float:
    return round(float(np.percentile(times, 95)), 2)


def _timed(n: int, new, old, engine, *, every_round: bool = False) -> dict:
    """The figure: p95 of `new()` over ROUNDS, beside p95 of `old(conn)`, timed fewer times at the
    larger sizes (at least 3; every round with `every_round`): the old way reads every row, seconds a
    page at 100,000."""
    new_ms, old_ms = [], []
    for i in range(ROUNDS):
        t = time.perf_counter()
        new()
        new_ms.append((time.perf_counter() - t) * 1000)
        if every_round or i < max(3, ROUNDS * 2000 // n):
            with engine.connect() as conn:
                t = time.perf_counter()
                old(conn)
                old_ms.append((time.perf_counter() - t) * 1000)
    return {"value": _p95(new_ms), "unit": "ms", "baseline": _p95(old_ms),
            "median": round(float(np.median(new_ms)), 2), "baseline_median": round(float(np.median(old_ms)), 2)}


def bench_size(workdir: str, n: int) -> dict:
    runtime = build_runtime(Settings(service="logistics", database_url=f"sqlite:///{workdir}/orders_{n}.db",
                                     kafka_bootstrap="127.0.0.1:1"))
    try:
        rows, deployments = _orders(n, random.Random(n))
        with runtime.engine.begin() as conn:
            for start in range(0, n, 5000):
                conn.execute(store.orders.insert(), rows[start:start + 5000])
                conn.execute(store.deployments.insert(), deployments[start // 4:(start + 5000) // 4])
        store.fill_deployment_counties(runtime.engine)   # as dispatch writes them (rows inserted here in bulk)
        app = create_app(runtime)
        out = {}
        for who, identity in CALLERS.items():
            client = signed_in(app.test_client(), identity)
            region = None if identity.level == "province" else identity.region
            total = sum(1 for r in rows if not region or any(region_covers(region, c) for c in regions.order_counties(r)))
            offset = (total // 2) // LIMIT * LIMIT if who == "province" else 0
            url = f"/orders?limit={LIMIT}&offset={offset}"
            first = client.get(url)
            assert first.status_code == 200 and first.headers["X-Total-Count"] == str(total), first.status_code
            with runtime.engine.connect() as conn:
                old, old_total = _old_page(conn, region, LIMIT, offset)
            assert old_total == total and [o["order_id"] for o in old] == [o["order_id"] for o in first.get_json()]
            assert not region or all(any(region_covers(region, c) for c in (o["order"]["reporting_point"]["county"],
                                                                             o["from_county"])) for o in old)
            out[f"logistics.orders_page.{n // 1000}k.{who}.p95_ms"] = _timed(
                n, functools.partial(client.get, url),
                functools.partial(_old_page, region=region, limit=LIMIT, offset=offset), runtime.engine)
            if offset:   # the same page as the previous page's link places it
                linked = client.get(f"/orders?limit={LIMIT}&offset={offset - LIMIT}").headers["Link"]
                by_link = linked[linked.index("<") + 1:linked.index(">")]
                assert "after=" in by_link and client.get(by_link).get_json() == first.get_json()
                out[f"logistics.orders_page.{n // 1000}k.{who}_by_link.p95_ms"] = _timed(
                    n, functools.partial(client.get, by_link), lambda conn, get=client.get, url=url: get(url),
                    runtime.engine, every_round=True)
        client, region = signed_in(app.test_client(), CALLERS["city"]), CALLERS["city"].region
        first = client.get(f"/deployments?limit={LIMIT}")
        with runtime.engine.connect() as conn:
            old, old_total = _old_deployments_page(conn, region, LIMIT, 0)
        assert first.headers["X-Total-Count"] == str(old_total) and \
            [d["deployment_id"] for d in first.get_json()] == [d["deployment_id"] for d in old]
        out[f"logistics.deployments_page.{n // 1000}k.city.p95_ms"] = _timed(
            n, functools.partial(client.get, f"/deployments?limit={LIMIT}"),
            functools.partial(_old_deployments_page, region=region, limit=LIMIT, offset=0), runtime.engine,
            every_round=True)
        return out
    finally:
        runtime.engine.dispose()


def _commitments(n: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """`n` commitments, each received in one county with 12 officers, 4 from each of three counties."""
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    rows, kept = [], []
    for i in range(n):
        at, commit_id = t0 + timedelta(minutes=i * 3), f"CMT-{i:06d}"
        homes = {f"ZJ{c}-{i:06d}{k}": c for c in rng.sample(COUNTIES, 3) for k in range(4)}
        rows.append({"commit_id": commit_id, "plan_id": f"PLAN-{i:06d}", "request_id": f"REQ-{i // 2:06d}",
                     "incident_id": f"INC-{i // 2:06d}", "county": rng.choice(COUNTIES), "grade": "III", "risk": 2,
                     "task_start": at, "task_end": at + timedelta(hours=12), "officer_ids": list(homes),
                     "status": "released", "at": at})
        kept.extend({"commit_id": commit_id, "officer_id": o, "county": c} for o, c in homes.items())
    return rows, kept


def _old_commitments(conn, region: str, limit: int, offset: int) -> tuple[list[dict], int]:
    """The page as the route answered it before: the region's officers read, every commitment read and
    filtered in Python, then cut."""
    t, kept = resources_store.commitments, resources_store.commitment_officers
    own = {o for (o,) in conn.execute(select(kept.c.officer_id).where(covers_clause(kept.c.county, region)))}
    out = []
    for r in conn.execute(select(t).order_by(t.c.at.desc(), t.c.commit_id)):
        row = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r._asdict().items()}
        if not region_covers(region, row["county"]):
            row["officer_ids"] = [i for i in row["officer_ids"] if i in own]
            if not row["officer_ids"]:
                continue
        out.append(row)
    return out[offset:offset + limit], len(out)


def bench_commitments(workdir: str, n: int) -> dict:
    runtime = resources_bootstrap.build_runtime(Settings(service="resources", kafka_bootstrap="127.0.0.1:1",
                                                         database_url=f"sqlite:///{workdir}/commitments_{n}.db"))
    try:
        rows, kept = _commitments(n, random.Random(n))
        with runtime.engine.begin() as conn:
            for start in range(0, n, 5000):
                conn.execute(resources_store.commitments.insert(), rows[start:start + 5000])
            for start in range(0, len(kept), 20000):
                conn.execute(resources_store.commitment_officers.insert(), kept[start:start + 20000])
        app = resources_bootstrap.create_app(runtime)
        out = {}
        for who, identity in COMMITMENT_CALLERS.items():
            client = signed_in(app.test_client(), identity)
            url = f"/commitments?limit={LIMIT}"
            first = client.get(url)
            with runtime.engine.connect() as conn:
                old, old_total = _old_commitments(conn, identity.region, LIMIT, 0)
            assert first.status_code == 200 and first.headers["X-Total-Count"] == str(old_total), first.status_code
            assert old == first.get_json(), "the page differs from the old way's"
            out[f"resources.commitments_page.{n // 1000}k.{who}.p95_ms"] = _timed(
                n, functools.partial(client.get, url),
                functools.partial(_old_commitments, region=identity.region, limit=LIMIT, offset=0), runtime.engine)
        return out
    finally:
        runtime.engine.dispose()


def _old_officers_page(conn, limit: int, offset: int, at: datetime) -> list[dict]:
    """A search page as GET /officers answered it before: every candidate read (by id), then cut; its
    officers shown and encoded as JSON, as the route does (no HTTP or token check)."""
    ids = [r[0] for r in resources_store.candidate_positions(conn, {}, at)][offset:offset + limit]
    full = resources_store.officers_by_id(conn, ids)
    items = [resources_officers.view(full[i], at, "province_commander") for i in ids]
    json.dumps({"total": len(ids), "offset": offset, "limit": limit, "items": items}, ensure_ascii=False)
    return items


_OLD_CERTIFIED = storage.Shaped()


def _old_certified_ids(conn, f: dict, at: datetime) -> list[str]:
    """The certification search's officers as the route found them before: every holder of the names (the
    names' text) read with their certificates on the driver, the expiry dates checked in Python, the
    ids sorted."""
    table, names = resources_store.officers, f["certification"]
    plain = {**f, "certification": []}
    values = resources_search._filter_values(conn, plain, at, None)
    values.update((f"old_{i}", f";{n};") for i, n in enumerate(names))
    rows = _OLD_CERTIFIED.rows(conn, (len(names),), lambda: (
        select(table.c.officer_id, table.c.certifications)
        .where(*resources_store.search_filters(plain, at),
               *[table.c.cert_text.contains(bindparam(f"old_{i}", "")) for i in range(len(names))])
        .order_by(table.c.officer_id)), values)
    on, kept = at.date(), []
    for officer_id, certs in rows:
        certs = json.loads(certs) if isinstance(certs, str) else certs
        valid = {c["name"] for c in certs if date.fromisoformat(c["expires"]) >= on}
        if all(n in valid for n in names):
            kept.append(officer_id)
    return sorted(kept)


def _old_certified_page(conn, f: dict, limit: int, offset: int, at: datetime) -> list[dict]:
    """Its page as GET /officers answered it before: every holder read (`_old_certified_ids`), the page
    cut, its officers shown and encoded as JSON."""
    kept = _old_certified_ids(conn, f, at)
    ids = kept[offset:offset + limit]
    full = resources_store.officers_by_id(conn, ids)
    items = [resources_officers.view(full[i], at, "province_commander") for i in ids]
    json.dumps({"total": len(kept), "offset": offset, "limit": limit, "items": items}, ensure_ascii=False)
    return items


class _Session:
    """requests.Session's get() onto a Flask test client, for matching's snapshot."""

    def __init__(self, client):
        self.client = client

    def get(self, url, params=None, headers=None, timeout=None):
        resp = self.client.get(url, query_string=params, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return type("Reply", (), {"raise_for_status": staticmethod(lambda: None), "json": staticmethod(resp.get_json)})


def bench_officers(workdir: str, n: int) -> dict:
    runtime = resources_bootstrap.build_runtime(Settings(service="resources", kafka_bootstrap="127.0.0.1:1",
                                                         database_url=f"sqlite:///{workdir}/officers_{n}.db"))
    try:
        resources_bootstrap.seed_demo_if_empty(runtime, officers_n=n, seed=11)
        app = resources_bootstrap.create_app(runtime)
        gc.collect()   # what start-up built kept out of the collector's full passes, as a service's start
        gc.freeze()    # does (common.runtime._settle_heap); else a pass over it lands in one page in 16
        client = signed_in(app.test_client(), CALLERS["province"])
        page, offset = snapshot.PAGE, (n // 2) // snapshot.PAGE * snapshot.PAGE
        with runtime.engine.connect() as conn:
            ids = [i for (i,) in conn.execute(select(resources_store.officers.c.officer_id)
                                              .order_by(resources_store.officers.c.officer_id))]
        at = datetime.now(timezone.utc)
        url = f"/officers?limit={page}&after={resources_officers.BY_ID.token({'officer_id': ids[offset - 1]})}"
        first = client.get(url).get_json()
        with runtime.engine.connect() as conn:
            old = _old_officers_page(conn, page, offset, at)
        assert [o["officer_id"] for o in first["items"]] == [o["officer_id"] for o in old] == ids[offset:offset + page]
        out = {f"resources.officers_page.{n // 1000}k.province_by_link.p95_ms": _timed(
            n, functools.partial(client.get, url),
            functools.partial(_old_officers_page, limit=page, offset=offset, at=at),
            runtime.engine)}
        out.update(_certified(client, runtime, n, at))
        source = snapshot.Snapshot("", session=_Session(app.test_client()))
        t = time.perf_counter()
        everyone = source.officers()
        new_s = time.perf_counter() - t
        assert [o["officer_id"] for o in everyone] == ids
        t = time.perf_counter()
        with runtime.engine.connect() as conn:     # the old way's pages, each reading every candidate
            old_n = sum(len(_old_officers_page(conn, page, start, at)) for start in range(0, n, page))
        old_s = time.perf_counter() - t
        assert old_n == n
        out[f"matching.snapshot_officers.{n // 1000}k.s"] = {"value": round(new_s, 2), "unit": "s",
                                                             "baseline": round(old_s, 2)}
        return out
    finally:
        gc.unfreeze()
        runtime.engine.dispose()


def _certified(client, runtime, n: int, at: datetime) -> dict:
    """The certification search's middle page of 50 by position, beside the old way's (module docstring)."""
    f = {"certification": ["firearms"], "status": ["on_duty"]}
    with runtime.engine.connect() as conn:
        ids = _old_certified_ids(conn, f, at)
    offset = len(ids) // 2 // 50 * 50
    url = (f"/officers?certification=firearms&status=on_duty&limit=50"
           f"&after={resources_officers.BY_ID.token({'officer_id': ids[offset - 1]})}")
    page = client.get(url).get_json()
    with runtime.engine.connect() as conn:
        old = _old_certified_page(conn, f, 50, offset, at)
    assert len(ids) >= 100 and page["total"] == len(ids)
    assert [o["officer_id"] for o in page["items"]] == [o["officer_id"] for o in old] == ids[offset:offset + 50]
    return {f"resources.officers_page.{n // 1000}k.certified_by_link.p95_ms": _timed(
        n, functools.partial(client.get, url),
        functools.partial(_old_certified_page, f=f, limit=50, offset=offset, at=at), runtime.engine)}


def run() -> dict:
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as workdir:
        for n in SIZES:
            results.update(bench_size(workdir, n))
        for n in SIZES:
            results.update(bench_commitments(workdir, n))
        for n in OFFICER_SIZES:
            results.update(bench_officers(workdir, n))
    return results


# `--walk`: for each caller and page, the page as read_in_order chooses to read it, walked in order and
# sorted (the choice forced each way), medians of ms through the Flask app, SQLite; the force of
# `_orders` with three counties' units sent at set rates: 慈溪 (330282) one in a hundred, 余姚 (330281)
# one in a thousand, 瑞安 (330381) one in twenty; and 东阳 and 金华 as the force has them.
WALK_CALLERS = (("330281", (0,)), ("330282", (0, 500)), ("330381", (0, 2000, 8000)), ("330783", (0, 5000)),
                ("330700", (0, 1000, 10000, 25000)))


def walk_or_sort(workdir: str, n: int, rounds: int = 5) -> list[str]:
    """Rows of a table: caller, its orders, the offset, then the chosen way, the walk and the sort (ms)."""
    runtime = build_runtime(Settings(service="logistics", database_url=f"sqlite:///{workdir}/walk_{n}.db",
                                     kafka_bootstrap="127.0.0.1:1"))
    rows, deployments = _orders(n, random.Random(n))
    for i, row in enumerate(rows):
        rare = "330282" if i % 100 == 7 else "330281" if i % 1000 == 3 else "330381" if i % 20 == 11 else None
        row["from_county"] = rare or row["from_county"]
    with runtime.engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(store.orders.insert(), rows[start:start + 5000])
            conn.execute(store.deployments.insert(), deployments[start // 4:(start + 5000) // 4])
    store.fill_deployment_counties(runtime.engine)
    storage.refresh_statistics(runtime.engine)
    app, chosen = create_app(runtime), keyset.WALKED
    out = []
    try:
        for region, offsets in WALK_CALLERS:
            level = "city_commander" if region.endswith("00") else "county_duty_officer"
            client = signed_in(app.test_client(), Identity(f"bench-{region}", level, region))
            for offset in offsets:
                url = f"/orders?limit={LIMIT}&offset={offset}"
                total = int(client.get(url).headers["X-Total-Count"])
                ways: dict[str, list[float]] = {"chosen": [], "walk": [], "sort": []}
                pages = {}
                for _ in range(2):   # the three ways in turn, twice
                    for way, walked in (("chosen", chosen), ("walk", 0.0), ("sort", float("inf"))):
                        keyset.WALKED = walked
                        pages[way] = client.get(url).get_json()
                        for _ in range(rounds):
                            t = time.perf_counter()
                            client.get(url)
                            ways[way].append((time.perf_counter() - t) * 1000)
                keyset.WALKED = chosen
                assert pages["chosen"] == pages["walk"] == pages["sort"]
                out.append(f"| {region} | {total:,} | {offset:,} | " + " | ".join(
                    f"{np.median(ways[w]):.1f}" for w in ("chosen", "walk", "sort")) + " |")
    finally:
        keyset.WALKED = chosen
        runtime.engine.dispose()
    return out


if __name__ == "__main__":
    if "--walk" in sys.argv:   # python -m bench.pages_bench --walk [orders]
        size = int(sys.argv[-1]) if sys.argv[-1].isdigit() else 100_000
        print(f"{size:,} orders\n| caller | its orders | offset | as chosen | walked | sorted |\n| --- | --- | --- | --- | --- | --- |")
        with tempfile.TemporaryDirectory(prefix="bench-walk-") as workdir:
            print("\n".join(walk_or_sort(workdir, size)))
        raise SystemExit(0)
    for name, figure in run().items():
        ratio = figure["value"] / figure["baseline"] if figure["baseline"] else float("nan")
        unit = figure["unit"]
        print(f"{name:45s} {figure['value']:9.2f} {unit:2s}   baseline {figure['baseline']:9.2f} {unit:2s}   "
              f"{ratio:.3f}x")
