"""Pure builders for the twin's map and table: plain data in, `go.Figure` or rows out.

The map draws offline: `Choroplethmap` + `Scattermap` on the "white-bg" style, with the county
polygons shipped as GeoJSON. The `geo` map types and the tile styles fetch from the internet, and so
does any map *text* (MapLibre loads glyphs from a font server), so incident labels are shown on
hover and in the table, never as map text; place names travel in `layout.meta` and are laid over the
map as HTML in the browser's own fonts (`twin.ui.place_names`). The legend and the colour bar sit
outside the map (below it and at its right), so they never cover the province. A raster tile layer
is added only when a tile server is
configured (`MAP_TILE_URL`, a `{z}/{x}/{y}` template).
"""
from __future__ import annotations

import math
import os
from datetime import datetime, timedelta, timezone

import plotly.graph_objects as go

from twin.ui.map_layers import UNCHECKED, officer_trace, route_traces, unit_traces
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text
from twin.ui.place_names import county_names, label_meta, place_name

GRADE_COLOURS = {"I": "#d62728", "II": "#ff7f0e", "III": "#f2c200", "IV": "#1f77b4"}
UNGRADED_COLOUR = "#7f7f7f"
LOAD_SCALE = [[0.0, "#f2f0f7"], [0.5, "#9e9ac8"], [1.0, "#3f007d"]]
GAP_SCALE = [[0.0, "#fff5eb"], [0.5, "#fd8d3c"], [1.0, "#7f2704"]]
CIRCLE_SCALE = [[0.0, "#b2182b"], [0.5, "#fddbc7"], [1.0, "#1a9850"]]  # modules covered: none red, all green
COLOUR_BY = {  # field -> (label key, zmin, zmax, hover format of z, colour scale)
    "load": ("load", 0.0, 1.0, "%{z:.0%}", LOAD_SCALE),
    "gap": ("gap", 0.0, 1.0, "%{z:.0%}", GAP_SCALE),
    "officers_available": ("officers_available", None, None, "%{z}", LOAD_SCALE),
    "officers_on_duty": ("officers_on_duty", None, None, "%{z}", LOAD_SCALE),
    # the 1-hour support circle (twin.ui.readiness): modules covered within 60 min, of six
    "circle": ("circle", 0, 6, "%{z}/6", CIRCLE_SCALE),
}
TABLE_COLUMNS = ["incident_id", "grade", "type", "county", "status", "request", "reported_at"]
BEIJING = timezone(timedelta(hours=8), "CST")
MAP_SIZE_PX = (800, 600)  # the size the initial zoom is fitted to
LEGEND_HEIGHT_PX = 56  # the strip under the map that holds the legend
COLOURBAR_WIDTH_PX = 72  # the strip at the map's right that holds the colour bar
HIDDEN_FILL = "#e9ecef"  # counties whose figures the role is not shown


def province_map(geojson: dict, counties: list[dict], incidents: list[dict], *, colour_by: str = "load",
                 tile_url: str | None = None, lang: str = DEFAULT_LANGUAGE, officers: bool = False,
                 units: list[dict] = (), routes: list[dict] = (), geojson_url: str | None = None) -> go.Figure:
    """Counties coloured by `colour_by`, incidents by grade; optionally officers per county, candidate
    plan routes and deployed units. `tile_url` None reads MAP_TILE_URL. With `geojson_url` (served by
    the app itself) the browser fetches the polygons once instead of receiving them with every update."""
    names = county_names(counties, lang)
    traces = [county_trace(geojson_url or geojson, counties, colour_by, lang)]
    if officers:
        traces.append(officer_trace(counties, lang))
    traces += route_traces(routes, lang) + incident_traces(incidents, names, lang) + unit_traces(units, lang)
    figure = go.Figure(traces, **UNCHECKED)
    url = os.environ.get("MAP_TILE_URL", "") if tile_url is None else tile_url
    layout = map_layout(geojson, url)
    meta = label_meta(counties, layout["zoom"], lang, [i["point"] for i in incidents])  # no name over an incident
    figure.update_layout(map=layout, margin=dict(l=0, r=COLOURBAR_WIDTH_PX, t=0, b=LEGEND_HEIGHT_PX),
                         uirevision="province", showlegend=True, meta=meta,
                         legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="top",
                                     bgcolor="rgba(0,0,0,0)", font=dict(size=12)))
    return figure


def county_trace(geojson: dict | str, counties: list[dict], colour_by: str, lang: str = DEFAULT_LANGUAGE):
    key, zmin, zmax, z_format, scale = COLOUR_BY[colour_by]
    title = text(key, lang)
    if counties and all(c.get("load_hidden") for c in counties):
        return hidden_county_trace(geojson, counties, lang)
    return go.Choroplethmap(
        geojson=geojson, featureidkey="id", locations=[c["code"] for c in counties],
        z=[c.get(colour_by, 0) for c in counties], zmin=zmin, zmax=zmax, colorscale=scale,
        marker=dict(opacity=0.75, line=dict(width=0.8, color="#4d4d4d")),
        colorbar=dict(title=dict(text=title, side="top"), thickness=12, len=0.6, x=1.005, xanchor="left", y=0.9,
                      yanchor="top", outlinewidth=0, ticklabelposition="outside bottom"),
        customdata=[[place_name(c["name"], lang), place_name(c["city_name"], lang, "city"), c["officers_on_duty"],
                     c["officers_available"],
                     c["officers_committed"], c.get("circle_detail", "")] for c in counties],
        hovertemplate=("<b>%{customdata[0]}</b> %{customdata[1]}<br>" + f"{title}: {z_format}<br>"
                       + ("%{customdata[5]}<br>" if colour_by == "circle" else "")
                       + f"{text('on_duty_short', lang)} %{{customdata[2]}} · "
                       + f"{text('available_short', lang)} %{{customdata[3]}} · "
                       + f"{text('committed_short', lang)} %{{customdata[4]}}<extra></extra>"),
        name=text("counties", lang), showlegend=False, **UNCHECKED,
    )


def hidden_county_trace(geojson: dict | str, counties: list[dict], lang: str = DEFAULT_LANGUAGE):
    """The counties' outlines and names for a role never shown their figures (twin.ui.visibility): one
    flat fill and no colour bar, so no county reads as having no officers or no load."""
    return go.Choroplethmap(
        geojson=geojson, featureidkey="id", locations=[c["code"] for c in counties], z=[0] * len(counties),
        zmin=0, zmax=1, colorscale=[[0, HIDDEN_FILL], [1, HIDDEN_FILL]], showscale=False,
        marker=dict(opacity=0.75, line=dict(width=0.8, color="#4d4d4d")),
        customdata=[[place_name(c["name"], lang), place_name(c["city_name"], lang, "city")] for c in counties],
        hovertemplate=("<b>%{customdata[0]}</b> %{customdata[1]}<br>"
                       + text("county_figures_withheld", lang) + "<extra></extra>"),
        name=text("counties", lang), showlegend=False, **UNCHECKED,
    )


def incident_traces(incidents: list[dict], county_names: dict[str, str],
                    lang: str = DEFAULT_LANGUAGE) -> list[go.Scattermap]:
    """One marker trace per grade present, so the legend explains the colours."""
    by_grade: dict[str | None, list[dict]] = {}
    for incident in incidents:
        by_grade.setdefault(incident.get("grade"), []).append(incident)
    return [grade_trace(grade, by_grade[grade], county_names, lang) for grade in sorted(by_grade, key=grade_rank)]


def grade_trace(grade: str | None, incidents: list[dict], county_names: dict[str, str],
                lang: str = DEFAULT_LANGUAGE) -> go.Scattermap:
    return go.Scattermap(
        lon=[i["point"][0] for i in incidents], lat=[i["point"][1] for i in incidents],
        mode="markers",  # "text" would make MapLibre fetch glyphs from the internet
        marker=dict(size=15, color=GRADE_COLOURS.get(grade, UNGRADED_COLOUR), opacity=0.95),
        text=[incident_label(i, county_names, lang) for i in incidents],
        customdata=[i["incident_id"] for i in incidents],
        hovertemplate="%{text}<br>%{customdata}<extra></extra>", name=grade_name(grade, lang), **UNCHECKED,
    )


def incident_label(incident: dict, county_names: dict[str, str], lang: str = DEFAULT_LANGUAGE) -> str:
    county = county_names.get(incident["county"], incident["county"])
    return f"{grade_name(incident.get('grade'), lang)} · {type_name(incident['type'], lang)} · {county}"


def grade_name(grade: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    return text(f"grade_{grade}", lang) if grade in GRADE_COLOURS else text("grade_none", lang)


def type_name(code: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return maybe(f"type_{code}", lang, code)


def grade_rank(grade: str | None) -> int:
    return list(GRADE_COLOURS).index(grade) if grade in GRADE_COLOURS else len(GRADE_COLOURS)


def map_layout(geojson: dict, tile_url: str = "") -> dict:
    west, south, east, north = geojson_bounds(geojson)
    layout = dict(style="white-bg", center=dict(lon=(west + east) / 2, lat=(south + north) / 2),
                  zoom=fit_zoom((west, south, east, north)))
    if tile_url:
        layout["layers"] = [dict(sourcetype="raster", source=[tile_url], below="traces")]
    return layout


_bounds_of: dict[int, tuple[dict, tuple]] = {}  # id -> (the geojson itself, its bounds): maps reuse one geojson


def geojson_bounds(geojson: dict) -> tuple[float, float, float, float]:
    """(west, south, east, north) of every coordinate in a FeatureCollection (remembered per object)."""
    known = _bounds_of.get(id(geojson))
    if known is not None and known[0] is geojson:
        return known[1]
    bounds = _scan_bounds(geojson)
    _bounds_of[id(geojson)] = (geojson, bounds)
    return bounds


def _scan_bounds(geojson: dict) -> tuple[float, float, float, float]:
    lons, lats = [], []
    for feature in geojson["features"]:
        for lon, lat in _positions(feature["geometry"]["coordinates"]):
            lons.append(lon)
            lats.append(lat)
    return min(lons), min(lats), max(lons), max(lats)


def _positions(coordinates):
    if coordinates and isinstance(coordinates[0], (int, float)):
        yield coordinates[0], coordinates[1]
        return
    for part in coordinates:
        yield from _positions(part)


def fit_zoom(bounds: tuple[float, float, float, float], size_px: tuple[int, int] = MAP_SIZE_PX) -> float:
    """The web-Mercator zoom (512-px tiles) at which `bounds` fits into `size_px`, with a small margin."""
    west, south, east, north = bounds
    width, height = size_px
    x_span = max(east - west, 1e-6) / 360
    y_span = max(abs(_mercator_y(north) - _mercator_y(south)), 1e-6)
    zoom = min(math.log2(width / 512 / x_span), math.log2(height / 512 / y_span))
    return round(zoom - 0.15, 2)


def _mercator_y(lat: float) -> float:
    """Latitude as a fraction of the world's Mercator height."""
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / (2 * math.pi)


def incident_table_rows(incidents: list[dict], county_names: dict[str, str] | None = None,
                        lang: str = DEFAULT_LANGUAGE, requests: list[dict] | None = None) -> list[dict]:
    """Table rows, newest report first; county codes shown as names when `county_names` is given.

    The grade is demand's assessed grade once a support request carries it (the reported grade beside
    it when demand overruled the reporter), else the reported grade, marked as such; `request` is the
    status of the incident's newest support request ("—" when it has none)."""
    names = county_names or {}
    newest_first = sorted(incidents, key=lambda i: instant(i.get("reported_at")), reverse=True)
    latest = latest_requests(requests)
    rows = []
    for i in newest_first:
        request = latest.get(i["incident_id"])
        rows.append({"incident_id": i["incident_id"], "grade": _grade_cell(i.get("grade"), request, lang),
                     "type": type_name(i["type"], lang), "county": names.get(i["county"], i["county"]),
                     "status": maybe("status_" + i["status"], lang, i["status"]),
                     "request": maybe("status_" + request["status"], lang, request["status"]) if request else "—",
                     "reported_at": beijing_time(i.get("reported_at"))})
    return rows


def latest_requests(requests: list[dict] | None) -> dict[str, dict]:
    """Each incident's newest support request, relief shifts aside: the one carrying demand's grade."""
    latest: dict[str, dict] = {}
    for r in sorted(requests or [], key=lambda r: r.get("requested_at") or ""):
        if r.get("incident_id") and not r.get("relief_of"):
            latest[r["incident_id"]] = r
    return latest


def assessed(incidents: list[dict], requests: list[dict] | None) -> list[dict]:
    """The incidents with demand's assessed grade once a support request carries it (as the table shows
    them), else the grade the reporter gave: the map's markers and the table agree."""
    latest = latest_requests(requests)
    return [dict(i, grade=(latest.get(i["incident_id"]) or {}).get("grade") or i.get("grade")) for i in incidents]


def _grade_cell(reported: str | None, request: dict | None, lang: str) -> str:
    assessed = (request or {}).get("grade")
    if assessed is None:
        return text("grade_as_reported", lang, grade=grade_name(reported, lang)) if reported else grade_name(None, lang)
    if reported and reported != assessed:
        return text("grade_overruled", lang, grade=grade_name(assessed, lang), reported=grade_name(reported, lang))
    return grade_name(assessed, lang)


def beijing_time(iso: str | None) -> str:
    """An ISO 8601 instant as Beijing time (UTC+8), the zone every command centre works in."""
    return f"{instant(iso).astimezone(BEIJING):%Y-%m-%d %H:%M:%S}" if iso else ""


def instant(iso: str | None) -> datetime:
    """An ISO 8601 instant as an aware datetime (a naive one is UTC); none is the earliest instant."""
    if not iso:
        return datetime.min.replace(tzinfo=timezone.utc)
    when = datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
