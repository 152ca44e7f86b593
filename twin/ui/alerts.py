"""Alerts for the signed-in user: what needs their attention now, as a toast and a count on the bell.

Raised from the mirrored state as the user may read it (`visibility.permitted`, by role and region):

    new_request     an open support request
    approval        a proposed plan this user may approve (services.common.approval.may_approve:
                    grade, the request's approval level, the user's region); one that misses its
                    deadline says so, with its minutes to be in place against the limit
    late            a unit logistics announced late (unit.late, until its unit.on-time) or past its deadline,
                    not yet arrived
    deadline        an open request's pending deadline (grade I's launch one too) within 5 minutes or past
    escalated       a request demand escalated to a higher grade (support.escalated)
    unacknowledged  an order escalated because its unit did not acknowledge it (dispatch.escalated)

Each alert has a stable id (kind and what it is about), so it is raised once however often the page
refreshes. A toast shows when an alert appears while the page is open; the bell counts those not yet
acknowledged; acknowledged ones stay in the user's log (`AlertLog`, kept by the twin per user).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, Patch, State, ctx, dcc, html

from services.common.approval import may_approve
from services.common.auth import Identity
from twin.sim.model import ProvinceModel
from twin.ui import ids, signin, views, visibility
from twin.ui.board import SOON_S, instant, pending_deadlines, units_by_request
from twin.ui.figures import beijing_time
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text, unit_label
from twin.ui.panel import deadline_minutes, late_in_time, lateness_text, officers_placed
from twin.ui.place_names import county_names

KINDS = ("approval", "late", "deadline", "escalated", "unacknowledged", "new_request")  # most urgent first
COLOURS = {"approval": "primary", "late": "danger", "deadline": "danger", "escalated": "warning",
           "unacknowledged": "warning", "new_request": "info"}
TOAST_MS = 15000


def alerts_for(snapshot: dict, identity: Identity | None, lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """The alerts `identity` has in this snapshot (filtered here by the permission table), most urgent first."""
    if identity is None:
        return []
    shown = visibility.permitted(snapshot, identity)
    now = instant(shown["clock"])
    names = county_names(shown.get("counties", []), lang)
    requests = {r["request_id"]: r for r in shown.get("requests", [])}
    units = units_by_request(shown)
    out = []

    def add(alert_kind: str, about: str, at: str | None, **values) -> None:
        out.append({"id": f"{alert_kind}:{about}", "kind": alert_kind, "at": at,
                    "text": text(f"alert_{alert_kind}_text", lang, **values)})

    for r in requests.values():
        county = names.get(r["county"], r["county"])
        if r.get("status") in views.CLOSED_REQUESTS:
            continue
        add("new_request", r["request_id"], r.get("requested_at"), county=county, grade=r.get("grade"),
            id=r["request_id"], deadline=beijing_time(r["deadline"])[11:16])
        if r.get("escalated_from"):
            add("escalated", f"{r['request_id']}:{r.get('grade')}", r.get("escalated_at"), county=county,
                id=r["request_id"], old=r["escalated_from"], new=r.get("grade"),
                deadline=beijing_time(r["deadline"])[11:16])
        for which, deadline in pending_deadlines(r, units.get(r["request_id"], [])):
            if (instant(deadline) - now).total_seconds() <= SOON_S:
                add("deadline", f"{r['request_id']}:{which}", None, county=county, id=r["request_id"],
                    what=text(f"deadline_{which}", lang), deadline=beijing_time(deadline)[11:16])
    for plan in shown.get("plans", []):
        r = requests.get(plan["request_id"])
        if plan.get("status") != "proposed" or r is None or r.get("status") in views.CLOSED_REQUESTS:
            continue
        if may_approve(identity, grade=r.get("grade"), county=r["county"], approval_level=r.get("approval_level")).allowed:
            add("approval", plan["plan_id"], plan.get("proposed_at"), county=names.get(r["county"], r["county"]),
                grade=r.get("grade"), kind=maybe("kind_" + str(plan.get("kind")), lang, str(plan.get("kind"))),
                plan=plan["plan_id"])
            out[-1]["text"] += lateness(plan, lang)
    for unit in shown.get("units", []):
        if not unit.get("order_id") or unit.get("status") in ("released", "arrived"):
            continue
        county = names.get(unit.get("from_county"), unit.get("from_county") or "—")
        if unit.get("late"):
            add("late", f"{unit['unit_id']}:{unit['order_id']}", None, unit=unit_label(unit, lang), county=county,
                m=round((unit.get("late_by_s") or 0) / 60), id=unit.get("request_id"))
        if unit.get("escalated") and unit.get("status") == "dispatched":
            add("unacknowledged", f"{unit['unit_id']}:{unit['order_id']}", None, unit=unit_label(unit, lang),
                county=county, id=unit.get("request_id"))
    return sorted(out, key=lambda a: (KINDS.index(a["kind"]), a["id"]))


def lateness(plan: dict, lang: str) -> str:
    """What an approval alert adds when the plan misses its deadline by matching's own estimate: its
    minutes to be in place against the minutes it had (panel.deadline_minutes), or, in time but short of
    officers, how many it places of those asked; nothing otherwise, so the approver knows from the toast,
    before opening the plan, that approving it will not be on time or not be enough."""
    metrics = plan.get("metrics") or {}
    if metrics.get("deadline_met", True):
        return ""
    if not late_in_time(plan):   # in time, but short of officers
        placed, needed = officers_placed(plan)
        return text("alert_approval_short", lang, placed=placed, needed=needed)
    late = {"need_s": float(metrics.get("latest_eta_s") or 0), "limit_min": deadline_minutes(plan)}
    return lateness_text("alert_approval_late", late, lang)


class AlertLog:
    """Acknowledged alerts per user (by subject), with when each was acknowledged (the twin's time, as
    everything on its pages); kept for the twin's life."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._acked: dict[str, dict[str, dict]] = {}

    def acknowledge(self, subject: str, alerts: list[dict], at: datetime | None = None) -> int:
        when = (at or datetime.now(timezone.utc)).isoformat()
        with self._lock:
            mine = self._acked.setdefault(subject, {})
            new = [a for a in alerts if a["id"] not in mine]
            for alert in new:
                mine[alert["id"]] = dict(alert, acknowledged_at=when)
            return len(new)

    def acknowledged_ids(self, subject: str) -> set[str]:
        with self._lock:
            return set(self._acked.get(subject, {}))

    def log(self, subject: str) -> list[dict]:
        """The user's acknowledged alerts, the latest acknowledged first."""
        with self._lock:
            return sorted(self._acked.get(subject, {}).values(), key=lambda a: a["acknowledged_at"], reverse=True)


def open_alerts(model: ProvinceModel, log: AlertLog, user: signin.SignedIn | None, lang: str) -> list[dict]:
    if user is None:
        return []
    acked = log.acknowledged_ids(user.identity.subject)
    return [a for a in alerts_for(model.snapshot(), user.identity, lang) if a["id"] not in acked]


# --- components -------------------------------------------------------------------------------------

def bell(lang: str) -> dbc.Button:
    return dbc.Button([text("alerts", lang), " ", dbc.Badge("0", id=ids.ALERT_BADGE, color="secondary", pill=True)],
                      id=ids.ALERT_BELL, color="light", size="sm", className="twin-bell", n_clicks=0)


def parts(lang: str, refresh_ms: int) -> list:
    """The alerts' panel (opened by the bell), toast stack, stores and refresh timer of a page."""
    return [
        html.Div(id=ids.ALERT_TOASTS, className="twin-alert-stack", children=[]),
        dcc.Store(id=ids.ALERT_SEEN), dcc.Interval(id=ids.ALERT_REFRESH, interval=refresh_ms),
    ]


def panel(lang: str) -> dbc.Collapse:
    return dbc.Collapse(id=ids.ALERT_PANEL, is_open=False, children=dbc.Card(className="mb-2", children=[
        dbc.CardHeader(html.Div(className="d-flex align-items-center", children=[
            html.Strong(text("alerts_open", lang)),
            dbc.Button(text("ack_all", lang), id=ids.ALERT_ACK_ALL, size="sm", color="secondary", outline=True,
                       className="ms-auto", n_clicks=0)])),
        dbc.ListGroup(id=ids.ALERT_LIST, flush=True, children=[]),
        dbc.CardHeader(html.Strong(text("alerts_log", lang)), className="border-top"),
        dbc.ListGroup(id=ids.ALERT_LOG, flush=True, children=[],
                      style={"maxHeight": "30vh", "overflowY": "auto"}),
    ]))


def alert_item(alert: dict, lang: str) -> dbc.ListGroupItem:
    return dbc.ListGroupItem(className="d-flex align-items-center gap-2", children=[
        dbc.Badge(text(f"alert_{alert['kind']}", lang), color=COLOURS[alert["kind"]]),
        html.Span(alert["text"], className="flex-grow-1"),
        dbc.Button(text("ack", lang), id={"type": ids.ALERT_ACK, "alert": alert["id"]}, size="sm",
                   color="secondary", outline=True, n_clicks=0),
    ])


def log_item(alert: dict, lang: str) -> dbc.ListGroupItem:
    return dbc.ListGroupItem(className="small text-body-secondary", children=[
        dbc.Badge(text(f"alert_{alert['kind']}", lang), color="light", text_color="dark", className="me-2"),
        alert["text"], " · ", text("acked_at", lang, time=beijing_time(alert["acknowledged_at"])[5:16])])


def toast(alert: dict, lang: str) -> dbc.Toast:
    return dbc.Toast(alert["text"], header=text(f"alert_{alert['kind']}", lang), icon=COLOURS[alert["kind"]],
                     id={"type": ids.ALERT_TOAST, "alert": alert["id"]}, duration=TOAST_MS, dismissable=True,
                     is_open=True, className=f"mb-2 shadow twin-alert-{alert['kind']}")


def register(app: dash.Dash, model: ProvinceModel, log: AlertLog) -> dict:
    @app.callback(Output(ids.ALERT_PANEL, "is_open"), Input(ids.ALERT_BELL, "n_clicks"),
                  State(ids.ALERT_PANEL, "is_open"), prevent_initial_call=True)
    def on_bell(_clicks, is_open):
        return not is_open

    @app.callback(
        Output(ids.ALERT_BADGE, "children"), Output(ids.ALERT_BADGE, "color"), Output(ids.ALERT_LIST, "children"),
        Output(ids.ALERT_LOG, "children"), Output(ids.ALERT_TOASTS, "children"), Output(ids.ALERT_SEEN, "data"),
        Input(ids.ALERT_REFRESH, "n_intervals"), Input({"type": ids.ALERT_ACK, "alert": ALL}, "n_clicks"),
        Input(ids.ALERT_ACK_ALL, "n_clicks"), State(ids.LANGUAGE, "data"), State(ids.ALERT_SEEN, "data"),
    )
    def on_alerts(_n, _acks, _ack_all, lang, seen):
        return alerts_view(model, log, signin.current_user(), lang or DEFAULT_LANGUAGE, seen, ctx.triggered_id,
                           bool(ctx.triggered and ctx.triggered[0].get("value")))

    return {"on_alerts": on_alerts, "on_bell": on_bell}


def alerts_view(model: ProvinceModel, log: AlertLog, user: signin.SignedIn | None, lang: str, seen: dict | None,
                trigger=None, clicked: bool = False) -> tuple:
    """(badge, badge colour, open alerts, log, toasts, seen): acknowledges first when an Acknowledge
    button was clicked (and clears the toasts: the user is looking at the list); toasts only the alerts
    that appeared since the page last looked (none on the page's first look: the bell counts those)."""
    if user is not None and clicked:
        alerts = open_alerts(model, log, user, lang)
        if trigger == ids.ALERT_ACK_ALL:
            log.acknowledge(user.identity.subject, alerts, model.current_time())
        elif isinstance(trigger, dict) and trigger.get("type") == ids.ALERT_ACK:
            log.acknowledge(user.identity.subject, [a for a in alerts if a["id"] == trigger["alert"]],
                            model.current_time())
    alerts = open_alerts(model, log, user, lang)
    current = [a["id"] for a in alerts]
    logged = log.log(user.identity.subject) if user else []
    key = views.digest(lang, alerts, [(a["id"], a["acknowledged_at"]) for a in logged])
    toasts = [] if (user is not None and clicked) else dash.no_update  # acknowledging clears the toasts
    if seen is not None:
        new = [a for a in alerts if a["id"] not in set(seen.get("ids", []))]
        if new:
            toasts = Patch()
            for alert in new[:5]:
                toasts.append(toast(alert, lang))
    if seen is not None and seen.get("key") == key:
        listing = logging = dash.no_update
    else:
        listing = [alert_item(a, lang) for a in alerts] or [dbc.ListGroupItem(text("alerts_none", lang),
                                                                             className="text-body-secondary")]
        logging = [log_item(a, lang) for a in logged[:50]] or [dbc.ListGroupItem(text("alerts_log_none", lang),
                                                                                className="text-body-secondary")]
    ever = sorted(set(current) | set((seen or {}).get("ids", [])))
    return (str(len(alerts)), "danger" if alerts else "secondary", listing, logging, toasts,
            {"ids": ever, "key": key})
