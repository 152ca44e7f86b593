"""The twin's exercise page (/exercise): start a built-in scenario, steer its clock, decide its plans as
a trainee, open its after-action report and replay it on the map.

Everything goes through services.exercise: `store.exercises()` and `store.control()` (list, pause,
resume, speed), `decisions.pending()` and `decisions.decide()` (with the signed-in trainee's own token,
to the exercise's own matching), the report files, and `replay.replay_into()` for the debrief map.
Starting one needs processes of its own, which the twin does not start itself: it is given
`run_exercise` at construction by the process that starts it (as `make run` does) and runs it in a
thread; without it the page steers, decides and replays but starts nothing. Starting and steering an exercise is for
trainers; any signed-in user may decide plans (matching judges their role and region).
"""
from __future__ import annotations

import json
import re
import threading
import time
from collections import OrderedDict
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import ALL, Input, Output, State, ctx, dcc, html
from flask import abort, send_from_directory

from services.exercise import clock as xclock
from services.exercise import decisions, replay, report, scenario, store
from services.exercise.recorder import read_events
from twin.mirror.client import decision_of
from twin.sim.model import ProvinceModel
from twin.ui import ids, panel, refusals, signin, views, visibility, withheld
from twin.ui.figures import beijing_time
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text
from twin.ui.panel import CELL
from twin.ui.place_names import place_name

PATH = "/exercise"
TRAINERS = frozenset({"trainer"})
EXERCISE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")
REFRESH_MS = 2000
LOG_LINES = 30

_runs: dict[str, list[str]] = {}  # exercise id -> the run's progress lines (exercises started by this twin)
_threads: dict[str, threading.Thread] = {}  # exercise id -> the thread playing it (started by this twin)


def start_exercise(name: str, speed: float, run_exercise) -> str:
    """Start built-in scenario `name` at `speed` in a thread of this process with `run_exercise` (the
    launcher the twin was given: a stack of the exercise's own, played to its report); returns its exercise id."""
    played = scenario.load(name)
    exercise_id = store.new_exercise_id(played.name)
    log = _runs.setdefault(exercise_id, [])

    def run():
        try:
            run_exercise(played, speed=speed, exercise_id=exercise_id, out=log.append)
        except BaseException as exc:  # noqa: BLE001 (SystemExit from a refused roster too): shown on the page
            log.append(f"failed: {exc.__class__.__name__}: {exc}")

    # its folder at once, so the list offers it (starting) and the page can follow it from the first second
    store.exercise_dir(exercise_id).mkdir(parents=True, exist_ok=True)
    thread = threading.Thread(target=run, name=f"exercise-{exercise_id}", daemon=True)
    _threads[exercise_id] = thread
    thread.start()
    return exercise_id


def scenario_options(lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """The built-in scenarios, each by its title in `lang` (the Chinese title where it has no English one)."""
    out = []
    for name in scenario.builtin_names():
        try:
            loaded = scenario.load(name)
            title = loaded.title_en if lang == "en" and loaded.title_en else loaded.title
            out.append({"label": f"{title} ({name})", "value": name})
        except scenario.ScenarioError:
            continue
    return out


def exercise_state(x: dict) -> str:
    """Where an exercise (store.exercises) stands: running (its services answer), finished (its report
    written), starting or writing its report (its thread here is alive: before the first recorded event,
    after it), or stopped (none of these: it failed, or another process played it and was stopped)."""
    if x["running"]:
        return "ex_running"
    if x["report"]:
        return "ex_finished"
    thread = _threads.get(x["exercise_id"])
    if thread is not None and thread.is_alive():
        recorded = (store.exercise_dir(x["exercise_id"]) / "events.jsonl").exists()
        return "ex_reporting" if recorded else "ex_starting"
    return "ex_stopped"


def exercise_options(lang: str) -> list[dict]:
    return [{"label": f"{x['exercise_id']} · {text(exercise_state(x), lang)}", "value": x["exercise_id"]}
            for x in store.exercises()]


def section(title: str, *children, **kwargs) -> dbc.Card:
    return dbc.Card(className="mb-3", children=[
        dbc.CardHeader(html.H2(title, className="h6 mb-0")), dbc.CardBody(list(children), **kwargs)])


def page(lang: str = DEFAULT_LANGUAGE, user: signin.SignedIn | None = None, demo: bool = False) -> html.Div:
    from twin.ui.navbar import navbar  # the bar imports this page's PATH

    scenarios, exercises = scenario_options(lang), exercise_options(lang)
    steer = is_trainer(user)  # the buttons only a trainer may use are disabled for anyone else (on_ex_* refuse them too)
    plans_withheld = withheld.note(user.identity if user else None, visibility.PLANS, lang)  # never a trainee
    row = "d-flex flex-wrap gap-2 align-items-center"
    return html.Div(children=[
        navbar(user, lang, demo, PATH, other=("map_page", "/"), live_alerts=False),
        dbc.Container(fluid=True, className="py-2", children=[
            html.H1(text("ex_title", lang), id=ids.EX_TITLE, className="h4 my-2"),
            section(text("ex_scenarios", lang),
                    html.Div(className=row, children=[
                        dcc.Dropdown(id=ids.EX_SCENARIO, options=scenarios, clearable=False, style={"width": "420px"},
                                     value=scenarios[0]["value"] if scenarios else None, disabled=not steer),
                        html.Label(text("ex_speed", lang), htmlFor=ids.EX_SPEED, className="ms-2"),
                        dcc.Input(id=ids.EX_SPEED, type="number", min=xclock.MIN_SPEED, max=xclock.MAX_SPEED, value=60,
                                  className="form-control form-control-sm", style={"width": "90px"},
                                  disabled=not steer),
                        dbc.Button(text("ex_start", lang), id=ids.EX_START, n_clicks=0, disabled=not steer,
                                   color="primary", size="sm"),
                    ]),
                    *([] if steer else [html.Div(text("ex_observer_note" if plans_withheld else "ex_trainee_note",
                                                      lang), id=ids.EX_TRAINEE_NOTE,
                                                 className="text-body-secondary small mt-2")]),
                    html.Div(id=ids.EX_START_RESULT, className="fw-bold mt-2")),
            section(text("ex_list", lang),
                    html.Div(className=row, children=[
                        dcc.Dropdown(id=ids.EX_PICKER, options=exercises, placeholder=text("ex_pick", lang),
                                     value=exercises[0]["value"] if exercises else None, style={"width": "520px"}),
                        dbc.ButtonGroup(size="sm", children=[
                            dbc.Button(text("ex_pause", lang), id=ids.EX_PAUSE, n_clicks=0, disabled=not steer,
                                       color="secondary", outline=True),
                            dbc.Button(text("ex_resume", lang), id=ids.EX_RESUME, n_clicks=0, disabled=not steer,
                                       color="secondary", outline=True),
                            dbc.Button(text("ex_set_speed", lang), id=ids.EX_SET_SPEED, n_clicks=0, disabled=not steer,
                                       color="secondary", outline=True),
                        ]),
                        html.Span(id=ids.EX_CLOCK, className="text-body-secondary"),
                    ])),
            section(text("ex_pending", lang),
                    html.Div(id=ids.EX_PENDING),
                    dcc.Input(id=ids.EX_REASON, type="text", placeholder=text("reject_reason", lang),
                              className="form-control form-control-sm mt-2",
                              style={"maxWidth": "720px", **({"display": "none"} if plans_withheld else {})}),
                    html.Div(id=ids.EX_DECISION_RESULT, className="fw-bold mt-2")),
            section(text("ex_report", lang), html.Div(id=ids.EX_REPORT)),
            section(text("ex_replay", lang),
                    # per mille of the recording's span: its two ends named, no number to type; the
                    # padding keeps the names, centred on the ends, inside the card
                    html.Div(dcc.Slider(id=ids.EX_REPLAY_SLIDER, min=0, max=1000, step=1, value=1000,
                                        marks={0: text("ex_replay_start", lang), 1000: text("ex_replay_end", lang)},
                                        updatemode="mouseup", allow_direct_input=False),
                             style={"padding": "0 5rem"}),
                    dcc.Graph(id=ids.EX_REPLAY_MAP, figure=no_replay_figure(lang), style={"height": "55vh"},
                              config={"displaylogo": False})),
            section(text("ex_log", lang), html.Pre(id=ids.EX_LOG, className="small mb-0")),
        ]),
        dcc.Store(id=ids.LANGUAGE, data=lang),
        dcc.Store(id=ids.EX_PENDING_KEY),
        dcc.Store(id=ids.EX_REPLAY_KEY),
        dcc.Interval(id=ids.EX_REFRESH, interval=REFRESH_MS),
    ])


# --- what the page shows of one exercise (plain functions) ---------------------------------------

def events_of(exercise_id: str) -> list[dict]:
    path = store.exercise_dir(exercise_id) / "events.jsonl"
    return read_events(path) if path.exists() else []


def matching_url(exercise_id: str) -> str | None:
    """The exercise's own matching while it runs (its urls.json), else None."""
    path = store.exercise_dir(exercise_id) / "urls.json"
    try:
        return json.loads(path.read_text())["matching"]
    except (OSError, ValueError, KeyError):
        return None


def clock_text(exercise_id: str | None, lang: str) -> str:
    if not exercise_id:
        return ""
    path = store.exercise_dir(exercise_id) / "clock.json"
    if not path.exists():
        return ""
    state = xclock.read_state(path)
    sim = datetime.fromtimestamp(state.sim_at(time.time()), tz=timezone.utc)  # the exercise clock's own anchor is wall time
    paused = f" · {text('ex_paused', lang)}" if state.paused else ""
    return f"{text('ex_clock', lang, speed=state.speed, paused=paused)} · {beijing_time(sim.isoformat())}"


def readable_pending(events: list[dict], identity) -> list[dict]:
    """The exercise's open plans `identity` may read, by the permission table as for live plans
    (twin.ui.visibility): the requesting county from the exercise's support.requested events."""
    counties = {e["data"]["request_id"]: e["data"].get("county") for e in events if e.get("type") == "support.requested"}
    return [p for p in decisions.pending(events)
            if visibility.may_read(identity, visibility.PLANS, visibility.plan_regions(p, counties.get(p["request_id"])))]


def request_cell(request: dict | None, request_id: str, names: dict[str, str], lang: str,
                 cities: dict[str, str] | None = None) -> list:
    """Which request a trainee decides on: its county, grade and deadline, then its id, and the donor
    cities the command designated for its lines, if any (`cities`: each county's city name)."""
    if not request:
        return [request_id]
    county = place_name(names.get(request.get("county"), request.get("county") or ""), lang)
    grade = text("grade_short", lang, grade=request.get("grade", "?"))
    due = text("ex_due", lang, m=request["deadline_minutes"]) if request.get("deadline_minutes") is not None else ""
    lines = {line["line_id"]: line for line in request.get("lines") or ()}
    designated = panel.designated_donors(lines, {c: place_name(n, lang, "city") for c, n in (cities or {}).items()},
                                         lang)
    return [" · ".join(part for part in (county, grade, due) if part), html.Br(),
            html.Small(request_id, style={"color": "#666"}),
            *([html.Br(), html.Small(designated, className="designated-donors")] if designated else [])]


def eta_cell(eta_s: float | None, deadline_met: bool | None, lang: str, to_deadline: int | None = None) -> list:
    """A plan's latest arrival, marked late in red when matching finds it misses the deadline, and said to
    be past it when the deadline had passed before the plan was made (`to_deadline`: the minutes it had
    then, panel.deadline_minutes), so 18 minutes is not read as late for a 45-minute window."""
    if eta_s is None:
        return ["—"]
    minutes = text("minutes", lang, m=eta_s / 60)
    if deadline_met is False:
        late = (text("ex_late", lang) if to_deadline is None or to_deadline > 0
                else text("ex_late_at", lang) if to_deadline == 0  # within the minute: not "0 min past"
                else text("ex_late_past", lang, m=-to_deadline))
        return [html.Span(f"{minutes} · {late}", className="text-danger fw-bold")]
    return [minutes]


def pending_table(events: list[dict], lang: str, identity=None, names: dict[str, str] | None = None,
                  live: bool = True, cities: dict[str, str] | None = None) -> html.Component:
    """Open candidates `identity` may read, the optimiser's pick of each request marked ★, with Approve / Reject.
    `names`: county names by code, to say where each request is. Not `live` (the exercise has ended, or
    stopped): the plans left undecided, said so, with no buttons, since nothing can approve them now."""
    refused = withheld.note(identity, visibility.PLANS, lang)
    if refused:  # a role never shown plans is told so, not told there is none
        return html.Small(refused, id=ids.EX_PLANS_WITHHELD, style={"color": "#666"})
    open_plans = readable_pending(events, identity)
    if not open_plans:
        return html.Small(text("ex_no_pending", lang), style={"color": "#999"})
    best = {}
    for plan in open_plans:
        best.setdefault(plan["request_id"], []).append(plan)
    best_ids = {decisions.best_plan(plans)["plan_id"] for plans in best.values()}
    requests = {e["data"]["request_id"]: e["data"] for e in events if e.get("type") == "support.requested"}
    head = ["requests", "plans", "headcount", "eta_plan", "", ""]
    rows = []
    for plan in open_plans:
        metrics = plan.get("metrics", {})
        eta = metrics.get("latest_eta_s")
        kind = maybe("kind_" + str(plan.get("kind")), lang, str(plan.get("kind", "")))
        rows.append(html.Tr([
            html.Td(request_cell(requests.get(plan["request_id"]), plan["request_id"], names or {}, lang, cities),
                    style=CELL),
            html.Td(("★ " if plan["plan_id"] in best_ids else "") + f"{kind} · {plan['plan_id']}", style=CELL),
            html.Td(str(metrics.get("headcount", len(plan.get("assignments", [])))), style=CELL),
            html.Td(eta_cell(eta, metrics.get("deadline_met"), lang, panel.deadline_minutes(plan)), style=CELL),
            *([html.Td(dbc.Button(text(action, lang), n_clicks=0, size="sm",
                                  **({"color": "success"} if action == "approve" else {"color": "danger", "outline": True}),
                                  id={"type": ids.EX_DECIDE, "action": action, "plan": plan["plan_id"]}), style=CELL)
               for action in ("approve", "reject")] if live
              else [html.Td(text("ex_undecided", lang), style=dict(CELL, color="#999")), html.Td("", style=CELL)]),
        ]))
    table = dbc.Table([html.Thead(html.Tr([html.Th(text(h, lang) if h else "", style=CELL) for h in head])),
                       html.Tbody(rows)], size="sm", hover=True, responsive=True, className="mb-0 align-middle")
    if live:
        return table
    return html.Div([html.Div(text("ex_pending_closed", lang, n=len(open_plans)), id=ids.EX_PENDING_CLOSED,
                              className="text-muted mb-2"), table])


def report_readable(events: list[dict], identity) -> bool:
    """`identity` may read the exercise's after-action report: it covers every request and incident of
    the exercise, so the permission table must let them read the plans of each request (the requesting
    county) and each incident (its county), as for live ones (twin.ui.visibility). A trainee of one
    county reads the report of their county's exercise, not of another's."""
    requests = [e["data"].get("county") for e in events if e.get("type") == "support.requested"]
    incidents = [(e["data"].get("location") or {}).get("county") for e in events if e.get("type") == "incident.reported"]
    return (identity is not None
            and all(visibility.may_read(identity, visibility.PLANS, [c]) for c in requests)
            and all(visibility.may_read(identity, visibility.INCIDENTS, [c]) for c in incidents))


def report_links(exercise_id: str | None, lang: str, readable: bool = True) -> html.Component:
    if not exercise_id or not (store.exercise_dir(exercise_id) / "report.html").exists():
        return html.Small(text("ex_no_report", lang), style={"color": "#999"})
    if not readable:
        return html.Small(text("ex_report_withheld", lang), style={"color": "#999"}, id=f"{ids.EX_REPORT}-withheld")
    base = f"{PATH}/{exercise_id}"
    links = html.Div([html.A("report.html", href=f"{base}/report.html", target="_blank", id=f"{ids.EX_REPORT}-html"),
                      html.Span(" · "), html.A("report.json", href=f"{base}/report.json", target="_blank")])
    try:  # the report's summary at a glance, in the page's language
        data = json.loads((store.exercise_dir(exercise_id) / "report.json").read_text(encoding="utf-8"))
        lines = report.summary_lines(data, lang)
    except (OSError, ValueError, KeyError, TypeError):
        return links
    return html.Div([html.Ul([html.Li(line) for line in lines], id=ids.EX_REPORT_SUMMARY, className="mb-1"), links])


def no_replay_figure(lang: str) -> go.Figure:
    """What the replay shows before there is anything to replay: a line saying so, no empty axes."""
    figure = go.Figure()
    figure.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, plot_bgcolor="white",
                         margin={"l": 0, "r": 0, "t": 0, "b": 0},
                         annotations=[{"text": text("ex_no_events", lang), "showarrow": False,
                                       "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                                       "font": {"size": 14, "color": "#888"}}])
    return figure


def replay_figure(events: list[dict], geojson: dict, per_mille: int, lang: str):
    """The map as it stood `per_mille`/1000 of the way through the recorded events."""
    if not events:
        return no_replay_figure(lang)
    times = sorted(replay.parse_time(e["time"]) for e in events)
    until = times[0] + (times[-1] - times[0]) * (max(0, min(per_mille, 1000)) / 1000)
    model = ProvinceModel(province="330000", start=times[0])
    replay.replay_into(model, events, until)
    snapshot = visibility.visible(model.snapshot(), signin.current_identity())
    return views.map_figure(snapshot, geojson, colour_by="load", request_id=None, lang=lang)


_replays: OrderedDict[tuple, go.Figure] = OrderedDict()
_replays_lock = threading.Lock()
REPLAYS_KEPT = 16


def cached_replay(events: list[dict], geojson: dict, per_mille: int, lang: str, exercise_id: str) -> go.Figure:
    """replay_figure, kept for the same recording, point, language and viewer. Rebuilding a long
    recording takes seconds, longer than the page's refresh: the browser drops an answer a newer request
    for the same figure has overtaken, so without this a figure that takes longer than the refresh
    would never be shown; the next request finds it here and answers at once."""
    identity = signin.current_identity()
    last = events[-1].get("id") if events else None  # the recording as it stands (it only grows)
    key = (exercise_id, len(events), last, per_mille, lang, identity)  # a viewer sees their own (frozen: hashable)
    with _replays_lock:
        if key in _replays:
            _replays.move_to_end(key)
            return _replays[key]
    figure = replay_figure(events, geojson, per_mille, lang)
    with _replays_lock:
        _replays[key] = figure
        while len(_replays) > REPLAYS_KEPT:
            _replays.popitem(last=False)
    return figure


def clicked() -> bool:
    return bool(ctx.triggered and ctx.triggered[0].get("value"))


def is_trainer(user: signin.SignedIn | None) -> bool:
    return user is not None and user.identity.role in TRAINERS


def known(exercise_id: str | None) -> bool:
    return bool(exercise_id and EXERCISE_ID.match(exercise_id) and store.exercise_dir(exercise_id).is_dir())


# --- callbacks and routes ------------------------------------------------------------------------

def register(app: dash.Dash, geojson: dict, *, run_exercise=None, geography=None) -> dict:
    """The page's callbacks (returned as plain functions, for tests) and its report route. `run_exercise`
    plays a scenario on processes of its own (None: this twin starts no exercise); `geography` names the
    regions in matching's refusals."""
    names = {f["properties"]["code"]: f["properties"]["name"] for f in geojson.get("features", ())
             if "code" in (f.get("properties") or {}) and "name" in f["properties"]}
    cities = {f["properties"]["code"]: f["properties"]["city_name"] for f in geojson.get("features", ())
              if "code" in (f.get("properties") or {}) and f["properties"].get("city_name")}
    @app.callback(Output(ids.EX_START_RESULT, "children"),
                  Output(ids.EX_PICKER, "options", allow_duplicate=True), Output(ids.EX_PICKER, "value"),
                  Input(ids.EX_START, "n_clicks"),
                  State(ids.EX_SCENARIO, "value"), State(ids.EX_SPEED, "value"), State(ids.LANGUAGE, "data"),
                  prevent_initial_call=True)
    def on_ex_start(_clicks, name, speed, lang):
        """Start the scenario, and pick the new exercise in the list: the page follows it at once."""
        if not clicked():
            return dash.no_update, dash.no_update, dash.no_update
        if not is_trainer(signin.current_user()):
            return text("ex_trainer_only", lang), dash.no_update, dash.no_update
        if run_exercise is None:
            return text("ex_cannot_start", lang), dash.no_update, dash.no_update
        try:
            exercise_id = start_exercise(name, xclock.check_speed(float(speed or 0)), run_exercise)
        except (ValueError, FileNotFoundError) as exc:
            return str(exc), dash.no_update, dash.no_update
        return text("ex_started", lang, id=exercise_id), exercise_options(lang), exercise_id

    @app.callback(Output(ids.EX_CLOCK, "children"),
                  Input(ids.EX_REFRESH, "n_intervals"), Input(ids.EX_PAUSE, "n_clicks"),
                  Input(ids.EX_RESUME, "n_clicks"), Input(ids.EX_SET_SPEED, "n_clicks"),
                  Input(ids.EX_PICKER, "value"), State(ids.EX_SPEED, "value"), State(ids.LANGUAGE, "data"))
    def on_ex_clock(_n, _pause, _resume, _speed_clicks, exercise_id, speed, lang):
        actions = {ids.EX_PAUSE: "pause", ids.EX_RESUME: "resume", ids.EX_SET_SPEED: "speed"}
        if ctx.triggered_id in actions and clicked() and known(exercise_id):
            if not is_trainer(signin.current_user()):
                return text("ex_trainer_only", lang)
            if not (store.exercise_dir(exercise_id) / "urls.json").exists():
                return text("ex_not_running", lang, id=exercise_id)
            try:
                store.control(exercise_id, actions[ctx.triggered_id], float(speed) if speed is not None else None)
            except ValueError as exc:
                return str(exc)
        return clock_text(exercise_id if known(exercise_id) else None, lang)

    @app.callback(Output(ids.EX_PICKER, "options"), Output(ids.EX_PENDING, "children"),
                  Output(ids.EX_REPORT, "children"), Output(ids.EX_LOG, "children"), Output(ids.EX_PENDING_KEY, "data"),
                  Input(ids.EX_REFRESH, "n_intervals"), Input(ids.EX_PICKER, "value"), State(ids.LANGUAGE, "data"),
                  State(ids.EX_PENDING_KEY, "data"))
    def on_ex_refresh(_n, exercise_id, lang, last_key=None):
        """The exercise list, its open plans (redrawn only when they change: a button is never swapped
        under the pointer), its report links and run log."""
        exercise_id = exercise_id if known(exercise_id) else None
        events = events_of(exercise_id) if exercise_id else []
        identity = signin.current_identity()
        live = exercise_id is not None and matching_url(exercise_id) is not None
        key = views.digest(exercise_id, lang, live, [p["plan_id"] for p in readable_pending(events, identity)])
        pending = dash.no_update if key == last_key else pending_table(events, lang, identity, names, live=live,
                                                                  cities=cities)
        log = "\n".join(_runs.get(exercise_id, [])[-LOG_LINES:]) if exercise_id else ""
        return (exercise_options(lang), pending, report_links(exercise_id, lang, report_readable(events, identity)),
                log, key)

    @app.callback(Output(ids.EX_DECISION_RESULT, "children"),
                  Input({"type": ids.EX_DECIDE, "action": ALL, "plan": ALL}, "n_clicks"),
                  State(ids.EX_PICKER, "value"), State(ids.EX_REASON, "value"), State(ids.LANGUAGE, "data"),
                  prevent_initial_call=True)
    def on_ex_decide(_clicks, exercise_id, reason, lang):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not clicked():
            return dash.no_update  # buttons just drawn
        user = signin.current_user()
        if user is None:
            return text("signin_again", lang)
        url = matching_url(exercise_id) if known(exercise_id) else None
        if url is None:
            return text("ex_not_running", lang, id=exercise_id)
        plan_id, approve = trigger["plan"], trigger["action"] == "approve"
        if not approve and not (reason or "").strip():
            return text("reason_needed", lang)
        try:
            resp = decisions.decide(url, plan_id, approve=approve, token=user.token, comment=(reason or "").strip())
        except Exception as exc:  # noqa: BLE001 (requests' errors): shown, the page goes on
            return text("result_error", lang, status=0, detail=str(exc), plan=plan_id)
        result = decision_of(resp, "approved" if approve else "rejected")
        return views.decision_message(result, plan_id, lang, refusals.namer(geography, lang) if geography else str)

    @app.callback(Output(ids.EX_REPLAY_MAP, "figure"), Output(ids.EX_REPLAY_KEY, "data"),
                  Input(ids.EX_REPLAY_SLIDER, "value"), Input(ids.EX_PICKER, "value"),
                  Input(ids.EX_REFRESH, "n_intervals"), State(ids.LANGUAGE, "data"), State(ids.EX_REPLAY_KEY, "data"))
    def on_ex_replay(per_mille, exercise_id, _n, lang, drawn=None):
        """The replay at the slider's point. The page's refresh redraws it only when the exercise's first
        events arrive (an exercise picked as it starts would otherwise say "nothing recorded" throughout);
        moving the slider draws the recording so far."""
        if not known(exercise_id):
            return dash.no_update, dash.no_update
        events = events_of(exercise_id)
        key = [exercise_id, int(per_mille or 0), bool(events), lang]
        if key == drawn and ctx.triggered_id == ids.EX_REFRESH:   # (the key first: cheap, and no context needed)
            return dash.no_update, dash.no_update
        return cached_replay(events, geojson, int(per_mille or 0), lang, exercise_id), key

    @app.server.get(f"{PATH}/<exercise_id>/<any('report.html', 'report.json'):name>")
    def exercise_report(exercise_id: str, name: str):
        """A finished exercise's after-action report: signed-in users only, like every twin route, and only
        those who may read all it covers (report_readable); others are refused as for an unknown one."""
        if not known(exercise_id) or not report_readable(events_of(exercise_id), signin.current_identity()):
            abort(404)
        return send_from_directory(store.exercise_dir(exercise_id), name)

    return {"on_ex_start": on_ex_start, "on_ex_clock": on_ex_clock, "on_ex_refresh": on_ex_refresh,
            "on_ex_decide": on_ex_decide, "on_ex_replay": on_ex_replay}
