"""The report as CSV (one row per region and figure) and as an offline HTML page (inline SVG trend
charts; no script, stylesheet or font from anywhere)."""
from __future__ import annotations

import csv
import io
from html import escape

COLUMNS = ("period", "region", "region_name", "figure", "label", "unit", "value", "basis", "target",
           "met_target", "phase", "phase_target", "met_phase_target", "trend", "source")


def _bound(b: dict | None) -> str:
    if not b:
        return ""
    return f"{b['op']} {b['value']}" if b["value"] is not None else f"{b['op']} ({b.get('relative', 'n/a')})"


def _flag(v) -> str:
    return "" if v is None else ("yes" if v else "no")


def csv_text(report: dict) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    phase = (report.get("phase") or {}).get("name", "")
    for reg in report["regions"]:
        for r in reg["figures"]:
            w.writerow([report["period"], reg["region"], reg["name"], r["figure"], r["label"], r["unit"],
                        "" if r["value"] is None else r["value"], "" if r["basis"] is None else r["basis"],
                        _bound(r["target"]), _flag(r["met_target"]), phase, _bound(r["phase_target"]),
                        _flag(r["met_phase_target"]),
                        " ".join(f"{t['period']}={'' if t['value'] is None else t['value']}" for t in r["trend"]),
                        r["source"]])
    for rec in report["reciprocity"]:
        w.writerow([report["period"], rec["city"], "", "reciprocity_balance", "task points given - received", "points",
                    rec["balance"], rec["awards_given"] + rec["awards_received"], "", "", phase, "", "",
                    f"given={rec['given_points']} received={rec['received_points']}",
                    "resources points.awarded, consumed by demand"])
    return out.getvalue()


def _spark(points: list[tuple[str, float | None]], target: float | None, width=220, height=60) -> str:
    """An inline SVG line of the trend, the target as a dashed line."""
    vals = [v for _, v in points if v is not None] + ([target] if target is not None else [])
    if not vals:
        return '<svg width="%d" height="%d" role="img" aria-label="no data"></svg>' % (width, height)
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or (abs(hi) or 1.0)
    lo, hi = lo - span * 0.1, hi + span * 0.1
    n = max(1, len(points) - 1)
    x = lambda i: 8 + (width - 16) * i / n  # noqa: E731
    y = lambda v: height - 8 - (height - 16) * (v - lo) / (hi - lo)  # noqa: E731
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">']
    if target is not None:
        parts.append(f'<line x1="4" x2="{width - 4}" y1="{y(target):.1f}" y2="{y(target):.1f}" '
                     'stroke="#c0392b" stroke-dasharray="4 3"/>')
    line = [(x(i), y(v)) for i, (_, v) in enumerate(points) if v is not None]
    if len(line) > 1:
        parts.append('<polyline fill="none" stroke="#1f4e79" stroke-width="2" points="'
                     + " ".join(f"{a:.1f},{b:.1f}" for a, b in line) + '"/>')
    for i, (label, v) in enumerate(points):
        if v is not None:
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#1f4e79"><title>{escape(label)}: {v}'
                         '</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


def _fmt(v, unit: str) -> str:
    if v is None:
        return "—"
    return f"{v * 100:.1f} %" if unit == "share" else f"{v} {unit}"


def _cell(met) -> str:
    return "" if met is None else ('<span class="ok">met</span>' if met else '<span class="no">not met</span>')


def html_page(report: dict) -> str:
    phase = report.get("phase")
    head = (f"<h1>Performance report {escape(report['period'])} — {escape(report['region_name'])}</h1>"
            f"<p>{escape(report['from'])} to {escape(report['to'])} · phase at {escape(report['phase_date'])}: "
            f"<b>{escape(phase['name'] if phase else 'none')}</b> · trend: {escape(', '.join(report['trend_periods']))}"
            f" · policy {escape(report['policy_version'])} · generated {escape(report['generated_at'])}"
            f" · SHA-256 <code>{escape(report.get('sha256', ''))}</code></p>")
    if report["incomplete"]:
        head += "<p class='no'>Incomplete: " + "; ".join(escape(i) for i in report["incomplete"]) + "</p>"
    sections = []
    for reg in report["regions"]:
        rows = []
        for r in reg["figures"]:
            trend = [(t["period"], t["value"]) for t in r["trend"]] + [(report["period"], r["value"])]
            target_v = (r["phase_target"] or r["target"] or {}).get("value")
            rows.append(f"<tr><td>{escape(r['label'])}</td><td class='n'>{_fmt(r['value'], r['unit'])}</td>"
                        f"<td class='n'>{'' if r['basis'] is None else r['basis']}</td>"
                        f"<td>{escape(_bound(r['target']))} {_cell(r['met_target'])}</td>"
                        f"<td>{escape(_bound(r['phase_target']))} {_cell(r['met_phase_target'])}</td>"
                        f"<td>{_spark(trend, target_v)}</td><td class='s'>{escape(r['source'])}</td></tr>")
        fp = reg["first_plan"]
        sections.append(
            f"<h2>{escape(reg['name'])} ({escape(reg['region'])})</h2>"
            "<table><tr><th>figure</th><th>value</th><th>basis</th><th>target</th><th>phase target</th>"
            "<th>trend (dashed: the target)</th><th>source</th></tr>" + "".join(rows) + "</table>"
            f"<p class='s'>Requests {fp['requests']}, planned {fp['planned']}, p90 to the first plan "
            f"{'—' if fp['p90_s'] is None else round(fp['p90_s'] / 60, 1)} min, within 15 min "
            f"{_fmt(fp['within_15_min_share'], 'share')}.</p>")
    rec = "".join(f"<tr><td>{escape(r['city'])}</td><td class='n'>{r['given_points']}</td>"
                  f"<td class='n'>{r['received_points']}</td><td class='n'>{r['balance']}</td>"
                  f"<td class='n'>{r['awards_given']}</td><td class='n'>{r['awards_received']}</td></tr>"
                  for r in report["reciprocity"])
    sections.append("<h2>Reciprocity of task points between cities</h2><table><tr><th>city</th><th>given</th>"
                    "<th>received</th><th>balance</th><th>awards given</th><th>awards received</th></tr>"
                    + rec + "</table>")
    style = ("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:middle}.n{text-align:right}"
             ".s{font-size:80%;color:#555}.ok{color:#1e7b34;font-weight:bold}.no{color:#b03a2e;font-weight:bold}")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>Performance report {escape(report['period'])}</title><style>{style}</style></head><body>"
            + head + "".join(sections) + "</body></html>")
