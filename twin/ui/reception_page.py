"""The receiving side's reception page (接待保障, /reception): lodging, meals, transport and the medic for
the officers sent to it, and the end of their task.

    GET  /reception                              the deployments the user's region receives, still running
    POST /reception/<deployment_id>/arrangements  record what was arranged (logistics POST
                                                  /deployments/{id}/arrangements)
    POST /reception/<deployment_id>/release       the receiving command ends the task (logistics POST
                                                  /deployments/{id}/release)

Plain HTML forms (no Dash, no script): the county duty officer fills them in on any browser. Everything
goes to logistics with the user's own token, so logistics decides by their role and region as for any
other caller and refuses with the field and the reason, which the page shows in its own language where
logistics names the refusal (lodging beyond the county's capacity, a medic marked not needed, a role or
region refused: twin.ui.refusals) and as it was given otherwise, once, after the redirect (the outcome is kept
on the server for that user: the address names only the deployment). The forms are offered only to the roles the
services' permission table lets do each (services/common/permissions.yaml); the sign-in's guard refuses
a form posted from another site (its Origin). Each deployment shows what is still to arrange, and the
items that were not ready when a unit arrived (logistics' flags): the document's logistics coverage
(lodging, food, transport, medical in place for every support task) is counted from them.
"""
from __future__ import annotations

from html import escape
from urllib.parse import quote, urlencode

import requests
from flask import Response, redirect, request

from services.common import paging
from services.common.auth import region_covers
from twin.mirror.client import TIMEOUT_S, ServicesClient, auth_headers
from twin.sim.model import ProvinceModel
from twin.ui import refusals, signin, visibility
from twin.ui.bounded import Bounded
from twin.ui.figures import beijing_time
from twin.ui.messages import role_name
from twin.ui.place_names import place_name

PATH = "/reception"
ITEMS = ("lodging", "meals", "transport", "medic")
STATUSES = ("arranged", "pending", "not_needed")
OUTCOMES = ("completed", "cancelled", "rotated")
ARRANGE = ("logistics", "POST /deployments/{deployment_id}/arrangements")
RELEASE = ("logistics", "POST /deployments/{deployment_id}/release")
OVERSEE = ("logistics", "POST /deployments/{deployment_id}/extension/approve")  # commanders who extend a task


def linked_for(role: str) -> bool:
    """The navigation bar links the page for those who record a reception and the commanders over them."""
    return role in visibility.readers(ARRANGE) or role in visibility.readers(OVERSEE)

LABELS: dict[str, tuple[str, str]] = {
    "title": ("接待保障", "Reception"),
    "heading": ("本辖区接收的支援警力：接待保障", "Support received in your area: reception"),
    "intro": ("为每批到达的支援警力落实住宿、就餐、交通和随队医护；单元到达时仍未落实的项目会被记录，计入后勤保障覆盖率。",
              "Arrange lodging, meals, transport and the medic for each deployment received; an item not "
              "arranged when a unit arrives is recorded and counts against the logistics coverage."),
    "none": ("本辖区目前没有接收中的支援警力。", "No support is deployed to your area now."),
    "unreachable": ("后勤服务暂无应答，请稍后刷新。", "Logistics does not answer; refresh in a moment."),
    "refused": ("后勤服务拒绝了查询：{reason}", "Logistics refused the request: {reason}"),
    "map": ("指挥地图", "Command map"), "board": ("态势板", "Situation board"), "signout": ("退出登录", "Sign out"),
    "deployment": ("{county} · {grade}级 · {headcount} 人", "{county} · grade {grade} · {headcount} officers"),
    "request": ("请求", "Request"), "status": ("状态", "Status"), "window": ("任务时段", "Task window"),
    "covered": ("接待保障已全部落实", "Reception fully arranged"),
    "missing": ("待落实：{items}", "Still to arrange: {items}"),
    "flags": ("单元到达时未落实：{items}", "Not ready when a unit arrived: {items}"),
    "item": ("项目", "Item"), "state": ("落实情况", "State"), "detail": ("说明（地点、安排）", "Detail (place, provider)"),
    "quantity": ("数量", "Quantity"),
    "save": ("保存接待安排", "Save the arrangements"),
    "saved": ("已保存，后勤已记录。", "Saved: logistics recorded it."),
    "released": ("已解除，支援警力返回派出地。", "Released: the officers return home."),
    "not_saved": ("未保存：{reason}", "Not saved: {reason}"),
    "medic_note": ("每队必派，数量已按队数和人数算好；不能标为不需要",
                   "One with every team, the quantity counted from the teams; never \"not needed\""),
    "read_only": ("您的角色（{role}）可以查看，接待安排由接收地的县级值班员、市级指挥长或警力资源管理员填写。",
                  "Your role ({role}) may read this; the receiving county's duty officer, its city commander or "
                  "the resource manager records the reception."),
    "release_heading": ("任务结束", "End of the task"),
    "release_outcome": ("结果", "Outcome"), "release_note": ("备注", "Note"),
    "release_confirm": ("确认解除本批支援警力（不可撤销）", "I confirm the release of these officers (final)"),
    "release": ("解除支援", "Release"),
    "followup": ("II 级以上任务：解除后为每名民警安排心理随访", "Grade II or above: psychological follow-up for "
                                                                "every officer after release"),
}
ITEM_NAMES = {"lodging": ("住宿", "Lodging"), "meals": ("就餐", "Meals"), "transport": ("交通", "Transport"),
              "medic": ("随队医护", "Medic")}
STATUS_NAMES = {"arranged": ("已落实", "arranged"), "pending": ("待落实", "pending"),
                "not_needed": ("不需要", "not needed")}
DEPLOYMENT_STATUS = {"dispatched": ("已派出，途中", "dispatched, on the way"), "on_scene": ("已全部到位", "all on scene")}
OUTCOME_NAMES = {"completed": ("任务完成", "completed"), "cancelled": ("任务取消", "cancelled"),
                 "rotated": ("轮换（由下一梯队接替）", "rotated (relieved by the next shift)")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def label(key: str, lang: str, **values) -> str:
    return _pick(LABELS[key], lang).format(**values)


class Outcomes:
    """What came of each user's last form, kept on the server until their page has shown it once: the
    redirect names only the deployment, so a link cannot make the page say what logistics did not."""

    def __init__(self, size: int = 10_000):
        self._said = Bounded(size)

    def keep(self, subject: str, deployment_id: str, notice: str | None = None, error: str | None = None) -> None:
        self._said.keep((subject, deployment_id), (notice, error))

    def take(self, subject: str, deployment_id: str | None) -> tuple[str | None, str | None]:
        return self._said.take((subject, deployment_id), (None, None))


def install(app, model: ProvinceModel, client: ServicesClient) -> None:
    server = app.server
    geography = model.geography
    names = {c.code: c.name for c in geography.counties}
    outcomes = server.twin_reception_outcomes = Outcomes()

    @server.get(PATH)
    def reception_page():
        lang = "en" if request.args.get("lang") == "en" else "zh"
        user = signin.current_user()
        listed = received(client, user, lang, refusals.namer(geography, lang))
        about = request.args.get("deployment")
        notice, error = outcomes.take(user.identity.subject, about)
        return Response(page(user, listed, names, lang, notice=notice, about=about, error=error),
                        mimetype="text/html")

    @server.post(PATH + "/<deployment_id>/arrangements")
    def reception_arrange(deployment_id: str):
        lang = "en" if request.form.get("lang") == "en" else "zh"
        body = arrangements_from(request.form)
        return forward(client, outcomes, signin.current_user(), deployment_id, "arrangements", body, "saved", lang,
                       refusals.namer(geography, lang))

    @server.post(PATH + "/<deployment_id>/release")
    def reception_release(deployment_id: str):
        lang = "en" if request.form.get("lang") == "en" else "zh"
        user = signin.current_user()
        if request.form.get("confirm") != "yes":
            outcomes.keep(user.identity.subject, deployment_id, error=label("release_confirm", lang))
            return back(deployment_id, lang)
        outcome = request.form.get("outcome") if request.form.get("outcome") in OUTCOMES else "completed"
        body = {"outcome": outcome}
        if (request.form.get("note") or "").strip():
            body["note"] = request.form["note"].strip()
        return forward(client, outcomes, user, deployment_id, "release", body, "released", lang,
                       refusals.namer(geography, lang))


def received(client: ServicesClient, user, lang: str = "zh", place=str) -> dict:
    """{"deployments": [...]} received in the user's region and not released, or {"error": reason}
    (in `lang`, `place` naming a region: reason_of)."""
    try:
        resp, rows = paging.every_row(client.session.get, client.urls["logistics"] + "/deployments",
                                      params={"limit": paging.MOST}, headers=auth_headers(user.token),
                                      timeout=TIMEOUT_S)
    except (requests.RequestException, KeyError):
        return {"error": "unreachable"}
    if rows is None:
        return {"error": "refused", "reason": reason_of(resp, lang, place)}
    mine = [d for d in rows if region_covers(user.identity.region, d["county"]) and d["status"] != "released"]
    return {"deployments": sorted(mine, key=lambda d: (d["task_start"], d["deployment_id"]))}


def arrangements_from(form) -> dict:
    """The items the form names, as the arrangements contract has them (a blank detail or quantity is left out)."""
    body = {}
    for item in ITEMS:
        status = form.get(f"{item}.status")
        if status not in STATUSES:
            continue
        entry: dict = {"status": status}
        detail = (form.get(f"{item}.detail") or "").strip()
        if detail:
            entry["detail"] = detail
        quantity = (form.get(f"{item}.quantity") or "").strip()
        if quantity:
            entry["quantity"] = int(quantity) if quantity.isdigit() else quantity  # logistics names a bad one
        body[item] = entry
    return body


def forward(client: ServicesClient, outcomes: Outcomes, user, deployment_id: str, action: str, body: dict, done: str,
            lang: str, place=str):
    """POSTs to logistics as the user, keeps what came of it for their page (a refusal in `lang`, `place`
    naming a region: reason_of), and goes back to the page (POST, redirect, GET)."""
    url = f"{client.urls.get('logistics', '')}/deployments/{quote(deployment_id, safe='')}/{action}"
    try:
        resp = client.session.post(url, json=body, headers=auth_headers(user.token), timeout=TIMEOUT_S)
    except requests.RequestException:
        outcomes.keep(user.identity.subject, deployment_id, error=label("unreachable", lang))
        return back(deployment_id, lang)
    if resp.status_code >= 300:
        outcomes.keep(user.identity.subject, deployment_id, error=reason_of(resp, lang, place))
    else:
        outcomes.keep(user.identity.subject, deployment_id, notice=done)
    return back(deployment_id, lang)


def back(deployment_id: str, lang: str) -> Response:
    query = urlencode({"lang": lang, "deployment": deployment_id})
    return redirect(f"{PATH}?{query}#dep-{quote(deployment_id, safe='')}", code=303)


def reason_of(resp: requests.Response, lang: str = "zh", place=str) -> str:
    """Why logistics refused, in `lang` where it names the refusal ("住宿床位不足：申请 40 张，…"), else its
    field and reason ("lodging.quantity: …"), else its detail (twin.ui.refusals)."""
    try:
        body = resp.json()
    except ValueError:
        return f"HTTP {resp.status_code}"
    return refusals.said(body, lang, place, resp.status_code) or f"HTTP {resp.status_code}"


# --- the page -----------------------------------------------------------------------------------------

def page(user, listed: dict, names: dict[str, str], lang: str, *, notice: str | None = None,
         about: str | None = None, error: str | None = None) -> str:
    role = user.identity.role
    may_arrange = role in visibility.readers(ARRANGE)
    may_release = role in visibility.readers(RELEASE)
    who = f"{user.name or user.identity.subject} · {role_name(role, lang)} · {user.identity.region}"
    if "error" in listed:
        body = "<p class='card bad' id='reception-error'>" + escape(
            label("unreachable", lang) if listed["error"] == "unreachable" else
            label("refused", lang, reason=listed.get("reason", ""))) + "</p>"
    elif not listed["deployments"]:
        body = f"<p class='card muted' id='reception-none'>{escape(label('none', lang))}</p>"
    else:
        body = "".join(card(d, names, lang, may_arrange, may_release,
                            notice=notice if d["deployment_id"] == about else None,
                            error=error if d["deployment_id"] == about else None) for d in listed["deployments"])
    shown = {d["deployment_id"] for d in listed.get("deployments") or []}
    if about not in shown and (notice or error):  # released, or not the user's to see: said above the list
        body = said_html(notice, error, lang, about) + body
    if not may_arrange:
        body = f"<p class='muted' id='reception-read-only'>{escape(label('read_only', lang, role=role_name(role, lang)))}</p>" + body
    other = "zh" if lang == "en" else "en"
    nav = (f"<a href='/?lang={lang}'>{label('map', lang)}</a><a href='/board?lang={lang}'>{label('board', lang)}</a>"
           f"<a href='{PATH}?lang={other}' id='reception-language'>{'中文' if other == 'zh' else 'English'}</a>"
           f"<a href='{signin.SIGNOUT}?lang={lang}'>{label('signout', lang)}</a>")
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{label('title', lang)}</title><style>{STYLE}</style></head><body>"
            f"<header><strong>{label('title', lang)}</strong><span>{escape(who)}</span><nav>{nav}</nav></header>"
            f"<main id='reception'><h1>{label('heading', lang)}</h1><p class='muted'>{label('intro', lang)}</p>"
            f"{body}</main></body></html>")


def _items(keys, lang: str) -> str:
    return "、".join(_pick(ITEM_NAMES[k], lang) for k in keys) if lang != "en" else \
        ", ".join(_pick(ITEM_NAMES[k], lang) for k in keys)


def card(dep: dict, names: dict[str, str], lang: str, may_arrange: bool, may_release: bool, *,
         notice: str | None = None, error: str | None = None) -> str:
    dep_id = dep["deployment_id"]
    county = place_name(names.get(dep["county"], dep["county"]), lang)
    head = label("deployment", lang, county=county, grade=dep.get("grade") or "—", headcount=dep["headcount"])
    status = escape(_pick(DEPLOYMENT_STATUS.get(dep["status"], (dep["status"], dep["status"])), lang))
    window = f"{beijing_time(dep['task_start'])[5:16]} – {beijing_time(dep['task_end'])[5:16]}"
    missing = dep.get("missing") or []
    state = (f"<p class='ok'>{label('covered', lang)}</p>" if not missing else
             f"<p class='warn'>{escape(label('missing', lang, items=_items(missing, lang)))}</p>")
    flagged = sorted({f["item"] for f in dep.get("flags") or [] if f.get("item") in ITEMS}, key=ITEMS.index)
    if flagged:
        state += f"<p class='bad'>{escape(label('flags', lang, items=_items(flagged, lang)))}</p>"
    if (dep.get("care") or {}).get("psychological_followup"):
        state += f"<p class='muted'>{label('followup', lang)}</p>"
    said = said_html(notice, error, lang)
    rows = "".join(item_row(item, (dep.get("arrangements") or {}).get(item) or {}, lang, may_arrange) for item in ITEMS)
    table = (f"<table><thead><tr><th>{label('item', lang)}</th><th>{label('state', lang)}</th>"
             f"<th>{label('detail', lang)}</th><th>{label('quantity', lang)}</th></tr></thead><tbody>{rows}</tbody></table>")
    hidden = f"<input type='hidden' name='lang' value='{lang}'>"
    form = (f"<form method='post' action='{PATH}/{escape(dep_id)}/arrangements'>{hidden}{table}"
            f"<button type='submit'>{label('save', lang)}</button></form>") if may_arrange else table
    release = ""
    if may_release:
        options = "".join(f"<option value='{o}'>{_pick(OUTCOME_NAMES[o], lang)}</option>" for o in OUTCOMES)
        release = (f"<details class='release'><summary>{label('release_heading', lang)}</summary>"
                   f"<form method='post' action='{PATH}/{escape(dep_id)}/release'>{hidden}"
                   f"<label>{label('release_outcome', lang)} <select name='outcome'>{options}</select></label>"
                   f"<label>{label('release_note', lang)} <input name='note' maxlength='200'></label>"
                   f"<label class='confirm'><input type='checkbox' name='confirm' value='yes' required> "
                   f"{label('release_confirm', lang)}</label>"
                   f"<button type='submit' class='danger'>{label('release', lang)}</button></form></details>")
    return (f"<section class='card' id='dep-{escape(dep_id)}'><h2>{escape(head)}</h2>"
            f"<p class='muted'>{label('request', lang)} {escape(dep['request_id'])} · {label('status', lang)} {status}"
            f" · {label('window', lang)} {window}（{'Beijing' if lang == 'en' else '北京时间'}）</p>"
            f"{said}{state}{form}{release}</section>")


def said_html(notice: str | None, error: str | None, lang: str, about: str | None = None) -> str:
    """What came of the user's last form; `about` names the deployment when it is not on the page."""
    prefix = f"{escape(about)}：" if about else ""
    if notice in ("saved", "released"):
        return f"<p class='ok' role='status' id='reception-said'>{prefix}{label(notice, lang)}</p>"
    if error:
        return f"<p class='bad' role='alert' id='reception-said'>{prefix}{escape(label('not_saved', lang, reason=error))}</p>"
    return ""


def item_row(item: str, current: dict, lang: str, editable: bool) -> str:
    status = current.get("status") or "pending"
    name = _pick(ITEM_NAMES[item], lang)
    detail = current.get("detail") or ""
    quantity = current.get("quantity")
    if not editable:
        return (f"<tr><td>{name}</td><td class='{_css(status)}'>{_pick(STATUS_NAMES[status], lang)}</td>"
                f"<td>{escape(detail)}</td><td>{'' if quantity is None else escape(str(quantity))}</td></tr>")
    allowed = [s for s in STATUSES if not (item == "medic" and s == "not_needed")]
    options = "".join(f"<option value='{s}'{' selected' if s == status else ''}>{_pick(STATUS_NAMES[s], lang)}</option>"
                      for s in allowed)
    note = f"<br><small class='muted'>{label('medic_note', lang)}</small>" if item == "medic" else ""
    return (f"<tr><td>{name}{note}</td><td><select name='{item}.status' class='{_css(status)}'>{options}</select></td>"
            f"<td><input name='{item}.detail' value='{escape(detail, quote=True)}' maxlength='200'></td>"
            f"<td><input name='{item}.quantity' type='number' min='0' step='1' "
            f"value='{'' if quantity is None else escape(str(quantity), quote=True)}'></td></tr>")


def _css(status: str) -> str:
    return {"arranged": "ok", "not_needed": "muted", "pending": "warn"}.get(status, "")


STYLE = """
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       background: #f1f3f6; color: #1b1f24; }
header { background: #212529; color: #fff; padding: 10px 16px; display: flex; flex-wrap: wrap; gap: 4px 16px;
         align-items: baseline; }
header strong { font-size: 18px; }
header span { font-size: 13px; opacity: .9; flex: 1; }
header nav a { color: #fff; margin-left: 14px; font-size: 14px; }
main { padding: 12px 16px 40px; max-width: 1100px; margin: 0 auto; }
h1 { font-size: 20px; margin: 6px 0; }
.card { background: #fff; border-radius: 8px; padding: 12px 16px; margin: 12px 0; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
.card h2 { font-size: 17px; margin: 0 0 4px; }
.card p { margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #e6e9ee; vertical-align: top; }
th { font-size: 13px; color: #5a6270; font-weight: normal; }
input, select { font: inherit; padding: 4px 6px; border: 1px solid #c4cad3; border-radius: 4px; }
input[name$='.detail'] { width: 100%; } input[type=number] { width: 90px; }
button { font: inherit; padding: 7px 18px; border: 0; border-radius: 6px; background: #0b5ed7; color: #fff; cursor: pointer; }
button.danger { background: #b02a37; }
details.release { margin-top: 8px; } details.release form { display: flex; flex-wrap: wrap; gap: 8px 16px;
                                                                align-items: center; margin-top: 6px; }
.ok { color: #0a7a32; } .warn { color: #9a5b00; } .bad { color: #b00020; font-weight: bold; }
.muted { color: #5a6270; font-size: 13px; }
"""
