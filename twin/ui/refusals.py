"""A service's refusal in the page's language.

Services refuse with application/problem+json: each error names the field and the reason in English,
and the refusals a user can meet on the twin's own forms also carry a code and the values the wording
needs (contracts/http/problem.schema.json): beds short, a medic marked not needed, a deployment already
released, a role or region the permission table or logistics' reception rules refuse. The twin words
those itself, naming places and roles as its pages do; any other error is shown as the service gave it
(field: reason), so nothing a service says is lost.
"""
from __future__ import annotations

from collections.abc import Callable

from twin.ui.messages import role_name
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
}
OBJECTS: dict[str, tuple[str, str]] = {  # what a path parameter names (permission.object's `object`)
    "deployment_id": ("这批支援警力", "This deployment"), "order_id": ("该调令", "This order"),
    "request_id": ("该支援请求", "This request"), "plan_id": ("该方案", "This plan"),
    "incident_id": ("该事件", "This incident"), "officer_id": ("该民警", "This officer"),
    "unit_id": ("该单元", "This unit"), "preposition_id": ("该预置安排", "This prepositioning"),
}
PLACES = frozenset(("county", "region", "outside", "regions"))  # params holding region codes (comma-separated)


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


def said(body, lang: str, place: Callable[[str], str], status: int | None = None) -> str:
    """What a problem body says, in `lang`: its errors, each worded by the twin when it knows the code
    (`place(code)` names a region), else "field: reason"; else its detail or title; else the status."""
    if not isinstance(body, dict):
        return f"HTTP {status}" if status else ""
    parts = [worded(e, lang, place) for e in body.get("errors") or [] if isinstance(e, dict)]
    parts = [p for p in parts if p]
    if parts:
        return ("；" if lang != "en" else "; ").join(parts)
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
    if key == "object":
        words = OBJECTS.get(str(value), (str(value), str(value)))
        return words[1] if lang == "en" else words[0]
    if key in PLACES:
        return ("、" if lang != "en" else ", ").join(place(c) for c in str(value).split(",") if c) or "—"
    return str(value)
