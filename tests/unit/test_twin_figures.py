"""The twin's figure builders: an offline map of the counties and the incidents."""
from __future__ import annotations

import re

import pytest

from services.geo import Geography
from twin.figures import GRADE_COLOURS, incident_table_rows, province_map

URL = re.compile(r"https?://")


@pytest.fixture(scope="module")
def geography() -> Geography:
    return Geography.load(province="330000")


@pytest.fixture
def counties(geography) -> list[dict]:
    return [{"code": c.code, "name": c.name, "city_name": c.city_name, "officers_on_duty": 100,
             "officers_available": 60, "officers_committed": 30, "load": 0.3} for c in geography.counties]


def incident(incident_id="INC-1", *, county="330106", grade="II", reported_at="2025-01-01T08:00:00Z",
             point=(120.13, 30.26)) -> dict:
    return {"incident_id": incident_id, "county": county, "point": list(point), "grade": grade,
            "type": "mass_gathering", "status": "reported", "reported_at": reported_at}


@pytest.fixture
def figure(geography, counties, monkeypatch):
    monkeypatch.delenv("MAP_TILE_URL", raising=False)
    return province_map(geography.county_geojson(), counties, [incident()])


def test_counties_are_a_choroplethmap_of_all_90_keyed_by_code(figure, geography):
    [choropleth] = [t for t in figure.data if t.type == "choroplethmap"]
    assert len(choropleth.locations) == 90
    assert choropleth.featureidkey == "id"
    assert {f["id"] for f in choropleth.geojson["features"]} == set(choropleth.locations)
    assert "西湖区" in {row[0] for row in choropleth.customdata}


def test_the_incident_is_a_scattermap_marker_coloured_by_its_grade(figure):
    [marker] = [t for t in figure.data if t.type == "scattermap"]
    assert list(marker.customdata) == ["INC-1"]
    assert (marker.lon[0], marker.lat[0]) == (120.13, 30.26)
    assert marker.marker.color == GRADE_COLOURS["II"]
    assert "西湖区" in marker.text[0] and "II级" in marker.text[0]
    assert marker.mode == "markers"  # map text would fetch glyphs from the internet


def test_each_grade_gets_its_own_colour(geography, counties):
    incidents = [incident(f"INC-{g}", grade=g) for g in ("IV", "I", "III", "II")]
    figure = province_map(geography.county_geojson(), counties, incidents)
    colours = [t.marker.color for t in figure.data if t.type == "scattermap"]
    assert colours == ["#d62728", "#ff7f0e", "#f2c200", "#1f77b4"]  # I red, II orange, III yellow, IV blue


def test_the_map_draws_offline_on_white_bg_without_geo_traces(figure):
    assert figure.layout.map.style == "white-bg"
    assert not {t.type for t in figure.data} & {"choropleth", "scattergeo", "choroplethmapbox", "scattermapbox"}
    assert not URL.search(figure.to_json())


def test_the_map_is_centred_on_the_province(figure, geography):
    west, south, east, north = geography.bounds()
    centre = figure.layout.map.center
    assert west < centre.lon < east and south < centre.lat < north
    assert 5 < figure.layout.map.zoom < 8


def test_a_tile_layer_only_when_a_tile_server_is_configured(geography, counties, monkeypatch):
    monkeypatch.setenv("MAP_TILE_URL", "http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png")
    figure = province_map(geography.county_geojson(), counties, [])
    [layer] = figure.layout.map.layers
    assert layer.sourcetype == "raster"
    assert layer.source == ("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png",)
    assert figure.layout.map.style == "white-bg"


def test_colouring_by_available_officers(geography, counties):
    figure = province_map(geography.county_geojson(), counties, [], colour_by="officers_available")
    assert set(figure.data[0].z) == {60}


def test_table_rows_newest_first_with_county_names():
    rows = incident_table_rows([incident("A", reported_at="2025-01-01T08:00:00Z"),
                                incident("B", reported_at="2025-01-01T16:30:00+08:00", grade=None)],
                               {"330106": "西湖区"})
    assert [r["incident_id"] for r in rows] == ["B", "A"]
    assert [r["reported_at"] for r in rows] == ["2025-01-01 16:30:00", "2025-01-01 16:00:00"]
    assert rows[0]["county"] == "西湖区"
    assert rows[0]["grade"] == "未定级 ungraded"
    assert rows[1]["type"] == "群体聚集 mass_gathering"
