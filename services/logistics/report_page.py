"""The after-action report as a readable page, with a timeline chart drawn by plotly.js served locally."""
from __future__ import annotations

from html import escape

import plotly.graph_objects as go

PLOTLY_JS = "/static/plotly.min.js"


def timeline_figure(report: dict) -> go.Figure:
    fig = go.Figure()
    events = report["timeline"]
    fig.add_trace(go.Scatter(
        x=[e["at"] for e in events], y=[e["type"] for e in events], mode="markers", name="events",
        marker={"size": 10}, text=[f"{e['actor']} ({e['source']})" for e in events],
        hovertemplate="%{y}<br>%{x}<br>%{text}<extra></extra>"))
    for d in report["deadlines"]:
        end = d["arrived_at"] or d["deadline"]
        fig.add_trace(go.Scatter(x=[d["ordered_at"], end], y=[f"unit {d['unit_id']}"] * 2, mode="lines+markers",
                                 name=d["unit_id"], line={"width": 6, "color": "seagreen" if d["met"] else "firebrick"},
                                 hovertemplate=f"{escape(d['unit_id'])}: order → {'arrival' if d['arrived_at'] else 'deadline'}"
                                               "<extra></extra>"))
    fig.update_layout(title="Timeline", height=max(320, 40 * (len({e['type'] for e in events}) + len(report["deadlines"]))),
                      showlegend=False, margin={"l": 200, "r": 20, "t": 40, "b": 40})
    return fig


def render(report: dict) -> str:
    chart = timeline_figure(report).to_html(full_html=False, include_plotlyjs=False)
    ind = report["indicators"]
    rt = ind["response_time"]
    rows = "".join(f"<tr><td>{escape(e['at'])}</td><td>{escape(e['type'])}</td><td>{escape(e['actor'] or '')}</td>"
                   f"<td>{escape(e['source'])}</td></tr>" for e in report["timeline"])
    plans = "".join(f"<tr><td>{escape(p['plan_id'])}</td><td>{escape(p['kind'] or '')}</td>"
                    f"<td>{'chosen' if p['chosen'] else 'alternative'}</td><td>{p['officers']}</td>"
                    f"<td>{escape(p['explanation'] or '')}</td></tr>" for p in report["plans"])
    deadlines = "".join(f"<tr><td>{escape(d['unit_id'])}</td><td>{escape(d['deadline'])}</td>"
                        f"<td>{escape(d['arrived_at'] or 'not yet')}</td><td>{d['response_s'] if d['response_s'] is not None else ''}</td>"
                        f"<td>{'met' if d['met'] else ('missed' if d['met'] is False else 'open')}</td></tr>"
                        for d in report["deadlines"])
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>After-action report {escape(report['incident_id'])}</title>
<script src="{PLOTLY_JS}"></script>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body>
<h1>After-action report · {escape(report['incident_id'])}</h1>
<h2>Indicators</h2>
<ul>
<li>Response time: mean {rt['mean_s']} s, p90 {rt['p90_s']} s, within deadline {rt['within_deadline_share']}</li>
<li>Utilisation {ind['utilisation']['utilisation']}, idle rate {ind['utilisation']['idle_rate']}</li>
<li>Equipment compatibility {ind['equipment_compatibility']['rate']}</li>
<li>Satisfaction {ind['satisfaction']['mean']} ({ind['satisfaction']['responses']} ratings)</li>
<li>Logistics coverage {ind['logistics_coverage']['coverage']}</li>
<li>Cross-region clearance {ind['cross_region_clearance']['rate']}</li>
</ul>
<div id="chart">{chart}</div>
<h2>Plans: chosen and alternatives</h2>
<table><tr><th>plan</th><th>kind</th><th></th><th>officers</th><th>explanation</th></tr>{plans}</table>
<h2>Deadlines</h2>
<table><tr><th>unit</th><th>deadline</th><th>arrived</th><th>response (s)</th><th></th></tr>{deadlines}</table>
<h2>Every event</h2>
<table><tr><th>when</th><th>event</th><th>who</th><th>source</th></tr>{rows}</table>
</body></html>"""
