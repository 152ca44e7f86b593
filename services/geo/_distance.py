"""Great-circle distances on numpy arrays of (lon, lat) points in degrees."""
from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)


def as_points(points) -> np.ndarray:
    """Any sequence of (lon, lat) pairs as a float array of shape (n, 2)."""
    return np.asarray(points, dtype=float).reshape(-1, 2)


def pairwise_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between a[i] and b[i] for every i (haversine); a and b have shape (n, 2)."""
    return _haversine(a[:, 0], a[:, 1], b[:, 0], b[:, 1])


def matrix_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance between every a[i] and every b[j]: shape (len(a), len(b))."""
    return _haversine(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])


def _haversine(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = (np.radians(v) for v in (lon1, lat1, lon2, lat2))
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def point_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """`pairwise_km` of one pair, on floats: the same formula in the same order of operations (math's
    functions, without numpy's cost per call), for callers that take one point at a time."""
    lon1, lat1, lon2, lat2 = math.radians(lon1), math.radians(lat1), math.radians(lon2), math.radians(lat2)
    dlat, dlon = math.sin((lat2 - lat1) / 2), math.sin((lon2 - lon1) / 2)
    h = dlat * dlat + math.cos(lat1) * math.cos(lat2) * (dlon * dlon)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))
