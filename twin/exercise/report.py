"""The after-action report: the scoring's figures as JSON, and one self-contained HTML page with
charts (plotly.js is inlined, so the page opens offline with no CDN).

One time zone throughout: every instant of the report (injects, requests, decisions, the timeline)
is written in the report's zone, Beijing time by default (EXERCISE_REPORT_TZ, an IANA name, to
change it). The services stamp events in UTC and scenarios give their times in +08:00; mixed on one
chart axis they would stand eight hours apart.
"""
from __future__ import annotations

import html
import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio

from . import scoring
from .scenario import Scenario
from .scoring import parse_time


DEFAULT_TIME_ZONE = "Asia/Shanghai"  # Beijing time, the time the commands work in
INSTANTS = {"requests": ("requested_at", "deadline", "ordered_at", "last_arrival"), "decisions": ("at",),
            "timeline": ("at",), "injects": ("at",)}


def time_zone(env=None) -> ZoneInfo:
    return ZoneInfo((os.environ if env is None else env).get("EXERCISE_REPORT_TZ") or DEFAULT_TIME_ZONE)


def local(text: str | None, zone: ZoneInfo) -> str | None:
    """An ISO instant written in `zone` (the same instant, to the second)."""
    return parse_time(text).astimezone(zone).isoformat(timespec="seconds") if text else text


def report_data(scenario: Scenario, exercise_id: str, scored: dict, inject_log: list[dict],
                zone: ZoneInfo | None = None) -> dict:
    zone = zone or time_zone()
    data = {"exercise_id": exercise_id, "scenario": scenario.name, "title": scenario.title,
            "start": local(scenario.start.isoformat(), zone), "time_zone": zone.key,
            "duration_h": scenario.duration_s / 3600, "good_response": scenario.good_response,
            "injects": inject_log, **scored}
    for table, fields in INSTANTS.items():
        data[table] = [{**row, **{f: local(row.get(f), zone) for f in fields if row.get(f)}} for row in data[table]]
    return data


def response_figure(data: dict) -> go.Figure:
    """Per request: the worst unit response against the deadline window."""
    rows = [r for r in data["requests"] if r.get("max_response_s") is not None]
    fig = go.Figure()
    fig.add_bar(x=[r["request_id"] for r in rows], y=[r["max_response_s"] / 60 for r in rows], name="slowest unit (min)",
                marker_color=["#2a9d8f" if r["on_time"] else "#e76f51" for r in rows])
    windows = [(parse_time(r["deadline"]) - parse_time(r["requested_at"])).total_seconds() / 60
               if r.get("deadline") and r.get("requested_at") else None for r in rows]
    fig.add_scatter(x=[r["request_id"] for r in rows], y=windows, mode="markers", name="deadline window (min)",
                    marker={"symbol": "line-ew-open", "size": 28, "color": "#264653"})
    fig.update_layout(title="Response time per request", yaxis_title="minutes", height=360, margin={"t": 50})
    return fig


def decisions_figure(data: dict) -> go.Figure:
    rows = [d for d in data["decisions"] if d["verdict"] == "approved"]
    fig = go.Figure()
    fig.add_bar(x=[d["plan_id"] for d in rows], y=[(d.get("chosen_latest_eta_s") or 0) / 60 for d in rows], name="chosen plan")
    fig.add_bar(x=[d["plan_id"] for d in rows], y=[(d.get("best_latest_eta_s") or 0) / 60 for d in rows], name="best available")
    fig.update_layout(title="Plans chosen vs best available (latest arrival, min)", barmode="group", height=360,
                      margin={"t": 50})
    return fig


def timeline_figure(data: dict) -> go.Figure:
    rows = data["timeline"]
    kinds = sorted({r["what"] for r in rows})
    fig = go.Figure()
    for kind in kinds:
        pick = [r for r in rows if r["what"] == kind]
        fig.add_scatter(x=[_wall(r["at"]) for r in pick], y=[kind] * len(pick), mode="markers", name=kind,
                        text=[f"{r['detail']} {r['outcome']}" for r in pick], hoverinfo="x+text")
    fig.update_layout(title=f"Timeline ({data.get('time_zone', DEFAULT_TIME_ZONE)})", height=120 + 28 * max(len(kinds), 1), showlegend=False, margin={"t": 50})
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
    figures = [response_figure(data), decisions_figure(data), timeline_figure(data)]
    charts = [pio.to_html(fig, full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
    e = html.escape
    good = data["good_response"]
    targets = "".join(f"<tr><td>{e(t['target'])}</td><td>{e(str(t['wanted']))}</td><td>{e(_fmt(t['achieved']))}</td>"
                      f"<td>{'✔' if t['met'] else '✘'}</td></tr>" for t in data["targets"])
    indicators = "".join(f"<tr><td>{e(k)}</td><td>{e(_fmt(v))}</td><td>{e(scoring.definition(k))}</td></tr>"
                         for k, v in data["indicators"].items())
    injects = "".join(f"<tr><td>{e(i['at'])}</td><td>{e(i['kind'])}</td><td>{e(i['outcome'])}</td>"
                      f"<td>{i.get('lag_min', 0):g}</td></tr>" for i in data["injects"])
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>{e(data['title'])}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px}}</style></head><body>
<h1>After-action report: {e(data['title'])}</h1>
<p>Exercise {e(data['exercise_id'])} · scenario {e(data['scenario'])} · start {e(data['start'])} ·
{data['duration_h']:g} h · {data['events']} events recorded</p>
<h2>What a good response looks like</h2><p>{e(good['summary'])}</p>
<ul>{''.join(f'<li>{e(p)}</li>' for p in good.get('points', []))}</ul>
<h2>Targets</h2><table><tr><th>target</th><th>wanted</th><th>achieved</th><th>met</th></tr>{targets}</table>
<h2>Summary</h2><ul><li>requests on time: {data['on_time']} of {len(data['requests'])}</li>
<li>approved plans that were the best available: {data['best_chosen']} of
{sum(1 for d in data['decisions'] if d['verdict'] == 'approved')}</li>
<li>reserve floors broken: {len(data['reserve_breaches'])}</li>
<li>officers past the 12-hour duty limit: {len(data['duty_limits']['exceeded'])}
(commits refused for the limit: {data['duty_limits']['commits_refused_for_duty_limit']})</li>
<li>logistics coverage: {_fmt(data['logistics']['coverage'])} ({data['logistics']['covered']} of
{data['logistics']['deployments']} deployments)</li></ul>
<h2>The six indicators</h2><table><tr><th>indicator</th><th>figure</th><th>definition</th></tr>{indicators}</table>
{''.join(charts)}
<h2>Injects</h2><table><tr><th>at</th><th>kind</th><th>outcome</th><th>applied late by (simulated min)</th></tr>
{injects}</table>
</body></html>"""


def _fmt(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    return str(value)
