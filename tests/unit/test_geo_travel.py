"""The road-graph travel model over Zhejiang's county seats."""
from __future__ import annotations

import numpy as np
import pytest

from services.geo import Geography
from services.geo.links import FixedLink
from services.geo.travel import RoadGraphTravel, TravelTimeProvider, make_travel_provider

HOUR = 3600.0


@pytest.fixture(scope="module")
def geo() -> Geography:
    return Geography.load("330000")


@pytest.fixture(scope="module")
def driving(geo) -> RoadGraphTravel:
    return RoadGraphTravel(geo, mobilisation_s=0)


def seat(geo, code):
    return geo.county(code).seat


def test_identical_points_cost_only_the_mobilisation(geo):
    travel = RoadGraphTravel(geo, mobilisation_s=600)
    points = [seat(geo, "330102"), (120.5, 29.9), seat(geo, "330922")]
    assert np.allclose(np.diag(travel.matrix(points, points)), 600)
    assert isinstance(travel, TravelTimeProvider)


def test_all_seats_reach_each_other_both_ways(geo, driving):
    times = driving.matrix(geo.seats, geo.seats)
    assert times.shape == (90, 90) and np.isfinite(times).all()
    assert np.allclose(times, times.T)
    assert (times[~np.eye(90, dtype=bool)] > 0).all()


def test_hangzhou_to_ningbo_takes_two_hours_or_so(geo, driving):
    hours = driving.matrix([seat(geo, "330102")], [seat(geo, "330212")])[0, 0] / HOUR
    assert 1.5 < hours < 3.0


def test_nearer_cities_are_quicker(geo, driving):
    hangzhou = [seat(geo, "330102")]
    ningbo, wenzhou, shaoxing = (seat(geo, c) for c in ("330212", "330302", "330602"))
    shaoxing_t, ningbo_t, wenzhou_t = driving.matrix(hangzhou, [shaoxing, ningbo, wenzhou])[0]
    assert shaoxing_t < ningbo_t < wenzhou_t


def test_triangle_inequality_holds_between_seats(driving):
    s = driving.seat_to_seat
    assert (s[:, None, :] <= s[:, :, None] + s[None, :, :] + 1e-6).all()


def test_islands_ride_bridges_and_ferries(geo, driving):
    dinghai, shengsi, zhenhai = (seat(geo, c) for c in ("330902", "330922", "330211"))
    bridge, ferry = driving.matrix([zhenhai], [dinghai, shengsi])[0] / HOUR
    assert 0.4 < bridge < 1.5  # across the Zhoushan bridges
    assert ferry > bridge + 1.5  # the boat, with its wait at the pier


def test_without_fixed_links_islands_still_reach_the_mainland_by_a_ferry(geo):
    bare = RoadGraphTravel(geo, mobilisation_s=0, bridge_edges=(), ferry_edges=())
    linked = RoadGraphTravel(geo, mobilisation_s=0)
    assert np.isfinite(bare.seat_to_seat).all()
    i, j = geo.index_of("330211"), geo.index_of("330902")
    assert bare.seat_to_seat[i, j] > linked.seat_to_seat[i, j]  # a ferry is slower than the bridge


def test_a_custom_ferry_replaces_the_daishan_bridge(geo):
    ferry = FixedLink("330902", "330921", "ferry", km=40, sea_km=30)
    boat = RoadGraphTravel(geo, mobilisation_s=0, bridge_edges=(), ferry_edges=(ferry,))
    i, j = geo.index_of("330902"), geo.index_of("330921")
    assert boat.seat_to_seat[i, j] == pytest.approx(1800 + 30 / 25 * HOUR + 10 / 60 * HOUR)


def test_within_a_county_the_trip_is_the_direct_local_leg(geo, driving):
    a, b = (120.16, 30.26), (120.19, 30.24)  # both in 330102
    assert geo.county_at(*a) == geo.county_at(*b) == "330102"
    straight_km = 3.64  # haversine of a-b, to 0.01 km
    assert driving.matrix([a], [b])[0, 0] == pytest.approx(straight_km * 1.3 / 40 * HOUR, rel=0.01)


def test_points_outside_the_province_snap_to_the_nearest_seat(geo, driving):
    offshore = (122.80, 30.75)  # east of Shengsi
    times = driving.matrix([offshore], [seat(geo, "330922"), seat(geo, "330102")])[0]
    assert np.isfinite(times).all() and times[0] < times[1]


def test_speeds_and_mobilisation_change_the_answer(geo):
    pair = ([seat(geo, "330102")], [seat(geo, "330302")])
    slow = RoadGraphTravel(geo, mobilisation_s=0, highway_kmh=60).matrix(*pair)[0, 0]
    fast = RoadGraphTravel(geo, mobilisation_s=0).matrix(*pair)[0, 0]
    late = RoadGraphTravel(geo, mobilisation_s=900).matrix(*pair)[0, 0]
    assert slow > fast and late == pytest.approx(fast + 900)


def test_empty_inputs_give_empty_matrices(driving):
    assert driving.matrix([], [(120.0, 30.0)]).shape == (0, 1)
    assert driving.matrix([(120.0, 30.0)], []).shape == (1, 0)


def test_the_factory_defaults_to_the_road_graph(geo):
    travel = make_travel_provider(geo, env={"TRAVEL_MOBILISATION_S": "0"})
    assert isinstance(travel, RoadGraphTravel) and travel.mobilisation_s == 0
    with pytest.raises(ValueError, match="TRAVEL_BACKEND"):
        make_travel_provider(geo, env={"TRAVEL_BACKEND": "teleport"})
    with pytest.raises(ValueError, match="TRAVEL_URL"):
        make_travel_provider(geo, env={"TRAVEL_BACKEND": "osrm"})
