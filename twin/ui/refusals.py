"""A service's refusal in the page's language.

Services refuse with application/problem+json: each error names the field and the reason in English,
and the refusals a user can meet on the twin's own forms also carry a code and the values the wording
needs (contracts/http/problem.schema.json): beds short, a medic marked not needed, a deployment already
released, a role or region the permission table or logistics' reception rules refuse, an approval the
approval table refuses or that no longer matches the state (matching's 409). The twin words
those itself, naming places and roles as its pages do; any other error is shown as the service gave it
(field: reason), so nothing a service says is lost.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from twin.ui.figures import BEIJING
from twin.ui.messages import maybe, role_name
from twin.ui.place_names import place_name

WORDS: dict[str, tuple[str, str]] = {
    "reception.beds_short": ("住宿床位不足：申请 {requested} 张，{county}目前空余 {free} 张（共 {capacity} 张）",
                             "Not enough beds: {requested} asked, {county} has {free} free of {capacity}"),
    "reception.medic_needed": ("随队医护每队必派，不能标为不需要",
                               "A medic travels with every team: the medic cannot be marked not needed"),
    "deployment.released": ("这批支援警力已经解除", "These officers have already been released"),
    "logistics.receiving_command_only": ("只有{county}的接收指挥（县级值班员或所属市级指挥长）可以执行此操作；您是{region}的{role}",
                                         "Only the receiving command of {county} (its county duty officer or city "
                                         "commander) may do this; you are {role} of {region}"),
    "logistics.reception_only": ("只有{county}的接收方（县级值班员、市级指挥长或警力资源管理员）可以填写接待安排；您是{region}的{role}",
                                 "Only the receiving side of {county} (duty officer, city commander or resource "
                                 "manager) records its reception; you are {role} of {region}"),
    "permission.role": ("您的角色（{role}）无权执行此操作", "Your role ({role}) may not do this"),
    "permission.region": ("{role}只能处理本辖区（{region}）的事务，不能处理{outside}",
                          "{role} acts for its own region ({region}) only, not {outside}"),
    "permission.object": ("{object}涉及{regions}，不在您的辖区（{region}）内",
                          "{object} concerns {regions}, outside your region ({region})"),
    "approval.grade": ("未知的事件等级 {grade}", "Unknown grade {grade}"),
    "approval.role": ("{grade}级方案由{roles}审批，您是{role}", "A grade {grade} plan is approved by: {roles}; you are {role}"),
    "approval.province": ("该请求须由省级指挥长审批", "This request is approved by the province commander"),
    "approval.region": ("接收县区{county}不在您的辖区（{region}）内", "The receiving county {county} lies outside your "
                        "region ({region})"),
    "plan.status": ("该方案当前为「{status}」", "The plan is {status}"),
    "plan.expired": ("方案有效期至 {valid_until}，已过期，态势可能已变化", "The plan was valid until {valid_until}; the "
                     "state may have moved on"),
    "plan.version": ("您看到的是第 {shown} 版方案，请求已更新为第 {request_version} 版，请审批最新方案",
                     "You saw version {shown} of the plan; the request is now at version {request_version}: decide on "
                     "the latest plan"),
    "plan.officer_held": ("民警 {officer}（{county}）已被方案 {plan} 占用", "Officer {officer} ({county}) is held by "
                          "plan {plan}"),
    "plan.officer_refused": ("民警 {officer}（{county}）已被警力资源池拒绝调用", "Officer {officer} ({county}) was "
                             "refused by the resource pool"),
    "plan.officer_off_duty": ("民警 {officer}（{county}）当前{status}，无法调派", "Officer {officer} ({county}) is "
                              "{status}, no longer on duty"),
    "request.escalated": ("请求已升级为{grade}级", "The request was escalated to grade {grade}"),
    "request.lines_changed": ("请求的警力需求已更新", "The request's lines changed"),
    "request.referred": ("请求逾期未办，已转上一级审批", "The request missed a deadline and went to the next approval "
                         "level"),
    "commit.rejected": ("警力资源池拒绝锁定原方案中的 {officers} 名民警", "The resource pool refused {officers} officers of the "
                        "previous plan"),
    "commit.rejected_plan": ("警力资源池拒绝了原方案", "The resource pool refused the previous plan"),
    "plan.duty_limit": ("有民警在任务开始前就会达到执勤时长上限", "An officer would reach the duty limit before the "
                        "task starts"),
}
OBJECTS: dict[str, tuple[str, str]] = {  # what a path parameter names (permission.object's `object`)
    "deployment_id": ("这批支援警力", "This deployment"), "order_id": ("该调令", "This order"),
    "request_id": ("该支援请求", "This request"), "plan_id": ("该方案", "This plan"),
    "incident_id": ("该事件", "This incident"), "officer_id": ("该民警", "This officer"),
    "unit_id": ("该单元", "This unit"), "preposition_id": ("该预置安排", "This prepositioning"),
}
PLACES = frozenset(("county", "region", "outside", "regions"))  # params holding region codes (comma-separated)
STATES: dict[str, tuple[str, str]] = {  # an officer's status (defs.schema.json officer_status); a plan's: messages
    "on_duty": ("在岗", "on duty"), "off_duty": ("不在岗", "off duty"), "reserved": ("已预留", "reserved"),
    "deployed": ("已派出", "deployed"), "resting": ("休整", "resting"), "unavailable": ("不可调用", "unavailable"),
    "unknown": ("状态不明", "of unknown status"),
}


def namer(geography, lang: str) -> Callable[[str], str]:
    """A region code's name in `lang` (a county, a city or the province of `geography`; else the code)."""
    counties = {c.code: c.name for c in geography.counties}
    cities = {c.code: c.name for c in geography.cities}

    def name(code: str) -> str:
        if code in counties:
            return place_name(counties[code], lang)
        if code in cities:
            return place_name(cities[code], lang, "city")
        return place_name(geography.province_name, lang, "province") if code == geography.province_code else code
    return name


def said(body, lang: str, place: Callable[[str], str], status: int | None = None, *, most: int | None = None) -> str:
    """What a problem body says, in `lang`: its errors, each worded by the twin when it knows the code
    (`place(code)` names a region), else "field: reason"; else its detail or title; else the status.
    With `most`, the first `most` errors and how many more there are."""
    if not isinstance(body, dict):
        return f"HTTP {status}" if status else ""
    parts = [worded(e, lang, place) for e in body.get("errors") or [] if isinstance(e, dict)]
    parts = [p for p in parts if p]
    if lang == "en":  # one sentence: "Officer A is resting, ...; officer B ..." (not an acronym's capital)
        parts[1:] = [p[0].lower() + p[1:] if p[1:2].islower() else p for p in parts[1:]]
    if parts:
        more = len(parts) - most if most is not None and len(parts) > most else 0
        shown = ("；" if lang != "en" else "; ").join(parts[:len(parts) - more])
        if more:
            shown += f"；另有 {more} 项" if lang != "en" else f"; and {more} more"
        return shown
    return str(body.get("detail") or body.get("title") or (f"HTTP {status}" if status else ""))


def worded(error: dict, lang: str, place: Callable[[str], str]) -> str:
    words = WORDS.get(str(error.get("code")))
    params = error.get("params") if isinstance(error.get("params"), dict) else {}
    if words is not None:
        values = {k: _value(k, v, lang, place) for k, v in params.items()}
        try:
            return (words[1] if lang == "en" else words[0]).format(**values)
        except (KeyError, IndexError, ValueError):
            pass  # a code whose values are missing: the service's own words below
    field, reason = error.get("field"), error.get("reason")
    return f"{field}: {reason}" if field and reason else str(reason or field or "")


def _value(key: str, value, lang: str, place: Callable[[str], str]) -> str:
    if key == "role":
        return role_name(str(value), lang)
    if key == "roles":
        return ("、" if lang != "en" else ", ").join(role_name(r, lang) for r in str(value).split(",") if r)
    if key == "status":
        words = STATES.get(str(value))
        return (words[1] if lang == "en" else words[0]) if words else maybe(f"status_{value}", lang, str(value))
    if key == "valid_until":
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(BEIJING).strftime("%m-%d %H:%M")
        except ValueError:
            return str(value)
    if key == "object":
        words = OBJECTS.get(str(value), (str(value), str(value)))
        return words[1] if lang == "en" else words[0]
    if key in PLACES:
        return ("、" if lang != "en" else ", ").join(place(c) for c in str(value).split(",") if c) or "—"
    return str(value)
