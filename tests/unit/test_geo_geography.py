"""Geography: counties, cities, look-ups, adjacency and GeoJSON, for Zhejiang and other provinces."""
from __future__ import annotations

import json

import pytest

from services.geo import City, County, Geography


@pytest.fixture(scope="module")
def zj() -> Geography:
    return Geography.load("330000")


def test_zhejiang_has_11_cities_and_90_counties(zj):
    assert (zj.province_code, zj.province_name) == ("330000", "浙江省")
    assert len(zj.cities) == 11 and len(zj.counties) == 90
    assert [c.code for c in zj.counties] == sorted(c.code for c in zj.counties)
    assert sum(len(city.counties) for city in zj.cities) == 90
    assert {len(city.counties) for city in zj.cities if city.code == "330900"} == {4}  # Zhoushan


def test_load_is_cached_and_default_is_zhejiang(zj):
    assert Geography.load() is zj and Geography.load("330000") is zj


def test_counties_belong_to_the_city_sharing_four_digits(zj):
    for county in zj.counties:
        assert county.city_code == county.code[:4] + "00"
    hangzhou = next(city for city in zj.cities if city.code == "330100")
    assert hangzhou.name == "杭州市" and "330102" in hangzhou.counties
    assert zj.county("330102").city_name == "杭州市"


def test_unknown_county_raises_a_clear_key_error(zj):
    with pytest.raises(KeyError, match="999999.*330000"):
        zj.county("999999")


def test_county_at_finds_the_county_and_none_outside(zj):
    assert zj.county_at(120.17, 30.25) == "330102"  # West Lake's east shore, Shangcheng
    assert zj.county_at(121.47, 31.23) is None  # Shanghai
    assert zj.county_at(125.0, 29.0) is None  # open sea


def test_locate_snaps_points_outside_to_the_nearest_seat(zj):
    inside, offshore = (120.17, 30.25), (122.80, 30.75)  # east of Shengsi, beyond every polygon
    found = zj.locate([inside, offshore], snap=True)
    assert zj.counties[found[0]].code == "330102"
    assert zj.counties[found[1]].code == "330922"
    assert zj.locate([offshore])[0] == -1


def test_neighbours_are_symmetric_and_sensible(zj):
    for county in zj.counties:
        for other in zj.neighbours(county.code):
            assert county.code in zj.neighbours(other), (county.code, other)
    assert "330106" in zj.neighbours("330102")  # Shangcheng - Xihu
    assert "330902" in zj.neighbours("330903")  # Dinghai - Putuo share Zhoushan Island
    assert "330302" not in zj.neighbours("330102")


def test_county_geojson_is_light_and_identified_by_code(zj):
    collection = zj.county_geojson()
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 90
    feature = next(f for f in collection["features"] if f["id"] == "330102")
    assert feature["properties"] == {"code": "330102", "name": "上城区", "city_code": "330100", "city_name": "杭州市"}
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert len(json.dumps(collection, ensure_ascii=False).encode()) < 1_500_000
    collection["features"].clear()  # a caller's copy: the next call is whole again
    assert len(zj.county_geojson()["features"]) == 90


def test_city_geojson_has_one_feature_per_city(zj):
    ids = [f["id"] for f in zj.city_geojson()["features"]]
    assert ids == [city.code for city in zj.cities]


def test_bounds_and_centre_cover_the_province(zj):
    minlon, minlat, maxlon, maxlat = zj.bounds()
    assert 117.9 < minlon < 118.2 and 122.7 < maxlon < 123.3 and 27.0 < minlat < 27.3 and 31.0 < maxlat < 31.3
    lon, lat = zj.centre()
    assert minlon < lon < maxlon and minlat < lat < maxlat


def test_another_province_loads_with_interior_point_seats():
    js = Geography.load("320000")
    assert js.province_name == "江苏省" and len(js.cities) == 13
    assert all(c.seat_source == "interior-point" and c.population is None for c in js.counties)
    assert all(js.county_at(*c.seat) == c.code for c in js.counties)


def test_municipality_districts_belong_to_the_municipality():
    beijing = Geography.load("110000")
    assert [city.code for city in beijing.cities] == ["110000"]
    assert beijing.county("110101") == County(
        code="110101", name="东城区", city_code="110000", city_name="北京市",
        seat=beijing.county("110101").seat, seat_source="interior-point", population=None)


def test_directly_administered_county_cities_are_their_own_city():
    hubei = Geography.load("420000")
    xiantao = hubei.county("429004")
    assert (xiantao.city_code, xiantao.city_name) == ("429004", "仙桃市")
    assert City("429004", "仙桃市", ("429004",)) in hubei.cities


@pytest.mark.parametrize("bad", ["33", "330100", "abcdef", "990000"])
def test_a_bad_province_code_is_refused(bad):
    with pytest.raises(ValueError):
        Geography.load(bad)
