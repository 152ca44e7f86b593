"""GeoJSON of county or city boundaries, light enough to ship to a browser map.

Each polygon is simplified on its own (Douglas-Peucker with topology preserved) and its
coordinates are rounded to 1e-5 degree (about 1 m), far below what a province-wide map shows; the
whole of Zhejiang then weighs a few hundred kilobytes instead of megabytes. Simplifying polygons
one by one can open hairline gaps between neighbours, which is invisible at province scale.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

SIMPLIFY_TOLERANCE_DEG = 0.002  # ~200 m: the width of a line on a province-wide map
COORDINATE_DECIMALS = 5


def feature_collection(features: Iterable[tuple[str, dict, BaseGeometry]]) -> str:
    """A FeatureCollection as compact JSON text; each feature is (id, properties, geometry)."""
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": fid, "properties": properties, "geometry": _light(geometry)}
            for fid, properties, geometry in features
        ],
    }
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":"))


def _light(geometry: BaseGeometry) -> dict:
    simple = shapely.simplify(geometry, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    rounded = shapely.transform(simple, lambda xy: np.round(xy, COORDINATE_DECIMALS))
    return mapping(rounded)
