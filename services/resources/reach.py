"""How far an officer can possibly be from a point and still reach it within a time bound: the
availability search keeps in SQL only the officers inside that box, then times them exactly.

For the road graph (`services.geo.road_graph`), every trip is the direct local leg, or a local leg
to a seat, seat-to-seat driving and a local leg from a seat, plus `mobilisation_s`. Each part
covers at most its great-circle length at the fastest straight-line speed the graph allows:
`local_kmh / circuity` on local legs, and for seat-to-seat driving the fastest pair of seats
(great-circle km over the shortest-path seconds, taken from the provider's own matrix, so bridges,
ferries and an exercise's closures and slow-downs are in it). Great-circle distance obeys the
triangle inequality, so a point more than (bound - mobilisation) x that speed away in a straight
line cannot be within the bound. The box is widened a little against rounding; the exact matrix
decides who is kept, so the search answers as it would without the box.

Other providers (a routing server) give no such speed: no box, every candidate is timed.
"""
from __future__ import annotations

import math
import weakref

import numpy as np

from ..geo._distance import EARTH_RADIUS_KM, matrix_km, pairwise_km
from ..geo.road_graph import HOUR, RoadGraphTravel

MARGIN = 1.001          # the box is 0.1 % wider than the bound, plus
MARGIN_KM = 0.05        # 50 m, against floating-point rounding near its edge

_speeds: "weakref.WeakKeyDictionary[RoadGraphTravel, float | None]" = weakref.WeakKeyDictionary()


def fastest_kmh(travel) -> float | None:
    """The fastest straight-line speed of any part of a trip on `travel` (km/h), None when it has none.

    Computed once per provider instance: the graph (and with it the seat-to-seat matrix) of an
    instance never changes; a provider following changing conditions builds a new one."""
    if not isinstance(travel, RoadGraphTravel):
        return None
    if travel in _speeds:
        return _speeds[travel]
    seats = np.asarray(travel.geography.seats, dtype=float)
    seconds = np.asarray(travel.seat_to_seat, dtype=float)
    km = matrix_km(seats, seats)
    pairs = np.isfinite(seconds) & (km > 0)
    speed: float | None = travel.local_kmh / travel.circuity
    if (seconds[pairs] <= 0).any():
        speed = None  # two distinct seats no time apart: no bound
    elif pairs.any():
        speed = max(speed, float((km[pairs] / seconds[pairs]).max() * HOUR))
    _speeds[travel] = speed
    return speed


def reach_km(travel, max_travel_s: float) -> float | None:
    """How far in a straight line (km, widened by the margins) a position can be from a point and still
    reach it within `max_travel_s` on `travel`; None when no such distance is known."""
    speed = fastest_kmh(travel)
    if speed is None or not math.isfinite(max_travel_s):
        return None
    return max(0.0, max_travel_s - travel.mobilisation_s) / HOUR * speed * MARGIN + MARGIN_KM


def box(travel, point: tuple[float, float], max_travel_s: float) -> tuple[float, float, float, float] | None:
    """(min_lon, max_lon, min_lat, max_lat) holding every position from which `point` can be reached
    within `max_travel_s` on `travel`; None when no such box is known (or it spans the whole globe)."""
    km = reach_km(travel, max_travel_s)
    if km is None:
        return None
    angle = km / EARTH_RADIUS_KM                            # radians of arc
    lon, lat = float(point[0]), float(point[1])
    d_lat = math.degrees(angle)
    highest = math.radians(abs(lat)) + angle                # the box's latitude farthest from the equator
    if highest >= math.pi / 2:
        return None
    # hav(d) >= cos(lat1) cos(lat2) hav(d_lon) >= cos(highest)^2 hav(d_lon)
    ratio = math.sin(angle / 2) / math.cos(highest)
    if ratio >= 1:
        return None
    d_lon = math.degrees(2 * math.asin(ratio))
    if lon - d_lon < -180 or lon + d_lon > 180:  # across the antimeridian: no box
        return None
    return (lon - d_lon, lon + d_lon, lat - d_lat, lat + d_lat)


def within(travel, point: tuple[float, float], max_travel_s: float, origins: np.ndarray) -> np.ndarray | None:
    """Indexes of the `origins` (n, 2) that can possibly reach `point` within `max_travel_s`: those
    no farther than `reach_km` in a straight line (the circle inside the box: the box's corners hold
    a fifth of its area); None when no such distance is known (every origin may)."""
    km = reach_km(travel, max_travel_s)
    if km is None:
        return None
    to = np.broadcast_to(np.asarray(point, dtype=float).reshape(1, 2), origins.shape)
    return np.flatnonzero(pairwise_km(origins, to) <= km)
