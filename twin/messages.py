"""Every label the twin shows, in Simplified Chinese (the default) and English: one catalogue.

`text(key, lang, **values)` formats a label; place names come from the geography data, never from
here. A key missing from the catalogue raises KeyError, so a typo fails in tests, not on screen.
"""
from __future__ import annotations

LANGUAGES = {"zh": "中文", "en": "English"}
DEFAULT_LANGUAGE = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "title": ("警力跨区互援 · 数字孪生", "Cross-regional police mutual deployment · digital twin"),
    "language": ("语言", "Language"),
    "colour_by": ("着色", "Colour by"),
    "load": ("负载", "load"),
    "gap": ("警力缺口", "force gap"),
    "officers_available": ("可用警力", "available"),
    "officers_on_duty": ("在岗警力", "on duty"),
    "incidents_count": ("事件 {n} 起", "{n} incidents"),
    "clock": ("孪生时钟 {time} 北京时间", "twin clock {time} Beijing time (UTC+8)"),
    "counties": ("县区", "counties"),
    "officers": ("警力（按县汇总）", "officers (per county)"),
    "on_duty_short": ("在岗", "on duty"),
    "available_short": ("可用", "available"),
    "committed_short": ("支援中", "committed"),
    "units": ("支援单元", "support units"),
    "late_units": ("超时单元", "late units"),
    "route": ("方案路线", "plan routes"),
    "grade_I": ("I级 特别重大", "grade I especially major"),
    "grade_II": ("II级 重大", "grade II major"),
    "grade_III": ("III级 较大", "grade III relatively major"),
    "grade_IV": ("IV级 一般", "grade IV general"),
    "grade_none": ("未定级", "ungraded"),
    "identity": ("当前身份", "Acting as"),
    "role": ("角色", "role"),
    "region": ("辖区", "region"),
    "province": ("全省", "whole province"),
    "requests": ("支援请求", "Support requests"),
    "pick_request": ("选择支援请求", "Select a support request"),
    "no_requests": ("暂无支援请求", "No support requests yet"),
    "request_label": ("{county} · {grade}级 · {status} · 时限 {deadline}", "{county} · grade {grade} · {status} · due {deadline}"),
    "plans": ("候选方案对比", "Candidate plans"),
    "no_plans": ("该请求暂无候选方案", "No candidate plans for this request yet"),
    "kind_fastest": ("最快", "fastest"),
    "kind_fairest": ("最公平", "fairest"),
    "kind_least_reserve_damage": ("对派出地影响最小", "least reserve damage"),
    "metric": ("指标", "metric"),
    "eta_plan": ("方案预计（最晚）", "planned ETA (latest)"),
    "eta_p50": ("全部到位 P50", "all in place P50"),
    "eta_p90": ("全部到位 P90", "all in place P90"),
    "p_deadline": ("按时到位概率", "chance of meeting the deadline"),
    "reserve_left": ("派出地剩余警力（最低）", "reserve left at home (lowest)"),
    "fairness": ("积分差（公平性）", "points spread (fairness)"),
    "headcount": ("人数", "officers"),
    "donors": ("派出县区", "donor counties"),
    "status": ("状态", "status"),
    "explanation": ("方案说明", "explanation"),
    "minutes": ("{m:.0f} 分钟", "{m:.0f} min"),
    "never": ("超出模拟时段", "beyond the horizon"),
    "unknown": ("—", "—"),
    "approve": ("批准", "Approve"),
    "reject": ("驳回", "Reject"),
    "preview_again": ("重新推演", "Preview again"),
    "reject_reason": ("驳回理由", "reason for rejecting"),
    "reason_needed": ("驳回需要填写理由", "A rejection needs a reason"),
    "result_approved": ("方案 {plan} 已批准", "Plan {plan} approved"),
    "result_rejected": ("方案 {plan} 已驳回", "Plan {plan} rejected"),
    "result_refused": ("无权审批方案 {plan}（审批层级不符）：{detail}", "Not allowed to decide plan {plan} (approval level): {detail}"),
    "result_conflict": ("方案 {plan} 已被处理：{detail}", "Plan {plan} was already decided: {detail}"),
    "result_error": ("审批失败（{status}）：{detail}", "The decision failed ({status}): {detail}"),
    "status_open": ("待处理", "open"),
    "status_approved": ("已批准", "approved"),
    "status_proposed": ("待审批", "proposed"),
    "status_rejected": ("已驳回", "rejected"),
    "status_committed": ("已调派", "committed"),
    "status_commit_rejected": ("调派失败", "commit failed"),
    "status_void": ("已作废", "void"),
    "status_cancelled": ("已撤销", "cancelled"),
    "status_released": ("已结束", "released"),
    "status_dispatched": ("已下令", "dispatched"),
    "status_moving": ("途中", "on the way"),
    "status_arrived": ("已到达", "arrived"),
    "status_reported": ("已上报", "reported"),
    "status_acknowledged": ("已确认", "acknowledged"),
    "status_requested": ("已请求", "requested"),
    "status_planning": ("方案生成中", "planning"),
    "status_awaiting_approval": ("待审批", "awaiting approval"),
    "status_partially_filled": ("部分到位", "partially filled"),
    "status_on_scene": ("已到场", "on scene"),
    "status_closed": ("已关闭", "closed"),
    "preview_runs": ("{runs} 次模拟 · 集结 {mob} · 路程系数 {travel}", "{runs} runs · mobilisation {mob} · travel factor {travel}"),
    "strength_title": ("派出地在家警力（P50）", "strength at home, donors (P50)"),
    "incident_id": ("编号", "ID"),
    "grade": ("等级", "grade"),
    "type": ("类型", "type"),
    "county": ("县区", "county"),
    "reported_at": ("上报时间（北京）", "reported (Beijing)"),
    "replay": ("回放", "Replay"),
    "replay_speed": ("倍速", "speed"),
    "replay_play": ("播放", "Play"),
    "replay_pause": ("暂停", "Pause"),
    "replay_none": ("未加载记录", "no recording loaded"),
    "type_telecom_fraud": ("电信诈骗", "telecom fraud"),
    "type_mass_gathering": ("群体聚集", "mass gathering"),
    "type_major_event": ("大型活动", "major event"),
    "type_flood": ("洪涝", "flood"),
    "type_violent_crime": ("暴力犯罪", "violent crime"),
    "type_hostage": ("劫持人质", "hostage taking"),
    "type_traffic_accident": ("交通事故", "traffic accident"),
    "type_missing_person": ("人员走失", "missing person"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "province_commander": ("省级指挥长", "province commander"),
    "city_commander": ("市级指挥长", "city commander"),
    "county_duty_officer": ("县级值班员", "county duty officer"),
    "resource_manager": ("资源管理员", "resource manager"),
    "viewer": ("观察员", "viewer"),
}


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    zh, en = MESSAGES[key]
    template = en if lang == "en" else zh
    return template.format(**values) if values else template


def maybe(key: str, lang: str, fallback: str) -> str:
    """The label for `key` when the catalogue has it (statuses, types), else `fallback` as is."""
    return text(key, lang) if key in MESSAGES else fallback


def role_name(role: str, lang: str = DEFAULT_LANGUAGE) -> str:
    zh, en = ROLE_NAMES.get(role, (role, role))
    return en if lang == "en" else zh
