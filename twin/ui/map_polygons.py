"""The county polygons the twin's maps draw: simplified for the map, computed once, kept ready to send.

The maps open on the whole province (zoom about 6.3 on an 800 x 600 map, where a pixel spans about
0.009°) and are read down to city zoom (about 9, 0.001° a pixel). Each county's boundary is simplified
(Douglas-Peucker, topology kept) to TOLERANCE_DEG, under half a pixel at the opening zoom and a few
pixels at city zoom, and its coordinates snapped to a 1e-4° grid (about 10 m) without breaking a ring: Zhejiang's 90 counties weigh
160 KB of JSON and 40 KB gzipped instead of 237 KB, and MapLibre has a fifth fewer vertices to cut.

`county_polygons(geography)` computes them once per process and keeps them on disk under
var/twin/geo/ (TWIN_GEO_CACHE names another folder), named by a digest of the boundaries, the
tolerance and the rounding, so a changed boundary or setting is computed afresh. The browser gets
the gzipped bytes as they are (`GET /geo/counties.geojson`).
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping

from services.common.config import VAR

log = logging.getLogger(__name__)
TOLERANCE_DEG = 0.004
DECIMALS = 4
CACHE_DIR = VAR / "twin" / "geo"


@dataclass(frozen=True)
class MapPolygons:
    geojson: dict  # a FeatureCollection, each feature's id its county code (the figures' bounds)
    body: bytes  # its compact JSON, as served
    gzipped: bytes
    etag: str


@functools.lru_cache(maxsize=8)
def county_polygons(geography) -> MapPolygons:
    """The province's county polygons for the map, from the disk cache when it holds them."""
    features = [(c.code, {"code": c.code, "name": c.name, "city_code": c.city_code, "city_name": c.city_name},
                 geography.county_shape(c.code)) for c in geography.counties]
    digest = _digest(features)
    path = Path(os.environ.get("TWIN_GEO_CACHE") or CACHE_DIR) / f"counties-{geography.province_code}-{digest}.json.gz"
    gzipped = _read(path)
    if gzipped is None:
        gzipped = gzip.compress(_feature_collection(features), compresslevel=9, mtime=0)
        _write(path, gzipped)
    body = gzip.decompress(gzipped)
    return MapPolygons(json.loads(body), body, gzipped, digest)


def _digest(features) -> str:
    h = hashlib.sha256(f"{TOLERANCE_DEG}:{DECIMALS}".encode())
    for code, properties, shape in features:
        h.update(json.dumps([code, properties], ensure_ascii=False, sort_keys=True).encode())
        h.update(shapely.to_wkb(shape))
    return h.hexdigest()[:16]


def _feature_collection(features) -> bytes:
    shapes = shapely.simplify(np.array([shape for _, _, shape in features], dtype=object), TOLERANCE_DEG,
                              preserve_topology=True)
    shapes = shapely.set_precision(shapes, 10.0 ** -DECIMALS)  # snapped to the grid and still valid polygons
    collection = {"type": "FeatureCollection",
                  "features": [{"type": "Feature", "id": code, "properties": properties, "geometry": mapping(shape)}
                               for (code, properties, _), shape in zip(features, shapes)]}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()


def _read(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
        gzip.decompress(data)  # a torn or foreign file is computed again
        return data
    except (OSError, EOFError, gzip.BadGzipFile):
        return None


def _write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as exc:  # a read-only var/ costs a recomputation per process, nothing more
        log.warning("county polygons not cached at %s: %s", path, exc)
