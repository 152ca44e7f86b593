"""The scope grant of an order (area, time window, tasks) and the check of an instruction against it."""
from __future__ import annotations

import math
from datetime import datetime

import shapely
from shapely.geometry import Point, mapping, shape
from shapely.geometry.base import BaseGeometry

SIMPLIFY_DEG = 0.003  # ~300 m: keeps a county outline to a few hundred positions


def county_area(county_shape: BaseGeometry) -> dict:
    """A GeoJSON Polygon for the county: its outline simplified; a county in several parts
    (islands) gets the convex hull of its parts, so the grant covers every part."""
    simple = county_shape.simplify(SIMPLIFY_DEG, preserve_topology=True)
    if simple.geom_type != "Polygon":
        simple = simple.convex_hull
    return _polygon(shapely.Polygon(simple.exterior))


def buffer_area(lon: float, lat: float, radius_m: float) -> dict:
    """A circle of `radius_m` around the point (an ellipse in degrees: longitude shrinks with latitude)."""
    deg = radius_m / 111_320
    circle = shapely.affinity.scale(Point(lon, lat).buffer(deg, quad_segs=8), xfact=1 / math.cos(math.radians(lat)))
    return _polygon(circle)


def _polygon(poly: BaseGeometry) -> dict:
    ring = [[round(x, 5), round(y, 5)] for x, y in poly.exterior.coords]
    ring[-1] = ring[0]
    return {"type": "Polygon", "coordinates": [ring]}


def contains(area: dict, lon: float, lat: float) -> bool:
    return shape(area).covers(Point(lon, lat))


def refusal(scope: dict, *, at: datetime, task: str, point: dict | None, window: tuple[datetime, datetime]) -> str | None:
    """Why an instruction falls outside the grant, or None when it is within it."""
    found = refused(scope, at=at, task=task, point=point, window=window)
    return found[1] if found else None


def refused(scope: dict, *, at: datetime, task: str, point: dict | None,
            window: tuple[datetime, datetime]) -> tuple[str, str] | None:
    """(the instruction's field at fault: its task, its point, or "(time)" it is given at; why), or None
    when the instruction is within the grant."""
    start, until = window
    if at < start:
        return "(time)", f"before the granted window, which opens at {start.isoformat()}"
    if at > until:
        return "(time)", f"after the granted window, which closed at {until.isoformat()}"
    if task not in scope["tasks"]:
        return "task", f"task {task!r} is not granted; granted: {', '.join(scope['tasks'])}"
    if point is not None and not contains(scope["area"], point["lon"], point["lat"]):
        return "point", "the point lies outside the granted area"
    return None


def as_geojson(geometry: BaseGeometry) -> dict:
    return mapping(geometry)
