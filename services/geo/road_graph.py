"""The default travel-time model: a road graph over county seats, with no routing server needed.

Nodes are the county seats. Two seats are joined when their counties are neighbours
(`Geography.neighbours`), with length = great-circle distance x `circuity`, driven at the speed of
the link's road class:

- expressway (`highway_kmh`) when both counties are urban districts of a city (code digits 5-6 in
  01-20, where ring and urban expressways join them) or the seats are at least `highway_min_km`
  apart in a straight line (between distant seats the fast road is the expressway);
- arterial (`arterial_kmh`) otherwise: national and provincial roads between adjacent counties.

Fixed links (`links.FixedLink`) add bridges, driven at expressway speed, and ferries (a boarding
wait plus the crossing at `ferry_kmh`, plus the road part at arterial speed). Any group of counties
still cut off is then joined to the rest by a ferry edge between the two closest seats, so every
entry of a matrix is finite. Shortest seat-to-seat times come from Dijkstra
(scipy.sparse.csgraph), computed once per instance.

A trip from point P to point Q costs: the local leg from P to its county seat + seat-to-seat time +
the local leg from Q's seat to Q, or the direct local leg P -> Q when that is quicker (always so
within one county); local legs are great-circle x `circuity` at `local_kmh`. Then `mobilisation_s`
is added to every entry: the time from order to a team on the move.

Parameters and where the defaults come from:
- highway_kmh=90: the expressway limit in China is 120 km/h; ramps, toll stations, tunnels and
  traffic bring door-to-door averages to about 90.
- arterial_kmh=60: national/provincial roads (国道/省道) are built for 60-80 km/h and pass through
  towns; 60 is a usual average.
- local_kmh=40: urban streets and county roads between a point and its seat.
- circuity=1.3: road distance over straight-line distance; published country averages lie around
  1.2-1.4 (Ballou, Rahardja & Sakai 2002), higher in hills, which much of Zhejiang is.
- highway_min_km=30: roughly the spacing of adjacent seats beyond which an expressway is the way.
- mobilisation_s=600: ten minutes to assemble and leave (the plan asks a grade-I response to be
  launched within 15 minutes); 0 gives pure driving time.
- ferry_kmh=25 and ferry_wait_s=1800: a conventional car ferry and half an hour at the pier.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from ._distance import as_points, matrix_km, pairwise_km, point_km
from .links import DEFAULT_BRIDGES, DEFAULT_FERRIES, FixedLink

HOUR = 3600.0
DESTINATIONS_KEPT = 1024  # `seconds`' destinations (reporting points) kept before starting afresh


class RoadGraphTravel:
    """Travel times in seconds from a graph of county seats; see the module docstring."""

    def __init__(self, geography, *, highway_kmh: float = 90.0, arterial_kmh: float = 60.0,
                 circuity: float = 1.3, mobilisation_s: float = 600, ferry_edges: Iterable[FixedLink] | None = None,
                 local_kmh: float = 40.0, bridge_edges: Iterable[FixedLink] | None = None,
                 highway_min_km: float = 30.0, ferry_kmh: float = 25.0, ferry_wait_s: float = 1800):
        if min(highway_kmh, arterial_kmh, local_kmh, ferry_kmh) <= 0 or circuity < 1 or mobilisation_s < 0:
            raise ValueError("speeds must be positive, circuity at least 1 and mobilisation_s not negative")
        self.geography = geography
        self.highway_kmh, self.arterial_kmh, self.local_kmh = highway_kmh, arterial_kmh, local_kmh
        self.circuity, self.mobilisation_s, self.highway_min_km = circuity, mobilisation_s, highway_min_km
        self.ferry_kmh, self.ferry_wait_s = ferry_kmh, ferry_wait_s
        province = geography.province_code
        self.bridge_edges = tuple(DEFAULT_BRIDGES.get(province, ()) if bridge_edges is None else bridge_edges)
        self.ferry_edges = tuple(DEFAULT_FERRIES.get(province, ()) if ferry_edges is None else ferry_edges)
        self._destinations: dict = {}  # destination -> (its local leg, seconds from every seat to its seat)

    def matrix(self, origins, destinations) -> np.ndarray:
        """Seconds from every origin to every destination, shape (len(origins), len(destinations))."""
        o, d = as_points(origins), as_points(destinations)
        if len(o) == 0 or len(d) == 0:
            return np.zeros((len(o), len(d)))
        seats = self.geography.seats
        o_idx = self.geography.locate(o, snap=True)
        d_idx = self.geography.locate(d, snap=True)
        o_leg = self._local_s(pairwise_km(o, seats[o_idx]))
        d_leg = self._local_s(pairwise_km(d, seats[d_idx]))
        via_seats = o_leg[:, None] + self.seat_to_seat[np.ix_(o_idx, d_idx)] + d_leg[None, :]
        direct = self._local_s(matrix_km(o, d))
        return np.minimum(via_seats, direct) + self.mobilisation_s

    def seconds(self, origin, destination) -> float:
        """`float(matrix([origin], [destination])[0, 0])` for one pair, for callers that time one point
        at a time towards a few destinations (logistics' ETA of every position report to its reporting
        point). Kept per destination: its local leg and the seconds from every seat to its seat (a
        column of the shortest-path times: one lookup per origin); the origin is located through
        the geography's grid (`Geography.locate_point`) and its legs are computed on floats, in the
        same order of operations as `matrix`."""
        ox, oy = float(origin[0]), float(origin[1])
        dx, dy = float(destination[0]), float(destination[1])
        to = self._destinations.get((dx, dy))
        if to is None:
            d = as_points([(dx, dy)])
            d_idx = int(self.geography.locate(d, snap=True)[0])
            d_leg = float(self._local_s(pairwise_km(d, self.geography.seats[[d_idx]]))[0])
            if len(self._destinations) >= DESTINATIONS_KEPT:
                self._destinations.clear()
            to = self._destinations[(dx, dy)] = (d_leg, self.seat_to_seat[:, d_idx].tolist())
        d_leg, from_seat = to
        o_idx = self.geography.locate_point(ox, oy, snap=True)
        sx, sy = self._seat_points[o_idx]
        via = self._local_s(point_km(ox, oy, sx, sy)) + from_seat[o_idx] + d_leg
        direct = self._local_s(point_km(ox, oy, dx, dy))
        return min(via, direct) + self.mobilisation_s

    @functools.cached_property
    def _seat_points(self) -> list[tuple[float, float]]:
        return [tuple(seat) for seat in self.geography.seats.tolist()]

    def route(self, origin, destination) -> list[tuple[float, float]]:
        """The way a unit drives from `origin` to `destination` (lon, lat): the origin, the county seats
        the fastest seat-to-seat path passes through, the destination; or straight across when the
        direct local leg is quicker (as in `matrix`, always so within one county)."""
        return self.timed_route(origin, destination)[0]

    def timed_route(self, origin, destination) -> tuple[list[tuple[float, float]], list[float]]:
        """`route(origin, destination)` and, at each of its points, the driving seconds left along it
        (no mobilisation: whoever drives it is on the way): the whole trip at the origin, at a seat on
        the way that seat's shortest time to the destination's seat plus the destination's local leg,
        0 at the destination. Between two points a unit on the route has the time in proportion."""
        (ox, oy), (dx, dy) = (float(origin[0]), float(origin[1])), (float(destination[0]), float(destination[1]))
        i, j = self.geography.locate_point(ox, oy, snap=True), self.geography.locate_point(dx, dy, snap=True)
        seats = self._seat_points
        d_leg = self._local_s(point_km(dx, dy, *seats[j]))
        via = self._local_s(point_km(ox, oy, *seats[i])) + float(self.seat_to_seat[i, j]) + d_leg
        direct = self._local_s(point_km(ox, oy, dx, dy))
        if direct <= via:
            return [(ox, oy), (dx, dy)], [direct, 0.0]
        path, k = [j], j
        while k != i:
            k = int(self._predecessors[i, k])
            path.append(k)
        path.reverse()
        to_end = self.seat_to_seat[path, j].tolist()
        return [(ox, oy), *(seats[k] for k in path), (dx, dy)], [via, *(s + d_leg for s in to_end), 0.0]

    @functools.cached_property
    def _predecessors(self) -> np.ndarray:
        _, predecessors = shortest_path(csr_matrix(self.edge_seconds()), method="D", directed=False,
                                        return_predecessors=True)
        return predecessors

    def _local_s(self, km: np.ndarray) -> np.ndarray:
        return km * self.circuity / self.local_kmh * HOUR

    @functools.cached_property
    def seat_to_seat(self) -> np.ndarray:
        """Shortest driving seconds between every two seats (no mobilisation), in `counties` order."""
        times = shortest_path(csr_matrix(self.edge_seconds()), method="D", directed=False)
        times.setflags(write=False)  # shared by every matrix() call
        return times

    def edge_seconds(self) -> np.ndarray:
        """Dense (n, n) direct link times in seconds; 0 where two seats have no direct link."""
        geo, seats = self.geography, self.geography.seats
        n = len(geo.counties)
        weights = np.full((n, n), np.inf)
        straight = matrix_km(seats, seats)
        for i, county in enumerate(geo.counties):
            for code in geo.neighbours(county.code):
                j = geo.index_of(code)
                weights[i, j] = straight[i, j] * self.circuity / self._road_kmh(county.code, code, straight[i, j]) * HOUR
        codes = {county.code for county in geo.counties}
        for link in (*self.bridge_edges, *self.ferry_edges):
            if link.a in codes and link.b in codes:  # links of another province do not apply
                i, j = geo.index_of(link.a), geo.index_of(link.b)
                weights[i, j] = weights[j, i] = min(weights[i, j], self._link_s(link))
        self._join_islands(weights, straight)
        weights = np.minimum(weights, weights.T)
        # csgraph reads 0 as "no edge": keep real links strictly positive
        return np.where(np.isfinite(weights), np.maximum(weights, 1.0), 0.0)

    def _road_kmh(self, a: str, b: str, straight_km: float) -> float:
        both_urban = _is_urban_district(a) and _is_urban_district(b)
        return self.highway_kmh if both_urban or straight_km >= self.highway_min_km else self.arterial_kmh

    def _link_s(self, link: FixedLink) -> float:
        if link.kind == "bridge":
            return link.km / self.highway_kmh * HOUR
        road_km = link.km - link.sea_km
        return self.ferry_wait_s + link.sea_km / self.ferry_kmh * HOUR + road_km / self.arterial_kmh * HOUR

    def _join_islands(self, weights: np.ndarray, straight: np.ndarray) -> None:
        """Join every group of seats cut off from the largest one by a ferry between closest seats."""
        graph = csr_matrix(np.where(np.isfinite(weights), 1.0, 0.0))
        count, labels = connected_components(graph, directed=False)
        if count < 2:
            return
        main = np.argmax(np.bincount(labels))
        inside = np.flatnonzero(labels == main)
        for label in set(range(count)) - {main}:
            outside = np.flatnonzero(labels == label)
            block = straight[np.ix_(outside, inside)]
            k, m = np.unravel_index(np.argmin(block), block.shape)
            km = float(block[k, m]) * 1.1  # sea routes bend around headlands too
            seconds = self._link_s(FixedLink("", "", "ferry", km=km, sea_km=km))
            weights[outside[k], inside[m]] = weights[inside[m], outside[k]] = seconds


def along(path, fraction: float) -> tuple[float, float]:
    """The point `fraction` (0..1) of the way along a polyline of (lon, lat), by distance."""
    points = as_points(path)
    if len(points) == 1:
        return tuple(map(float, points[0]))
    legs = pairwise_km(points[:-1], points[1:])
    total = float(legs.sum())
    if total <= 0:
        return tuple(map(float, points[-1]))
    target = min(max(fraction, 0.0), 1.0) * total
    done = np.concatenate([[0.0], np.cumsum(legs)])
    k = min(int(np.searchsorted(done, target, side="right")) - 1, len(legs) - 1)
    f = 0.0 if legs[k] <= 0 else (target - done[k]) / legs[k]
    lon, lat = points[k] + (points[k + 1] - points[k]) * f
    return float(lon), float(lat)


def _is_urban_district(code: str) -> bool:
    # area codes number a city's districts 01-20, its counties 21-80 and county-level cities 81-99
    return 1 <= int(code[4:6]) <= 20
