"""The after-action report: the scoring's figures as JSON, and one self-contained HTML page with
charts (plotly.js is inlined, so the page opens offline with no CDN). In Chinese by default, English
with `--lang en` (texts.py); a scenario that replays a reference case gets a table of the case's
figures beside this run's outcome (seeds.py).

One time zone throughout: every instant of the report (injects, requests, decisions, the timeline)
is written in the report's zone, Beijing time by default (EXERCISE_REPORT_TZ, an IANA name, to
change it). The services stamp events in UTC and scenarios give their times in +08:00; mixed on one
chart axis they would stand eight hours apart.
"""
from __future__ import annotations

import functools
import html
import json
import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio

from services.geo.names import english_name
from twin.ui import messages

from . import scoring
from .scenario import Scenario
from .scoring import parse_time
from .texts import DEFAULT_LANGUAGE, MESSAGES, maybe, text

DEFAULT_TIME_ZONE = "Asia/Shanghai"  # Beijing time, the time the commands work in
INSTANTS = {"requests": ("requested_at", "deadline", "ordered_at", "last_arrival"), "decisions": ("at",),
            "timeline": ("at",), "injects": ("at",)}


def time_zone(env=None) -> ZoneInfo:
    return ZoneInfo((os.environ if env is None else env).get("EXERCISE_REPORT_TZ") or DEFAULT_TIME_ZONE)


def local(text: str | None, zone: ZoneInfo) -> str | None:
    """An ISO instant written in `zone` (the same instant, to the second)."""
    return parse_time(text).astimezone(zone).isoformat(timespec="seconds") if text else text


def report_data(scenario: Scenario, exercise_id: str, scored: dict, inject_log: list[dict],
                zone: ZoneInfo | None = None, lang: str = DEFAULT_LANGUAGE) -> dict:
    zone = zone or time_zone()
    data = {"exercise_id": exercise_id, "scenario": scenario.name, "title": scenario.title,
            "title_en": scenario.raw.get("title_en"),
            "start": local(scenario.start.isoformat(), zone), "time_zone": zone.key, "lang": lang,
            "duration_h": scenario.duration_s / 3600, "good_response": scenario.good_response,
            "reference_case": scenario.raw.get("reference_case"),
            "reference_case_en": scenario.raw.get("reference_case_en"), "province": scenario.province,
            "injects": inject_log, "seed_figures": [], **scored}
    for table, fields in INSTANTS.items():
        data[table] = [{**row, **{f: local(row.get(f), zone) for f in fields if row.get(f)}} for row in data[table]]
    return data


def response_figure(data: dict) -> go.Figure:
    """Per request: the worst unit response against the deadline window."""
    lang = data.get("lang", DEFAULT_LANGUAGE)
    rows = [r for r in data["requests"] if r.get("max_response_s") is not None]
    labels = _unique([request_label(r, lang, data).replace(" · ", "<br>") for r in rows])
    fig = go.Figure()
    fig.add_bar(x=labels, y=[r["max_response_s"] / 60 for r in rows], name=text("chart_slowest", lang),
                customdata=[r["request_id"] for r in rows], hovertemplate="%{x}<br>%{customdata}<br>%{y:.0f}",
                marker_color=["#2a9d8f" if r["on_time"] else "#e76f51" for r in rows])
    windows = [(parse_time(r["deadline"]) - parse_time(r["requested_at"])).total_seconds() / 60
               if r.get("deadline") and r.get("requested_at") else None for r in rows]
    fig.add_scatter(x=labels, y=windows, mode="markers", name=text("chart_window", lang),
                    marker={"symbol": "line-ew-open", "size": 28, "color": "#264653"})
    fig.update_layout(title=text("chart_response", lang), yaxis_title=text("chart_minutes", lang), height=380,
                      xaxis_tickangle=0,
                      margin={"t": 50})
    return fig


def decisions_figure(data: dict) -> go.Figure:
    lang = data.get("lang", DEFAULT_LANGUAGE)
    rows = [d for d in data["decisions"] if d["verdict"] == "approved"]
    requests = {r["request_id"]: request_label(r, lang, data) for r in data["requests"]}
    labels = _unique([plan_label(d, requests, lang).replace(" · ", "<br>") for d in rows])
    hover = {"customdata": [d["plan_id"] for d in rows], "hovertemplate": "%{x}<br>%{customdata}<br>%{y:.0f}"}
    fig = go.Figure()
    fig.add_bar(x=labels, y=[(d.get("chosen_latest_eta_s") or 0) / 60 for d in rows],
                name=text("chart_chosen", lang), **hover)
    fig.add_bar(x=labels, y=[(d.get("best_latest_eta_s") or 0) / 60 for d in rows],
                name=text("chart_best", lang), **hover)
    fig.update_layout(title=text("chart_decisions", lang), barmode="group", height=400, xaxis_tickangle=0,
                      margin={"t": 50})
    return fig


def _unique(labels: list[str]) -> list[str]:
    """Labels as a category axis needs them: a repeated one gets (2), (3) … so its bars stay apart."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


LANES = ("inject", *scoring.TIMELINE_TYPES)  # top to bottom: the injects, then the loop in its order


def timeline_figure(data: dict) -> go.Figure:
    """One lane per kind of row, named in the report's language, the loop's stages in their order."""
    lang = data.get("lang", DEFAULT_LANGUAGE)
    rows = data["timeline"]
    kinds = sorted({r["what"] for r in rows}, key=lambda k: (LANES.index(k) if k in LANES else len(LANES), k))
    names = {kind: maybe(f"lane_{kind}", lang, kind) for kind in kinds}
    fig = go.Figure()
    for kind in kinds:
        pick = [r for r in rows if r["what"] == kind]
        fig.add_scatter(x=[_wall(r["at"]) for r in pick], y=[names[kind]] * len(pick), mode="markers",
                        name=names[kind], text=[f"{r['detail']} {r['outcome']}" for r in pick], hoverinfo="x+text")
    title = text("chart_timeline", lang, zone=data.get("time_zone", DEFAULT_TIME_ZONE))
    fig.update_layout(title=title, height=120 + 28 * max(len(kinds), 1), showlegend=False, margin={"t": 50},
                      yaxis={"categoryorder": "array", "categoryarray": [names[k] for k in reversed(kinds)]})
    return fig


def _wall(text: str) -> datetime:
    """The instant as the report's zone shows it (plotly draws aware datetimes by their own offsets)."""
    return parse_time(text).replace(tzinfo=None)


def write(data: dict, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, html_path = folder / "report.json", folder / "report.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    html_path.write_text(to_html(data), encoding="utf-8")
    return json_path, html_path


def to_html(data: dict) -> str:
    lang = data.get("lang", DEFAULT_LANGUAGE)
    figures = [response_figure(data), decisions_figure(data), timeline_figure(data)]
    charts = [pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
    e = html.escape

    def t(key, **values):
        return e(text(key, lang, **values))

    def table(head, rows):
        return html_table(head, rows, lang)
    good = data["good_response"]
    na = text("na", lang)
    targets = table(("col_target", "col_wanted", "col_achieved", "col_met"),
                    [(e(maybe(f"target_{t_['target']}", lang, t_["target"])),
                      e(maybe(f"wanted_{t_['target']}", lang, str(t_["wanted"]), v=t_["wanted"])),
                      e(achieved(t_["target"], t_["achieved"], na)), "✔" if t_["met"] else "✘")
                     for t_ in data["targets"]])
    indicators = table(("col_indicator", "col_value", "col_definition"),
                       [(e(maybe(f"indicator_{k}", lang, k)), e(indicator_value(k, v, lang)), e(definition(k, lang)))
                        for k, v in data["indicators"].items()])
    injects = table(("col_at", "col_kind", "col_outcome", "col_lag"),
                    [(e(_wall(i["at"]).strftime("%Y-%m-%d %H:%M")), e(maybe(f"inject_{i['kind']}", lang, i["kind"])),
                      e(inject_words(i, lang, data)),
                      f"{i.get('lag_min', 0):g}") for i in data["injects"]])
    summary = summary_lines(data, lang)
    return f"""<!doctype html><html lang="{'zh' if lang == 'zh' else 'en'}"><head><meta charset="utf-8"><title>{e(in_language(data, 'title', lang))}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px}}#decisions td,#requests td{{white-space:nowrap}}.met{{color:#2a9d8f}}.unmet{{color:#e76f51}}</style></head><body>
<h1>{t('heading', title=in_language(data, 'title', lang))}</h1>
<p>{t('meta', exercise_id=data['exercise_id'], scenario=data['scenario'], start=_wall(data['start']).strftime('%Y-%m-%d %H:%M'), zone=data['time_zone'],
      hours=data['duration_h'], events=data['events'])}</p>
<h2>{t('seed')}</h2>{seed_section(data, lang)}
<h2>{t('good_response')}</h2><p>{e(in_language(good, 'summary', lang))}</p>
<ul>{''.join(f'<li>{e(p)}</li>' for p in in_language(good, 'points', lang) or [])}</ul>
<h2>{t('targets')}</h2>{targets}
<h2>{t('summary')}</h2><ul>{''.join(f'<li>{e(line)}</li>' for line in summary)}</ul>
<h2>{t('requests')}</h2>{requests_table(data, lang)}
<h2>{t('decisions')}</h2>{decisions_table(data, lang)}
<h2>{t('indicators')}</h2>{indicators}
{''.join(charts)}
<h2>{t('injects')}</h2>{injects}
</body></html>"""


def summary_lines(data: dict, lang: str) -> list[str]:
    """The report's summary, a line each: requests on time, best plans chosen, time to decide, reserve
    floors broken, the 12-hour limit, logistics coverage (also shown on the exercise page)."""
    approved = sum(1 for d in data["decisions"] if d["verdict"] == "approved")
    logistics = data["logistics"]
    return [text("on_time", lang, n=data["on_time"], of=len(data["requests"])),
            text("best_chosen", lang, n=data["best_chosen"], of=approved),
            *waited_line(data["decisions"], lang),
            text("reserve", lang, n=len(data["reserve_breaches"])),
            text("duty", lang, n=len(data["duty_limits"]["exceeded"]),
                 refused=data["duty_limits"]["commits_refused_for_duty_limit"]),
            text("logistics", lang, share=achieved("logistics_coverage", logistics["coverage"], text("na", lang)),
                 covered=logistics["covered"], of=logistics["deployments"])]


def html_table(head, rows, lang: str, table_id: str | None = None) -> str:
    """A table with its headings named in `lang` (message keys) and rows of cells already in HTML."""
    ident = f' id="{table_id}"' if table_id else ""
    return (f"<table{ident}><tr>" + "".join(f"<th>{html.escape(text(h, lang))}</th>" for h in head) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows) + "</table>")


def in_language(fields: dict, key: str, lang: str):
    """A scenario's text in the report's language: `key` is Chinese, `key_en` English (else `key`)."""
    return fields.get(f"{key}_en") or fields.get(key) if lang == "en" else fields.get(key)


def achieved(target: str, value, na: str) -> str:
    """This run's figure for a scenario target: minutes, a count or a share."""
    if value is None:
        return na
    if target == "logistics_coverage":
        return f"{value:.0%}"
    return f"{value:.0f}"


def indicator_value(name: str, value, lang: str) -> str:
    """An indicator's figure as a commander reads it: minutes for the response time, shares in per cent."""
    na = text("na", lang)
    if value is None:
        return na
    if name == "response_time_s" and isinstance(value, dict):
        if not value.get("n"):
            return na
        return text("value_response", lang, mean=f"{value['mean'] / 60:.1f}", median=f"{value['median'] / 60:.1f}",
                    n=value["n"])
    if name == "officer_satisfaction":
        return f"{value:.1f}"
    if isinstance(value, (int, float)):
        return f"{value:.1%}" if 0 < value < 0.1 else f"{value:.0%}"  # a small share is not 0 %
    return _fmt(value, na)


def inject_words(row: dict, lang: str, data: dict) -> str:
    """What an inject did in the report's language (the runner's `said`); a failed inject, or one logged
    before injects said what they did, as the runner wrote it."""
    said = row.get("said")
    if not row.get("ok", True) or not said or said.get("key") not in MESSAGES:
        return row["outcome"]
    key, v, sep = said["key"], dict(said.get("values") or {}), "、" if lang == "zh" else ", "
    if "county" in v:
        v["county"] = place(v["county"], lang, data)
    if key == "did_unavailable":
        extra = text("did_unavailable_busy", lang, n=v["busy"]) if v.get("busy") else ""
        extra += text("did_unavailable_short", lang, found=v["found"]) if v.get("found") is not None else ""
        return text(key, lang, county=v["county"], done=v["done"], want=v["want"]) + extra
    if key == "did_failed":
        v["kind"] = maybe(f"equipment_{v['kind']}", lang, v["kind"])
    elif key == "did_closed":
        v.update(a=place(v["a"], lang, data), b=place(v["b"], lang, data), until=_until(v["until"], lang, data),
                 link=maybe(f"link_{v['link']}", lang, v["link"]))
    elif key == "did_weather":
        v.update(regions=sep.join(place(r, lang, data) for r in v["regions"]), until=_until(v["until"], lang, data),
                 pct=f"{v['factor']:.0%}" if isinstance(v.get("factor"), (int, float)) else "—")
    elif key == "did_grew":
        words = {"people_involved": "size_people", "area_km2": "size_area"}
        v["size"] = sep.join(text(words[k], lang, n=f"{n:g}") if k in words else f"{k} {n}"
                             for k, n in v["size"].items())
    elif key == "did_scheduled":
        v["echelons"] = sep.join(v["echelons"] if lang == "zh" else v.get("echelon_ids") or v["echelons"])
    return text(key, lang, **v)


def _until(seconds, lang: str, data: dict) -> str:
    """An inject's `until` (seconds after the start) as the clock time it falls at, in the report's zone."""
    if seconds is None:
        return text("end_of_exercise", lang)
    return (parse_time(data["start"]) + timedelta(seconds=seconds)).strftime("%H:%M")


def definition(indicator: str, lang: str) -> str:
    """The plan's definition of an indicator: logistics' own text in English, its translation in Chinese."""
    return text(f"def_{indicator}", "zh") if lang == "zh" else scoring.definition(indicator)


def seed_rows(data: dict, lang: str) -> list[dict]:
    """The reference case's figures as the report shows them: figure, seed, this run, met, why."""
    out, sep = [], "、" if lang == "zh" else ", "
    for row in data.get("seed_figures", []):
        specs = row.get("line_specs") or {}
        label = text(f"measure_{row['measure']}", lang, line=messages.request_line_name(row.get("line") or "", lang, specs))
        wanted = text(f"compare_{row['compare']}", lang, wanted=row["wanted"], within=row.get("within") or 0)
        got = _number(row["achieved"], text("na", lang))
        if row.get("cities"):
            got = text("run_cities", lang, n=row["achieved"], names=sep.join(place(c, lang, data) for c in row["cities"]))
        why = ""
        if not row["met"]:
            values = dict(row.get("reason_values") or {})
            if "cities" in values:
                values = {"n": len(values["cities"]), "names": sep.join(place(c, lang, data) for c in values["cities"])}
            if "county" in values:
                values["county"] = place(values["county"], lang, data)
            if "short" in values:
                values["short"] = sep.join(
                    f"{messages.request_line_name(k, lang, specs)} {v}" for k, v in values["short"].items()) or "-"
            if "line" in values:
                values["line"] = messages.request_line_name(values["line"], lang, specs)
            why = text(f"why_{row['reason']}", lang, **values)
        seed = row.get("seed_en") if lang == "en" and row.get("seed_en") else row["seed"]
        out.append({"figure": label, "seed": f"{wanted} — {seed}", "run": got, "met": row["met"], "why": why})
    return out


def seed_section(data: dict, lang: str) -> str:
    e = html.escape
    rows = seed_rows(data, lang)
    if not rows:
        return f"<p>{e(text('seed_none', lang))}</p>"
    head = "".join(f"<th>{e(text(h, lang))}</th>" for h in ("col_figure", "col_seed", "col_run", "col_met", "col_why"))
    body = "".join(
        f"<tr><td>{e(r['figure'])}</td><td>{e(r['seed'])}</td><td>{e(r['run'])}</td>"
        f"<td class=\"{'met' if r['met'] else 'unmet'}\">{e(text('met' if r['met'] else 'not_met', lang))}</td>"
        f"<td>{e(r['why'])}</td></tr>" for r in rows)
    case = in_language(data, "reference_case", lang)
    case = f"<p>{e(text('seed_case', lang, case=case))}</p>" if case else ""
    return f"{case}<table id=\"seed-figures\"><tr>{head}</tr>{body}</table>"


def request_label(row: dict, lang: str, data: dict) -> str:
    """A request as a commander names it on a chart: its county, grade and the time it was asked
    (上城区 · II级 · 14:10); the id is in the hover."""
    when = _wall(row["requested_at"]).strftime("%H:%M") if row.get("requested_at") else ""
    grade = text("chart_grade", lang, grade=row["grade"]) if row.get("grade") else ""
    return " · ".join(p for p in (place_name(row.get("county") or "", lang, data), grade, when) if p) or row["request_id"]


def plan_label(decision: dict, requests: dict[str, str], lang: str) -> str:
    """An approved plan by its request's label, the relief shift it staffs and its version and option
    (… · 第 2 梯队 · 方案 2A), since plan ids are built from the request's (PLAN-<request>-<version>)."""
    base, which = plan_parts(decision, requests, lang)
    return " · ".join([requests[base], *which]) if base is not None else decision["plan_id"]


def plan_parts(decision: dict, requests: dict[str, str], lang: str) -> tuple[str | None, list[str]]:
    """(the request the plan is for, among `requests`, or None; the relief shift and the version: 方案 2A).
    A relief shift's plan names the request it relieves and its shift (`relief_of`, from matching's events)."""
    request = decision["request_id"]
    base, shift = request, None
    relief_of = decision.get("relief_of")
    if request not in requests and relief_of and relief_of.get("request_id") in requests:
        base, shift = relief_of["request_id"], int(relief_of["shift"])
    version = decision["plan_id"].removeprefix(f"PLAN-{request}-")
    which = [text("chart_shift", lang, shift=shift)] if shift is not None else []
    which.append(decision["plan_id"] if version == decision["plan_id"] else text("chart_plan", lang, version=version))
    return (base if base in requests else None), which


def requests_table(data: dict, lang: str) -> str:
    """Each support request: where, grade and when asked, its deadline, the first order, the last unit in
    place, units in place of those ordered, and on time or by how much it was late (clock times)."""
    e = html.escape
    rows = data["requests"]
    if not rows:
        return f"<p>{e(text('requests_none', lang))}</p>"

    def clock(at):
        return _wall(at).strftime("%H:%M") if at else "—"
    head = ("col_request", "col_deadline", "col_ordered", "col_last", "col_units", "col_on_time")
    body = []
    for r in rows:
        if r.get("cancelled"):
            verdict = text("request_cancelled", lang)
        elif r.get("on_time"):
            verdict = text("request_on_time", lang)
        elif r.get("last_arrival") and r.get("deadline") and r.get("units_arrived") == r.get("units_ordered"):
            late = (parse_time(r["last_arrival"]) - parse_time(r["deadline"])).total_seconds() / 60
            verdict = text("request_late", lang, m=f"{late:.0f}")
        else:
            verdict = text("request_not_complete", lang)
        body.append([request_label(r, lang, data), clock(r.get("deadline")), clock(r.get("ordered_at")),
                     clock(r.get("last_arrival")), f"{r.get('units_arrived', 0)} / {r.get('units_ordered', 0)}", verdict])
    return html_table(head, [[e(str(c)) for c in row] for row in body], lang, "requests")


def waited_line(decisions: list[dict], lang: str) -> list[str]:
    """How long plans waited for the trainee's decision: the mean and the longest, when any was decided."""
    waits = [d["waited_s"] / 60 for d in decisions if d.get("waited_s") is not None]
    if not waits:
        return []
    return [text("waited", lang, mean=f"{sum(waits) / len(waits):.0f}", longest=f"{max(waits):.0f}", n=len(waits))]


def decisions_table(data: dict, lang: str) -> str:
    """Every decision the trainee made, in order: when, on which request, which plan, who, how long the
    request's plans had waited, the plan's latest arrival beside the best then open, and the verdict."""
    e = html.escape
    rows = data["decisions"]
    if not rows:
        return f"<p>{e(text('decisions_none', lang))}</p>"
    requests = {r["request_id"]: request_label(r, lang, data) for r in data["requests"]}
    head = ("col_at", "col_request", "col_verdict", "col_plan", "col_by", "col_waited", "col_chosen", "col_best",
            "col_judgement")
    body = []
    for d in rows:
        base, which = plan_parts(d, requests, lang)
        minutes = [_minutes(d.get(k)) for k in ("waited_s", "chosen_latest_eta_s", "best_latest_eta_s")]
        body.append([_wall(d["at"]).strftime("%H:%M"), requests[base] if base else d["request_id"],
                     text(f"verdict_{d['verdict']}", lang), " · ".join(which), d.get("by") or "—", *minutes,
                     judgement(d, lang)])
    return html_table(head, [[e(str(c)) for c in row] for row in body], lang, "decisions")


def judgement(decision: dict, lang: str) -> str:
    """What the decision was worth against the best plan open then."""
    if decision["verdict"] == "rejected":
        return text("judged_rejected_best" if decision.get("rejected_best") else "judged_rejected", lang)
    if decision.get("chose_best"):
        return text("judged_best", lang)
    cost = decision.get("eta_cost_s")
    if cost is not None and cost > 0:
        return text("judged_later", lang, m=round(cost / 60))
    return text("judged_not_best", lang)


def _minutes(seconds) -> str:
    return "—" if seconds is None else f"{seconds / 60:.0f}"


def place_name(code: str, lang: str, data: dict) -> str:
    """A county's or city's name in the report's language (西湖区, Xihu District; 杭州市, Hangzhou), else the code."""
    found = _places(data.get("province") or "330000").get(code)
    if found is None:
        return code
    name, level = found
    return english_name(name, level) if lang == "en" else name


def place(code: str, lang: str, data: dict) -> str:
    """A county's or city's name in the report's language, with its code in English (Xihu District (330106))."""
    name = place_name(code, lang, data)
    return f"{name} ({code})" if lang == "en" and name != code else name


@functools.cache
def _places(province: str) -> dict[str, tuple[str, str]]:
    """Code -> (Chinese name, level) of the province's counties and cities, from the geography data."""
    from services.geo import Geography
    try:
        geography = Geography.load(province)
    except (KeyError, FileNotFoundError, ValueError):
        return {}
    places = {c.code: (c.name, "county") for c in geography.counties}
    places.update({c.city_code: (c.city_name, "city") for c in geography.counties})
    return places


def _number(value, na: str) -> str:
    if value is None:
        return na
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _fmt(value, na: str = "n/a") -> str:
    if value is None:
        return na
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v, na)}" for k, v in value.items())
    return str(value)
