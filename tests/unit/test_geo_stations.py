"""Police stations: the seat bureau plus stations spread inside the county polygon, seeded."""
import numpy as np
import pytest
import shapely

from services.geo import Geography
from services.geo.stations import MAX_STATIONS, MIN_STATIONS, county_stations, stations_of
from services.geo.travel import RoadGraphTravel


@pytest.fixture(scope="module")
def geo():
    return Geography.load("330000")


def test_every_county_has_its_bureau_first_and_stations_inside(geo):
    found = stations_of(geo)
    assert set(found) == {c.code for c in geo.counties}
    for code, stations in found.items():
        assert MIN_STATIONS <= len(stations) <= MAX_STATIONS
        assert stations[0].is_seat and stations[0].point == geo.county(code).seat
        xy = np.array([s.point for s in stations[1:]])
        assert shapely.contains_xy(geo.county_shape(code), xy[:, 0], xy[:, 1]).all()
    assert 900 < sum(map(len, found.values())) < 1800   # about one per 50,000 of 65 M residents


def test_same_seed_same_stations_another_seed_others(geo):
    county = geo.county("330329")
    a = county_stations(county, geo.county_shape("330329"), seed=7)
    assert a == county_stations(county, geo.county_shape("330329"), seed=7)
    assert a != county_stations(county, geo.county_shape("330329"), seed=8)


def test_travel_from_stations_is_not_one_number_per_county_pair(geo):
    travel = RoadGraphTravel(geo)
    taishun = stations_of(geo)["330329"]
    seconds = travel.matrix([s.point for s in taishun], [geo.county("330326").seat])[:, 0]
    assert len(set(np.rint(seconds).tolist())) == len(taishun)
    assert seconds.max() - seconds.min() > 600
