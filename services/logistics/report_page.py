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


def _figure(value, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if percent else str(value)


def indicator_rows(ind: dict) -> str:
    """One row per indicator: its figure, the counts behind it, and the plan's definition."""
    rt, ut, cl = ind["response_time"], ind["utilisation"], ind["cross_region_clearance"]
    eq, sa, lc = ind["equipment_compatibility"], ind["satisfaction"], ind["logistics_coverage"]
    sides = ", ".join(f"{side} {_figure(mean)}" for side, mean in sa["by_side"].items())
    rows = [
        ("Response time", f"mean {_figure(rt['mean_s'])} s, p90 {_figure(rt['p90_s'])} s",
         f"{rt['arrivals']} arrivals, {_figure(rt['within_deadline_share'], True)} within deadline", rt),
        ("Utilisation", _figure(ut["utilisation"], True),
         f"{ut['deployed']} deployed of {ut['available_to_deploy']} available to deploy; idle "
         f"{_figure(ut['idle_rate'], True)}; {ut.get('local_work', 0)} on local work not counted", ut),
        ("Cross-region clearance", _figure(cl["rate"], True),
         f"{cl['solved']} solved of {cl['cases']} cross-region cases ({cl.get('outcome_pending', 0)} outcome pending)", cl),
        ("Equipment compatibility", _figure(eq["rate"], True), f"{eq['items_checked']} items tested on scene", eq),
        ("Satisfaction", _figure(sa["score"]), f"{sa['responses']} ratings; {sides}"
         + (f"; waiting for: {', '.join(sa['sides_missing'])}" if sa["sides_missing"] else ""), sa),
        ("Logistics coverage", _figure(lc["coverage"], True),
         f"{lc['fully_arranged']} of {lc['deployments']} support tasks with lodging, food, transport and medic", lc),
    ]
    return "".join(f"<tr><td>{escape(name)}</td><td>{escape(fig)}</td><td>{escape(basis)}</td>"
                   f"<td>{escape(item.get('definition', ''))}</td></tr>" for name, fig, basis, item in rows)


def render(report: dict) -> str:
    chart = timeline_figure(report).to_html(full_html=False, include_plotlyjs=False)
    ind = report["indicators"]
    rows = "".join(f"<tr><td>{escape(e['at'])}</td><td>{escape(e['type'])}</td><td>{escape(e['actor'] or '')}</td>"
                   f"<td>{escape(e['source'])}</td></tr>" for e in report["timeline"])
    plans = "".join(f"<tr><td>{escape(p['plan_id'])}</td><td>{escape(p['kind'] or '')}</td>"
                    f"<td>{'chosen' if p['chosen'] else 'alternative'}</td><td>{p['officers']}</td>"
                    f"<td>{escape(p['explanation'] or '')}</td></tr>" for p in report["plans"])
    deadlines = "".join(f"<tr><td>{escape(d['unit_id'])}</td><td>{escape(d['deadline'])}</td>"
                        f"<td>{escape(d['arrived_at'] or 'not yet')}</td><td>{d['response_s'] if d['response_s'] is not None else ''}</td>"
                        f"<td>{'met' if d['met'] else ('missed' if d['met'] is False else 'open')}</td></tr>"
                        for d in report["deadlines"])
    care = "".join(f"<tr><td>{escape(r['deployment_id'])}</td><td>{r['headcount']}</td><td>{escape(r['status'])}</td>"
                   f"<td>{escape(', '.join(k + ': ' + str(v.get('status')) for k, v in r['arrangements'].items()))}</td>"
                   f"<td>{'psychological follow-up for every officer' if r.get('psychological_followup') else ''}</td></tr>"
                   for r in report.get("reception", []))
    case = report.get("case_outcome")
    case_line = ("not recorded" if case is None else
                 f"{'solved' if case['solved'] else 'not solved'} ({escape(case['recorded_by'])}, {escape(case['at'])})")
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>After-action report {escape(report['incident_id'])}</title>
<script src="{PLOTLY_JS}"></script>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}</style>
</head><body>
<h1>After-action report · {escape(report['incident_id'])}</h1>
<h2>Indicators</h2>
<table id="indicators"><tr><th>indicator</th><th>figure</th><th>from</th><th>definition</th></tr>{indicator_rows(ind)}</table>
<p>Case outcome: {case_line}</p>
<div id="chart">{chart}</div>
<h2>Plans: chosen and alternatives</h2>
<table><tr><th>plan</th><th>kind</th><th></th><th>officers</th><th>explanation</th></tr>{plans}</table>
<h2>Deadlines</h2>
<table><tr><th>unit</th><th>deadline</th><th>arrived</th><th>response (s)</th><th></th></tr>{deadlines}</table>
<h2>Reception and care of the people sent</h2>
<table><tr><th>deployment</th><th>officers</th><th>status</th><th>arrangements</th><th>follow-up</th></tr>{care}</table>
<h2>Every event</h2>
<table><tr><th>when</th><th>event</th><th>who</th><th>source</th></tr>{rows}</table>
</body></html>"""
