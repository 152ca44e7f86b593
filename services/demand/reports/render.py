"""The report as CSV (one row per region and figure) and as an offline HTML page (inline SVG trend
charts; no script, stylesheet or font from anywhere)."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone
from html import escape

from ...geo.names import english_name

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


def _spark(points: list[tuple[str, float | None]], target: float | None, width=220, height=60,
           shown=str) -> str:
    """An inline SVG line of the trend, the target as a dashed line; each point's tooltip is its period
    and `shown(value)`."""
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
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="#1f4e79"><title>{escape(label)}: {escape(shown(v))}'
                         '</title></circle>')
    parts.append("</svg>")
    return "".join(parts)


LANGUAGES = ("en", "zh")
PHASES = {"zh": {"pilot": "试点", "roll_out": "推广", "deepening": "深化"},
          "en": {"pilot": "pilot", "roll_out": "roll-out", "deepening": "deepening"}}
UNITS = {"zh": {"min": "分钟", "score": "分", "points": "分"}, "en": {"min": "min", "score": "", "points": "points"}}
TEXT = {
    "en": {
        "title": "Performance report {period} — {region}", "period": "{start} to {end} (Beijing time)",
        "phase": "phase on {date}: <b>{phase}</b>", "no_phase": "none", "trend": "trend: {periods}",
        "policy": "policy {version}", "generated": "generated {at}", "incomplete": "Incomplete: ",
        "columns": ("figure", "value", "basis", "target", "phase target", "trend (dashed: the target)", "source"),
        "met": "met", "not_met": "not met", "no_data": "no data",
        "first_plan": "Requests {requests}, planned {planned}, p90 to the first plan {p90} min, within 15 min {within}.",
        "reciprocity": "Reciprocity of task points between cities",
        "rec_columns": ("city", "given", "received", "balance", "awards given", "awards received"),
        "relative": "{ratio} × the baseline year's figure ({baseline})",
    },
    "zh": {
        "title": "{region} 绩效报告 {period}", "period": "{start} 至 {end}（北京时间）",
        "phase": "{date} 所处阶段：<b>{phase}</b>", "no_phase": "无", "trend": "趋势对比：{periods}",
        "policy": "考核口径 {version}", "generated": "生成于 {at}", "incomplete": "数据不完整：",
        "columns": ("指标", "数值", "样本数", "目标", "阶段目标", "趋势（虚线为目标）", "数据来源"),
        "met": "达标", "not_met": "未达标", "no_data": "无数据",
        "first_plan": "支援请求 {requests} 起，已出方案 {planned} 起；首个方案 P90 用时 {p90} 分钟，15 分钟内出方案占 {within}。",
        "reciprocity": "各市之间的任务积分互惠",
        "rec_columns": ("城市", "支援他市所得", "他市来援所得", "差额", "支援次数", "受援次数"),
        "relative": "基准年数值的 {ratio} 倍（{baseline}）",
    },
}
_BEIJING = timezone(timedelta(hours=8))
_RELATIVE = re.compile(r"(\S+) × the baseline year's (.+)")


def _language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "en"


def _period_name(label: str, lang: str) -> str:
    """2026-H1 / 2026-06 / 2026 as a reader says it: 2026年上半年, 2026年6月, 2026年."""
    if lang != "zh":
        return label
    year, _, rest = label.partition("-")
    if not rest:
        return f"{year}年" if year.isdigit() else label
    if rest in ("H1", "H2"):
        return f"{year}年{'上' if rest == 'H1' else '下'}半年"
    return f"{year}年{int(rest)}月" if rest.isdigit() else label


def _local(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).astimezone(_BEIJING)


def _day(stamp: str, *, end: bool = False) -> str:
    """A period's bound as a Beijing calendar day; its end is exclusive, so the day shown is the last one."""
    return (_local(stamp) - (timedelta(seconds=1) if end else timedelta())).date().isoformat()


def _fmt(v, unit: str, lang: str = "en") -> str:
    if v is None:
        return "—"
    if unit == "share":
        return f"{v * 100:.1f} %"
    name = UNITS[lang].get(unit, unit)
    return f"{v} {name}".strip()


def _target(b: dict | None, unit: str, lang: str) -> str:
    """A bound in the figure's unit: ≤ 30 min, ≥ 85 %; one relative to the baseline year says so."""
    if not b:
        return ""
    op = "≥" if b["op"] == ">=" else "≤"
    if b["value"] is None:  # figures.bound: "<ratio> × the baseline year's <figure or (no figure)>"
        found = _RELATIVE.fullmatch(b.get("relative") or "")
        ratio, baseline = found.groups() if found else ("?", "(no figure)")
        try:
            baseline = _fmt(float(baseline), unit, lang)
        except ValueError:
            baseline = TEXT[lang]["no_data"]
        return f"{op} " + TEXT[lang]["relative"].format(ratio=ratio, baseline=baseline)
    return f"{op} {_fmt(b['value'], unit, lang)}"


def _cell(met, lang: str = "en") -> str:
    if met is None:
        return ""
    return f'<span class="ok">{TEXT[lang]["met"]}</span>' if met else f'<span class="no">{TEXT[lang]["not_met"]}</span>'


def html_page(report: dict, lang: str | None = "en", labels: dict[str, str] | None = None,
              city_names: dict[str, str] | None = None) -> str:
    """The report as an offline page in `lang` (en or zh): `labels` name the figures in that language
    (else the report's own labels), `city_names` the cities of the reciprocity table (else their codes).
    Times are Beijing's; shares are percentages and every bound is in its figure's unit; in English the
    places are named in pinyin (浙江省 → Zhejiang)."""
    lang = _language(lang)
    t, labels, city_names = TEXT[lang], labels or {}, city_names or {}
    if lang == "en":
        city_names = {code: english_name(name, "city") for code, name in city_names.items()}

    def place(code: str, name: str) -> str:
        return name if lang != "en" else english_name(name, "province" if code.endswith("0000") else "city")
    phase = report.get("phase")
    period = _period_name(report["period"], lang)
    generated = _local(report["generated_at"]).strftime("%Y-%m-%d %H:%M")
    facts = [t["period"].format(start=_day(report["from"]), end=_day(report["to"], end=True)),
             t["phase"].format(date=escape(report["phase_date"]),
                               phase=escape(PHASES[lang].get(phase["name"], phase["name"]) if phase else t["no_phase"])),
             t["trend"].format(periods=escape("、".join(_period_name(p, lang) for p in report["trend_periods"])
                                              if lang == "zh" else ", ".join(report["trend_periods"]))),
             t["policy"].format(version=escape(report["policy_version"])),
             t["generated"].format(at=escape(generated)),
             f"SHA-256 <code>{escape(report.get('sha256', ''))}</code>"]
    region_name = place(report["region"], report["region_name"])
    head = (f"<h1>{escape(t['title'].format(period=period, region=region_name))}</h1>"
            f"<p>{' · '.join(facts)}</p>")
    if report["incomplete"]:
        head += f"<p class='no'>{t['incomplete']}" + "; ".join(escape(i) for i in report["incomplete"]) + "</p>"
    columns = "".join(f"<th>{escape(c)}</th>" for c in t["columns"])
    sections = []
    for reg in report["regions"]:
        rows = []
        for r in reg["figures"]:
            trend = [(_period_name(t_["period"], lang), t_["value"]) for t_ in r["trend"]] + [(period, r["value"])]
            target_v = (r["phase_target"] or r["target"] or {}).get("value")
            rows.append(f"<tr><td>{escape(labels.get(r['figure'], r['label']))}</td>"
                        f"<td class='n'>{escape(_fmt(r['value'], r['unit'], lang))}</td>"
                        f"<td class='n'>{'' if r['basis'] is None else r['basis']}</td>"
                        f"<td>{escape(_target(r['target'], r['unit'], lang))} {_cell(r['met_target'], lang)}</td>"
                        f"<td>{escape(_target(r['phase_target'], r['unit'], lang))} {_cell(r['met_phase_target'], lang)}</td>"
                        f"<td>{_spark(trend, target_v, shown=lambda v, unit=r['unit']: _fmt(v, unit, lang))}</td><td class='s'>{escape(r['source'])}</td></tr>")
        fp = reg["first_plan"]
        sections.append(
            f"<h2>{escape(place(reg['region'], reg['name']))} ({escape(reg['region'])})</h2>"
            f"<table><tr>{columns}</tr>" + "".join(rows) + "</table>"
            "<p class='s'>" + escape(t["first_plan"].format(
                requests=fp["requests"], planned=fp["planned"],
                p90="—" if fp["p90_s"] is None else round(fp["p90_s"] / 60, 1),
                within=_fmt(fp["within_15_min_share"], "share", lang))) + "</p>")
    rec = "".join(f"<tr><td>{escape(city_names.get(r['city'], r['city']))}</td><td class='n'>{r['given_points']}</td>"
                  f"<td class='n'>{r['received_points']}</td><td class='n'>{r['balance']}</td>"
                  f"<td class='n'>{r['awards_given']}</td><td class='n'>{r['awards_received']}</td></tr>"
                  for r in report["reciprocity"])
    sections.append(f"<h2>{escape(t['reciprocity'])}</h2><table><tr>"
                    + "".join(f"<th>{escape(c)}</th>" for c in t["rec_columns"]) + "</tr>" + rec + "</table>")
    style = ("body{font-family:sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}"
             "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:middle}.n{text-align:right}"
             ".s{font-size:80%;color:#555}.ok{color:#1e7b34;font-weight:bold}.no{color:#b03a2e;font-weight:bold}")
    title = t["title"].format(period=period, region=region_name)
    return (f"<!doctype html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            f"<title>{escape(title)}</title><style>{style}</style></head><body>"
            + head + "".join(sections) + "</body></html>")
