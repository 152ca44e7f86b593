"""An approved plan as a printable, signed order (print-ready HTML, Chinese, A4), and its verification page.

    GET /plans/<plan_id>/order    the order: the request, the incident, the officers by donor county,
                                  the times (Beijing), the task's scope and reporting point, and the
                                  approval (who, when, at what level) with its signature digest and a
                                  QR code of the verification link
    GET /plans/<plan_id>/verify   the verification page the QR code opens: the twin recomputes the
                                  approval's digest, compares it with the printed one (?digest=) and
                                  checks matching's signature with the key registry's public keys

Both answer only a user who may read the plan (twin.ui.visibility; otherwise 404, as for a plan that does
not exist). The approval is the signed `plan.approved` the twin mirrored from the stream; the digest is
SHA-256 of its canonical JSON without the signature (services.common.keys.approval_digest), exactly what
matching signed. Officers' names, ranks and phones come from resources with the user's own token, so
resources' masking rules for the user's role apply (phones masked); an officer resources does not show
to this user is printed by police number only. Nothing is loaded from another origin: the page uses the
browser's own CJK fonts and the QR code is inline SVG drawn on the server (segno).
"""
from __future__ import annotations

import io
import os
from html import escape
from urllib.parse import urlencode

import requests
import segno
from flask import Flask, Response, jsonify, request

from services.common import keys
from services.common.query import MAX_IDS, id_batches
from twin.mirror.client import TIMEOUT_S, ServicesClient, auth_headers
from twin.mirror.names import names_for
from twin.sim.model import ProvinceModel
from twin.ui import signin, visibility
from twin.ui.figures import beijing_time
from twin.ui.messages import line_name, maybe, request_line_name, role_name, tag_name, task_name
from twin.ui.panel import PRINTABLE

ORDER_PATH = "/plans/<plan_id>/order"
VERIFY_PATH = "/plans/<plan_id>/verify"
SCRIPT_PATH = "/order/print.js"
OFFICER_READS = MAX_IDS   # officers read from resources in one request (GET /officers?ids=; a plan may name 121)
LEVELS = {"province_commander": "省级审批", "city_commander": "市级审批"}
PRINT_JS = "document.getElementById('print').addEventListener('click', () => window.print());\n"

STYLE = """
@page { size: A4; margin: 14mm 14mm 16mm 14mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Serif CJK SC", "Source Han Serif SC", "SimSun", "Songti SC", "Noto Sans CJK SC",
       "Microsoft YaHei", serif; color: #000; margin: 0; background: #eee; font-size: 10.5pt; line-height: 1.5; }
.sheet { width: 210mm; min-height: 297mm; margin: 12px auto; padding: 14mm; background: #fff;
         box-shadow: 0 0 6px rgba(0,0,0,.25); }
h1 { text-align: center; font-size: 20pt; letter-spacing: 4px; margin: 0 0 2mm; color: #b00; }
.docno { text-align: center; margin-bottom: 3mm; }
.rule { border-top: 2px solid #b00; margin: 0 0 4mm; }
h2 { font-size: 12pt; margin: 4mm 0 1.5mm; border-left: 4px solid #b00; padding-left: 2mm; }
table { width: 100%; border-collapse: collapse; margin: 1mm 0; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #444; padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: #f2f2f2; font-weight: bold; white-space: nowrap; }
.kv th { width: 28mm; }
.donor { font-weight: bold; margin-top: 2mm; }
/* one set of column widths for every donor's table: number, name, rank and phone on one line each */
.officers { table-layout: fixed; font-size: 9.5pt; }
.officers th, .officers td { white-space: normal; overflow-wrap: anywhere; }
.officers th:nth-child(1) { width: 19%; } .officers th:nth-child(2) { width: 8%; }
.officers th:nth-child(3) { width: 10%; } .officers th:nth-child(4) { width: 14%; }
.officers th:nth-child(5) { width: 16%; } .officers th:nth-child(6) { width: 22%; }
.officers th:nth-child(7) { width: 11%; }
.approval { display: flex; gap: 6mm; align-items: flex-start; page-break-inside: avoid; }
.approval table { flex: 1; }
.qr { width: 36mm; text-align: center; font-size: 8pt; }
.qr svg { width: 34mm; height: 34mm; }
.mono { font-family: "DejaVu Sans Mono", "Consolas", monospace; font-size: 9pt; word-break: break-all; }
.sign { display: flex; justify-content: space-between; margin-top: 8mm; page-break-inside: avoid; }
.sign div { width: 45%; border-top: 1px solid #000; padding-top: 1mm; }
.foot { margin-top: 4mm; font-size: 8.5pt; color: #333; }
.ok { color: #060; font-weight: bold; } .bad { color: #b00; font-weight: bold; }
.toolbar { text-align: center; margin: 10px; }
.toolbar button { font-size: 14px; padding: 6px 18px; }
@media print {
  body { background: #fff; }
  .sheet { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
  .toolbar { display: none; }
}
"""


def install(app, model: ProvinceModel, client: ServicesClient) -> None:
    server: Flask = app.server

    @server.get(ORDER_PATH)
    def printable_order(plan_id: str):
        found = readable(model, plan_id)
        if found is None:
            return not_found(plan_id)
        if found["plan"].get("status") not in PRINTABLE or not found["plan"].get("approval"):
            return page("调度令未生成", f"<p id='order-not-approved'>方案 {escape(plan_id)} 尚未批准，"
                                        "批准后方可打印调度令。</p>"), 409
        user = signin.current_user()
        people = officers(client, [a["officer_id"] for a in found["plan"]["assignments"]], user.token if user else None)
        named = names_for(model, client, {a["unit_id"] for a in found["plan"]["assignments"] if a.get("unit_id")})
        found["unit_names"] = {unit_id: names["zh"] for unit_id, names in named.items()}   # the order is in Chinese
        users = getattr(getattr(app, "twin_signin", None), "names", {})   # users.yaml: who the approver is
        return page(f"调度令 {plan_id}", order_html(found, people, verify_link(plan_id, found["plan"]["approval"]),
                                                  users), script=True)

    @server.get(VERIFY_PATH)
    def verify_order(plan_id: str):
        found = readable(model, plan_id)
        if found is None:
            return not_found(plan_id)
        approval = found["plan"].get("approval")
        if not approval:
            return page("核验", f"<p id='verify-result' class='bad'>方案 {escape(plan_id)} 没有已签名的批准记录。</p>"), 404
        return page(f"核验 {plan_id}", verify_html(plan_id, approval, request.args.get("digest", "")))

    @server.get(SCRIPT_PATH)
    def print_script():
        return Response(PRINT_JS, mimetype="application/javascript", headers={"Cache-Control": "max-age=3600"})


# --- what the order shows ---------------------------------------------------------------------------

def readable(model: ProvinceModel, plan_id: str) -> dict | None:
    """The plan with its request, incident, orders and county names, when the signed-in user may read
    it (twin.ui.visibility); None otherwise."""
    snapshot = model.snapshot()
    allowed = visibility.permitted(snapshot, signin.current_identity())
    plan = next((p for p in allowed["plans"] if p["plan_id"] == plan_id), None)
    if plan is None:
        return None
    request_ = next((r for r in snapshot["requests"] if r["request_id"] == plan["request_id"]), {})
    incident_id = plan.get("incident_id") or request_.get("incident_id")
    incident = next((i for i in snapshot["incidents"] if i["incident_id"] == incident_id), {})
    with model.lock:
        orders = [dict(u.order) for u in model.units() if u.order and u.order.get("plan_id") == plan_id]
    names = {c["code"]: c["name"] for c in snapshot["counties"]}
    cities = {c["code"]: c.get("city_name") or "" for c in snapshot["counties"]}
    return {"plan": plan, "request": request_, "incident": incident, "orders": orders, "names": names,
            "cities": cities, "province": getattr(model.geography, "province_name", "")}


def officers(client: ServicesClient, officer_ids: list[str], token: str | None) -> dict[str, dict]:
    """Each officer as resources shows them to this user (its masking for the user's role), read by id
    (GET /officers?ids=; up to OFFICER_READS a request, as many as a request line holds); an officer resources does not answer
    for is left out (printed by police number), and so are all the rest once resources does not answer."""
    url = client.urls.get("resources")
    if not url or not token:
        return {}
    out: dict[str, dict] = {}
    for chunk in id_batches(officer_ids, OFFICER_READS):
        try:
            resp = client.session.get(f"{url}/officers", params={"ids": ",".join(chunk)},
                                      headers=auth_headers(token), timeout=TIMEOUT_S)
        except requests.RequestException:
            break
        if resp.status_code != 200:
            break
        out.update((person["officer_id"], person) for person in resp.json().get("items", ()))
    return out


def approval_digest_hex(approval: dict) -> str:
    return keys.approval_digest(approval).hex()


def grouped(digest: str, size: int = 8) -> str:
    return " ".join(digest[i:i + size] for i in range(0, len(digest), size))


def verify_link(plan_id: str, approval: dict) -> str:
    """The absolute address of the verification page, with the digest printed on the order."""
    origin = (os.environ.get("TWIN_ORIGIN") or request.host_url).rstrip("/")
    return f"{origin}/plans/{plan_id}/verify?{urlencode({'digest': approval_digest_hex(approval)})}"


def qr_svg(data: str) -> str:
    """The QR code of `data` as inline SVG (no image file, nothing fetched)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, omitsize=True,
                                     title="核验二维码", unit=None)
    return out.getvalue().decode()


def signature_check(approval: dict) -> str | None:
    """None when matching's signature verifies with a registered, unrevoked key; else why not."""
    try:
        return keys.registry().approval_problem(approval)
    except (OSError, ValueError) as exc:
        return f"the key registry could not be read: {exc}"


def order_html(found: dict, people: dict[str, dict], link: str, users: dict[str, str] | None = None) -> str:
    plan, req, incident, names = found["plan"], found["request"], found["incident"], found["names"]
    approval = plan["approval"]
    county = lambda code: escape(f"{found['cities'].get(code, '')}{names.get(code, code or '')}")  # noqa: E731
    digest = approval_digest_hex(approval)
    orders_by_unit = {o["unit_id"]: o for o in found["orders"]}
    first_order = found["orders"][0] if found["orders"] else {}
    scope = first_order.get("scope") or {}
    point = first_order.get("reporting_point") or {}
    parts = [
        "<div class='toolbar'><button id='print' type='button'>打印</button> 打印纸张：A4</div>",
        "<div class='sheet' id='order'>",
        f"<h1>{escape(found['province'])}公安机关警力跨区支援调度令</h1>",
        f"<div class='docno'>令号：<span id='order-plan'>{escape(plan['plan_id'])}</span>"
        f"　请求：{escape(plan['request_id'])}</div><div class='rule'></div>",
        "<h2>一、支援请求</h2><table class='kv'>",
        row("请求单位", county(req.get("county") or approval.get("county"))),
        row("等级", escape(maybe(f"grade_{approval.get('grade') or req.get('grade')}", "zh",
                                 str(approval.get("grade") or req.get("grade") or "")))),
        row("请求时间", beijing_time(req.get("requested_at")) + "（北京时间）" if req.get("requested_at") else "—"),
        row("到位时限", beijing_time(req.get("deadline")) + "（北京时间）" if req.get("deadline") else "—"),
        row("所需警力", "<br>".join(escape(f"{line_name(line['line_id'], 'zh', line.get('module'))}："
                                           f"{maybe('module_' + str(line.get('module')), 'zh', line.get('module') or '')}"
                                           f" {line.get('headcount', '')} 人"
                                           + (f"（{'、'.join(tag_name(tag, 'zh') for tag in line.get('tags') or [])}）"
                                              if line.get("tags") else ""))
                                    for line in req.get("lines") or []) or "—"),
        "</table>",
        "<h2>二、事件</h2><table class='kv'>",
        row("事件编号", escape(incident.get("incident_id") or approval.get("incident_id") or "—")),
        row("类型", escape(maybe(f"type_{incident.get('type')}", "zh", incident.get("type") or "—"))),
        row("发生地", county(incident.get("county") or req.get("county"))),
        row("上报时间", beijing_time(incident.get("reported_at")) + "（北京时间）" if incident.get("reported_at") else "—"),
        row("简要情况", escape(incident.get("description") or "—")),
        "</table>",
        "<h2>三、派出警力（按派出县区）</h2>",
        officers_html(plan, people, county, orders_by_unit, {line["line_id"]: line for line in req.get("lines") or []},
                      found.get("unit_names") or {}),
        "<h2>四、时间（北京时间）</h2><table class='kv'>",
        row("批准时间", beijing_time(approval.get("at"))),
        row("下达调度", beijing_time(first_order.get("ordered_at")) if first_order else "待物流下达"),
        row("任务开始", beijing_time(approval.get("task_start"))),
        row("任务结束", beijing_time(approval.get("task_end"))),
        "</table>",
        "<h2>五、任务范围与报到</h2><table class='kv'>",
        row("任务内容", "<br>".join(escape(task_name(t, "zh")) for t in scope.get("tasks") or []) or "按接收地现场指挥员指令，在任务范围内执行"),
        row("授权时段", f"{beijing_time(scope['from'])} 至 {beijing_time(scope['until'])}" if scope.get("from") else "—"),
        row("报到地点", escape(point.get("name") or "—") + (f"（{county(point.get('county'))}）" if point.get("county") else "")),
        row("现场指挥", escape(first_order.get("receiving_commander") or "接收地公安机关现场指挥员")),
        row("纪律", "支援警力到达后接受接收地现场指挥，只在任务范围内行动；超出范围须经接收地授权。"),
        "</table>",
        "<h2>六、审批与电子签名</h2><div class='approval'><table class='kv'>",
        row("审批人", escape(approver(str(approval.get("approved_by", "")), users or {}))),
        row("审批层级", escape(LEVELS.get(approval.get("role"), role_name(approval.get("role") or "", "zh")))
            + f"（{escape(role_name(approval.get('role') or '', 'zh'))}）"),
        row("审批时间", beijing_time(approval.get("at")) + "（北京时间）"),
        *([row("审批意见", escape(approval["comment"]))] if approval.get("comment") else []),
        row("签名摘要<br>SHA-256", f"<span class='mono' id='signature-digest'>{grouped(digest)}</span>"),
        row("电子签名", f"<span class='mono' id='signature'>{escape(approval.get('signature', ''))}</span>"),
        row("签名核验", signature_status(approval)),
        "</table>",
        f"<div class='qr' id='verify-qr'>{qr_svg(link)}<div>扫码核验</div>"
        f"<div class='mono' id='verify-link'>{escape(link)}</div></div></div>",
        "<div class='sign'><div>带队民警签收：　　　　　　日期：</div><div>接收地报到确认：　　　　　　日期：</div></div>",
        "<div class='foot'>签名摘要为审批内容（不含签名）规范化 JSON 的 SHA-256；电子签名由方案服务的 Ed25519 密钥生成，"
        "公钥见方案服务 GET /keys。核验：扫码或打开上方链接，比对摘要并校验签名。本令人员信息按查看人权限脱敏。</div>",
        "</div>",
    ]
    return "".join(parts)


def officers_html(plan: dict, people: dict[str, dict], county, orders_by_unit: dict[str, dict],
                  lines: dict[str, dict] | None = None, unit_names: dict[str, str] | None = None) -> str:
    by_donor: dict[str, list[dict]] = {}
    for a in plan["assignments"]:
        by_donor.setdefault(a.get("from_county") or "", []).append(a)
    out = [f"<p>共 {len(plan['assignments'])} 人，来自 {len(by_donor)} 个县区。</p>"]
    for donor in sorted(by_donor):
        rows = by_donor[donor]
        out.append(f"<div class='donor'>{county(donor)}　{len(rows)} 人</div><table class='officers'><tr><th>警号</th>"
                   "<th>姓名</th><th>警衔</th><th>联系电话</th><th>任务线</th><th>单元</th><th>预计到达</th></tr>")
        for a in rows:
            person = people.get(a["officer_id"], {})
            eta = f"{round(a['eta_s'] / 60)} 分钟" if isinstance(a.get("eta_s"), (int, float)) else "—"
            out.append("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in (
                a["officer_id"], person.get("name") or "—", person.get("rank") or "—", person.get("phone") or "—",
                request_line_name(a.get("line_id", ""), "zh", lines),
                (unit_names or {}).get(a.get("unit_id")) or a.get("unit_id") or "—",
                eta)) + "</tr>")
        out.append("</table>")
    return "".join(out)


def approver(subject: str, names: dict[str, str]) -> str:
    """The approving user's id, with their name where the user list has one (zj-commander（省公安厅指挥中心值班长）)."""
    name = names.get(subject)
    return f"{subject}（{name}）" if name else subject


def signature_status(approval: dict) -> str:
    problem = signature_check(approval)
    if problem is None:
        return "<span class='ok' id='signature-status'>有效（方案服务登记公钥校验通过）</span>"
    return f"<span class='bad' id='signature-status'>未通过：{escape(problem)}</span>"


def verify_html(plan_id: str, approval: dict, printed: str) -> str:
    digest = approval_digest_hex(approval)
    printed = "".join(printed.split()).lower()
    problem = signature_check(approval)
    same = printed == digest
    if problem is None and same:
        verdict = "<p id='verify-result' class='ok'>核验通过：调度令摘要与审批记录一致，电子签名有效。</p>"
    elif problem is None:
        verdict = ("<p id='verify-result' class='bad'>核验未通过：所印摘要与审批记录不一致，"
                   "调度令可能被改动或不是本方案的。</p>")
    else:
        verdict = f"<p id='verify-result' class='bad'>核验未通过：{escape(problem)}</p>"
    return "".join([
        "<div class='sheet'><h1>调度令核验</h1><div class='rule'></div>", verdict, "<table class='kv'>",
        row("方案", escape(plan_id)),
        row("审批人", escape(str(approval.get("approved_by", "")))),
        row("审批层级", escape(LEVELS.get(approval.get("role"), role_name(approval.get("role") or "", "zh")))),
        row("审批时间", beijing_time(approval.get("at")) + "（北京时间）"),
        row("所印摘要", f"<span class='mono'>{grouped(printed) or '—'}</span>"),
        row("记录摘要", f"<span class='mono' id='record-digest'>{grouped(digest)}</span>"),
        row("签名", signature_status(approval)),
        "</table></div>"])


def row(label: str, value: str) -> str:
    return f"<tr><th>{label}</th><td>{value}</td></tr>"


def page(title: str, body: str, script: bool = False) -> Response:
    tail = f"<script src='{SCRIPT_PATH}'></script>" if script else ""
    html = (f"<!doctype html><html lang='zh'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}{tail}</body></html>")
    return Response(html, mimetype="text/html")


def not_found(plan_id: str):
    return jsonify({"title": "Not found", "status": 404, "detail": f"no plan {plan_id}"}), 404
