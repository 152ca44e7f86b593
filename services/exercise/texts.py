"""Every label of the after-action report, in Simplified Chinese (the default) and English, as the
twin has them (`twin.ui.messages`): `text(key, lang, **values)`; a missing key raises KeyError.

The language of a report: `--lang en` on the command line, else EXERCISE_REPORT_LANG, else Chinese.
Place names come from the geography data (Chinese in both languages, with the code in English).
"""
from __future__ import annotations

import os

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


def language(lang: str | None = None, env=None) -> str:
    chosen = lang or (os.environ if env is None else env).get("EXERCISE_REPORT_LANG") or DEFAULT_LANGUAGE
    if chosen not in LANGUAGES:
        raise ValueError(f"report language is one of {', '.join(LANGUAGES)}, not {chosen!r}")
    return chosen


MESSAGES: dict[str, tuple[str, str]] = {
    "heading": ("演练复盘报告：{title}", "After-action report: {title}"),
    "meta": ("演练 {exercise_id} · 想定 {scenario} · 开始 {start}（{zone}）· {hours:g} 小时 · 记录事件 {events} 条",
             "Exercise {exercise_id} · scenario {scenario} · start {start} ({zone}) · {hours:g} h · {events} events recorded"),
    "good_response": ("良好处置的标准", "What a good response looks like"),
    "seed": ("与参考案例对照", "Against the reference case"),
    "seed_case": ("参考案例：{case}", "Reference case: {case}"),
    "seed_none": ("本想定未对应参考案例。", "This scenario replays no reference case."),
    "col_figure": ("指标", "figure"), "col_seed": ("参考案例", "seed"), "col_run": ("本次演练", "this run"),
    "col_met": ("是否达到", "met"), "col_why": ("原因", "why"),
    "met": ("达到", "met"), "not_met": ("未达到", "not met"),
    "targets": ("目标", "Targets"), "col_target": ("目标", "target"), "col_wanted": ("要求", "wanted"),
    "col_achieved": ("实际", "achieved"),
    "summary": ("概要", "Summary"),
    "waited": ("审批用时（自首个方案提出至决定）：平均 {mean} 分钟，最长 {longest} 分钟（{n} 次决定）",
               "time to decide (from a request's first plan to the decision): mean {mean} min, longest {longest} min ({n} decisions)"),
    "decisions": ("决策记录", "Decisions"),
    "requests": ("支援请求", "Support requests"),
    "requests_none": ("本次演练没有支援请求", "No support was requested in this exercise"),
    "col_deadline": ("到位时限", "due"), "col_ordered": ("首次下令", "first order"),
    "col_last": ("最后到位", "last in place"), "col_units": ("到位 / 下令单元", "units in place / ordered"),
    "col_on_time": ("是否按时", "on time"),
    "request_on_time": ("按时", "on time"), "request_late": ("晚 {m} 分钟", "{m} min late"),
    "request_not_complete": ("未全部到位", "not all in place"), "request_cancelled": ("已撤销", "cancelled"),
    "decisions_none": ("本次演练没有审批或驳回方案", "No plan was approved or rejected in this exercise"),
    "col_request": ("支援请求", "request"), "col_verdict": ("决定", "decision"), "col_plan": ("方案", "plan"),
    "col_by": ("决定人", "by"), "col_waited": ("审批用时（分钟）", "waited (min)"),
    "col_chosen": ("该方案最晚到达（分钟）", "its latest arrival (min)"),
    "col_best": ("当时最优方案（分钟）", "best then open (min)"), "col_judgement": ("评价", "verdict"),
    "verdict_approved": ("批准", "approved"), "verdict_rejected": ("驳回", "rejected"),
    "judged_best": ("最优方案", "the best"), "judged_later": ("比最优方案晚 {m} 分钟到齐", "{m} min later than the best"),
    "judged_not_best": ("非最优方案", "not the best"),
    "judged_rejected_best": ("驳回了当时的最优方案", "rejected the best then open"),
    "judged_rejected": ("驳回（非最优方案）", "rejected (not the best)"),
    "on_time": ("按时完成的请求：{n} / {of}", "requests on time: {n} of {of}"),
    "best_chosen": ("批准的方案中为最优方案的：{n} / {of}", "approved plans that were the best available: {n} of {of}"),
    "reserve": ("突破保底警力的次数：{n}", "reserve floors broken: {n}"),
    "duty": ("超过 12 小时执勤上限的民警：{n}（因执勤上限被拒绝的调用：{refused}）",
             "officers past the 12-hour duty limit: {n} (commits refused for the limit: {refused})"),
    "logistics": ("后勤保障覆盖率：{share}（{covered} / {of} 个支援任务）",
                  "logistics coverage: {share} ({covered} of {of} deployments)"),
    "indicators": ("六项指标", "The six indicators"),
    "col_indicator": ("指标", "indicator"), "col_value": ("数值", "figure"), "col_definition": ("定义", "definition"),
    "injects": ("注入事件", "Injects"), "col_at": ("时间", "at"), "col_kind": ("类型", "kind"),
    "col_outcome": ("结果", "outcome"), "col_lag": ("延迟施放（模拟分钟）", "applied late by (simulated min)"),
    "chart_response": ("各请求最慢单元响应时间", "Response time per request"),
    "chart_slowest": ("最慢单元（分钟）", "slowest unit (min)"),
    "chart_grade": ("{grade}级", "grade {grade}"),
    "chart_shift": ("第 {shift} 梯队", "shift {shift}"),
    "chart_plan": ("方案 {version}", "plan {version}"),
    "chart_window": ("时限（分钟）", "deadline window (min)"),
    "chart_minutes": ("分钟", "minutes"),
    "chart_decisions": ("所选方案与最优方案（最晚到达，分钟）", "Plans chosen vs best available (latest arrival, min)"),
    "chart_chosen": ("所选方案", "chosen plan"), "chart_best": ("最优方案", "best available"),
    "chart_timeline": ("时间线（{zone}）", "Timeline ({zone})"),
    "na": ("无", "n/a"),
    # the timeline's lanes: the injects, then the loop's events in the order they happen
    "lane_inject": ("注入事件", "injects"), "lane_incident.reported": ("事件上报", "incident reported"),
    "lane_support.requested": ("支援请求", "support requested"), "lane_support.escalated": ("请求升级", "request escalated"),
    "lane_plan.approved": ("方案批准", "plan approved"), "lane_plan.rejected": ("方案驳回", "plan rejected"),
    "lane_commit.rejected": ("调用被拒", "commit refused"), "lane_dispatch.ordered": ("调令下达", "dispatch ordered"),
    "lane_unit.arrived": ("单元到位", "unit in place"), "lane_deployment.released": ("支援解除", "deployment released"),
    # the seed figures: what each measure counts
    "measure_officers_deployed": ("跨区支援警力（人）", "support officers deployed"),
    "measure_officers_on_case": ("投入案件警力（支援 + 属地，人）", "officers on the case (support + the county's own)"),
    "measure_donor_cities": ("派出警力的城市（个）", "cities the officers came from"),
    "measure_max_response_min": ("最慢单元响应时间（分钟，下令至到位）", "slowest unit, order to in place (min)"),
    "measure_mean_response_min": ("平均响应时间（分钟，下令至到位）", "mean response, order to in place (min)"),
    "measure_completion_min": ("完成支援用时（分钟，首个调令至最后到位）", "support completed, first order to last in place (min)"),
    "measure_line_filled": ("到位的{line}岗位人数", "officers dispatched on line {line}"),
    "compare_at_least": ("≥ {wanted:g}", "≥ {wanted:g}"), "compare_at_most": ("≤ {wanted:g}", "≤ {wanted:g}"),
    "compare_about": ("约 {wanted:g}（±{within:g}）", "about {wanted:g} (±{within:g})"),
    "compare_exactly": ("= {wanted:g}", "= {wanted:g}"),
    "run_cities": ("{n:g}（{names}）", "{n:g} ({names})"),
    # why a seed figure is not met
    "why_no_request": ("该案件未形成支援请求", "the case raised no support request"),
    "why_nothing_dispatched": ("{requests} 个请求均未下达调令（方案未获批准或未提交）",
                               "none of the case's {requests} requests was dispatched (no plan approved and committed)"),
    "why_units_not_arrived": ("{ordered} 个调令中有 {missing} 个单元在演练结束前未到位",
                              "{missing} of {ordered} ordered units were not in place by the end of the exercise"),
    "why_slowest_unit": ("最慢单元 {unit}（来自{county}）用时 {minutes} 分钟：路程本身超出目标",
                         "the slowest unit, {unit} from {county}, took {minutes} min: its journey alone exceeds the target"),
    "why_asked_more": ("请求按事件所需申请了 {asked} 人（属地自行承担 {local} 人），多于参考案例",
                       "the requests asked for {asked} (the county covered {local} itself), more than the case drew"),
    "why_asked_less": ("请求只申请了 {asked} 人（属地自行承担 {local} 人）",
                       "the requests asked for only {asked} (the county covered {local} itself)"),
    "why_line_not_asked": ("请求中没有{line}岗位（属地已自行承担，或未申请）",
                           "no request asked for line {line} (the county covered it itself, or it was not asked)"),
    "why_plans_short": ("批准的方案只配齐 {planned} / {asked} 人，缺口：{short}",
                        "the approved plans filled {planned} of {asked} places; short: {short}"),
    "why_fewer_cities": ("最近的合格警力只来自 {n} 个城市：{names}", "the nearest qualified officers came from only {n} cities: {names}"),
    "why_more_cities": ("最近的合格警力分散在 {n} 个城市：{names}", "the nearest qualified officers were spread over {n} cities: {names}"),
    # the targets a scenario sets (good_response.targets) and how this run's figure is written
    "target_max_response_min": ("最慢单元响应时间（分钟，下令至到位）", "slowest unit, order to in place (min)"),
    "target_min_donor_cities": ("派出警力的城市（个）", "donor cities"),
    "target_min_officers_deployed": ("派出的支援警力（人）", "support officers dispatched"),
    "target_logistics_coverage": ("后勤保障覆盖率", "logistics coverage"),
    "wanted_max_response_min": ("≤ {v:g}", "≤ {v:g}"), "wanted_min_donor_cities": ("≥ {v:g}", "≥ {v:g}"),
    "wanted_min_officers_deployed": ("≥ {v:g}", "≥ {v:g}"), "wanted_logistics_coverage": ("≥ {v:.0%}", "≥ {v:.0%}"),
    # the six indicators' names, and how their figures read
    "indicator_response_time_s": ("平均响应时间（下令至到位）", "response time (order to in place)"),
    "indicator_utilisation": ("警力利用率（已调派 / 可调派）", "utilisation (deployed / deployable)"),
    "indicator_cross_region_clearance": ("跨区案件破案率", "cross-region clearance rate"),
    "indicator_equipment_compatibility": ("装备兼容率", "equipment compatibility"),
    "indicator_officer_satisfaction": ("民警满意度（1–5 分）", "officer satisfaction (1-5)"),
    "indicator_logistics_coverage": ("后勤保障覆盖率", "logistics coverage"),
    "value_response": ("平均 {mean} 分钟，中位 {median} 分钟（{n} 个单元）", "mean {mean} min, median {median} min ({n} units)"),
    # the injects: their kinds, and what each did, as the runner recorded it (injects.Outcome)
    "inject_incident": ("事件上报", "incident"), "inject_competing_incident": ("竞争性事件", "competing incident"),
    "inject_incident_growth": ("事态扩大", "incident growth"), "inject_preposition": ("预置任务", "pre-positioned task"),
    "inject_officers_unavailable": ("警力减员", "officers unavailable"),
    "inject_equipment_failure": ("装备故障", "equipment failure"), "inject_road_closure": ("道路封闭", "road closure"),
    "inject_weather": ("恶劣天气", "weather"),
    "did_reported": ("事件 {id} 已上报", "incident {id} reported"),
    "did_grew": ("事件 {id} 第 {n} 次报告，规模：{size}", "incident {id} reported again (report {n}), size: {size}"),
    "did_scheduled": ("预置任务 {id} 已排定，梯队：{echelons}", "pre-positioned task {id} scheduled, echelons: {echelons}"),
    "did_unavailable": ("{county} {done} / {want} 名民警转为不可用", "{done} of {want} officers of {county} unavailable"),
    "did_unavailable_busy": ("（{n} 名已被方案占用，改取他人）", " ({n} reserved meanwhile, others taken)"),
    "did_unavailable_short": ("（在岗空闲的只有 {found} 名）", " (only {found} on duty and free there)"),
    "did_failed": ("{county} {failed} / {want} 件{kind}失效", "{failed} of {want} {kind} in {county} failed"),
    "did_closed": ("{a}—{b} 之间的{link}封闭至 {until}：{reason}", "the {link} between {a} and {b} closed until {until}: {reason}"),
    "did_weather": ("{regions} 道路通行速度降至 {pct}，至 {until}：{reason}",
                    "roads of {regions} at {pct} of their speed until {until}: {reason}"),
    "size_people": ("涉及 {n} 人", "{n} people"), "size_area": ("{n} 平方公里", "{n} km²"),
    "link_road": ("道路", "road"), "link_bridge": ("桥梁", "bridge"), "link_ferry": ("轮渡", "ferry"),
    "end_of_exercise": ("演练结束", "the end of the exercise"),
    "equipment_body_camera": ("执法记录仪", "body cameras"), "equipment_radio": ("对讲机", "radios"),
    "equipment_drone": ("无人机", "drones"), "equipment_drone_swarm": ("无人机集群", "drone swarms"),
    "equipment_eod_robot": ("排爆机器人", "EOD robots"), "equipment_mobile_command_vehicle": ("移动指挥车", "mobile command vehicles"),
    "equipment_life_detector": ("生命探测仪", "life detectors"), "equipment_forensic_kit": ("取证设备", "forensic kits"),
    "equipment_riot_shield_set": ("防暴盾牌组", "riot shield sets"), "equipment_vehicle": ("车辆", "vehicles"),
    # the six indicators' definitions (the plan's own; English as logistics serves them)
    "def_response_time_s": ("从调令下达到警力到位：每个单元的调令至到达报到点，以平台记录为准。", None),
    "def_utilisation": ("实际派出的支援警力 / 可调派警力：执行支援任务的警力除以支援中与可派出的警力之和；"
                        "忙于本地工作的警力不计入可调派。闲置率为同一口径中空闲的比例。", None),
    "def_cross_region_clearance": ("跨区案件破案数 / 跨区案件数：接受其他县区警力支援的事件中，由接收方记录为已破的。", None),
    "def_equipment_compatibility": ("与接收方系统兼容的支援单元装备件数 / 测试件数，以到达现场时的测试为准。", None),
    "def_officer_satisfaction": ("双方对每次支援任务的评分（1–5）：派出的支援民警与接收方各自平均后再取平均，任何一方不多占权重；"
                                 "双方都评价之前不计。", None),
    "def_logistics_coverage": ("各项保障（住宿、餐饮、交通、随队医护）全部落实的支援任务 / 支援任务。", None),
}


def maybe(key: str, lang: str, default: str, **values) -> str:
    """`text(key, ...)` when the key is known, else `default` (a code from a newer scenario, say)."""
    return text(key, lang, **values) if key in MESSAGES else default


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    zh, en = MESSAGES[key]
    template = zh if lang == "zh" or en is None else en
    return template.format(**values) if values else template
