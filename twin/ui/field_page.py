"""The page for the officers sent: a small mobile web page (no app, no Dash) for a support unit's leader.

    GET  /field                             the page (plain HTML; its script is /field/app.js)
    GET  /field/orders                      the user's units' current orders, from logistics
    POST /field/orders/<order_id>/ack       acknowledge an order (logistics POST /orders/{id}/ack)
    POST /field/positions                   one position report (logistics POST /units/{unit_id}/positions)

The leader signs in like everyone else (a support officer of the donor county; the twin keeps the
session, the phone holds only the session cookie) and sees the order of each unit their county sent
and has not been released: its reporting point, the deadline, the task's scope (tasks, authorised
window, the receiving command), and acknowledges it. Everything goes to logistics with the user's own
token, so logistics decides by their role and region as for any other caller; the position reports go
through logistics' HTTP route, which publishes `unit.position-reported` from its own signed outbox (the
twin never signs an event for a device).

Position sharing starts only when the leader taps the button and the browser's own permission prompt
is answered (the page is the only twin page whose Permissions-Policy allows geolocation). Reports and
acknowledgements wait in the phone's localStorage while the network is down and are sent again in
order; each carries an idempotency key made on the phone, and the twin answers a key it has already
forwarded with the first answer without sending it twice. logistics itself applies a unit's report
only if it is newer than the one applied (a resent report is "stale"), and its consumers' inbox drops
an event delivered twice.
"""
from __future__ import annotations

from html import escape
from pathlib import Path

import requests
from flask import Flask, Response, jsonify, request

from services.common import paging
from services.common.auth import region_covers
from twin.mirror.client import TIMEOUT_S, ServicesClient, auth_headers
from twin.mirror.names import names_for
from twin.sim.model import ProvinceModel
from twin.ui import refusals, signin
from twin.ui.bounded import Bounded
from twin.ui.messages import role_name, task_name

PATH = "/field"
SCRIPT = Path(__file__).with_name("field_page.js")
UNIT_ROLES = ("support_officer",)
REMEMBERED_KEYS = 20_000
REPORT_FIELDS = ("order_id", "point", "at", "speed_kmh", "heading", "accuracy_m")

LABELS: dict[str, tuple[str, str]] = {
    "title": ("支援警力 · 现场", "Support unit · field"),
    "not_unit": ("本页面供支援分队带队民警使用（支援民警角色）。当前用户：{who}",
                 "This page is for support unit leaders (support officer role). Signed in: {who}"),
    "signout": ("退出", "Sign out"),
}


class Idempotency(Bounded):
    """The answers already given, by (user, key): a resent report or acknowledgement gets the first
    answer again and is not forwarded twice. Bounded: the oldest keys are forgotten first."""

    def __init__(self, size: int = REMEMBERED_KEYS):
        super().__init__(size)


def install(app, client: ServicesClient, geography=None, model: ProvinceModel | None = None) -> None:
    """The page and its routes; `geography` names the places in a refusal worded for the phone (else codes);
    `model` holds the units' names (twin.mirror.names; without it units show by id)."""
    server: Flask = app.server
    answered = Idempotency()
    server.twin_field_answers = answered

    @server.get(PATH)
    def field_page():
        lang = "en" if request.args.get("lang") == "en" else "zh"
        resp = Response(page(lang), mimetype="text/html")
        # The one page of the twin that may ask for the device's position (after the user's consent).
        resp.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self), payment=()"
        return resp

    @server.get(PATH + "/app.js")
    def field_script():
        return Response(SCRIPT.read_text(encoding="utf-8"), mimetype="application/javascript",
                        headers={"Cache-Control": "no-cache"})

    @server.get(PATH + "/orders")
    def field_orders():
        user = signin.current_user()
        if user.identity.role not in UNIT_ROLES:
            return problem(403, "this page is for support unit leaders (support_officer)")
        try:
            resp, rows = paging.every_row(client.session.get, client.urls["logistics"] + "/orders",
                                          params={"limit": paging.MOST}, headers=auth_headers(user.token),
                                          timeout=TIMEOUT_S)
        except (requests.RequestException, KeyError) as exc:
            return problem(503, f"logistics unreachable: {exc}")
        if rows is None:
            return passthrough(resp)
        lang = "en" if request.args.get("lang") == "en" else "zh"
        mine = [order for order in rows if current(order, user.identity.region)]
        names = names_for(model, client, {o["unit_id"] for o in mine}) if model is not None else {}
        return jsonify({"user": {"subject": user.identity.subject, "name": user.name, "region": user.identity.region,
                                 "role": user.identity.role},
                        "orders": [view(o, lang, (names.get(o["unit_id"]) or {}).get(lang)) for o in mine]})

    @server.post(PATH + "/orders/<order_id>/ack")
    def field_ack(order_id: str):
        user = signin.current_user()
        body = request.get_json(silent=True) or {}
        if not isinstance(body.get("unit_id"), str):
            return problem(400, "unit_id is required")
        return forward(answered, user, body.get("key"), "POST", f"/orders/{order_id}/ack", {"unit_id": body["unit_id"]},
                       language())

    @server.post(PATH + "/positions")
    def field_position():
        user = signin.current_user()
        body = request.get_json(silent=True) or {}
        unit_id = body.get("unit_id")
        if not isinstance(unit_id, str) or not unit_id or "/" in unit_id:
            return problem(400, "unit_id is required")
        report = {k: body[k] for k in REPORT_FIELDS if body.get(k) is not None}
        return forward(answered, user, body.get("key"), "POST", f"/units/{unit_id}/positions", report, language())

    def language() -> str:
        return "en" if request.args.get("lang") == "en" else "zh"

    def worded(answer: dict, status: int, lang: str) -> dict:
        """A refusal with `said`: what it says in the phone's language (twin.ui.refusals)."""
        if status < 400:
            return answer
        place = refusals.namer(geography, lang) if geography is not None else str
        return dict(answer, said=refusals.said(answer, lang, place, status))

    def forward(answers: Idempotency, user, key, method: str, path: str, body: dict, lang: str = "zh"):
        """Sends to logistics as the user; a key already answered gets that answer, marked `repeated`; a
        refusal also says why in `lang` (`said`)."""
        if not isinstance(key, str) or not 8 <= len(key) <= 100:
            return problem(400, "an idempotency key (8 to 100 characters) is required")
        remembered = answers.get((user.identity.subject, key))
        if remembered is not None:
            status, answer = remembered
            return jsonify(dict(worded(answer, status, lang), repeated=True)), status
        try:
            resp = client.session.request(method, client.urls["logistics"] + path, json=body,
                                          headers=auth_headers(user.token), timeout=TIMEOUT_S)
        except (requests.RequestException, KeyError) as exc:
            return problem(503, f"logistics unreachable: {exc}")  # not remembered: the phone sends it again
        answer = parsed(resp)
        if resp.status_code < 500:
            answers.keep((user.identity.subject, key), (resp.status_code, answer))
        return jsonify(worded(answer, resp.status_code, lang)), resp.status_code


def current(order: dict, region: str) -> bool:
    """An order of a unit the user's region sent, still running (not released)."""
    return bool(order.get("from_county")) and region_covers(region, order["from_county"]) \
        and order.get("status") != "released"


def view(order: dict, lang: str = "zh", unit_name: str | None = None) -> dict:
    """What the phone needs of an order (and keeps for when the network is gone), its scope's tasks
    named in `lang`, its unit by the roster's name when resources gave one."""
    body = order.get("order") or {}
    scope = body.get("scope") or {}
    return {"order_id": order["order_id"], "unit_id": order["unit_id"], "unit_name": unit_name,
            "request_id": order.get("request_id"),
            "incident_id": order.get("incident_id"), "status": order.get("status"),
            "from_county": order.get("from_county"), "officers": len(order.get("officer_ids") or []),
            "ordered_at": order.get("ordered_at"), "deadline": order.get("deadline"),
            "acknowledged_at": order.get("acknowledged_at"), "eta": order.get("eta"), "late": order.get("late"),
            "arrived_at": order.get("arrived_at"), "reporting_point": body.get("reporting_point"),
            "receiving_commander": body.get("receiving_commander"), "scope": {
                **{k: v for k, v in scope.items() if k in ("from", "until")},
                "tasks": [task_name(task, lang) for task in scope.get("tasks") or []]}}


def parsed(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {"status": resp.status_code, "detail": resp.text[:300]}
    return body if isinstance(body, dict) else {"items": body}


def passthrough(resp: requests.Response):
    return jsonify(parsed(resp)), resp.status_code


def problem(status: int, detail: str):
    resp = jsonify({"type": "about:blank", "title": detail.split(":")[0], "status": status, "detail": detail})
    resp.status_code, resp.mimetype = status, "application/problem+json"
    return resp


def page(lang: str) -> str:
    user = signin.current_user()
    label = {k: (en if lang == "en" else zh) for k, (zh, en) in LABELS.items()}
    who = f"{user.name or user.identity.subject} · {role_name(user.identity.role, lang)} · {user.identity.region}"
    is_unit = user.identity.role in UNIT_ROLES
    body = ("<main id='field' data-lang='{lang}'><p id='field-status' class='muted'>…</p>"
            "<div id='orders'></div>"
            "<section id='share' class='card' hidden></section>"
            "<p id='queue' class='muted'></p></main>").format(lang=lang) if is_unit else \
        f"<p id='field-not-unit' class='card'>{escape(label['not_unit'].format(who=who))}</p>"
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1, viewport-fit=cover'>"
            "<meta name='theme-color' content='#0b3d91'>"
            f"<title>{label['title']}</title><style>{STYLE}</style></head><body>"
            f"<header><strong>{label['title']}</strong><span>{escape(who)}</span>"
            f"<a href='{signin.SIGNOUT}?lang={lang}'>{label['signout']}</a></header>{body}"
            + (f"<script src='{PATH}/app.js'></script>" if is_unit else "") + "</body></html>")


STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       background: #f1f3f6; color: #1b1f24; }
header { position: sticky; top: 0; background: #0b3d91; color: #fff; padding: 10px 14px; display: flex;
         flex-wrap: wrap; gap: 4px 10px; align-items: baseline; }
header strong { font-size: 18px; flex: 1 0 100%; }
header span { font-size: 13px; opacity: .9; flex: 1; }
header a { color: #fff; font-size: 14px; }
main { padding: 10px 12px 40px; max-width: 640px; margin: 0 auto; }
.card { background: #fff; border-radius: 10px; padding: 12px 14px; margin: 10px 0; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.card h2 { font-size: 18px; margin: 0 0 6px; }
.row { display: flex; justify-content: space-between; gap: 10px; padding: 4px 0; border-bottom: 1px solid #eef0f3; }
.row span:first-child { color: #5a6270; white-space: nowrap; }
.row span:last-child { text-align: right; }
ul { margin: 4px 0 4px 18px; padding: 0; }
button { width: 100%; font-size: 18px; padding: 14px; margin-top: 10px; border: 0; border-radius: 8px;
         background: #0b3d91; color: #fff; }
button.secondary { background: #e4e8ee; color: #1b1f24; }
button:disabled { background: #9aa3af; }
.ok { color: #0a7a32; font-weight: bold; } .warn { color: #b35c00; font-weight: bold; }
.bad { color: #b00020; font-weight: bold; } .muted { color: #5a6270; font-size: 14px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; background: #e4e8ee; font-size: 13px; }
.field-offline header { background: #8a5a00; }
.field-offline #field-status { position: sticky; top: 70px; z-index: 1; background: #fff3cd; color: #7a4b00;
                               padding: 6px 10px; border-radius: 6px; font-weight: bold; }
"""
