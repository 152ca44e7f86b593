"""Officers leave from their police stations: an officer's time is travel from their station to the
incident point (same provider as the seat matrix), so officers of one county differ, a border station
can beat a county whose seat is nearer, and without stations or points the plans are the seat ones."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from bench.instances import instance
from services.matching import readmodel, snapshot, store
from services.matching.domain.geo import trips
from services.matching.domain.model import Line, Request
from services.matching.domain.planner import plan_batch
from services.matching.domain.pool import build_pool
from services.matching.planning import Places
from tests.unit.test_matching_optimiser import T0, officer, plenty
from tests.unit.test_matching_service import force, service  # noqa: F401 (fixtures)

DONGYANG, SHENGZHOU, YONGKANG = "330783", "330683", "330784"
INCIDENT = (120.475154, 29.375257)       # 东阳, near its border with 嵊州 (the north-east)
BORDER = (120.529484, 29.420824)         # a 嵊州 station just across that border
SHENGZHOU_SEAT = (120.831, 29.561)


@pytest.fixture(scope="module")
def places():
    p = Places("330000", env={})
    p.matrix  # noqa: B018  (load the geography and the seat matrix once)
    return p


def at(record: dict, station: tuple[float, float] | None, station_id: str = "") -> dict:
    return dict(record, station_id=station_id, station=station) if station else record


def crowd(point=INCIDENT, n=1) -> Request:
    return Request("R1", DONGYANG, (Line("L1", "patrol", n),), T0, T0 + timedelta(minutes=90), point=point)


def loads(codes):
    return {c: plenty()["330101"] for c in codes}


def fastest(places, records, req):
    codes = places.matrix[0]
    pool = build_pool(records, codes)
    batch = plan_batch(pool, [req], places.trips(pool, [req]), {}, loads=loads(codes))
    return pool, batch.trips, batch.options[0]["fastest"].assignments


def test_two_officers_of_one_county_at_different_stations_get_their_own_times_and_the_nearer_goes(places):
    records = [at(officer("FAR", SHENGZHOU, kit=()), SHENGZHOU_SEAT, "330683-S00"),
               at(officer("NEAR", SHENGZHOU, kit=()), BORDER, "330683-S08")]
    pool, travel, (chosen,) = fastest(places, records, crowd())
    far, near = travel.of([pool.row_of["FAR"], pool.row_of["NEAR"]], 0)
    assert near < far - 1800                      # the border station is over half an hour nearer
    assert chosen.officer_id == "NEAR" and chosen.eta_s == near


def test_a_border_station_of_a_neighbour_beats_a_county_whose_seat_is_nearer(places):
    """永康's seat is nearer 东阳's seat than 嵊州's is, so seat to seat 永康 goes; the incident is at
    东阳's 嵊州 border, and from the 嵊州 station across it the officer is there an hour sooner."""
    codes, seats, _ = places.matrix
    d, n, m = (codes.index(c) for c in (DONGYANG, SHENGZHOU, YONGKANG))
    assert seats[m, d] < seats[n, d]
    records = [officer("YK", YONGKANG, kit=()), at(officer("SZ", SHENGZHOU, kit=()), BORDER, "330683-S08")]
    pool = build_pool(records, codes)
    by_seat = plan_batch(pool, [crowd(point=None)], seats, {}, loads=loads(codes)).options[0]["fastest"]
    assert [a.officer_id for a in by_seat.assignments] == ["YK"]   # the old answer, county seat to county seat
    _, travel, (chosen,) = fastest(places, records, crowd())
    assert chosen.officer_id == "SZ"
    assert chosen.eta_s + 3600 < travel.of([pool.row_of["YK"]], 0)[0]


def test_the_incident_point_counts_even_for_officers_without_a_station(places):
    """No stations: officers leave from their seats, but to the incident's point, not its county's seat."""
    codes = places.matrix[0]
    pool = build_pool([officer("SZ", SHENGZHOU, kit=())], codes)
    to_seat = places.trips(pool, [crowd(point=None)]).of([0], 0)[0]
    to_point = places.trips(pool, [crowd()]).of([0], 0)[0]
    assert to_seat == places.matrix[1][codes.index(SHENGZHOU), codes.index(DONGYANG)]
    geo, provider = places._travel
    assert to_point == round(provider.matrix([geo.county(SHENGZHOU).seat], [INCIDENT])[0, 0]) != to_seat


def test_without_stations_and_points_the_plans_are_the_seat_to_seat_ones(places):
    inst = instance(officers=6000, requests=12, seed=3)
    records = [{k: v for k, v in r.items() if k not in ("station", "station_id")} for r in _records(inst)]
    pool = build_pool(records, inst.pool.counties)
    reqs = [Request(**{**r.__dict__, "point": None}) for r in inst.requests]
    assert len(pool.origins) == len(pool.counties)
    from_places = places.trips(pool, reqs)
    assert np.array_equal(from_places.seconds, trips(pool, reqs, inst.seat_travel).seconds)
    a = plan_batch(pool, reqs, from_places, inst.accepts)
    b = plan_batch(pool, reqs, inst.seat_travel, inst.accepts)
    for left, right in zip(a.options, b.options):
        assert {k: [(x.officer_id, x.eta_s) for x in o.assignments] for k, o in left.items()} == \
               {k: [(x.officer_id, x.eta_s) for x in o.assignments] for k, o in right.items()}


def test_stations_change_the_times_and_the_plan_stays_exact(places):
    """The demo force from its stations: one county's officers arrive at different times, and the fastest
    plan's latest arrival is the proven bound."""
    inst = instance(officers=6000, requests=12, seed=3)
    batch = plan_batch(inst.pool, inst.requests, inst.travel, inst.accepts)
    spread = 0
    for options in batch.options:
        best = options["fastest"]
        if best.assignments:
            assert max(a.eta_s for a in best.assignments) == best.certificate.bound
        by = {}
        for a in best.assignments:
            by.setdefault(a.from_county, set()).add(a.eta_s)
        spread += sum(len(v) > 1 for v in by.values())
    assert spread > 0


def test_the_read_model_keeps_the_station_the_pool_publishes(tmp_path):
    from sqlalchemy import create_engine

    from services.matching.store import metadata
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    metadata.create_all(engine)
    shown = {"station_id": "330683-S08", "point": {"lon": BORDER[0], "lat": BORDER[1]}}
    rows = [dict(officer("SZ", SHENGZHOU, kit=()), as_of=T0, **snapshot.station_columns(shown)),
            dict(officer("YK", YONGKANG, kit=()), as_of=T0, **snapshot.station_columns(None))]
    for r in rows:
        r.pop("equipment"), r.update(equipment=[])
    with engine.begin() as conn:
        store.upsert_officers(conn, rows)
        pool = readmodel.pool(conn, (SHENGZHOU, YONGKANG))
    assert pool.station_ids[pool.origin[pool.row_of["SZ"]]] == "330683-S08"
    assert tuple(pool.origins[pool.origin[pool.row_of["SZ"]]]) == BORDER
    assert pool.origin[pool.row_of["YK"]] == 1          # no station: its county's seat


def _records(inst):
    from bench.instances import _force, officer_records
    return officer_records(_force(6000, 3)[0])


def test_the_service_times_each_officer_from_their_station_in_the_plan_and_its_text(service):  # noqa: F811 (fixture)
    """The demo force has stations; a request at 东阳's 嵊州 border: each assignment's eta_s is the travel
    from that officer's station to the point, and the text gives each donor county's latest of them."""
    from services.matching.domain.explain import minutes
    from services.matching.store import officers as table
    from tests.unit.test_matching_service import ask, proposed
    runtime, client = service
    data = ask(runtime, "REQ-ST", county=DONGYANG)
    data["location"] = {"county": DONGYANG, "point": {"lon": INCIDENT[0], "lat": INCIDENT[1]}}
    handle_again(runtime, data)
    runtime.deps.planner.plan_pending()
    plan = proposed(client, "REQ-ST")
    planner = runtime.deps.planner
    with runtime.engine.connect() as conn:
        pool = planner.pool(conn, planner.places.matrix[0])
        stations = {r.officer_id: r.station_id for r in conn.execute(table.select())}
    req = Request("REQ-ST", DONGYANG, (), T0, T0, point=INCIDENT)
    travel = planner.places.trips(pool, [req])
    assert all(stations[a["officer_id"]] for a in plan["assignments"])
    for a in plan["assignments"]:
        assert a["eta_s"] == travel.of([pool.row_of[a["officer_id"]]], 0)[0]
    names = planner.places.matrix[2]
    for county in {a["from_county"] for a in plan["assignments"]}:
        latest = max(a["eta_s"] for a in plan["assignments"] if a["from_county"] == county)
        assert f"from {names[county]} ({minutes(latest)} min)" in plan["explanation"]


def handle_again(runtime, data):
    """Replace the recorded request's payload (the point) before it is planned."""
    from sqlalchemy import update

    from services.matching.store import requests
    with runtime.engine.begin() as conn:
        conn.execute(update(requests).where(requests.c.request_id == data["request_id"]).values(data=data))


def test_a_read_model_made_before_stations_gains_the_columns_and_keeps_its_rows(tmp_path):
    from sqlalchemy import create_engine, inspect, text

    from services.common.storage import add_columns
    from services.matching.store import officers as table
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    old = [c for c in table.columns if not c.name.startswith("station")]
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE officers ({', '.join(f'{c.name} {c.type.compile(engine.dialect)}' for c in old)})"))
        conn.execute(text("INSERT INTO officers (officer_id, county, module, tags, certifications, equipment, "
                          "duty_minutes, status, points, role_class, province_reserve, as_of) VALUES ('O1', '330683', "
                          "'patrol', '[]', '[]', '[]', 0, 'on_duty', 0, 'mobile', 0, '2026-11-01 08:00:00')"))
    assert add_columns(engine, table) == ["station_id", "station_lon", "station_lat"]
    assert add_columns(engine, table) == []                      # once only
    assert {"station_id", "station_lon", "station_lat"} <= {c["name"] for c in inspect(engine).get_columns("officers")}
    with engine.connect() as conn:
        pool = readmodel.pool(conn, (SHENGZHOU,))
    assert pool.ids == ["O1"] and pool.origin[0] == 0            # no station yet: the seat
