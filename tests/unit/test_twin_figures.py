"""The twin's figure builders: an offline map of the counties and the incidents."""
from __future__ import annotations

import re

import pytest

from services.geo import Geography
from twin.ui.figures import GRADE_COLOURS, assessed, incident_table_rows, province_map

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
    assert rows[0]["grade"] == "未定级"
    assert rows[1]["type"] == "群体聚集"


def test_the_table_shows_the_assessed_grade_the_overruled_one_and_the_request_status():
    incidents = [incident("OVERRULED", grade="III", reported_at="2025-01-01T08:00:00Z"),
                 incident("AGREED", grade="II", reported_at="2025-01-01T07:00:00Z"),
                 incident("LOCAL", grade="IV", reported_at="2025-01-01T06:00:00Z")]
    requests = [{"request_id": "R0", "incident_id": "OVERRULED", "grade": "III", "status": "cancelled",
                 "requested_at": "2025-01-01T08:01:00Z"},
                {"request_id": "R1", "incident_id": "OVERRULED", "grade": "II", "status": "awaiting_approval",
                 "requested_at": "2025-01-01T08:05:00Z"},
                {"request_id": "R1-S2", "incident_id": "OVERRULED", "grade": "II", "status": "open",
                 "requested_at": "2025-01-01T09:00:00Z", "relief_of": {"request_id": "R1", "shift": 2}},
                {"request_id": "R2", "incident_id": "AGREED", "grade": "II", "status": "on_scene",
                 "requested_at": "2025-01-01T07:01:00Z"}]
    rows = {r["incident_id"]: r for r in incident_table_rows(incidents, {}, "zh", requests)}
    assert (rows["OVERRULED"]["grade"], rows["OVERRULED"]["request"]) == ("II级 重大（上报 III级 较大）", "待审批")
    assert (rows["AGREED"]["grade"], rows["AGREED"]["request"]) == ("II级 重大", "已到场")
    assert (rows["LOCAL"]["grade"], rows["LOCAL"]["request"]) == ("IV级 一般（上报）", "—")
    english = {r["incident_id"]: r for r in incident_table_rows(incidents, {}, "en", requests)}
    assert english["OVERRULED"]["grade"] == "grade II major (reported grade III relatively major)"


def test_the_map_colours_an_incident_by_the_grade_the_table_shows(geography, counties):
    """A reporter who gave no grade (or one demand overruled): once demand's request carries the assessed
    grade, the marker takes it, as the table's row does; an incident without a request keeps its own."""
    incidents = [incident("UNGRADED", grade=None), incident("OVERRULED", grade="III"), incident("LOCAL", grade="IV")]
    requests = [{"request_id": "R1", "incident_id": "UNGRADED", "grade": "III", "status": "awaiting_approval",
                 "requested_at": "2025-01-01T08:01:00Z"},
                {"request_id": "R2", "incident_id": "OVERRULED", "grade": "II", "status": "open",
                 "requested_at": "2025-01-01T08:02:00Z"}]
    graded = assessed(incidents, requests)
    assert [i["grade"] for i in graded] == ["III", "II", "IV"] and incidents[0]["grade"] is None   # a copy
    figure = province_map(geography.county_geojson(), counties, graded)
    by_colour = {t.marker.color: list(t.customdata) for t in figure.data if t.type == "scattermap"}
    assert by_colour == {GRADE_COLOURS["II"]: ["OVERRULED"], GRADE_COLOURS["III"]: ["UNGRADED"],
                         GRADE_COLOURS["IV"]: ["LOCAL"]}
    rows = {r["incident_id"]: r["grade"] for r in incident_table_rows(incidents, {}, "zh", requests)}
    assert rows["UNGRADED"] == "III级 较大" and rows["OVERRULED"].startswith("II级 重大")


def test_english_labels_come_from_the_same_catalogue_and_place_names_stay(geography, counties):
    rows = incident_table_rows([incident("A", grade="II")], {"330106": "西湖区"}, lang="en")
    assert (rows[0]["grade"], rows[0]["type"], rows[0]["county"]) == ("grade II major (as reported)", "mass gathering",
                                                                      "西湖区")
    figure = province_map(geography.county_geojson(), counties, [incident()], lang="en")
    assert figure.data[0].colorbar.title.text == "load"
    assert "on duty" in figure.data[0].hovertemplate
    assert [t.name for t in figure.data if t.type == "scattermap"] == ["grade II major"]


def test_officers_are_drawn_one_circle_per_county_sized_by_strength(geography, counties):
    counties[0]["officers_on_duty"] = 400
    counties[1]["officers_on_duty"] = 0
    for county in counties:
        county["seat"] = list(geography.county(county["code"]).seat)
    figure = province_map(geography.county_geojson(), counties, [], officers=True)
    [officers] = [t for t in figure.data if t.name == "警力（按县汇总）"]
    assert len(officers.lon) == 89  # a county with nobody on duty gets no circle
    assert officers.marker.size[0] == max(officers.marker.size)


def test_candidate_plans_are_routes_from_each_donor_to_the_reporting_point(geography, counties):
    route = {"plan_id": "P-A", "kind": "fastest", "label": "最快", "destination": [120.24, 29.29], "selected": False,
             "donors": [{"county": "330782", "name": "义乌市", "seat": [120.07, 29.31], "officers": 2},
                        {"county": "330703", "name": "金东区", "seat": [119.69, 29.10], "officers": 2}]}
    figure = province_map(geography.county_geojson(), counties, [], routes=[route])
    [lines] = [t for t in figure.data if t.name == "最快"]
    assert lines.mode == "lines"
    assert list(lines.lon) == [120.07, 120.24, None, 119.69, 120.24, None]
    assert "义乌市" in lines.text[0]


def test_units_move_and_late_ones_are_red_and_larger(geography, counties):
    def unit(unit_id, late, status="moving"):
        return {"unit_id": unit_id, "order_id": "O-" + unit_id, "position": [120.1, 29.3], "origin": [120.0, 29.3],
                "status": status, "late": late}
    units = [unit("U1", False), unit("U2", True), unit("U3", False, "arrived"), unit("U4", False, "released")]
    figure = province_map(geography.county_geojson(), counties, [], units=units)
    markers = {t.name: t for t in figure.data if t.type == "scattermap" and t.mode == "markers"}
    assert list(markers["支援单元"].customdata) == ["U1", "U3"]
    assert list(markers["超时单元"].customdata) == ["U2"]
    assert markers["超时单元"].marker.size > markers["支援单元"].marker.size
    assert markers["超时单元"].marker.color[0] == "#e00000"
    assert markers["支援单元"].marker.color[1] == "#2ca02c"  # arrived


def test_the_strength_chart_says_what_it_waits_for_instead_of_drawing_empty_axes():
    from twin.ui.panel import strength_figure
    empty = strength_figure([], "zh")
    assert not empty.data and empty.layout.xaxis.visible is False
    assert "有方案推演后" in empty.layout.annotations[0].text
    plan = {"plan_id": "P1", "version": 1, "kind": "fastest", "status": "proposed", "request_id": "R1",
            "preview": {"donors": [{"name": "义乌市", "times_s": [0, 600], "strength_p50": [40, 34]}]}}
    drawn = strength_figure([plan], "en")
    assert len(drawn.data) == 1 and not drawn.layout.annotations and drawn.layout.xaxis.visible is not False
    assert drawn.data[0].name == "fastest · Yiwu City" and drawn.layout.xaxis.title.text == "minutes from approval"
    assert strength_figure([plan], "zh").data[0].name == "最快 · 义乌市"


def test_the_map_with_every_layer_is_a_valid_plotly_figure(geography, counties):
    """The builders skip plotly's validation for speed: what they build must pass it all the same."""
    import plotly.graph_objects as go

    for county in counties:
        county["seat"] = list(geography.county(county["code"]).seat)
    route = {"plan_id": "P-A", "kind": "fastest", "label": "最快", "destination": [120.24, 29.29], "selected": True,
             "donors": [{"county": "330782", "name": "义乌市", "seat": [120.07, 29.31], "officers": 2}]}
    units = [{"unit_id": u, "order_id": "O-" + u, "position": [120.1, 29.3], "origin": [120.0, 29.3],
              "status": status, "late": late, "duty_alerts": 1}
             for u, status, late in (("U1", "moving", False), ("U2", "moving", True), ("U3", "arrived", False))]
    for colour_by in ("load", "gap", "circle"):
        figure = province_map(geography.county_geojson(), counties, [incident(), incident("INC-2", grade=None)],
                              colour_by=colour_by, officers=True, units=units, routes=[route], lang="en")
        checked = go.Figure(figure.to_plotly_json())  # raises on any property plotly does not know
        assert checked.to_plotly_json() == figure.to_plotly_json()


def test_the_strength_chart_is_a_valid_plotly_figure_and_the_empty_one_is_shared():
    import plotly.graph_objects as go

    from twin.ui.panel import strength_figure
    plan = {"plan_id": "P1", "version": 1, "kind": "fastest", "status": "proposed", "request_id": "R1",
            "preview": {"donors": [{"name": "义乌市", "times_s": [0, 600], "strength_p50": [40, 34]}]}}
    for figure in (strength_figure([], "en"), strength_figure([plan], "zh")):
        assert go.Figure(figure.to_plotly_json()).to_plotly_json() == figure.to_plotly_json()
    assert strength_figure([], "en") is strength_figure([], "en")
