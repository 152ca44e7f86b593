"""Great-circle distance and bearing between (lon, lat) points in degrees: the one set every service,
the exercises and the twin use (numpy forms for many points: pairwise_km, matrix_km)."""
from __future__ import annotations

import math

from ._distance import EARTH_RADIUS_KM, as_points, matrix_km, pairwise_km

Point = tuple[float, float]

__all__ = ["EARTH_RADIUS_KM", "Point", "as_points", "bearing", "km", "matrix_km", "pairwise_km"]


def km(a: Point, b: Point) -> float:
    """Great-circle distance in km (haversine, mean Earth radius)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def bearing(a: Point, b: Point) -> float:
    """Initial bearing from a to b, degrees clockwise from north, in [0, 360)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360.0
