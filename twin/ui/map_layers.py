"""Map layers over the counties: officers per county, candidate plan routes, deployed units.

Each builder returns Scattermap traces (markers or lines only: map text would fetch glyphs from the
internet). Many features go into one trace, lines separated by None, so 200 units are a handful of
traces, not 200.
"""
from __future__ import annotations

import math

import plotly.graph_objects as go

from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text, unit_label

# The map's traces are built from plain values the builders control, so plotly's validation of each
# property (most of a redraw's time under 20,000 officers) is skipped; a unit test validates the figures.
UNCHECKED = {"_validate": False}
ROUTE_COLOURS = {"fastest": "#2ca02c", "fairest": "#9467bd", "least_reserve_damage": "#8c564b"}
UNIT_COLOUR, LATE_COLOUR, ARRIVED_COLOUR = "#1f3b99", "#e00000", "#2ca02c"


def officer_trace(counties: list[dict], lang: str = DEFAULT_LANGUAGE) -> go.Scattermap:
    """One circle per county at its seat, its area proportional to the officers on duty there."""
    shown = [c for c in counties if c.get("officers_on_duty")]
    largest = max((c["officers_on_duty"] for c in shown), default=1)
    return go.Scattermap(
        lon=[c["seat"][0] for c in shown], lat=[c["seat"][1] for c in shown], mode="markers",
        marker=dict(size=[6 + 22 * math.sqrt(c["officers_on_duty"] / largest) for c in shown],
                    color="#17becf", opacity=0.55),
        customdata=[[c["name"], c["officers_on_duty"], c["officers_available"], c["officers_committed"]]
                    for c in shown],
        hovertemplate=(f"<b>%{{customdata[0]}}</b><br>{text('on_duty_short', lang)} %{{customdata[1]}} · "
                       f"{text('available_short', lang)} %{{customdata[2]}} · "
                       f"{text('committed_short', lang)} %{{customdata[3]}}<extra></extra>"),
        name=text("officers", lang), **UNCHECKED,
    )


def route_traces(routes: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[go.Scattermap]:
    """A candidate plan as straight lines from each donor county's seat to the reporting point."""
    traces = []
    for route in routes:
        lon, lat, hover = [], [], []
        end = route["destination"]
        for donor in route["donors"]:
            lon += [donor["seat"][0], end[0], None]
            lat += [donor["seat"][1], end[1], None]
            label = f"{route['label']} · {donor['name']} → {donor['officers']}"
            hover += [label, label, None]
        traces.append(go.Scattermap(
            lon=lon, lat=lat, mode="lines", line=dict(width=4 if route.get("selected") else 2,
                                                      color=ROUTE_COLOURS.get(route.get("kind"), "#555")),
            text=hover, hovertemplate="%{text}<extra></extra>", name=route["label"],
            opacity=1.0 if route.get("selected") else 0.6, **UNCHECKED))
    return traces


def unit_traces(units: list[dict], lang: str = DEFAULT_LANGUAGE) -> list[go.Scattermap]:
    """Units under orders: their path so far, and a marker each; late ones red and larger."""
    # a unit whose position the viewer may not see (twin.ui.visibility) is not drawn at all
    active = [u for u in units if u.get("order_id") and u.get("status") != "released" and u.get("position")]
    if not active:
        return []
    lon, lat = [], []
    for unit in active:
        if unit.get("origin"):
            lon += [unit["origin"][0], unit["position"][0], None]
            lat += [unit["origin"][1], unit["position"][1], None]
    traces = [go.Scattermap(lon=lon, lat=lat, mode="lines", line=dict(width=2, color=UNIT_COLOUR),
                            hoverinfo="skip", showlegend=False, name="paths", **UNCHECKED)]
    on_time = [u for u in active if not u.get("late")]
    late = [u for u in active if u.get("late")]
    for group, colour, size, key in ((on_time, UNIT_COLOUR, 11, "units"), (late, LATE_COLOUR, 16, "late_units")):
        if group:
            traces.append(go.Scattermap(
                lon=[u["position"][0] for u in group], lat=[u["position"][1] for u in group], mode="markers",
                marker=dict(size=size, color=[ARRIVED_COLOUR if u["status"] == "arrived" and colour == UNIT_COLOUR
                                              else colour for u in group]),
                text=[f"{unit_label(u, lang)} · {maybe('status_' + u['status'], lang, u['status'])}"
                      + (" · " + text("duty_alerts", lang, n=u["duty_alerts"]) if u.get("duty_alerts") else "")
                      + (f"<br>{u['unit_id']}" if u.get("name") else "")
                      for u in group],
                customdata=[u["unit_id"] for u in group], hovertemplate="%{text}<extra></extra>",
                name=text(key, lang), **UNCHECKED))
    return traces
