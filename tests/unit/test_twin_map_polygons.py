"""The map's county polygons (simplified once, kept on disk, sent gzipped) and the twin's gzip."""
from __future__ import annotations

import gzip
import json

import pytest
import shapely
from shapely.geometry import shape

from services.common.auth import Identity, headers_for
from services.geo import Geography
from twin.sim.model import ProvinceModel
from twin.ui import map_polygons
from twin.ui.app import create_app

PROVINCE = Identity("zj-commander", "province_commander", "330000")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_GEO_CACHE", str(tmp_path))
    map_polygons.county_polygons.cache_clear()
    yield tmp_path
    map_polygons.county_polygons.cache_clear()


def test_the_polygons_are_every_county_lighter_and_the_same_shapes(cache):
    geography = Geography.load("330000")
    polygons = map_polygons.county_polygons(geography)
    features = polygons.geojson["features"]
    assert [f["id"] for f in features] == [c.code for c in geography.counties]
    assert features[0]["properties"]["name"] == geography.counties[0].name
    assert len(polygons.body) < 0.8 * len(json.dumps(geography.county_geojson(), ensure_ascii=False).encode())
    assert len(polygons.gzipped) < 0.35 * len(polygons.body) and gzip.decompress(polygons.gzipped) == polygons.body
    for feature in features:
        simple, whole = shape(feature["geometry"]), geography.county_shape(feature["id"])
        assert simple.is_valid and abs(simple.area - whole.area) < 0.03 * whole.area, feature["id"]
        assert shapely.hausdorff_distance(simple, whole) < 2 * map_polygons.TOLERANCE_DEG, feature["id"]


def test_the_polygons_are_computed_once_and_then_read_from_disk(cache, monkeypatch):
    geography = Geography.load("330000")
    first = map_polygons.county_polygons(geography)
    assert map_polygons.county_polygons(geography) is first  # in process
    [kept] = cache.glob("counties-330000-*.json.gz")
    map_polygons.county_polygons.cache_clear()  # a new process: from disk, nothing simplified

    def no_simplifying(_features):
        raise AssertionError("simplified again")
    monkeypatch.setattr(map_polygons, "_feature_collection", no_simplifying)
    assert map_polygons.county_polygons(geography).body == first.body
    kept.write_bytes(b"torn")  # a broken file is computed again
    map_polygons.county_polygons.cache_clear()
    monkeypatch.undo()
    monkeypatch.setenv("TWIN_GEO_CACHE", str(cache))
    assert map_polygons.county_polygons(geography).body == first.body


def test_the_browser_gets_the_polygons_gzipped_and_cached_and_the_scripts_gzipped(cache):
    client = create_app(ProvinceModel(seed=0)).server.test_client()
    signed = headers_for(PROVINCE)
    plain = client.get("/geo/counties.geojson", headers=signed)
    packed = client.get("/geo/counties.geojson", headers={**signed, "Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert len(json.loads(plain.get_data())["features"]) == 90
    again = client.get("/geo/counties.geojson", headers={**signed, "If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304

    path = "/_dash-component-suites/plotly/package_data/plotly.min.js"
    script = client.get(path, headers=signed).get_data()
    first = client.get(path, headers={**signed, "Accept-Encoding": "gzip"})
    second = client.get(path, headers={**signed, "Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in first.headers["Vary"]
    assert gzip.decompress(first.get_data()) == script and second.get_data() == first.get_data()
    assert len(first.get_data()) < len(script) / 2
    layout = client.get("/_dash-layout", headers={**signed, "Accept-Encoding": "gzip"})
    assert layout.headers["Content-Encoding"] == "gzip" and json.loads(gzip.decompress(layout.get_data()))
