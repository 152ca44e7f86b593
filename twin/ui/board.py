"""The situation board (态势板, /board): the open support requests as a queue, soonest deadline first.

Each row: live countdowns to the request's deadlines (grade I has two, counted from the request:
units launched within 15 minutes and on scene within 30), its grade, status, how many of the asked
officers are in place and on the way, whether they will be in place on time, and flags for late units,
every plan missing the deadline by matching's estimate (before units are on the way), an escalated
grade and orders escalated for want of an acknowledgement.

Whether on time is, before dispatch, the best plan's chance from the twin's own previews (the approved
plan's once there is one; under `AT_RISK` it is red and colours the row); once units are on the way,
logistics' estimate now: when the last of them is expected, read from `GET /orders` with the
signed-in user's token (twin.ui.arrivals), the plan's chance beside it.

`?wall=1` is the wall-screen mode of the command hall: dark, large type, no controls. Rows come from
`visibility.permitted`, so a city or county sees its own requests only. The countdowns tick in the
browser (assets/countdown.js) from the twin's clock, so time passes between refreshes without the
page being rebuilt or moving.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import dash
import dash_bootstrap_components as dbc
import yaml
from dash import Input, Output, State, dcc, html

from services.common.auth import Identity
from services.demand.domain import sources
from twin.sim.model import ProvinceModel
from twin.ui import arrivals, ids, signin, views, visibility, withheld
from twin.ui.figures import GRADE_COLOURS, beijing_time, instant, type_name
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text, unit_label
from twin.ui.panel import in_question, late_by_plan, late_words
from twin.ui.place_names import place_name

PATH = "/board"
POLICY_FILE = Path(__file__).with_name("board.yaml")


def thresholds(path: Path = POLICY_FILE) -> tuple[float, float]:
    """(seconds before a deadline it is about to pass, the plan chance under which a request is at risk)
    from the board's policy file, each with its source (seed or assumed)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in ("soon", "at_risk"):
        sources.check(f"{path.name}: {name}", (doc.get(name) or {}).get("source"), ValueError)
    minutes, chance = float(doc["soon"]["minutes"]), float(doc["at_risk"]["chance"])
    if not minutes > 0 or not 0 < chance <= 1:
        raise ValueError(f"{path.name}: soon.minutes must be above 0 and at_risk.chance in (0, 1]")
    return minutes * 60, chance


SOON_S, AT_RISK = thresholds()  # about to pass: alerts, the row's colour; at risk: the chance in red, the row
LAUNCHED = frozenset({"dispatched", "acknowledged", "moving", "arrived"})
ON_THE_WAY = frozenset({"dispatched", "acknowledged", "moving"})


# request ids -> logistics' orders of each (None: no answer), read in one go (app.live_arrivals)
LiveArrivals = Callable[[list[str]], "dict[str, list[dict] | None]"]


def pending_deadlines(request: dict, units: list[dict]) -> list[tuple[str, str]]:
    """[(which, ISO deadline)] still to be met: grade I's launch deadline until a unit is ordered out,
    and the on-scene deadline."""
    out = []
    if request.get("launch_deadline") and not any(u.get("status") in LAUNCHED for u in units):
        out.append(("launch", request["launch_deadline"]))
    out.append(("on_scene", request["deadline"]))
    return out


def units_by_request(snapshot: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for unit in snapshot.get("units", []):
        if unit.get("request_id") and unit.get("status") != "released":
            out.setdefault(unit["request_id"], []).append(unit)
    return out


def asked(request: dict) -> int:
    return int(request.get("gap") or sum(line.get("headcount", 0) for line in request.get("lines") or []))


def best_chance(plans: list[dict]) -> tuple[float | None, str | None, bool, int | None]:
    """(chance of meeting the deadline, plan kind, decided, officers in place by the deadline): the
    approved or committed plan's when there is one, else the best of the proposed ones (by chance, then
    by officers on time); None where no preview has a chance."""
    chosen, decided = in_question(plans)
    chances = [(((p.get("preview") or {}).get("whole") or {}).get("p_deadline"), on_time(p), p.get("kind"))
               for p in chosen]
    chances = [c for c in chances if c[0] is not None]
    if not chances:
        return None, None, decided, None
    chance, officers, kind = max(chances, key=lambda c: (c[0], c[1] or 0))
    return chance, kind, decided, officers


def on_time(plan: dict) -> int | None:
    """The officers a plan's preview has in place by the deadline (median of runs), None without one."""
    points = (plan.get("preview") or {}).get("build_up") or []
    return next((p["in_place_p50"] for p in points if p["deadline"]), None)


def queue(snapshot: dict, live_arrivals: LiveArrivals | None = None, speedup: float = 1.0,
          lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """The open requests of a (permitted) snapshot, soonest pending deadline first. With `live_arrivals`,
    a request with units on the way carries logistics' estimate of them (`live`: twin.ui.arrivals.summary),
    those of every such request read at once; `speedup` (the demo's devices' pace) goes with it. Late and
    unacknowledged units are named in `lang`."""
    now = instant(snapshot["clock"])
    names = {c["code"]: c["name"] for c in snapshot.get("counties", [])}
    units = units_by_request(snapshot)
    open_requests = [r for r in snapshot.get("requests", []) if r.get("status") not in views.CLOSED_REQUESTS]
    moving = [r["request_id"] for r in open_requests
              if any(u.get("status") in ON_THE_WAY for u in units.get(r["request_id"], []))]
    estimates = live_arrivals(moving) if live_arrivals is not None and moving else {}
    rows = []
    for request in open_requests:
        mine = units.get(request["request_id"], [])
        deadlines = pending_deadlines(request, mine)
        left_s = min((instant(d) - now).total_seconds() for _, d in deadlines)
        plans = views.plans_of(snapshot, request["request_id"])
        chance, kind, decided, officers_on_time = best_chance(plans)
        live = arrivals.summary(estimates.get(request["request_id"]) or []) if request["request_id"] in moving else None
        if live is not None:
            live["speedup"] = speedup
        rows.append({
            "request_id": request["request_id"], "county": request["county"],
            "county_name": names.get(request["county"], request["county"]), "grade": request.get("grade"),
            "status": request.get("status", "open"), "incident_type": request.get("incident_type"),
            "deadlines": deadlines, "launched": bool(request.get("launch_deadline")) and len(deadlines) == 1,
            "left_s": left_s, "asked": asked(request),
            "arrived": sum(u.get("officers", 0) for u in mine if u.get("status") == "arrived"),
            "on_the_way": sum(u.get("officers", 0) for u in mine if u.get("status") in ON_THE_WAY),
            "chance": chance, "plan_kind": kind, "decided": decided, "live": live, "on_time": officers_on_time,
            # once units are sent, they say whether they are late (unit.late, logistics' estimate), not the plan
            "plans_late": None if mine else late_by_plan(plans),
            "late_units": sorted(unit_label(u, lang) for u in mine if u.get("late") and u.get("status") != "arrived"),
            "unacknowledged": sorted(unit_label(u, lang) for u in mine
                                     if u.get("escalated") and u.get("status") == "dispatched"),
            "escalated_from": request.get("escalated_from"), "relief_of": request.get("relief_of"),
        })
    return sorted(rows, key=lambda r: (r["left_s"], r["request_id"]))


# --- the page ---------------------------------------------------------------------------------------

def countdown(which: str, deadline: str, lang: str) -> html.Div:
    """A deadline: its name, a countdown the browser fills in (twin-countdown), and its Beijing time."""
    return html.Div(className="twin-deadline", children=[
        html.Span(text(f"deadline_{which}", lang), className="what"),
        html.Span(className="twin-countdown", **{"data-deadline": deadline, "data-which": which}),
        html.Small(f" {beijing_time(deadline)[11:16]}", className="text-body-secondary ms-1"),
    ])


def row_class(row: dict) -> str:
    if row["late_units"] or row["left_s"] < 0:
        return "table-danger"
    live = row.get("live")
    # units on the way: logistics' estimate of them says whether the request is at risk, not the plan's chance
    late = live_late(live) if live and live["on_way"] else bool(row.get("plans_late")) or at_risk(row["chance"])
    if row["escalated_from"] or row["unacknowledged"] or row["left_s"] < SOON_S or late:
        return "table-warning"
    return ""


def at_risk(chance: float | None) -> bool:
    """A chance of meeting the deadline this low is shown as a risk (red figure, the row in colour)."""
    return chance is not None and chance < AT_RISK


def board_row(row: dict, lang: str) -> html.Tr:
    time_cell = [countdown(which, deadline, lang) for which, deadline in row["deadlines"]]
    if row["launched"]:
        time_cell.insert(0, html.Div(className="twin-deadline", children=[
            html.Span(text("deadline_launch", lang), className="what"), html.Span("✓ " + text("launched", lang))]))
    grade = row["grade"]
    share = min(row["arrived"] / row["asked"], 1.0) if row["asked"] else 0.0
    moving = min(row["on_the_way"] / row["asked"], 1.0 - share) if row["asked"] else 0.0
    fill = html.Div(className="fill", children=[
        html.Div([html.Strong(text("fill_text", lang, arrived=row["arrived"], asked=row["asked"])),
                  html.Small(" · " + text("en_route", lang, n=row["on_the_way"]), className="text-body-secondary")
                  if row["on_the_way"] else None]),
        dbc.Progress([dbc.Progress(value=share * 100, color="success", bar=True),
                      dbc.Progress(value=moving * 100, color="info", striped=True, bar=True)]),
    ])
    flags = []
    if row["late_units"]:
        flags.append(dbc.Badge(text("flag_late", lang, n=len(row["late_units"])), color="danger", className="me-1",
                               title=", ".join(row["late_units"])))
    if row.get("plans_late"):
        flags.append(dbc.Badge(late_words(row["plans_late"], row["decided"], lang), color="danger",
                               className="me-1 text-wrap text-start"))
    if row["escalated_from"]:
        flags.append(dbc.Badge(text("flag_escalated", lang, old=row["escalated_from"], new=grade), color="warning",
                               text_color="dark", className="me-1"))
    if row["unacknowledged"]:
        flags.append(dbc.Badge(text("flag_unacknowledged", lang, n=len(row["unacknowledged"])), color="warning",
                               text_color="dark", className="me-1", title=", ".join(row["unacknowledged"])))
    request = [html.Strong(place_name(row["county_name"], lang)), " ",
               html.Span(type_name(row["incident_type"], lang) if row["incident_type"] else "", className="me-1"),
               html.Br(), html.Small(row["request_id"], className="text-body-secondary")]
    return html.Tr(className=row_class(row), id={"type": "board-row", "request": row["request_id"]}, children=[
        html.Td(time_cell), html.Td(request),
        html.Td(dbc.Badge(grade, color=GRADE_COLOURS.get(grade, "#777"), className="fs-6 twin-grade") if grade else "—"),
        html.Td(maybe("status_" + row["status"], lang, row["status"])), html.Td(fill), html.Td(chance_cell(row, lang)),
        html.Td(flags or "—"),
    ])


def live_late(live: dict) -> bool:
    """Logistics expects a unit past the deadline (announced late, or the last one due after it)."""
    return bool(live["late"]) or bool(live["latest_eta"] and live["deadline"]
                                      and instant(live["latest_eta"]) > instant(live["deadline"]))


def chance_cell(row: dict, lang: str) -> list:
    """Whether the request will be met: logistics' estimate once units are on the way (when the last is
    expected, with the plan's chance beside it), else the plan's chance from the twin's previews."""
    kind = maybe("kind_" + str(row["plan_kind"]), lang, str(row["plan_kind"])) if row["plan_kind"] else None
    plan = text("chance_decided" if row["decided"] else "chance_plan", lang, kind=kind)
    live = row.get("live")
    if live and live["on_way"]:
        if live["latest_eta"]:
            late = live_late(live)
            head = html.Strong(text("live_latest", lang, at=arrivals.hm(live["latest_eta"])),
                               className="text-danger" if late else "text-success")
        else:
            head = html.Strong(text("live_untimed", lang))
        notes = [text("live_source", lang)]
        if live.get("speedup", 1.0) > 1:
            notes.append(text("live_sped_up", lang, x=f"{live['speedup']:g}"))
        if live["late"]:
            notes.append(text("arrivals_late", lang, n=live["late"]))
        if live["silent"] and live["latest_eta"]:
            notes.append(text("arrivals_silent", lang, n=live["silent"]))
        if row["chance"] is not None:
            notes.append(text("live_plan_chance", lang, plan=plan, chance=f"{row['chance']:.0%}"))
        return [head, html.Br(), html.Small(text("arrivals_sep", lang).join(notes), className="text-body-secondary")]
    if row["chance"] is None:
        return ["—"]
    if row.get("on_time") is not None and row["chance"] < 1:  # how much of the request the deadline sees
        plan += text("arrivals_sep", lang) + text("chance_on_time", lang, n=row["on_time"], asked=row["asked"])
    return [html.Strong(f"{row['chance']:.0%}", className="text-danger" if at_risk(row["chance"]) else None),
            html.Br(), html.Small(plan, className="text-body-secondary")]


COLUMNS = ["col_time_left", "col_request", "grade", "status", "col_fill", "col_chance", "col_flags"]


def board_body(rows: list[dict], lang: str, refused: str | None = None) -> list:
    """The rows; with none, that there is none, or `refused` (twin.ui.withheld) for a role never shown any."""
    if refused:
        return [html.Tr(html.Td(refused, colSpan=len(COLUMNS), className="text-body-secondary", id=ids.BOARD_WITHHELD))]
    if not rows:
        return [html.Tr(html.Td(text("board_empty", lang), colSpan=len(COLUMNS), className="text-body-secondary"))]
    return [board_row(r, lang) for r in rows]


def board_view(model: ProvinceModel, identity: Identity | None, lang: str, last_key: str | None,
               live_arrivals: LiveArrivals | None = None, speedup: float = 1.0) -> tuple:
    """(rows, count, clock text, clock ISO, key): the queue as `identity` may read it (twin.ui.visibility);
    rows no_update while nothing shown changed (the countdowns tick in the browser). A role the table
    never shows requests is told so, not shown an empty queue. `live_arrivals`: logistics' orders of a
    request, read as the same user; `speedup`: how fast the demo's devices drive (board.queue)."""
    snapshot = visibility.permitted(model.snapshot(), identity)
    refused = withheld.note(identity, visibility.REQUESTS, lang)
    rows = queue(snapshot, live_arrivals, speedup, lang)
    shown = [{k: v for k, v in r.items() if k != "left_s"} for r in rows]
    key = views.digest(lang, refused, shown, [r["left_s"] < SOON_S for r in rows], [r["left_s"] < 0 for r in rows])
    body = dash.no_update if key == last_key else board_body(rows, lang, refused)
    clock = text("clock", lang, time=beijing_time(snapshot["clock"]))
    count = text("board_count_withheld", lang) if refused else text("board_count", lang, n=len(rows))
    return body, count, clock, snapshot["clock"], key


def table(body: list, lang: str) -> dbc.Table:
    return dbc.Table([html.Thead(html.Tr([html.Th(text(c, lang)) for c in COLUMNS])),
                      html.Tbody(id=ids.BOARD_BODY, children=body)],
                     className="twin-board align-middle", hover=True, responsive=True)


def page(model: ProvinceModel, lang: str, user: signin.SignedIn | None, wall: bool, refresh_ms: int,
         header=None, alert_parts=(), live_arrivals: LiveArrivals | None = None, speedup: float = 1.0) -> html.Div:
    """The board; `header` the navigation bar (left out on the wall screen), `alert_parts` the alerts'
    toasts and stores."""
    body, count, clock, clock_iso, key = board_view(model, user.identity if user else None, lang, None, live_arrivals,
                                                    speedup)
    heading = html.Div(className="d-flex flex-wrap align-items-baseline gap-3 mb-2", children=[
        html.H1(text("board_title", lang), className="h3 mb-0" if not wall else "mb-0"),
        dbc.Badge(count, id=ids.BOARD_COUNT, color="primary", className="fs-6"),
        html.Span(clock, id=ids.BOARD_CLOCK, className="twin-clock text-body-secondary ms-auto",
                  **{"data-twin-clock": clock_iso}),
    ])
    stores = [dcc.Store(id=ids.LANGUAGE, data=lang), dcc.Store(id=ids.BOARD_KEY, data=key),
              dcc.Interval(id=ids.BOARD_REFRESH, interval=refresh_ms)]
    if wall:
        return html.Div(className="twin-wall", **{"data-bs-theme": "dark"},
                        children=[heading, table(body, lang), *stores])
    return html.Div(children=[header, dbc.Container(fluid=True, className="py-3", children=[
        heading, dbc.Card(dbc.CardBody(table(body, lang), className="p-0")),
        html.A(text("board_wall", lang), href=f"{PATH}?wall=1&lang={lang}", className="btn btn-outline-secondary "
               "btn-sm mt-2", target="_blank", rel="noopener"),
    ]), *alert_parts, *stores])


def register(app: dash.Dash, model: ProvinceModel, arrivals_as: Callable[[signin.SignedIn], LiveArrivals] | None = None,
             speedup: float = 1.0) -> dict:
    """The board's refresh; `arrivals_as(user)`: logistics' orders of a request as that user may read them;
    `speedup`: how fast the demo's devices drive."""
    @app.callback(
        Output(ids.BOARD_BODY, "children"), Output(ids.BOARD_COUNT, "children"), Output(ids.BOARD_CLOCK, "children"),
        Output(ids.BOARD_CLOCK, "data-twin-clock"), Output(ids.BOARD_KEY, "data"),
        Input(ids.BOARD_REFRESH, "n_intervals"), State(ids.LANGUAGE, "data"), State(ids.BOARD_KEY, "data"),
        prevent_initial_call=True,
    )
    def on_board(_n, lang, last_key):
        user = signin.current_user()
        live = arrivals_as(user) if user and arrivals_as else None
        return board_view(model, user.identity if user else None, lang or DEFAULT_LANGUAGE, last_key, live, speedup)

    return {"on_board": on_board}
