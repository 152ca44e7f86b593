"""The twin's Dash app: the province map and the incident table, refreshed from the model.

Built by `create_app(model)`; nothing is served or fetched at import. Every script and style is
served by the app itself (no CDN, no external stylesheet) so the page works on an isolated network.
Callbacks are thin: `refresh_view` reads one snapshot and hands plain data to the figure builders.
"""
from __future__ import annotations

import hashlib
import json

import dash
from dash import Input, Output, State, dcc, html
from flask import jsonify

from twin import ids
from twin.figures import COLOUR_BY, TABLE_COLUMNS, beijing_time, incident_table_rows, province_map
from twin.model import ProvinceModel

TITLE = "警力跨区互援 · 数字孪生"
SUBTITLE = "Cross-regional police mutual deployment — digital twin"
FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
CELL = {"borderBottom": "1px solid #ddd", "padding": "4px 8px", "textAlign": "left"}
COLOUR_OPTIONS = [{"label": f" {title}", "value": key} for key, (title, *_rest) in COLOUR_BY.items()]


def create_app(model: ProvinceModel, *, settings=None, refresh_ms: int = 2000) -> dash.Dash:
    app = dash.Dash(__name__, title=f"{TITLE} · Twin", serve_locally=True, external_stylesheets=[],
                    external_scripts=[], update_title=None)
    geojson = model.geography.county_geojson()
    app.layout = lambda: page(model, geojson, refresh_ms)  # built per page load, from the current state
    register_callbacks(app, model, geojson)
    install_health(app, model, settings)
    return app


def page(model: ProvinceModel, geojson: dict, refresh_ms: int) -> html.Div:
    figure, rows, count, clock, key = refresh_view(model, geojson, "load", None)
    return html.Div(style={"fontFamily": FONT, "margin": "12px 20px", "color": "#222"}, children=[
        html.H1(id=ids.TITLE, style={"fontSize": "22px", "margin": "4px 0"},
                children=[TITLE, html.Small(f"  {SUBTITLE}", style={"color": "#666"})]),
        html.Div(style={"display": "flex", "gap": "24px", "alignItems": "center"}, children=[
            dcc.RadioItems(id=ids.COLOUR_BY, options=COLOUR_OPTIONS, value="load", inline=True),
            html.Span(id=ids.INCIDENT_COUNT, children=count),
            html.Span(id=ids.CLOCK, children=clock, style={"color": "#666"}),
        ]),
        dcc.Graph(id=ids.MAP, figure=figure, style={"height": "68vh"}, config={"displaylogo": False}),
        html.Table(id=ids.INCIDENT_TABLE, style={"borderCollapse": "collapse", "width": "100%"}, children=[
            html.Thead(html.Tr([html.Th(header, style=CELL) for _key, header in TABLE_COLUMNS])),
            html.Tbody(id=ids.INCIDENT_TABLE_BODY, children=rows),
        ]),
        dcc.Store(id=ids.STATE_KEY, data=key),
        dcc.Interval(id=ids.REFRESH, interval=refresh_ms),
    ])


def refresh_view(model: ProvinceModel, geojson: dict, colour_by: str, last_key: str | None) -> tuple:
    """(figure, table rows, count text, clock text, state key); the figure is rebuilt only on change."""
    snapshot = model.snapshot()
    key = state_key(snapshot, colour_by)
    names = {c["code"]: c["name"] for c in snapshot["counties"]}
    figure = (dash.no_update if key == last_key
              else province_map(geojson, snapshot["counties"], snapshot["incidents"], colour_by=colour_by))
    rows = [table_row(row) for row in incident_table_rows(snapshot["incidents"], names)]
    count = f"事件 incidents: {len(snapshot['incidents'])}"
    return figure, rows, count, clock_text(snapshot["clock"]), key


def clock_text(iso: str) -> str:
    return f"孪生时钟 twin clock: {beijing_time(iso)} 北京时间 (UTC+8)"


def state_key(snapshot: dict, colour_by: str) -> str:
    """A digest of what the map shows, so an unchanged state does not resend the map."""
    shown = [colour_by, snapshot["counties"], snapshot["incidents"]]
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()[:16]


def table_row(row: dict) -> html.Tr:
    return html.Tr([html.Td(row[key], style=CELL) for key, _header in TABLE_COLUMNS])


def register_callbacks(app: dash.Dash, model: ProvinceModel, geojson: dict) -> None:
    @app.callback(
        Output(ids.MAP, "figure"), Output(ids.INCIDENT_TABLE_BODY, "children"),
        Output(ids.INCIDENT_COUNT, "children"), Output(ids.CLOCK, "children"), Output(ids.STATE_KEY, "data"),
        Input(ids.REFRESH, "n_intervals"), Input(ids.COLOUR_BY, "value"), State(ids.STATE_KEY, "data"),
        prevent_initial_call=True,
    )
    def on_refresh(_n_intervals, colour_by, last_key):
        return refresh_view(model, geojson, colour_by, last_key)


def health(model: ProvinceModel) -> dict:
    with model.lock:
        return {"status": "ok", "service": "twin", "incidents": len(model.incidents()),
                "events": dict(model.event_counts)}


def install_health(app: dash.Dash, model: ProvinceModel, settings=None) -> None:
    mode = getattr(settings, "mode", "live")

    @app.server.get("/health")
    def health_route():
        return jsonify(dict(health(model), mode=mode))

    @app.server.get("/state")
    def state_route():
        """The mirrored state as JSON (counties and incidents), for tools and tests."""
        return jsonify(model.snapshot())
