"""The plan comparison panel: pure builders from the model's snapshot to Dash components.

Plans are shown side by side (one column each): ETA p50/p90 from the preview, the chance of meeting
the deadline, the reserve left at home, fairness, the donors and matching's explanation, with
Approve / Reject buttons whose ids name the plan (pattern-matching callbacks).
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import plotly.graph_objects as go
import plotly.io as pio
from dash import dcc, html

from services.geo.regions import city_of
from twin.sim.preview import reserve_left
from twin.ui import ids, refusals
from twin.ui.figures import beijing_time
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, request_line_name, text
from twin.ui.place_names import place_name, places_in_english

CELL = {"borderBottom": "1px solid #ddd", "padding": "4px 8px", "textAlign": "left", "verticalAlign": "top"}


def request_options(requests: list[dict], county_names: dict[str, str], lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """Dropdown options, newest request first."""
    newest = sorted(requests, key=lambda r: r.get("requested_at", ""), reverse=True)
    return [{"label": text("request_label", lang, county=county_names.get(r["county"], r["county"]),
                           grade=r["grade"], status=maybe("status_" + r["status"], lang, r["status"]),
                           deadline=beijing_time(r["deadline"])[11:16]) + f" · {r['request_id']}"
                      + (" · " + text("relief_label", lang, shift=r["shift"], parent=r["relief_of"]) if r.get("relief_of") else ""),
             "value": r["request_id"]} for r in newest]


def plan_summary(plan: dict, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The figures of one plan as display strings, keyed by the row they fill."""
    preview, metrics = plan.get("preview") or {}, plan["metrics"]
    whole = preview.get("whole", {})
    reserve = reserve_left(preview) if preview else None
    placed, needed = officers_placed(plan)
    return {
        "status": maybe("status_" + plan["status"], lang, plan["status"]),
        "headcount": str(placed) if placed >= needed else f"{placed}/{needed}",   # short: of those asked
        "donors": ("、" if lang != "en" else ", ").join(place_name(d.get("name"), lang) or d["county"]
                                                       for d in preview.get("donors", [])) or
                  ", ".join(sorted(metrics.get("per_donor", {}))),
        "eta_plan": minutes(metrics["latest_eta_s"], lang),
        "eta_p50": minutes(whole.get("p50_s"), lang, never=bool(preview)),
        "eta_p90": minutes(whole.get("p90_s"), lang, never=bool(preview)),
        "p_deadline": percent(whole.get("p_deadline")),
        "build_up": build_up(preview.get("build_up"), lang),
        "reserve_left": percent(reserve if reserve is not None else metrics.get("min_reserve_ratio")),
        "fairness": f"{metrics['points_spread']:.1f}" if "points_spread" in metrics else text("unknown", lang),
    }


ROWS = ["status", "headcount", "donors", "eta_plan", "eta_p50", "eta_p90", "p_deadline", "build_up", "reserve_left",
        "fairness"]


def build_up(points: list[dict] | None, lang: str) -> str:
    """Officers in place over time, median of the preview's runs, a line each ("时限 30 分钟：0 人",
    "1 小时：0 人", "2 小时：66 人"…): whether a late plan brings most of its officers early or nobody until the last
    hour. "—" before the preview."""
    if not points:
        return "—"
    out, full, shown = [], points[-1]["in_place_p50"], None
    for p in points:
        if shown == p["in_place_p50"] == full and not p["deadline"]:
            continue  # everyone in place at the median already: the hours after add nothing
        shown, at = p["in_place_p50"], p["at_s"]
        when = (text("build_up_deadline", lang, m=at / 60) if p["deadline"] else
                text("build_up_hours", lang, h=at / 3600) if at % 3600 == 0 else text("minutes", lang, m=at / 60))
        out.append(text("build_up_point", lang, when=when, n=p["in_place_p50"]))
    return "\n".join(out)  # one line each (the comparison's cells keep line breaks)


def donors_by_city(plan: dict, names: dict[str, str], cities: dict[str, str], lang: str) -> html.Details | None:
    """Who sends how many, at a glance: the donor cities with their officers, most first ("4 市 21 县区：
    温州市 62 人、金华市 30 人…"), and, unfolded, each city's counties with theirs. None without the
    plan's officers per county or the counties' cities (the plain list of counties is shown then)."""
    per = plan["metrics"].get("per_donor") or {}
    if not per or not cities:
        return None
    grouped: dict[str, list[tuple[str, int]]] = {}
    for county, n in per.items():
        grouped.setdefault(cities.get(county) or county, []).append((county, n))
    order = sorted(grouped, key=lambda city: (-sum(n for _, n in grouped[city]), city))
    comma = ", " if lang == "en" else "、"
    if lang == "en":
        k, m = len(per), len(order)
        head = (f"{k} count{'y' if k == 1 else 'ies'} in {m} cit{'y' if m == 1 else 'ies'}: "
                + comma.join(f"{city} {sum(n for _, n in grouped[city])}" for city in order))
    else:
        head = (f"{len(order)} 市 {len(per)} 县区：" + comma.join(f"{city} {sum(n for _, n in grouped[city])} 人"
                                                             for city in order))
    lines = [f"{city}{': ' if lang == 'en' else '：'}" + comma.join(
        f"{names.get(county, county)} {n}" for county, n in sorted(grouped[city], key=lambda cn: (-cn[1], cn[0])))
        for city in order]
    return html.Details([html.Summary(head), html.Div("\n".join(lines), style={"whiteSpace": "pre-wrap"})],
                        className="donors-by-city")


def kinds_label(plan: dict, lang: str) -> str:
    """The plan's criterion; when the criteria agree, all of them ("最快、最公平一致：同一方案")."""
    kinds = [plan.get("kind")] + [k for k in plan.get("kinds") or () if k != plan.get("kind")]
    words = [maybe("kind_" + str(k), lang, str(k)) for k in kinds]
    if len(words) < 2:
        return words[0]
    return text("agree", lang, kinds=("、" if lang != "en" else ", ").join(words))


def differences(first: dict, plan: dict, names: dict[str, str], lang: str) -> str:
    """What this plan does differently from the first column: officers per donor county (+ more, − fewer)."""
    if plan is first:
        return "—"
    a, b = first["metrics"].get("per_donor", {}), plan["metrics"].get("per_donor", {})
    changes = sorted(((b.get(c, 0) - a.get(c, 0), c) for c in set(a) | set(b) if b.get(c, 0) != a.get(c, 0)),
                     key=lambda x: (-abs(x[0]), x[1]))
    if not changes:
        return text("differs_none", lang)
    return "，".join(f"{'+' if d > 0 else '−'}{abs(d)} {names.get(c, c)}" for d, c in changes[:6]) + \
        ("…" if len(changes) > 6 else "")


def prepositioning(plan: dict, names: dict[str, str], lang: str, lines: dict[str, dict] | None = None) -> str:
    """Per line, where its late or missing officers would have to be staged to keep the deadline, or
    that no county is near enough (a deadline already past at planning, or too short for any seat)."""
    rows = plan.get("prepositioning") or []
    if not rows:
        return "—"
    separator = "; " if lang == "en" else "、"
    out = []
    for r in rows:
        what = request_line_name(r["line_id"], lang, lines)
        where = separator.join(names.get(s["county"], s["name"]) for s in r["stage_at"])
        out.append(text("preposition_line", lang, what=what, n=r["officers"], where=where) if where
                   else text("preposition_nowhere", lang, what=what, n=r["officers"]))
    return ("; " if lang == "en" else "；").join(out)


KIND_ORDER = {"fastest": 0, "fairest": 1, "least_reserve_damage": 2}
SET_ASIDE = ("rejected", "void", "commit_rejected", "superseded")


def current(plans: list[dict]) -> list[dict]:
    """The plans still in play (proposed, approved, committed) of the newest version, by kind;
    all of them when none is in play, so a decided request still shows what was decided."""
    live = [p for p in plans if p["status"] not in SET_ASIDE] or list(plans)
    newest = max((p.get("version", 1) for p in live), default=1)
    shown = [p for p in live if p.get("version", 1) == newest or p["status"] in ("approved", "committed")]
    return sorted(shown, key=lambda p: (KIND_ORDER.get(p.get("kind"), 9), p["plan_id"]))


def replanned_note(plans: list[dict], lang: str = DEFAULT_LANGUAGE,
                   place: Callable[[str], str] = str) -> html.Div | None:
    """Why the plans awaiting a decision were made again (plan.proposed's replanned: an officer gone off duty,
    an escalation, a refused commit...), worded as the twin words a refusal, at most three reasons; None for a
    request's first plans."""
    again = [p for p in current(plans) if p["status"] == "proposed" and p.get("replanned")]
    if not again:
        return None
    why = refusals.said({"errors": again[0]["replanned"]}, lang, place, most=3)
    return html.Div([html.B(text("replanned_title", lang, version=again[0].get("version", 1))), " ", why],
                    id="twin-replanned", className="small", style={"marginBottom": "8px", "color": "#664d03",
                                                                   "background": "#fff3cd", "padding": "4px 8px",
                                                                   "borderRadius": "4px"})


def in_question(plans: list[dict]) -> tuple[list[dict], bool]:
    """(the plans that decide whether the request is on time, decided): the approved or committed one
    when there is one (True), else the proposed ones (False)."""
    live = [p for p in current(plans) if p["status"] in ("proposed", "approved", "committed")]
    decided = [p for p in live if p["status"] in ("approved", "committed")]
    return decided or live, bool(decided)


def late_by_plan(plans: list[dict]) -> dict | None:
    """When every plan in question (`in_question`) misses the deadline by matching's own estimate
    (`deadline_met`: every officer placed, and in place in time), the quickest of them: {"need_s": until
    its last officer is in place, "limit_min": the minutes it had to the deadline when proposed
    (`deadline_minutes`)}; when one of them would be in time but none finds every officer asked for,
    also {"short": True, "placed", "needed"} of the plan that places most. None when one of them keeps
    the deadline, or there is none."""
    chosen, _ = in_question(plans)
    if not chosen or any((p.get("metrics") or {}).get("deadline_met", True) for p in chosen):
        return None
    quickest = min(chosen, key=lambda p: p["metrics"].get("latest_eta_s", 0.0))
    out = {"need_s": float(quickest["metrics"].get("latest_eta_s", 0.0)), "limit_min": deadline_minutes(quickest)}
    if not all(late_in_time(p) for p in chosen):
        placed, needed = max((officers_placed(p) for p in chosen), key=lambda pair: pair[0])
        out.update(short=True, placed=placed, needed=needed)
    return out


def officers_placed(plan: dict) -> tuple[int, int]:
    """(officers the plan places, officers its request asks for)."""
    placed = (plan.get("metrics") or {}).get("headcount", len(plan.get("assignments", [])))
    return placed, placed + sum(s["needed"] - s["assigned"] for s in plan.get("shortfall") or [])


def late_in_time(plan: dict) -> bool:
    """Whether the plan's last officer is in place after its deadline (matching's estimate); a plan whose
    deadline is not known is as late as matching says."""
    limit = deadline_minutes(plan)
    metrics = plan.get("metrics") or {}
    if limit is None:
        return not metrics.get("deadline_met", True)
    return limit < 0 or metrics.get("latest_eta_s", 0.0) > limit * 60


def late_words(late: dict, decided: bool, lang: str = DEFAULT_LANGUAGE) -> str:
    """`late_by_plan`'s finding in words: every plan (or the approved one) late, the quickest's minutes
    against the limit; or short of officers, the most any places against those asked for."""
    if late.get("short"):
        return text("flag_plan_short" if decided else "flag_plans_short", lang, placed=late["placed"],
                    needed=late["needed"])
    return lateness_text("flag_plan_late" if decided else "flag_plans_late", late, lang)


def lateness_text(key: str, late: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """A plan's lateness ({"need_s", "limit_min"}) in the words of message `key`: its minutes to be in place
    against the limit, or, for a plan made after the deadline, `key`_past with the minutes it came after."""
    limit = late["limit_min"]
    key += "_past" if limit is not None and limit < 0 else ""
    return text(key, lang, need=round(late["need_s"] / 60), limit=abs(limit) if limit is not None else "—")


def late_note(plans: list[dict], lang: str = DEFAULT_LANGUAGE) -> html.Div | None:
    """A red band above the comparison when every plan in question misses the deadline (`late_by_plan`):
    the commander decides knowing no plan is on time. None otherwise; the caller leaves it out once
    units are sent (their own estimates say then whether they are late)."""
    late = late_by_plan(plans)
    if late is None:
        return None
    said = late_words(late, in_question(plans)[1], lang)
    hint = text("short_note_hint" if late.get("short") else "late_note_hint", lang)
    return html.Div([html.B(said[:1].upper() + said[1:]), " ", hint], id="twin-plans-late",
                    className="small", style={"marginBottom": "8px", "color": "#842029", "background": "#f8d7da",
                                              "padding": "4px 8px", "borderRadius": "4px"})


def comparison(plans: list[dict], lang: str = DEFAULT_LANGUAGE, names: dict[str, str] | None = None,
               refusal: Callable[[dict], str | None] | None = None,
               leaving: Callable[[dict], str] | None = None, picked: bool = True,
               withheld: str | None = None, lines: dict[str, dict] | None = None, loading: bool = False,
               cities: dict[str, str] | None = None) -> html.Div:
    """The plans side by side; with none, a prompt to pick a request unless one is `picked`, or, for a
    role never shown requests, `withheld` (twin.ui.withheld: why, and who is). `lines`: the request's
    lines by line_id, to name a line the vocabulary does not (messages.line_name). `loading`:
    the picked request has plans the panel's first callback has yet to lay out (the page's first draw).
    `cities`: each county's city in the page's language, to group the donors by city (donors_by_city).
    `refusal(plan)` says why the signed-in user may not decide a plan (its buttons are then disabled,
    the reason shown on them), None when they may; `leaving(plan)` the counties that would leave the
    1-hour support circle if the plan were sent (twin.ui.readiness)."""
    if not plans:
        waiting = "plans_loading" if loading else "no_plans" if picked else "no_request_picked"
        return html.Div(withheld or text(waiting, lang), id=ids.PLAN_TABLE)
    plans, names = current(plans), names or {}
    summaries = [plan_summary(p, lang) for p in plans]
    head = html.Tr([html.Th(text("metric", lang), style=CELL)] +
                   [html.Th([kinds_label(p, lang), html.Br(),
                             html.Small(p["plan_id"], style={"color": "#666"})], style=CELL) for p in plans])
    for plan, summary in zip(plans, summaries):
        summary["donors"] = donors_by_city(plan, names, cities or {}, lang) or summary["donors"]
    body = [html.Tr([html.Td(text(row, lang), style=CELL)] +
                    [html.Td(s[row], style=dict(CELL, whiteSpace="pre-line")) for s in summaries]) for row in ROWS]
    if len(plans) > 1:
        body.append(html.Tr([html.Td(text("differs", lang), style=CELL)] +
                            [html.Td(differences(plans[0], p, names, lang), style=CELL) for p in plans]))
    if leaving is not None:
        body.append(html.Tr([html.Td(text("leaving_circle", lang), style=CELL)] +
                            [html.Td(leaving(p), style=CELL, className="leaving-circle") for p in plans]))
    if any(p.get("prepositioning") for p in plans):
        body.append(html.Tr([html.Td(text("preposition", lang), style=CELL)] +
                            [html.Td(prepositioning(p, names, lang, lines), style=CELL) for p in plans]))
    body.append(html.Tr([html.Td(text("explanation", lang), style=CELL)] +
                        [html.Td(explanation(p, lang, names, lines), style=dict(CELL, fontSize="12px"))
                         for p in plans]))
    body.append(html.Tr([html.Td("", style=CELL)] + [html.Td(buttons(p, lang, refusal(p) if refusal else None),
                                                              style=CELL) for p in plans]))
    config = (plans[0].get("preview") or {}).get("config")
    note = text("preview_runs", lang, runs=config["runs"], mob=config["mobilisation"],
                travel=config["travel_factor"]) if config else ""
    designated = designated_donors(lines, cities or {}, lang)
    return html.Div(id=ids.PLAN_TABLE, children=[
        *([html.Div(designated, className="designated-donors small mb-1")] if designated else []),
        html.Table([html.Thead(head), html.Tbody(body)], style={"borderCollapse": "collapse", "width": "100%"}),
        html.Small(note, style={"color": "#666"}),
    ])


def designated_donors(lines: dict[str, dict] | None, cities: dict[str, str], lang: str) -> str | None:
    """The request's lines whose donors the command designated, with their cities ("指挥部指定派出城市：巡逻（…）：衢州市；
    交通（…）：金华市…"), or None when no line names any. `cities`: each county's city name (services.geo.regions.city_of
    gives a county's city)."""
    named = [(line_id, line["donor_cities"]) for line_id, line in (lines or {}).items() if line.get("donor_cities")]
    if not named:
        return None
    by_code = {city_of(county): city for county, city in cities.items()} | cities
    comma = ", " if lang == "en" else "、"
    parts = [f"{request_line_name(line_id, lang, lines)}{': ' if lang == 'en' else '：'}{comma.join(by_code.get(c, c) for c in codes)}"
             for line_id, codes in named]
    return text("designated_donors", lang, lines=("; " if lang == "en" else "；").join(parts))


def explanation(plan: dict, lang: str, names: dict[str, str] | None = None,
                lines: dict[str, dict] | None = None) -> html.Details:
    """The plan explained, its first sentence shown and the rest folded (it can be long). In Chinese,
    a summary built from the plan's figures (who from where, when, what is missing), then matching's
    own words (with the officers nearby not chosen and why) as it wrote them."""
    words = plan.get("explanation", "")
    if lang == "en":
        words = places_in_english(words)
    if lang == "en" or not plan.get("metrics"):
        head = words.split("。")[0].split(". ")[0][:80]
        return html.Details([html.Summary(head), html.Div(words, style={"whiteSpace": "pre-wrap"})])
    summary = summary_zh(plan, names or {}, lines)
    head = summary.split("。")[0][:80]
    return html.Details([html.Summary(head), html.Div(summary, style={"whiteSpace": "pre-wrap"}),
                         html.Div(text("matching_words", lang) + words,
                                  style={"whiteSpace": "pre-wrap", "color": "#666", "marginTop": "4px"})])


def summary_zh(plan: dict, names: dict[str, str], lines: dict[str, dict] | None = None) -> str:
    """A Chinese account of a plan from its figures: officers placed and needed, latest arrival against
    the deadline, donors with their officers and latest arrival, and what is missing."""
    m = plan["metrics"]
    placed, needed = officers_placed(plan)
    latest = round(m.get("latest_eta_s", 0) / 60)
    deadline = deadline_minutes(plan)
    verdict = "可按时到位" if m.get("deadline_met") else "无法按时全部到位"
    if deadline is None:
        against = ""
    elif deadline < 0:  # planned after the deadline had passed
        against = f"（时限已过 {-deadline} 分钟，{verdict}）"
    else:
        against = f"（时限 {deadline} 分钟，{verdict}）"
    out = [f"需 {needed} 人，已安排 {placed} 人；最晚 {latest} 分钟到达{against}。"]
    latest_by: dict[str, int] = {}
    for a in plan.get("assignments", []):
        latest_by[a["from_county"]] = max(latest_by.get(a["from_county"], 0), int(a["eta_s"]))
    donors = sorted(m.get("per_donor", {}).items(), key=lambda kv: (-kv[1], kv[0]))
    if donors:
        out.append("派出：" + "、".join(f"{names.get(c, c)} {n} 人（{round(latest_by.get(c, 0) / 60)} 分钟）"
                                      for c, n in donors) + "。")
    for s in plan.get("shortfall") or []:
        where = "指定城市" if ((lines or {}).get(s["line_id"]) or {}).get("donor_cities") else "全省"
        counted = ("qualified_within_deadline" in s and "qualified" in s)   # optional in plan.proposed
        out.append(f"缺口 {request_line_name(s['line_id'], 'zh', lines)}：需 {s['needed']} 人，已安排 {s['assigned']} 人"
                   + (f"；时限内可到的合格人员 {s['qualified_within_deadline']} 名，{where}合格 {s['qualified']} 名。"
                      if counted else "。"))
    if "min_reserve_ratio" in m:
        out.append(f"派出地出警后在岗警力最低 {m['min_reserve_ratio']:.0%}。")
    return "".join(out)


def deadline_minutes(plan: dict) -> int | None:
    """The minutes the plan had to its request's deadline when it was proposed (negative: past it)."""
    from twin.ui.figures import instant

    if not plan.get("deadline") or not plan.get("proposed_at"):
        return None
    return round((instant(plan["deadline"]) - instant(plan["proposed_at"])).total_seconds() / 60)


PRINTABLE = ("approved", "committed")


def buttons(plan: dict, lang: str, refused: str | None = None) -> list:
    """Approve / Reject, enabled while the plan is proposed and the user may decide it; otherwise
    disabled, with the reason (approval level, region) on the buttons and under them. An approved plan
    also links to its signed order for print."""
    decidable = plan["status"] == "proposed" and refused is None
    title = text("not_yours", lang, reason=refused) if refused else None
    out = [
        html.Button(text("approve", lang), id={"type": ids.DECIDE, "action": "approve", "plan": plan["plan_id"]},
                    disabled=not decidable, n_clicks=0, style={"marginRight": "6px"}, title=title),
        html.Button(text("reject", lang), id={"type": ids.DECIDE, "action": "reject", "plan": plan["plan_id"]},
                    disabled=not decidable, n_clicks=0, title=title),
    ]
    if refused and plan["status"] == "proposed":
        out.append(html.Div(title, className="text-muted", style={"fontSize": "11px"}))
    if plan["status"] in PRINTABLE:   # the signed order on paper (twin.ui.order_print), for whoever may read the plan
        out.append(html.Div(html.A(text("print_order", lang), href=f"/plans/{plan['plan_id']}/order", target="_blank",
                                   rel="noopener", className="print-order"), style={"marginTop": "6px"}))
    return out


def strength_figure(plans: list[dict], lang: str = DEFAULT_LANGUAGE):
    """Donors' strength at home over the horizon (median of runs), one line per plan and donor. Built
    from plain values without plotly's validation (a unit test validates it); the empty chart every page
    opens with is built once per language (shared: do not modify)."""
    lines = [(plan, donor) for plan in (current(plans) if plans else [])
             for donor in (plan.get("preview") or {}).get("donors", [])]
    if not lines:  # no preview yet: say so instead of drawing empty axes
        return _empty_strength_figure(lang)
    figure = _strength_axes(lang)
    for plan, donor in lines:
        figure.add_trace(go.Scatter(x=[t / 60 for t in donor["times_s"]], y=donor["strength_p50"], mode="lines",
                                       name=f"{maybe('kind_' + str(plan.get('kind')), lang, '')} · {place_name(donor['name'], lang)}",
                                       _validate=False))
    return figure


@functools.lru_cache(maxsize=None)
def _empty_strength_figure(lang: str):
    figure = _strength_axes(lang, visible=False)
    figure.add_annotation(text=text("strength_empty", lang), x=0.5, y=0.5, xref="paper", yref="paper",
                          showarrow=False, font=dict(size=12, color="#6c757d"))
    return figure


def _strength_axes(lang: str, visible: bool = True):
    layout = dict(title=dict(text=text("strength_title", lang), font=dict(size=13)), height=220,
                  margin=dict(l=40, r=10, t=30, b=30), xaxis=dict(title=dict(text=text("strength_axis", lang))),
                  template=pio.templates["simple_white"])
    if not visible:
        layout["xaxis"]["visible"] = False
        layout["yaxis"] = {"visible": False}
    return go.Figure(layout=layout, _validate=False)


def minutes(seconds: float | None, lang: str, *, never: bool = False) -> str:
    if seconds is None:
        return text("never", lang) if never else text("unknown", lang)
    return text("minutes", lang, m=seconds / 60)


def percent(ratio: float | None) -> str:
    return "—" if ratio is None else f"{ratio:.0%}"


def reason_input(lang: str) -> dcc.Input:
    return dcc.Input(id=ids.REJECT_REASON, type="text", placeholder=text("reject_reason", lang),
                     style={"width": "60%"})
