"""The twin's Dash app: the province map, the support requests with their candidate plans, approvals.

Built by `create_app(model)`; nothing is served or fetched at import. Every script and style is
served by the app itself (no CDN, no external stylesheet) so the page works on an isolated network.
The page's language comes from `?lang=` (Chinese by default); every label comes from
`twin.ui.messages`. Callbacks are thin: they read one snapshot and hand plain data to `twin.ui.views`,
`twin.ui.panel` and `twin.ui.figures`. Every page and route needs a signed-in user (`twin.ui.signin`);
decisions go out with that user's own token. Whatever a page, a callback or a route shows passes
`twin.ui.visibility`: the services' permission table, per role and region, and the rule on positions.
`/exercise` is the exercise page (`twin.ui.exercise_page`), `/board` the situation board (`twin.ui.board`,
`?wall=1` for the wall screen); the map and the board carry the user's alerts (`twin.ui.alerts`).
The layout is dash-bootstrap-components on Bootstrap 5, whose stylesheet the twin serves itself
(from the bootstrap-flask package, `BOOTSTRAP_CSS`); the twin's own styles and scripts are in assets/.
"""
from __future__ import annotations

import functools
import os
from html import escape
from importlib import resources
from urllib.parse import parse_qs, urlparse

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html
from flask import Response, has_request_context, jsonify, request

from services.common import throttle
from services.common.approval import may_approve
from services.common.auth import Identity, default_keyring
from services.common.permissions import table as approval_table
from twin.mirror.client import ServicesClient, detail_of, service_urls
from twin.sim import pace
from twin.sim.model import ProvinceModel
from twin.ui import (
    alerts,
    arrivals,
    board,
    compress,
    exercise_page,
    field_page,
    ids,
    map_polygons,
    order_print,
    panel,
    plotly_bundle,
    readiness,
    reception_page,
    refusals,
    signin,
    views,
    visibility,
    withheld,
)
from twin.ui.figures import BEIJING, COLOUR_BY, TABLE_COLUMNS, beijing_time, incident_table_rows
from twin.ui.messages import DEFAULT_LANGUAGE, LANGUAGES, role_name, text
from twin.ui.navbar import REPORT_PATH, navbar
from twin.ui.place_names import city_names, county_names
from twin.ui.position_access import PositionAccess
from twin.ui.replay_controls import install_replay, replay_section

BASE_MAP_TICKS = 3  # refresh ticks after which the map is filled even if the page never said its base map drew
FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
CELL = panel.CELL
BOOTSTRAP_CSS = "/assets/vendor/bootstrap-5.3.8.min.css"  # served by the twin (install_styles), never a CDN
PLOTLY_META = "twin-plotly-bundle"  # names the Plotly bundle assets/plotly_early.js loads (twin.ui.plotly_bundle)


def create_app(model: ProvinceModel, *, settings=None, refresh_ms: int = 2000,
               client: ServicesClient | None = None, recording: list[dict] | None = None,
               keyring=None, demo: bool | None = None, users: dict | None = None,
               secret: str | None = None, positions: PositionAccess | None = None,
               run_exercise=None, device_speedup: float | None = None) -> dash.Dash:
    """The twin's app. `keyring` verifies sign-in tokens (default: the settings' or the deployment's);
    `demo` offers the one-click demo users (default: DEMO=1 or an exercise); `users` the users.yaml list;
    `positions` who sees live positions and the log of their reads (default: logistics' switch);
    `run_exercise` plays a scenario on processes of its own, for the exercise page's Start (None: none);
    `device_speedup` how much faster than the plans the simulated field devices drive (default: as
    twin.sim.pace reads the mode and environment; 1 where no devices run), said beside live estimates."""
    plotly_js = plotly_bundle.load()  # Plotly's map bundle, when installed (else Dash's full bundle)
    app = dash.Dash(__name__, title="警力跨区互援 · Twin", serve_locally=True, external_stylesheets=[BOOTSTRAP_CSS],
                    external_scripts=[], update_title=None, suppress_callback_exceptions=True,
                    meta_tags=[{"name": PLOTLY_META, "content": plotly_bundle.PAGE_PATH}] if plotly_js else [])
    polygons = map_polygons.county_polygons(model.geography)  # simplified for the map, computed once
    geojson = polygons.geojson
    client = client or ServicesClient(service_urls())
    positions = positions or PositionAccess(client)
    circle = readiness.Readiness(client)  # the support circle, read at most once a minute
    arrivals_as = functools.partial(live_arrivals, client)

    mode = getattr(settings, "mode", "live")
    demo = signin.demo_enabled(mode) if demo is None else demo
    speedup = pace.shown_speedup(mode, os.environ) if device_speedup is None else device_speedup
    keyring = (keyring or getattr(settings, "auth_keys", None) or default_keyring()).for_audience("twin")
    throttle.install_sign_in_limits(app.server)  # failed sign-ins: 429 after a burst, before the guard
    app.twin_signin = signin.SignIn(app.server, keyring=keyring, demo=demo, users=users,
                                    names=signin.display_names(), secret=secret)

    def layout():
        lang = language()
        if page_path() == exercise_page.PATH:
            return exercise_page.page(lang, signin.current_user(), demo)
        user = signin.current_user()
        if page_path() == board.PATH:
            wall = page_args().get("wall") == "1"
            header = None if wall else navbar(user, lang, demo, board.PATH)
            return board.page(model, lang, user, wall, refresh_ms, header=header,
                              alert_parts=alerts.parts(lang, refresh_ms),
                              live_arrivals=arrivals_as(user) if user else None, speedup=speedup)
        return page(model, geojson, refresh_ms, lang, recording, user, demo)

    app.layout = layout
    app.twin_positions = positions
    app.twin_readiness = circle
    # plain functions, for tests
    app.twin_callbacks = register_callbacks(app, model, geojson, client, positions, circle, speedup)
    app.twin_callbacks.update(exercise_page.register(app, geojson, run_exercise=run_exercise,
                                                     geography=model.geography))
    app.twin_alerts = alerts.AlertLog()  # each user's acknowledged alerts
    app.twin_callbacks.update(board.register(app, model, arrivals_as, speedup))
    app.twin_callbacks.update(alerts.register(app, model, app.twin_alerts))
    install_styles(app)
    install_plotly(app, plotly_js)
    compress.install(app.server)  # gzip: scripts once and kept, the layout and callbacks' answers each time
    install_replay(app, model.geography, geojson, recording)
    install_routes(app, model, settings, polygons, positions)
    install_report(app, model, client, speedup)  # /reports/performance, demand's report read with the user's token
    order_print.install(app, model, client)  # /plans/<id>/order, the signed order for print
    field_page.install(app, client, model.geography, model)  # /field, the page for the officers sent
    reception_page.install(app, model, client)  # /reception, the receiving side's lodging, meals, transport, medic
    app.twin_signin.script_hashes = app.csp_hashes()  # Dash's inline start script, allowed by its hash
    return app


def page_path() -> str:
    """The page's path ("/" or the exercise page); for /_dash-layout, the path of its Referer."""
    if not has_request_context():
        return "/"
    if not request.path.startswith("/_dash"):
        return request.path
    return urlparse(request.referrer or "").path or "/"


def page_args() -> dict[str, str]:
    """The page's query (`?lang=en`). Dash fetches the layout from /_dash-layout,
    so the page's own query arrives as that request's Referer (same origin: sent in full)."""
    if not has_request_context():
        return {}
    if request.args:
        return dict(request.args)
    query = parse_qs(urlparse(request.referrer or "").query)
    return {key: values[0] for key, values in query.items()}


def language() -> str:
    lang = page_args().get("lang", DEFAULT_LANGUAGE)
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def page(model: ProvinceModel, geojson: dict, refresh_ms: int, lang: str = DEFAULT_LANGUAGE,
         recording: list[dict] | None = None, user: signin.SignedIn | None = None, demo: bool = False) -> html.Div:
    # The base map at once: counties and incidents as the user may read them, from the model alone (no
    # service is asked, no position shown). The refresh's first tick lays officers, routes and units over it.
    identity = user.identity if user else None
    snapshot = visibility.permitted(model.snapshot(), identity)
    figure = views.base_map_figure(snapshot, geojson, colour_by="load", lang=lang)
    figure.update_layout(meta=dict(figure.layout.meta, drawn_signal=ids.MAP_DRAWN))  # -> on_map_drawn
    rows, count, clock, options = table_view(snapshot, lang, identity)
    selected = options[0]["value"] if options else None
    key = views.BASE_MAP_KEY
    loads_withheld = withheld.note(identity, visibility.COUNTY_LOADS, lang)  # every colouring is a county figure
    requests_withheld = withheld.note(identity, visibility.REQUESTS, lang)
    colour_options = [{"label": text(k, lang), "value": k, "disabled": bool(loads_withheld)} for k in COLOUR_BY]
    map_card = dbc.Card(className="h-100", children=[
        dbc.CardHeader(html.Div(className="d-flex flex-wrap align-items-center gap-3", children=[
            dbc.RadioItems(id=ids.COLOUR_BY, options=colour_options, value="load", inline=True,
                           className="small"),
            html.Span(id=ids.INCIDENT_COUNT, children=count, className="badge text-bg-secondary"),
            html.Span(id=ids.CLOCK, children=clock, className="small text-body-secondary ms-auto"),
            html.Small(loads_withheld, id=ids.LOADS_WITHHELD, className="text-body-secondary w-100")
            if loads_withheld else None,
        ])),
        dbc.CardBody(className="p-1", children=dcc.Graph(
            id=ids.MAP, figure=figure, style={"height": "max(480px, 72vh)"}, config={"displaylogo": False})),
    ])
    plan_card = dbc.Card(className="h-100", children=[
        dbc.CardHeader(html.H2(text("requests", lang), className="h6 mb-0")),
        dbc.CardBody(style={"overflowY": "auto", "maxHeight": "max(480px, 72vh)"}, children=[
            dcc.Dropdown(id=ids.REQUEST_PICKER, options=options, placeholder=text("pick_request", lang),
                         value=selected, disabled=bool(requests_withheld)),
            html.H3(text("plans", lang), className="h6 mt-3 mb-1"),
            html.Div(id=ids.PLAN_PANEL, children=panel.comparison(
                [], lang, picked=bool(selected), withheld=requests_withheld,
                loading=bool(views.plans_of(snapshot, selected))),  # laid out by on_panel, not with the page
                     className="small"),
            # nothing to decide or preview until a request is picked (never, for a role not shown one):
            # the controls and the donors' chart stay in the page, hidden (on_pick)
            html.Div(id=ids.PLAN_CONTROLS, className=_controls_class(selected), children=[
                panel.reason_input(lang),
                html.Button(text("preview_again", lang), id=ids.PREVIEW, n_clicks=0,
                            className="btn btn-outline-secondary btn-sm")]),
            html.Div(id=ids.DECISION_RESULT, className="fw-bold my-2"),
            dcc.Graph(id=ids.STRENGTH, figure=panel.strength_figure([], lang), style=_chart_style(selected),
                      config={"displaylogo": False, "displayModeBar": False}),
        ]),
    ])
    return html.Div(children=[
        navbar(user, lang, demo, "/"),
        dbc.Container(fluid=True, className="py-2", children=[
            dbc.Row(className="g-3", children=[dbc.Col(map_card, lg=7, xxl=8), dbc.Col(plan_card, lg=5, xxl=4)]),
            replay_section(recording, lang),
            dbc.Card(className="mt-3", children=dbc.CardBody(className="p-0", children=dbc.Table(
                id=ids.INCIDENT_TABLE, size="sm", hover=True, responsive=True, className="mb-0", children=[
                    html.Thead(html.Tr([html.Th(text(column, lang)) for column in TABLE_COLUMNS])),
                    html.Tbody(id=ids.INCIDENT_TABLE_BODY, children=rows),
                ]))),
        ]),
        *alerts.parts(lang, refresh_ms),
        dcc.Store(id=ids.LANGUAGE, data=lang),
        dcc.Store(id=ids.STATE_KEY, data=key),
        dcc.Store(id=ids.MAP_DRAWN),
        dcc.Store(id=ids.PANEL_KEY),
        dcc.Interval(id=ids.REFRESH, interval=refresh_ms),
    ])


def _controls_class(request_id: str | None) -> str:
    return "d-flex gap-2 my-2" if request_id else "d-none"


def _chart_style(request_id: str | None) -> dict | None:
    return None if request_id else {"display": "none"}


def refresh_view(model: ProvinceModel, geojson: dict, colour_by: str, request_id: str | None,
                 lang: str, last_key: str | None, identity: Identity | None = None,
                 positions: PositionAccess | None = None, circle: readiness.Readiness | None = None,
                 draw: bool = True) -> tuple:
    """(figure, table rows, count, clock, request options, state key); the map is rebuilt only on change
    (never without `draw`: figure and key are then left as they are).
    Unit positions show only to those who may see them (twin.ui.visibility); a redrawn map that shows
    any is a read, logged by `positions`. Coloured by the support circle, the counties carry resources'
    coverage (`circle`, read at most once a minute), as far as `identity` may read it."""
    positions = positions or PositionAccess()
    if not draw:
        snapshot = visibility.permitted(model.snapshot(), identity)
        return (dash.no_update, *table_view(snapshot, lang, identity), dash.no_update)
    snapshot = positions.visible(model.snapshot(), identity)
    if colour_by == "circle":
        coverage = circle.coverage() if circle is not None else None
        counties = readiness.counties_with_circle(snapshot["counties"], coverage, identity, lang)
        snapshot = dict(snapshot, counties=counties)
    shown = [snapshot["counties"], snapshot["incidents"], snapshot["units"], snapshot["requests"],
             [(p["plan_id"], p["status"]) for p in snapshot["plans"]]]
    key = views.digest(colour_by, request_id, lang, shown)
    figure = (dash.no_update if key == last_key
              else views.map_figure(snapshot, geojson, colour_by=colour_by, request_id=request_id, lang=lang))
    if key != last_key:
        positions.record(identity, "map", snapshot)
    return (figure, *table_view(snapshot, lang, identity), key)


def table_view(snapshot: dict, lang: str, identity: Identity | None = None) -> tuple:
    """(incident table rows, incident count, clock, request options) of a snapshot already filtered for
    `identity`; a role never shown incidents is told so (twin.ui.withheld) instead of shown none."""
    names = county_names(snapshot["counties"], lang)
    refused = withheld.note(identity, visibility.INCIDENTS, lang)
    if refused:
        rows = [html.Tr(html.Td(refused, colSpan=len(TABLE_COLUMNS), className="text-body-secondary",
                                id=ids.INCIDENTS_WITHHELD))]
        count = text("incidents_withheld", lang)
    else:
        rows = [html.Tr([html.Td(row[column], style=CELL) for column in TABLE_COLUMNS])
                for row in incident_table_rows(snapshot["incidents"], names, lang, snapshot.get("requests"))]
        count = text("incidents_count", lang, n=len(snapshot["incidents"]))
    clock = text("clock", lang, time=beijing_time(snapshot["clock"]))
    return rows, count, clock, panel.request_options(snapshot["requests"], names, lang)


def panel_view(model: ProvinceModel, request_id: str | None, lang: str, last_key: str | None,
               identity: Identity | None = None, circle: readiness.Readiness | None = None,
               live_arrivals: board.LiveArrivals | None = None, speedup: float = 1.0) -> tuple:
    """(comparison, strength figure, key) for the selected request, as far as `identity` may read its
    plans (twin.ui.visibility); no_update while nothing changed. With `circle`, each plan shows the
    counties that would leave the 1-hour support circle if it were sent (asked once per plan). With
    `live_arrivals` (request ids -> logistics' orders of each), a request with units dispatched shows them
    arriving above its plans (twin.ui.arrivals; `speedup`, the demo's devices' pace, said there)."""
    snapshot = visibility.permitted(model.snapshot(), identity)
    plans = views.plans_of(snapshot, request_id)
    names = county_names(snapshot["counties"], lang)
    request = next((r for r in snapshot.get("requests") or [] if r.get("request_id") == request_id), None)
    leaving = None
    if circle is not None and plans:
        county = (request or {}).get("county")
        words = {p["plan_id"]: readiness.leaving_circle(circle.what_if(p, county), names, identity, lang)
                 for p in panel.current(plans)}
        leaving = lambda plan: words.get(plan["plan_id"], text("unknown", lang))  # noqa: E731
    orders = None
    sent = bool(request_id) and any(u.get("request_id") == request_id for u in snapshot.get("units") or [])
    if live_arrivals is not None and sent:
        orders = live_arrivals([request_id]).get(request_id)
    key = views.digest(request_id, lang, [(p["plan_id"], p["status"], p.get("preview")) for p in plans],
                       leaving and sorted(words.items()),
                       orders and [(o.get("order_id"), o.get("status"), o.get("eta"), o.get("late")) for o in orders])
    if key == last_key:
        return dash.no_update, dash.no_update, key
    comparison = panel.comparison(plans, lang, names, lambda plan: approval_refusal(identity, request, lang), leaving,
                                  picked=request_id is not None,
                                  withheld=withheld.note(identity, visibility.REQUESTS, lang),
                                  lines={line["line_id"]: line for line in (request or {}).get("lines") or []},
                                  cities=city_names(snapshot["counties"], lang))
    above = [block for block in (arrivals.block(orders, names, lang, speedup),
                                 panel.replanned_note(plans, lang, refusals.namer(model.geography, lang)),
                                 None if sent else panel.late_note(plans, lang))  # units sent: they say if late
             if block is not None]
    return (html.Div([*above, comparison]) if above else comparison, panel.strength_figure(plans, lang), key)


def live_arrivals(client: ServicesClient, user: signin.SignedIn) -> board.LiveArrivals:
    """logistics' orders of some requests as `user` may read them (their own token; one read for all of
    them, each kept 5 s by the client): the plan panel's and the board's live arrivals."""
    return lambda request_ids: client.arrivals_of(request_ids, user.token)


def approval_refusal(identity: Identity | None, request: dict | None, lang: str = DEFAULT_LANGUAGE) -> str | None:
    """Why `identity` may not decide the request's plans (matching's own rule, services.common.approval),
    in the page's language, or None when they may; matching checks again when the decision arrives."""
    if identity is None or request is None:
        return None
    grade, county = request.get("grade", ""), request.get("county", "")
    decision = may_approve(identity, grade=grade, county=county, approval_level=request.get("approval_level"))
    if decision.allowed:
        return None
    roles = approval_table().approval.get(grade) or ()
    if identity.role not in roles:
        return text("approve_by_roles", lang, grade=grade,
                    roles=("、" if lang != "en" else ", ").join(role_name(r, lang) for r in roles))
    if request.get("approval_level") == "province" and identity.role != "province_commander":
        return text("approve_by_province", lang)
    return text("approve_outside_region", lang)


def readable_plans(model: ProvinceModel, identity: Identity | None, request_id: str) -> list[dict]:
    """The request's plans `identity` may read (twin.ui.visibility)."""
    return views.plans_of(visibility.permitted(model.snapshot(), identity), request_id)


def register_callbacks(app: dash.Dash, model: ProvinceModel, geojson: dict, client: ServicesClient,
                       positions: PositionAccess | None = None, circle: readiness.Readiness | None = None,
                       speedup: float = 1.0) -> dict:
    @app.callback(
        Output(ids.MAP, "figure"), Output(ids.INCIDENT_TABLE_BODY, "children"),
        Output(ids.INCIDENT_COUNT, "children"), Output(ids.CLOCK, "children"),
        Output(ids.REQUEST_PICKER, "options"), Output(ids.STATE_KEY, "data"),
        Input(ids.REFRESH, "n_intervals"), Input(ids.COLOUR_BY, "value"), Input(ids.REQUEST_PICKER, "value"),
        State(ids.LANGUAGE, "data"), State(ids.STATE_KEY, "data"),
        prevent_initial_call=True,
    )
    def on_refresh(n_intervals, colour_by, request_id, lang, last_key):
        """The map redrawn when what it shows changed. Over the page's base map, the interval's first
        ticks leave the map to `on_map_drawn` (the base map may still be drawing), unless it never says."""
        user = signin.current_user()
        wait = (last_key == views.BASE_MAP_KEY and ctx.triggered_id == ids.REFRESH
                and (n_intervals or 0) < BASE_MAP_TICKS)
        return refresh_view(model, geojson, colour_by, request_id, lang, last_key, user.identity if user else None,
                            positions, circle, draw=not wait)

    @app.callback(
        Output(ids.MAP, "figure", allow_duplicate=True), Output(ids.STATE_KEY, "data", allow_duplicate=True),
        Input(ids.MAP_DRAWN, "data"), State(ids.COLOUR_BY, "value"), State(ids.REQUEST_PICKER, "value"),
        State(ids.LANGUAGE, "data"), State(ids.STATE_KEY, "data"),
        prevent_initial_call=True,
    )
    def on_map_drawn(_drawn, colour_by, request_id, lang, last_key):
        """The base map is on screen: officers, routes and units over it (the whole map, as a refresh)."""
        if last_key != views.BASE_MAP_KEY:
            return dash.no_update, dash.no_update
        user = signin.current_user()
        figure, *_rest, key = refresh_view(model, geojson, colour_by, request_id, lang, last_key,
                                           user.identity if user else None, positions, circle)
        return figure, key

    @app.callback(
        Output(ids.PLAN_PANEL, "children"), Output(ids.STRENGTH, "figure"), Output(ids.PANEL_KEY, "data"),
        Input(ids.REFRESH, "n_intervals"), Input(ids.REQUEST_PICKER, "value"), Input(ids.PREVIEW, "n_clicks"),
        State(ids.LANGUAGE, "data"), State(ids.PANEL_KEY, "data"),
    )
    def on_panel(_n_intervals, request_id, _previews, lang, last_key):
        identity = signin.current_identity()
        if ctx.triggered_id == ids.PREVIEW and request_id:
            for plan in readable_plans(model, identity, request_id):
                model.preview(plan["plan_id"])
        user = signin.current_user()
        live = live_arrivals(client, user) if user else None
        return panel_view(model, request_id, lang, last_key, identity, circle, live, speedup)

    @app.callback(Output(ids.PLAN_CONTROLS, "className"), Output(ids.STRENGTH, "style"),
                  Input(ids.REQUEST_PICKER, "value"), prevent_initial_call=True)
    def on_pick(request_id):
        """The reason box, the preview button and the donors' chart only while a request is picked."""
        return _controls_class(request_id), _chart_style(request_id)

    @app.callback(
        Output(ids.DECISION_RESULT, "children"),
        Input({"type": ids.DECIDE, "action": ALL, "plan": ALL}, "n_clicks"),
        State(ids.REJECT_REASON, "value"), State(ids.LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def on_decide(_clicks, reason, lang):
        """Approve or reject as the signed-in user: their own token goes to matching."""
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not (ctx.triggered and ctx.triggered[0].get("value")):
            return dash.no_update  # buttons just rendered, not clicked
        user = signin.current_user()
        if user is None:
            return text("signin_again", lang)
        version = (model.plans.get(trigger["plan"]) or {}).get("version", 1)
        _outcome, message = views.decide(client, plan_id=trigger["plan"], action=trigger["action"],
                                         identity=user.token, reason=reason, version=version, lang=lang,
                                         place=refusals.namer(model.geography, lang))
        return message

    return {"on_refresh": on_refresh, "on_map_drawn": on_map_drawn, "on_panel": on_panel, "on_pick": on_pick,
            "on_decide": on_decide}


def report_period(when) -> str:
    """The half-year `when` falls in, in Beijing time (demand's periods): "2026-H1" or "2026-H2"."""
    local = when.astimezone(BEIJING)
    return f"{local.year}-H{1 if local.month <= 6 else 2}"


def install_report(app: dash.Dash, model: ProvinceModel, client: ServicesClient, speedup: float = 1.0) -> None:
    """GET /reports/performance[?period=]: demand's performance report (HTML) of the current half-year
    by the twin's clock, read with the signed-in user's own token, so demand applies *their* role and
    region (the province command and the auditor any region, a city commander their city). The navbar
    links it only for those roles; anyone else is answered 403 here without asking demand. Where the
    demo's simulated devices drive faster than the plans (`speedup`), the page says so above the
    figures: the response times it reports are shortened as much."""

    @app.server.get(REPORT_PATH)
    def performance_report():
        user = signin.current_user()
        lang = language()
        refused = withheld.note(user.identity if user else None, visibility.PERFORMANCE_REPORT, lang)
        if refused:
            return _report_page(text("report_unavailable", lang), refused, lang), 403
        period = request.args.get("period") or report_period(model.current_time())
        resp = client.performance_report(period, user.token, lang)
        if resp is None:
            return _report_page(text("report_unavailable", lang), text("report_no_answer", lang), lang), 502
        if resp.status_code == 200:
            return Response(_with_way_back(resp.text, lang, speedup), status=200, mimetype="text/html")
        detail = f"{resp.status_code}: {detail_of(resp)}"
        return _report_page(text("report_unavailable", lang), detail, lang), resp.status_code


def _with_way_back(page: str, lang: str, speedup: float = 1.0) -> str:
    """demand's report page (a whole offline document) with a link back to the map at its top, and the
    demo's device pace when its devices drive faster than the plans."""
    link = (f"<p style='margin:0 0 .5em'><a id='report-back' href='/?lang={lang}'>"
            f"{escape(text('back_to_map', lang))}</a></p>")
    if speedup > 1:
        link += (f"<p id='report-sped-up' style='margin:0 0 .5em;padding:.4em .6em;background:#fff3cd;"
                 f"border:1px solid #e0c36a'>{escape(text('report_sped_up', lang, x=f'{speedup:g}'))}</p>")
    head, found, rest = page.partition("<body>")
    return head + found + link + rest if found else page


def _report_page(title: str, detail: str, lang: str = DEFAULT_LANGUAGE) -> Response:
    """Why the report is not shown, in the page's language, with the way back to the map."""
    html_lang = "zh-CN" if lang == "zh" else "en"
    back = escape(text("back_to_map", lang))
    return Response(f"<!doctype html><html lang='{html_lang}'><meta charset='utf-8'><title>{escape(title)}</title>"
                    f"<body style='font-family:sans-serif;margin:2em'><h1 id='report-unavailable'>{escape(title)}</h1>"
                    f"<p id='report-reason'>{escape(detail)}</p><p><a href='/?lang={lang}'>{back}</a></p></body></html>",
                    mimetype="text/html")


def install_styles(app: dash.Dash) -> None:
    """Bootstrap's stylesheet, from the installed bootstrap-flask package, at BOOTSTRAP_CSS (under /assets/,
    open like the rest of the page's static files)."""
    css = (resources.files("flask_bootstrap") / "static" / "bootstrap5" / "css" / "bootstrap.min.css").read_bytes()
    css = css.replace(b"/*# sourceMappingURL=bootstrap.min.css.map */", b"")

    @app.server.get(BOOTSTRAP_CSS)
    def bootstrap_css():
        return Response(css, mimetype="text/css", headers={"Cache-Control": "max-age=86400"})


def install_plotly(app: dash.Dash, body: bytes | None) -> None:
    """Plotly's map bundle at plotly_bundle.PATH (a name that changes with the release: cached for good);
    assets/plotly_early.js loads it, named by the page's PLOTLY_META tag. Without it, Dash's full bundle."""
    if body is None:
        return

    @app.server.get(plotly_bundle.PATH)
    def plotly_map_bundle():
        return Response(body, mimetype="application/javascript",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})


def install_routes(app: dash.Dash, model: ProvinceModel, settings=None,
                   polygons: map_polygons.MapPolygons | None = None, positions: PositionAccess | None = None) -> None:
    positions = positions or PositionAccess()
    mode = getattr(settings, "mode", "live")
    polygons = polygons or map_polygons.county_polygons(model.geography)

    @app.server.get(views.GEOJSON_PATH)
    def county_polygons():
        """The county polygons the map's figures point to (fetched once by the browser, then cached),
        gzipped as kept when the browser takes gzip."""
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        resp = Response(polygons.gzipped if gzipped else polygons.body, mimetype="application/geo+json",
                        headers={"Cache-Control": "private, max-age=3600", "Vary": "Accept-Encoding"})
        if gzipped:
            resp.headers["Content-Encoding"] = "gzip"
        resp.set_etag(polygons.etag)
        return resp.make_conditional(request)

    @app.server.get("/health")
    def health_route():
        with model.lock:
            counts = dict(model.event_counts)
            return jsonify({"status": "ok", "service": "twin", "mode": mode, "incidents": len(model.incidents()),
                            "requests": len(model.requests), "plans": len(model.plans), "events": counts})

    @app.server.get("/state")
    def state_route():
        """The mirrored state as JSON (counties, incidents, units, requests, plans with previews);
        positions only for whom may see them, each read logged."""
        user = signin.current_user()
        identity = user.identity if user else None
        shown = positions.visible(model.snapshot(), identity)
        positions.record(identity, "/state", shown)
        return jsonify(shown)

    @app.server.get("/audit/positions")
    def position_reads():
        """Every read of live positions on the twin (who, role, region, map or /state, units, when)."""
        user = signin.current_user()
        if user is None or user.identity.role not in ("auditor", "province_commander"):
            return jsonify({"title": "Forbidden", "status": 403,
                            "detail": "the position read log is for the auditor and the province command"}), 403
        return jsonify({"reads": positions.reads()})

    @app.server.get("/plans/<plan_id>/preview")
    def preview_route(plan_id: str):
        """The plan's preview, simulated again now on a fork of the current state; a plan the user may
        not read is answered as one that does not exist."""
        snapshot = visibility.permitted(model.snapshot(), signin.current_identity())
        if not any(p["plan_id"] == plan_id for p in snapshot["plans"]):
            return jsonify({"title": "Not found", "status": 404, "detail": f"no plan {plan_id}"}), 404
        return jsonify(model.preview(plan_id))
