"""The list routes that used to read every row and cut the page afterwards (matching's requests,
logistics' orders and deployments, resources' commitments) now have the database filter by the caller's
region, cut the page and count; demand's incidents and requests always did. On both databases, every
page of every region comes out as the rule written in Python says (`region_covers` on the counties each
row concerns), in the same order, with the same count; and a reader that starts each page after the last
row of the one before (`after`, through the token a page's link carries) reads every row once, in that
order."""
from __future__ import annotations

import functools
import random
import uuid
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from services.common import keyset
from services.common.auth import region_covers
from services.common.clock import now
from services.common.storage import create_tables, make_engine
from services.demand import store as demand
from services.logistics import regions
from services.logistics import store as logistics
from services.matching import store as matching
from services.resources import officers
from services.resources import store as resources
from tests.helpers import drop_schemas

COUNTIES = ["330106", "330102", "330110", "330783", "330782", "330702", "330302", "330381", "330902", "331002"]
REGIONS = [None, "330000", "330100", "330700", "330783", "330106", "330300", "330900", "331000",
           "330500"]   # 330500: none of them
PAGES = [(1, 0), (3, 0), (3, 3), (7, 5), (1000, 0), (5, 40), (4, 1000)]


@pytest.fixture
def engine_of(database_url):
    made = []

    def make(*metadatas):
        schema = f"t{uuid.uuid4().hex[:10]}"
        engine = make_engine(database_url, schema=schema)
        create_tables(engine, *metadatas)
        made.append((engine, schema))
        return engine
    yield make
    for engine, _ in made:
        engine.dispose()
    drop_schemas(database_url, [schema for _, schema in made])


def pages_agree(read, expected: list, key, order) -> None:
    """`read(limit=, offset=)` gives each page of `expected` and its whole count; `read(limit=, after=)`,
    after the position of each page's last row in `order`, gives the next page."""
    for limit, offset in PAGES:
        page, total = read(limit=limit, offset=offset)
        assert total == len(expected), (limit, offset)
        assert [key(r) for r in page] == [key(r) for r in expected[offset:offset + limit]], (limit, offset)
    for limit in (1, 3, 7):
        got, after = [], None
        for _ in range(len(expected) + 1):
            page, total = read(limit=limit, after=after)
            assert total == len(expected)
            got += page
            if len(page) < limit:
                break
            after = order.position(order.token(page[-1]))
        assert [key(r) for r in got] == [key(r) for r in expected], limit


def test_matchings_requests_page_by_region_in_the_database(engine_of):
    engine, rng, t0 = engine_of(matching.metadata), random.Random(7), now()
    with engine.begin() as conn:
        for i in range(40):
            at = t0 + timedelta(minutes=rng.randrange(20))   # ties in time: the id decides
            matching.insert_request(conn, f"REQ-{i:02d}", {"county": rng.choice(COUNTIES), "grade": "III", "lines": []},
                                    status="pending", exclude=[], received_at=at)
    with engine.connect() as conn:
        everything = sorted(conn.execute(matching.requests.select()).all(), key=lambda r: (r.received_at, r.request_id))
        for region in REGIONS:
            expected = [r for r in everything if not region or region_covers(region, r.data["county"])]
            pages_agree(functools.partial(matching.requests_page, conn, region), expected, lambda r: r.request_id,
                        matching.REQUESTS_ORDER)
        assert matching.requests_page(conn, "330500", limit=10)[1] == 0


def orders_and_deployments(conn, rng) -> None:
    """30 deployments received in one county each, with 0 to 3 units' orders from counties of their own
    (some from no known county), each reporting to its deployment's county, as dispatch writes them."""
    t0 = now()
    for d in range(30):
        county, dep = rng.choice(COUNTIES), f"DEP-{d:02d}"
        logistics.insert_deployment(conn, deployment_id=dep, plan_id=f"P-{d}", request_id=f"REQ-{d % 12}",
                                    incident_id=f"INC-{d % 5}", county=county, grade="III", headcount=4,
                                    officer_ids=[], task_start=t0, task_end=t0 + timedelta(hours=8), arrangements={},
                                    flags=[], status="dispatched", created_at=t0 + timedelta(minutes=rng.randrange(15)))
        for u in range(rng.randrange(4)):
            logistics.insert_order(conn, order_id=f"ORD-{d:02d}-{u}", deployment_id=dep, request_id=f"REQ-{d % 12}",
                                   incident_id=f"INC-{d % 5}", unit_id=f"U-{d}-{u}",
                                   from_county=rng.choice(COUNTIES) if rng.random() < 0.9 else None, officer_ids=[],
                                   order={"reporting_point": {"point": {"lon": 120.1, "lat": 30.2}, "county": county}},
                                   ordered_at=t0 + timedelta(minutes=rng.randrange(15)), deadline=t0, attempts=1,
                                   last_sent_at=t0, late=rng.random() < 0.3)


def seeded(engine_of, seed: int):
    """logistics' tables holding `orders_and_deployments` of the seed."""
    engine = engine_of(logistics.metadata)
    with engine.begin() as conn:
        orders_and_deployments(conn, random.Random(seed))
    return engine


def field(name: str):
    """A row's column by name, whether the row is a dict (as expected) or a Row (as a page reads it)."""
    return lambda row: row[name] if isinstance(row, dict) else row._mapping[name]


def rows_of(conn, table, *order: str) -> list[dict]:
    """Every row of `table`, sorted by the columns `order` names."""
    return sorted((dict(r) for r in conn.execute(table.select()).mappings()), key=lambda r: tuple(r[c] for c in order))


# a walk that costs nothing: every region's rows read in the list's order (on SQLite); infinitely: never
BOTH_WAYS = pytest.mark.parametrize("walked", [0.0, float("inf")], ids=["in_order", "by_index"])


@BOTH_WAYS
def test_logistics_orders_page_by_region_and_filters_in_the_database(engine_of, monkeypatch, walked):
    monkeypatch.setattr(keyset, "WALKED", walked)
    with seeded(engine_of, 11).connect() as conn:
        everything = rows_of(conn, logistics.orders, "ordered_at", "order_id")
        assert any(r["from_county"] is None for r in everything)
        for region in REGIONS:
            for filters, keep in (({}, lambda r: True), ({"late": True}, lambda r: r["late"]),
                                  ({"request_ids": ["REQ-1", "REQ-5"]}, lambda r: r["request_id"] in ("REQ-1", "REQ-5")),
                                  ({"deployment_id": "DEP-03"}, lambda r: r["deployment_id"] == "DEP-03")):
                expected = [r for r in everything if keep(r) and (not region or any(region_covers(region, c) for c in regions.order_counties(r)))]
                pages_agree(functools.partial(logistics.orders_page, conn, region=region, **filters), expected,
                            lambda r: r["order_id"], logistics.ORDERS_ORDER)


@BOTH_WAYS
def test_logistics_deployments_page_by_region_in_the_database(engine_of, monkeypatch, walked):
    monkeypatch.setattr(keyset, "WALKED", walked)
    with seeded(engine_of, 13).connect() as conn:
        everything = rows_of(conn, logistics.deployments, "created_at", "deployment_id")
        orders = rows_of(conn, logistics.orders, "order_id")
        for region in REGIONS:
            sent = {o["deployment_id"] for o in orders if region and o["from_county"] and region_covers(region, o["from_county"])}
            for filters, keep in (({}, lambda r: True), ({"request_id": "REQ-3"}, lambda r: r["request_id"] == "REQ-3"),
                                  ({"incident_id": "INC-2"}, lambda r: r["incident_id"] == "INC-2")):
                expected = [r for r in everything if keep(r) and (not region or region_covers(region, r["county"])
                                                                  or r["deployment_id"] in sent)]
                pages_agree(functools.partial(logistics.deployments_page, conn, region=region, **filters), expected,
                            lambda r: r["deployment_id"], logistics.DEPLOYMENTS_ORDER)
        # a deployment received elsewhere is a county's when one of its units comes from there
        received_elsewhere = [o for o in orders if o["from_county"] == "330783"]
        assert received_elsewhere, "the random force should send from 东阳"
        mine = {r["deployment_id"] for r in logistics.deployments_page(conn, region="330783", limit=1000)[0]}
        assert {o["deployment_id"] for o in received_elsewhere} <= mine


def test_the_counties_a_deployment_concerns_are_written_with_it_and_filled_for_an_older_database(engine_of):
    """Each deployment has one row per county it concerns (where it is received, where each unit comes
    from; a county sending two units, once), as dispatch writes them; a database made before the table
    was kept gets the same rows at start, once, and its pages are the same."""
    engine = seeded(engine_of, 13)
    link = logistics.deployment_counties
    with engine.connect() as conn:
        written = sorted(tuple(r) for r in conn.execute(select(link.c.county, link.c.deployment_id)))
        deployments = rows_of(conn, logistics.deployments, "deployment_id")
        orders = rows_of(conn, logistics.orders, "order_id")
        pages = {region: logistics.deployments_page(conn, region=region, limit=1000) for region in REGIONS}
    concerned = {(d["county"], d["deployment_id"]) for d in deployments}
    concerned |= {(o["from_county"], o["deployment_id"]) for o in orders if o["from_county"]}
    assert written == sorted(concerned) and len(concerned) > len(deployments)
    assert any(sum(1 for o in orders if (o["from_county"], o["deployment_id"]) == pair) > 1 for pair in concerned)
    with engine.begin() as conn:
        conn.execute(link.delete())
    assert logistics.fill_deployment_counties(engine) == len(concerned)
    assert logistics.fill_deployment_counties(engine) == 0          # once
    with engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(link.c.county, link.c.deployment_id))) == written
        assert {region: logistics.deployments_page(conn, region=region, limit=1000) for region in REGIONS} == pages


def test_resources_commitments_page_by_region_in_the_database(engine_of):
    """40 commitments received in one county each, of 1 to 6 officers from counties of their own: a
    region sees those it receives with every officer, and those it sends officers to with its own."""
    engine, rng, t0 = engine_of(resources.metadata), random.Random(17), now()
    with engine.begin() as conn:
        for i in range(40):
            homes = {f"OFF-{i:02d}-{k}": rng.choice(COUNTIES) for k in range(rng.randrange(1, 7))}
            resources.insert_commitment(conn, {
                "commit_id": f"CMT-{i:02d}", "plan_id": f"P-{i}", "request_id": f"REQ-{i}", "incident_id": None,
                "county": rng.choice(COUNTIES), "grade": "III", "risk": None, "task_start": t0,
                "task_end": t0 + timedelta(hours=8), "officer_ids": list(homes),
                "status": rng.choice(["committed", "released"]),
                "at": t0 + timedelta(minutes=rng.randrange(20))}, homes)   # ties in time: the id decides
    with engine.connect() as conn:
        everything = rows_of(conn, resources.commitments, "at", "commit_id")
        everything.sort(key=lambda r: r["at"], reverse=True)                  # latest first, then by id
        home = {r.officer_id: r.county for r in conn.execute(resources.commitment_officers.select())}
        for region in REGIONS:
            for status in (None, "committed", "released"):
                expected = []
                for r in everything:
                    own = [i for i in r["officer_ids"] if region and region_covers(region, home[i])]
                    if status in (None, r["status"]) and (not region or region_covers(region, r["county"]) or own):
                        received = not region or region_covers(region, r["county"])
                        expected.append({**r, "officer_ids": r["officer_ids"] if received else own})
                read = functools.partial(resources.commitment_rows, conn, status, region)
                pages_agree(read, expected, lambda r: (r["commit_id"], r["officer_ids"]), resources.COMMITMENTS_ORDER)


def test_demands_incidents_and_requests_page_by_region_and_sort_in_the_database(engine_of):
    """Incidents newest first and requests in each of their four sorts, then by deadline, then by id, with
    ties in every column but the id: by offset and by position, for the province, a city and a county."""
    engine, rng, t0 = engine_of(demand.metadata), random.Random(19), now()
    with engine.begin() as conn:
        for i in range(36):
            county = rng.choice(COUNTIES)
            at = t0 + timedelta(minutes=rng.randrange(6))
            demand.insert_incident(conn, {"incident_id": f"INC-{i:02d}", "location": {"county": county},
                                          "type": "mass_gathering", "reported_at": at.isoformat()}, "reported")
            grade = rng.choice(["I", "II", "III", "IV"])
            demand.insert_request(conn, request_id=f"REQ-{i:02d}", incident_id=f"INC-{i:02d}", echelon="",
                                  county=county, city=county[:4] + "00", grade=grade,
                                  severity={"I": 4, "II": 3, "III": 2, "IV": 1}[grade], status="pending_approval",
                                  approval_level="city", deadline=t0 + timedelta(hours=rng.randrange(3)),
                                  requested_at=at, updated_at=t0 + timedelta(minutes=rng.randrange(4)),
                                  escalation_level=0, escalated_stages=[], progress={}, request={})
    with engine.connect() as conn:
        incidents = rows_of(conn, demand.incidents, "incident_id")
        incidents.sort(key=lambda r: r["reported_at"], reverse=True)            # newest first, then by id
        for region in (None, "330700", "330783", "330500"):
            expected = [r for r in incidents if not region or region_covers(region, r["county"])]
            pages_agree(functools.partial(demand.incident_reports, conn, region), expected,
                        field("incident_id"), demand.INCIDENTS_ORDER)
        requests = rows_of(conn, demand.requests, "request_id")
        sorts = {"deadline": lambda r: r["deadline"], "grade": lambda r: -r["severity"],
                 "requested_at": lambda r: r["requested_at"], "updated_at": lambda r: -r["updated_at"].timestamp()}
        for sort, first in sorts.items():
            ordered = sorted(requests, key=lambda r, first=first: (first(r), r["deadline"], r["request_id"]))
            for level, region in (("province", "330000"), ("city", "330700"), ("county", "330783")):
                expected = [r for r in ordered if region_covers(region, r["county"])]
                read = functools.partial(demand.visible_requests, conn, level, region, statuses=[], grades=[],
                                         county=None, city=None, sort=sort)
                pages_agree(read, expected, field("request_id"), demand.REQUESTS_ORDERS[sort])


def test_resources_officer_search_pages_in_the_database(engine_of):
    """The search without a point (store.candidate_page): each filter's officers in id order, cut and
    counted by the database, by offset and after the last id of the page before, on both databases;
    resting officers whose rest is over count as on duty, as the search's status rule says; a
    certification counts on the days it is valid (expired yesterday: not held; expires today: held)."""
    engine, rng, t0 = engine_of(resources.metadata), random.Random(23), now()
    modules = ["patrol", "traffic", "special_police"]
    today, later = t0.date(), t0.date() + timedelta(days=30)
    expiries = [(today - timedelta(days=1)).isoformat(), today.isoformat(), later.isoformat()]
    with engine.begin() as conn:
        for i in range(60):
            county, status = rng.choice(COUNTIES), rng.choice(["on_duty", "resting", "off_duty"])
            rest = t0 + timedelta(hours=rng.choice([-2, 3])) if status == "resting" and rng.random() < 0.8 else None
            certs = [{"name": name, "issued": "2020-01-01", "expires": rng.choice(expiries)}
                     for name in ("firearms", "first_aid") if rng.random() < 0.6]
            resources.insert_officers(conn, [dict(   # the officer's row and their certificates' rows
                officer_id=f"ZJ{county}-{i:05d}", county=county, city=county[:4] + "00", unit_id=f"U{county}-A",
                module=rng.choice(modules), role_class="regular", status=status, status_since=t0, rest_until=rest,
                duty_minutes_24h=0, points_balance=0.0, tags_text=";", cert_text=resources.joined(c["name"] for c in certs),
                certifications=certs, equipment_ids=[], personal={"name": f"officer {i}"})])
    with engine.connect() as conn:
        everything = rows_of(conn, resources.officers, "officer_id")

        def holds(r, names, day):   # each name held with an expiry on or after the day
            return all(any(c["name"] == n and c["expires"] >= day.isoformat() for c in r["certifications"])
                       for n in names)

        def on_duty(r):
            return r["status"] == "on_duty" or (r["status"] == "resting" and (r["rest_until"] is None
                                                                              or r["rest_until"] <= t0))
        cases = [({}, lambda r: True), ({"county": ["330783"]}, lambda r: r["county"] == "330783"),
                 ({"city": ["330100", "330700"]}, lambda r: r["city"] in ("330100", "330700")),
                 ({"status": ["on_duty"]}, on_duty),
                 ({"module": ["patrol"], "status": ["on_duty", "off_duty"]},
                  lambda r: r["module"] == "patrol" and (on_duty(r) or r["status"] == "off_duty")),
                 ({"county": ["330500"]}, lambda r: False),
                 ({"certification": ["firearms"]}, lambda r: holds(r, ["firearms"], today)),
                 ({"certification": ["firearms", "first_aid"], "status": ["on_duty"]},
                  lambda r: holds(r, ["firearms", "first_aid"], today) and on_duty(r)),
                 ({"certification": ["first_aid"], "valid_on": later}, lambda r: holds(r, ["first_aid"], later))]
        named = [r for r in everything if any(c["name"] == "firearms" for c in r["certifications"])]
        assert 0 < len([r for r in named if holds(r, ["firearms"], today)]) < len(named)   # some expired
        for f, keep in cases:
            expected = [r for r in everything if keep(r)]
            assert expected or f == {"county": ["330500"]}

            def read(limit, offset=0, after=None, f=f):
                ids, total = resources.candidate_page(conn, f, t0, limit=limit, offset=offset,
                                                      after=after[0] if after else None)
                return [{"officer_id": i} for i in ids], total
            pages_agree(read, expected, lambda r: r["officer_id"], officers.BY_ID)


@pytest.mark.parametrize("few", [0, officers.FEW])
def test_resources_nearest_officers_page_by_travel_time_on_both_databases(engine_of, monkeypatch, few):
    """The search with a point and no bound (officers._nearest): each page, by offset and by following
    `next`, is the reference's (every candidate timed, by travel time then id), and the count is every
    candidate's, those with no position timed from their county's seat; found in widening boxes
    (`few` 0) or by timing every candidate, on both databases."""
    from services.geo.places import Places

    monkeypatch.setattr(officers, "FEW", few)
    places, engine, rng, t0 = Places("330000"), engine_of(resources.metadata), random.Random(31), now()
    counties = [c for c in places.seats if c.startswith(("3301", "3307", "3306", "3311"))]
    with engine.begin() as conn:
        for i in range(400):
            county = rng.choice(counties)
            seat = places.seats[county]
            lon, lat = (None, None) if i % 9 == 0 else (seat[0] + rng.uniform(-0.2, 0.2), seat[1] + rng.uniform(-0.2, 0.2))
            resources.insert_officers(conn, [dict(
                officer_id=f"ZJ{county}-{i:05d}", county=county, city=county[:4] + "00", unit_id=f"U{county}-A",
                module=rng.choice(["patrol", "traffic"]), role_class="regular", status=rng.choice(["on_duty", "off_duty"]),
                status_since=t0, rest_until=None, duty_minutes_24h=0, points_balance=0.0, tags_text=";", cert_text=";",
                certifications=[], equipment_ids=[], personal={"name": f"officer {i}"}, lon=lon, lat=lat)])
    timing = {"travel": places.travel, "seats": places.seats}
    with engine.connect() as conn:
        everything = rows_of(conn, resources.officers, "officer_id")
        for f, point in (({}, places.seats["330783"]), ({"status": ["on_duty"], "module": ["patrol"]}, places.seats["330106"])):
            kept = [r for r in everything if all(r[k] in v for k, v in f.items() if k != "status")
                    and (not f.get("status") or r["status"] == "on_duty")]
            origins = [(r["lon"], r["lat"]) if r["lon"] is not None else places.seats[r["county"]] for r in kept]
            seconds = places.travel.matrix(np.array(origins, dtype=float), [point])[:, 0]
            expected = [r["officer_id"] for _, r in sorted(zip(seconds, kept), key=lambda p: (p[0], p[1]["officer_id"]))]
            filters = {"county": [], "city": [], "module": [], "unit_id": [], "tag": [], "certification": [],
                       "status": [], **f, "point": point}
            for limit, offset in PAGES:
                page = officers.search(conn, {**filters, "limit": limit, "offset": offset}, t0, "province_commander", **timing)
                assert page["total"] == len(expected)
                assert [o["officer_id"] for o in page["items"]] == expected[offset:offset + limit], (limit, offset)
            for limit in (7, 50):
                got, after = [], None
                while True:
                    page = officers.search(conn, {**filters, "limit": limit, "offset": 0, "after": after}, t0,
                                           "province_commander", **timing)
                    got += [o["officer_id"] for o in page["items"]]
                    if "next" not in page:
                        break
                    after = officers.BY_TRAVEL.position(page["next"])
                assert got == expected, limit
