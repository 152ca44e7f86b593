"""The search's box: every position from which the road graph reaches a point within the bound lies in
it, under an exercise's closures and slow-downs too; a provider without a known top speed gives none."""
from __future__ import annotations

import numpy as np
import pytest

from services.geo import Geography
from services.geo.conditions import ConditionedRoadGraph, Conditions
from services.geo.road_graph import RoadGraphTravel
from services.resources import reach


@pytest.fixture(scope="module")
def geography():
    return Geography.load("330000")


def providers(geography):
    yield RoadGraphTravel(geography)
    yield RoadGraphTravel(geography, mobilisation_s=0, highway_kmh=120)
    slow = Conditions(closed=(("330902", "330211"),), slowdowns=((("330100",), 0.5),))
    yield ConditionedRoadGraph(geography, slow, mobilisation_s=300)


@pytest.mark.parametrize("bound_s", [300, 1800, 3600, 3 * 3600])
def test_every_position_within_the_bound_lies_in_the_box(geography, bound_s):
    rng = np.random.default_rng(5)
    minx, miny, maxx, maxy = geography.bounds()
    origins = np.column_stack((rng.uniform(minx - 0.3, maxx + 0.3, 6000), rng.uniform(miny - 0.3, maxy + 0.3, 6000)))
    for travel in providers(geography):
        for point in [tuple(s) for s in geography.seats[::9]]:
            box = reach.box(travel, point, bound_s)
            assert box is not None
            seconds = travel.matrix(origins, [point])[:, 0]
            within = origins[seconds <= bound_s]
            inside = ((within[:, 0] >= box[0]) & (within[:, 0] <= box[1])
                      & (within[:, 1] >= box[2]) & (within[:, 1] <= box[3]))
            assert inside.all(), (point, bound_s)
            boxed = ((origins[:, 0] >= box[0]) & (origins[:, 0] <= box[1])
                     & (origins[:, 1] >= box[2]) & (origins[:, 1] <= box[3]))
            assert not boxed.all()  # the box leaves someone out: it bounds something


def test_the_top_speed_is_the_graphs_own(geography):
    travel = RoadGraphTravel(geography)
    assert reach.fastest_kmh(travel) == pytest.approx(travel.highway_kmh / travel.circuity, rel=0.05)


def test_no_box_without_a_known_top_speed_or_bound(geography):
    class Server:
        mobilisation_s = 600.0

        def matrix(self, origins, destinations):
            return np.zeros((len(origins), len(destinations)))

    assert reach.box(Server(), (120.0, 30.0), 3600) is None
    assert reach.box(RoadGraphTravel(geography), (120.0, 30.0), float("inf")) is None
    assert reach.box(RoadGraphTravel(geography), (120.0, 30.0), float("nan")) is None
