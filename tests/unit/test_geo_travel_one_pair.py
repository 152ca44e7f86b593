"""One point at a time: `Geography.locate_point` and `RoadGraphTravel.seconds` (logistics' ETA per
position report) give what the vectorised `locate` and `matrix` give, on many random points."""
from __future__ import annotations

import numpy as np
import pytest
import shapely

from services.geo import Geography
from services.geo.conditions import ConditionedRoadGraph, Conditions
from services.geo.travel import RoadGraphTravel
from services.logistics.places import Places

REPORTING_POINT = (120.2413, 29.2894)  # in 东阳市, as logistics' benchmark orders name it


@pytest.fixture(scope="module")
def geo() -> Geography:
    return Geography.load("330000")


def random_points(geo, n: int, seed: int, margin: float = 0.3) -> np.ndarray:
    """Points over the province's bounds and a margin around them (sea, other provinces)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = geo.bounds()
    return np.column_stack([rng.uniform(minx - margin, maxx + margin, n), rng.uniform(miny - margin, maxy + margin, n)])


def awkward_points(geo) -> np.ndarray:
    """Seats, corners of the lookup grid and vertices of county boundaries (on the boundary: in no county)."""
    grid = geo._grid
    corners = [(grid.x0 + i * grid.cell, grid.y0 + j * grid.cell) for i in range(0, grid.nx, 7) for j in range(0, grid.ny, 7)]
    vertices = shapely.get_coordinates(shapely.boundary(geo._shapes))[::50]
    return np.vstack([geo.seats, np.array(corners), vertices])


def test_locate_point_is_locate(geo):
    points = np.vstack([random_points(geo, 20_000, seed=1), awkward_points(geo)])
    for snap in (False, True):
        expected = geo.locate(points, snap=snap)
        got = np.array([geo.locate_point(x, y, snap=snap) for x, y in points.tolist()])
        assert (got == expected).all(), points[got != expected][:5]
    assert geo.locate_point(float("nan"), 29.0) == -1


@pytest.mark.parametrize("mobilisation_s", [0.0, 600.0])
def test_seconds_is_the_one_by_one_matrix(geo, mobilisation_s):
    travel = RoadGraphTravel(geo, mobilisation_s=mobilisation_s)
    origins = np.vstack([random_points(geo, 4_000, seed=2), awkward_points(geo)[::5]])
    for destination in (REPORTING_POINT, tuple(geo.seats[17]), (123.2, 28.1)):  # the last at sea
        expected = travel.matrix(origins, [destination])[:, 0]
        got = np.array([travel.seconds(origin, destination) for origin in origins.tolist()])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)
        one = [float(travel.matrix([origin], [destination])[0, 0]) for origin in origins[:300].tolist()]
        np.testing.assert_allclose(got[:300], one, rtol=1e-12, atol=1e-9)


def test_seconds_follows_the_graph_it_is_asked_of(geo):
    """A closed link changes the seat-to-seat times: each graph keeps its own destinations."""
    clear = RoadGraphTravel(geo, mobilisation_s=0)
    closed = ConditionedRoadGraph(geo, Conditions(closed=(("330783", "330782"), ("330783", "330784"))), mobilisation_s=0)
    origins = random_points(geo, 2_000, seed=3, margin=0)
    for travel in (clear, closed, clear):
        expected = travel.matrix(origins, [REPORTING_POINT])[:, 0]
        got = np.array([travel.seconds(origin, REPORTING_POINT) for origin in origins.tolist()])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-9)
    assert (closed.matrix(origins, [REPORTING_POINT]) >= clear.matrix(origins, [REPORTING_POINT])).all()


def test_logistics_travel_is_the_road_graphs_matrix(geo):
    places = Places("330000")
    origins = random_points(geo, 2_000, seed=4, margin=0)
    got = [places.travel_s(origin, REPORTING_POINT) for origin in origins.tolist()]
    np.testing.assert_allclose(got, places.travel.matrix(origins, [REPORTING_POINT])[:, 0], rtol=1e-12, atol=1e-9)


def test_a_timed_route_starts_at_the_trips_seconds_and_counts_down_to_its_end(geo):
    travel = RoadGraphTravel(geo, mobilisation_s=0)
    origins = random_points(geo, 300, seed=5, margin=0)
    through_seats = 0
    for origin in origins.tolist():
        points, left = travel.timed_route(origin, REPORTING_POINT)
        assert points == travel.route(origin, REPORTING_POINT) and len(left) == len(points)
        assert left[0] == pytest.approx(travel.seconds(origin, REPORTING_POINT)) and left[-1] == 0.0
        assert all(a >= b for a, b in zip(left, left[1:])), (origin, left)
        through_seats += len(points) > 2
    assert through_seats > 200          # most of the province reaches 东阳 through other seats
