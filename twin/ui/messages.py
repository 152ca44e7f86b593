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
    "circle": ("1小时支援圈", "support circle"),
    "circle_head": ("60 分钟内可支援的模块（支援警力 {minutes} 分钟内）", "modules covered within 60 min (support within {minutes} min)"),
    "circle_unknown": ("支援圈：—", "support circle: —"),
    "module_riot_control": ("处突", "riot control"),
    "module_investigation": ("刑侦", "investigation"),
    "module_technical_support": ("技术支援", "technical support"),
    "module_patrol": ("巡逻", "patrol"),
    "module_traffic": ("交通", "traffic"),
    "module_emergency_rescue": ("应急救援", "emergency rescue"),
    "incidents_count": ("事件 {n} 起", "{n} incidents"),
    "incidents_count_one": ("事件 {n} 起", "{n} incident"),
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
    "signin": ("登录", "Sign in"),
    "signin_paste": ("粘贴为您签发的令牌（python -m services.common.users token <用户>，或 var/tokens.json）：",
                     "Paste the token issued for you (python -m services.common.users token <user>, or var/tokens.json):"),
    "signin_no_demo": ("演示用户一键登录未开启（在线模式或非本机访问）",
                       "One-click demo sign-in is off (live mode, or not on this machine)"),
    "signin_again": ("登录已失效，请重新登录", "Your sign-in has expired: sign in again"),
    "demo_users": ("演示模式：一键登录演示用户", "Demo mode: sign in as a demo user with one click"),
    "demo_users_note": ("仅在演示和演练模式下（DEMO=1 或演练）、且仅对本机（127.0.0.1）的浏览器提供；"
                        "在线部署（DEMO=0）不提供，必须使用签发的令牌。",
                        "Offered only in demo and exercise modes (DEMO=1 or an exercise) and only to a browser on "
                        "this machine (127.0.0.1); a live deployment (DEMO=0) never offers it and needs a token "
                        "issued for you."),
    "demo_local_only": ("演示模式：一键登录演示用户仅对本机（127.0.0.1）的浏览器提供。",
                        "Demo mode: one-click sign-in as a demo user is offered only to a browser on this machine "
                        "(127.0.0.1)."),
    "signin_cross_site": ("登录请求必须来自本系统的登录页", "A sign-in must come from this twin's own sign-in page"),
    "demo_badge": ("演示模式", "DEMO"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "signout": ("退出登录", "Sign out"),
    "exercise_page": ("演练", "Exercises"),
    "map_page": ("指挥地图", "Command map"),
    "report_page": ("绩效报告", "Performance report"),
    "reception_page": ("接待保障", "Reception"),
    "report_title": ("本半年度绩效报告（{period}）", "performance report of this half-year ({period})"),
    "report_unavailable": ("绩效报告暂不可用", "The performance report is not available"),
    "withheld": ("您的角色（{role}）无权查看{what}；可查看的角色：{readers}。",
                 "Your role ({role}) may not read {what}; roles that may: {readers}."),
    "what_incidents": ("事件", "incidents"),
    "what_requests": ("支援请求及其方案", "support requests and their plans"),
    "what_plans": ("支援方案", "support plans"),
    "what_county_loads": ("各县区警力与负载", "the counties' force and load"),
    "what_report": ("绩效报告", "the performance report"),
    "county_figures_withheld": ("警力与负载：无权查看", "force and load: not shown"),
    "incidents_withheld": ("事件：无权查看", "incidents: not shown"),
    "board_count_withheld": ("待处理：无权查看", "open: not shown"),
    "report_no_answer": ("需求服务（demand）未应答，请稍后再试。", "The demand service did not answer; try again shortly."),
    "back_to_map": ("返回指挥地图", "Back to the command map"),
    "api_docs": ("接口文档：", "API docs:"),
    "ex_title": ("桌面推演", "Tabletop exercises"),
    "ex_scenarios": ("内置想定", "Built-in scenarios"),
    "ex_speed": ("倍速（1–600）", "speed (1–600)"),
    "ex_start": ("开始演练", "Start the exercise"),
    "ex_started": ("演练 {id} 已开始（服务启动约需半分钟）", "Exercise {id} started (its services take about half a minute to start)"),
    "ex_trainer_only": ("仅演练组（trainer）可开始或控制演练", "Only a trainer may start or steer an exercise"),
    "ex_trainee_note": ("开始和控制演练由演练组（trainer）操作；您可在下方以受训人身份审批方案。",
                        "A trainer starts and steers exercises; you can decide their plans below as a trainee."),
    "ex_observer_note": ("开始和控制演练由演练组（trainer）操作。", "A trainer starts and steers exercises."),
    "ex_cannot_start": ("本孪生实例不能启动演练：请在命令行启动（make exercise SCENARIO=<想定>）",
                        "This twin starts no exercise: start one from the command line (make exercise SCENARIO=<scenario>)"),
    "ex_list": ("演练列表", "Exercises"),
    "ex_pick": ("选择演练", "Select an exercise"),
    "ex_running": ("进行中", "running"),
    "ex_finished": ("已结束", "finished"),
    "ex_starting": ("启动中", "starting"),
    "ex_due": ("时限 {m} 分钟", "due in {m} min"),
    "grade_short": ("{grade}级", "grade {grade}"),
    "ex_reporting": ("生成报告中", "writing its report"),
    "ex_stopped": ("已停止（无报告）", "stopped (no report)"),
    "ex_paused": ("已暂停", "paused"),
    "ex_pause": ("暂停", "Pause"),
    "ex_resume": ("继续", "Resume"),
    "ex_set_speed": ("设定倍速", "Set speed"),
    "ex_clock": ("演练时钟 ×{speed:g}{paused}", "exercise clock ×{speed:g}{paused}"),
    "ex_pending": ("待审批方案（受训人）", "Plans awaiting a decision (trainee)"),
    "ex_no_pending": ("暂无待审批方案", "No plan awaits a decision"),
    "ex_pending_closed": ("演练已结束：以下 {n} 个方案未经审批，已不能再批",
                          "The exercise has ended: these {n} plans were never decided and can no longer be"),
    "ex_undecided": ("未审批", "undecided"),
    "ex_report": ("复盘报告", "After-action report"),
    "ex_no_report": ("演练结束后生成报告", "The report is written when the exercise ends"),
    "ex_report_withheld": ("报告涵盖本演练的全部请求，其中有不属于您辖区的，因此不向您显示",
                           "The report covers every request of this exercise, some outside your region, so it is not shown to you"),
    "ex_replay": ("复盘回放", "Debrief replay"),
    "ex_no_events": ("尚无记录的事件", "No recorded events yet"),
    "ex_replay_start": ("演练开始", "start of the exercise"),
    "ex_replay_end": ("最新", "latest"),
    "ex_log": ("运行记录", "Run log"),
    "ex_not_running": ("演练 {id} 未在运行", "Exercise {id} is not running"),
    "role": ("角色", "role"),
    "region": ("辖区", "region"),
    "province": ("全省", "whole province"),
    "requests": ("支援请求", "Support requests"),
    "pick_request": ("选择支援请求", "Select a support request"),
    "no_requests": ("暂无支援请求", "No support requests yet"),
    "request_label": ("{county} · {grade}级 · {status} · 时限 {deadline}", "{county} · grade {grade} · {status} · due {deadline}"),
    "relief_label": ("第 {shift} 梯队，接替 {parent}", "shift {shift}, relieves {parent}"),
    "duty_alerts": ("{n} 人将满 12 小时", "{n} near 12 h on duty"),
    "plans": ("候选方案对比", "Candidate plans"),
    "no_plans": ("该请求暂无候选方案", "No candidate plans for this request yet"),
    "plans_loading": ("正在载入候选方案…", "Loading the candidate plans…"),
    "no_request_picked": ("在上方选择支援请求，比较其候选方案", "Select a support request above to compare its plans"),
    "kind_fastest": ("最快", "fastest"),
    "kind_fairest": ("最公平", "fairest"),
    "kind_least_reserve_damage": ("对派出地影响最小", "least reserve damage"),
    "agree": ("{kinds}一致：同一方案", "{kinds} agree: one plan"),
    "differs": ("与第一列方案的差异", "differs from the first plan"),
    "differs_none": ("派出构成相同", "same donors"),
    "preposition": ("预置建议（为按时到位）", "pre-positioning that would meet the deadline"),
    "preposition_line": ("{what}：预置 {n} 人于 {where}", "{what}: stage {n} at {where}"),
    "preposition_nowhere": ("{what}：{n} 人，时限内无县区可达，无法靠预置按时到位", "{what}: {n}, no county within the deadline to stage them at"),
    "metric": ("指标", "metric"),
    "eta_plan": ("方案预计（最晚）", "planned ETA (latest)"),
    "eta_p50": ("全部到位 P50", "all in place P50"),
    "eta_p90": ("全部到位 P90", "all in place P90"),
    "p_deadline": ("按时到位概率", "chance of meeting the deadline"),
    "designated_donors": ("指挥部指定派出城市：{lines}（方案只从这些城市选派）",
                          "Donor cities designated by the command: {lines} (plans draw only on them)"),
    "build_up": ("分时到位人数（P50）", "officers in place over time (P50)"),
    "build_up_point": ("{when}：{n} 人", "{when}: {n}"),
    "build_up_deadline": ("时限 {m:.0f} 分钟", "deadline {m:.0f} min"),
    "build_up_hours": ("{h:.0f} 小时", "{h:.0f} h"),
    "reserve_left": ("派出地剩余警力（最低）", "reserve left at home (lowest)"),
    "fairness": ("积分差（公平性）", "points spread (fairness)"),
    "leaving_circle": ("出动后离开支援圈的县区", "counties leaving the 1-hour circle if sent"),
    "leaving_none": ("无", "none"),
    "headcount": ("人数", "officers"),
    "donors": ("派出县区", "donor counties"),
    "status": ("状态", "status"),
    "explanation": ("方案说明", "explanation"),
    "minutes": ("{m:.0f} 分钟", "{m:.0f} min"),
    "never": ("超出模拟时段", "beyond the horizon"),
    "unknown": ("—", "—"),
    "approve": ("批准", "Approve"),
    "matching_words": ("匹配服务原文：", "matching's words: "),
    "not_yours": ("无审批权：{reason}", "Not yours to decide: {reason}"),
    "approve_by_roles": ("{grade}级方案由{roles}审批", "a grade {grade} plan is approved by: {roles}"),
    "approve_by_province": ("该请求须由省级审批", "this request is approved at province level"),
    "approve_outside_region": ("接收县区不在本辖区", "the receiving county lies outside your region"),
    "reject": ("驳回", "Reject"),
    "print_order": ("打印调度令（含电子签名）", "Print the signed order (in Chinese)"),
    "preview_again": ("重新推演", "Preview again"),
    "reject_reason": ("驳回理由", "reason for rejecting"),
    "reason_needed": ("驳回需要填写理由", "A rejection needs a reason"),
    "result_approved": ("方案 {plan} 已批准", "Plan {plan} approved"),
    "result_rejected": ("方案 {plan} 已驳回", "Plan {plan} rejected"),
    "replanned_title": ("方案已重新编制（第 {version} 版）：", "Re-planned (version {version}):"),
    "result_refused": ("无权审批方案 {plan}：{detail}", "Not allowed to decide plan {plan}: {detail}"),
    "result_conflict": ("方案 {plan} 已不能审批：{detail}", "Plan {plan} can no longer be decided: {detail}"),
    "result_replanning": ("方案 {plan} 已不能批准：{detail}。系统正按当前态势重新编制方案，新方案生成后请重新审批",
                          "Plan {plan} can no longer be approved: {detail}. The request is being re-planned against "
                          "the current state: decide on the new plan when it appears"),
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
    "strength_axis": ("自批准起（分钟）", "minutes from approval"),
    "strength_empty": ("有方案推演后，这里显示各派出地在家警力的变化", "donors' strength at home shows here once a plan is previewed"),
    "incident_id": ("编号", "ID"),
    "request": ("增援请求", "support request"),
    "grade_as_reported": ("{grade}（上报）", "{grade} (as reported)"),
    "grade_overruled": ("{grade}（上报 {reported}）", "{grade} (reported {reported})"),
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
    "board_page": ("态势板", "Situation board"),
    "board_title": ("态势板 · 待处理支援请求", "Situation board · open support requests"),
    "board_wall": ("大屏模式", "Wall screen"),
    "board_empty": ("暂无待处理的支援请求", "No open support requests"),
    "board_count": ("待处理 {n} 项", "{n} open"),
    "col_time_left": ("剩余时间", "time left"),
    "col_request": ("支援请求", "support request"),
    "col_fill": ("到位", "in place"),
    "col_chance": ("按时到位（方案概率／后勤推算）", "on time (plan's chance / logistics' estimate)"),
    "col_flags": ("提示", "flags"),
    "deadline_launch": ("出动", "launch"),
    "deadline_on_scene": ("到场", "on scene"),
    "launched": ("已出动", "launched"),
    "fill_text": ("{arrived}/{asked} 人", "{arrived}/{asked}"),
    "en_route": ("途中 {n} 人", "{n} on the way"),
    "chance_plan": ("{kind}方案", "{kind} plan"),
    "chance_decided": ("{kind}方案（已批准）", "{kind} plan (approved)"),
    "chance_on_time": ("时限内到位 {n}/{asked} 人（P50）", "{n}/{asked} in place by the deadline (P50)"),
    "live_latest": ("预计 {at} 到齐", "all in by {at}"),
    "live_untimed": ("途中，尚无预计", "on the way, not timed yet"),
    "live_source": ("后勤推算", "logistics' estimate"),
    "live_sped_up": ("演示设备 {x} 倍速", "demo devices at {x}× speed"),
    "arrivals_sped_up": ("演示：模拟现场设备以方案行程的 {x} 倍速行驶，后勤推算的到达时间随之提前",
                         "Demo: the simulated field devices drive {x}× faster than the plan's journeys, and "
                         "logistics' estimates come earlier with them"),
    "report_sped_up": ("演示：模拟现场设备以方案行程的 {x} 倍速行驶，本报告的响应时间随之缩短为实际行程的约 1/{x}，"
                       "不代表实战水平。",
                       "Demo: the simulated field devices drive {x}× faster than the plans' journeys, so the response "
                       "times in this report are about 1/{x} of the real journeys' and do not measure a real deployment."),
    "live_plan_chance": ("{plan}：{chance}", "{plan}: {chance}"),
    "arrivals_title": ("实时到位（后勤推算）：", "Live arrivals (logistics' estimate):"),
    "arrivals_sep": ("；", "; "),
    "arrivals_in_place": ("已到 {arrived}/{units} 个单元", "{arrived}/{units} units in place"),
    "arrivals_on_way": ("途中 {n} 个，最晚预计 {at} 到达（时限 {deadline}）",
                        "{n} on the way, the last expected at {at} (deadline {deadline})"),
    "arrivals_on_way_one": ("途中 {n} 个，预计 {at} 到达（时限 {deadline}）",
                            "{n} on the way, expected at {at} (deadline {deadline})"),
    "arrivals_on_way_untimed": ("途中 {n} 个，尚无预计", "{n} on the way, none timed yet"),
    "arrivals_late": ("{n} 个预计迟到", "{n} expected late"),
    "arrivals_silent": ("{n} 个尚未报告位置", "{n} not reporting a position yet"),
    "arrivals_by_county": ("按派出县区", "By donor county"),
    "arrivals_county": ("{county}：{units} 个单元，已到 {arrived}，最晚预计 {at}{late}",
                        "{county}: {units} units, {arrived} in place, the last expected at {at}{late}"),
    "arrivals_county_late": ("，{n} 个预计迟到", ", {n} expected late"),
    "flag_late": ("{n} 个单元超时", "{n} units late"),
    "flag_late_one": ("{n} 个单元超时", "{n} unit late"),
    "flag_plans_late": ("各方案均超时：最快需 {need} 分钟到齐（时限 {limit} 分钟）",
                        "every plan is late: the quickest needs {need} min to be in place (limit {limit} min)"),
    "flag_plans_late_past": ("各方案均超时：最快需 {need} 分钟到齐（编制时已过时限 {limit} 分钟）",
                             "every plan is late: the quickest needs {need} min to be in place "
                             "(planned {limit} min after the deadline)"),
    "flag_plan_late": ("所批方案将超时：需 {need} 分钟到齐（时限 {limit} 分钟）",
                       "the approved plan is late: it needs {need} min to be in place (limit {limit} min)"),
    "flag_plan_late_past": ("所批方案将超时：需 {need} 分钟到齐（编制时已过时限 {limit} 分钟）",
                            "the approved plan is late: it needs {need} min to be in place "
                            "(planned {limit} min after the deadline)"),
    "ex_late": ("超时", "late"),
    "ex_late_past": ("编制时已过时限 {m:.0f} 分钟", "made {m:.0f} min past the deadline"),
    "ex_late_at": ("编制时已到时限", "made as the deadline came"),
    "flag_plans_short": ("各方案均缺员：最多安排 {placed}/{needed} 人", "every plan is short: at most {placed} of "
                         "{needed} officers placed"),
    "flag_plan_short": ("所批方案缺员：安排 {placed}/{needed} 人", "the approved plan is short: {placed} of {needed} "
                        "officers placed"),
    "short_note_hint": ("「缺口」一行列出缺哪些人，以及时限内可到、全省合格的人数。",
                        "The shortfall row says which officers are missing, and how many qualified officers the "
                        "province has, within the deadline and at all."),
    "alert_approval_short": ("（缺员：安排 {placed}/{needed} 人）", " (short: {placed} of {needed} officers placed)"),
    "late_note_hint": ("「预置建议」一行列出若要按时到位、需事先在何处预置多少警力。",
                       "The pre-positioning row says where officers would have had to be staged to be on time."),
    "flag_escalated": ("已升级 {old}→{new}", "escalated {old}→{new}"),
    "flag_unacknowledged": ("{n} 个指令未确认，已上报", "{n} orders unacknowledged, escalated"),
    "flag_unacknowledged_one": ("{n} 个指令未确认，已上报", "{n} order unacknowledged, escalated"),
    "alerts": ("告警", "Alerts"),
    "alerts_open": ("未确认告警", "Unacknowledged alerts"),
    "alerts_log": ("已确认记录", "Acknowledged"),
    "alerts_none": ("暂无告警", "No alerts"),
    "alerts_log_none": ("尚无确认记录", "Nothing acknowledged yet"),
    "ack": ("确认", "Acknowledge"),
    "ack_all": ("全部确认", "Acknowledge all"),
    "acked_at": ("{time} 确认", "acknowledged {time}"),
    "alert_new_request": ("新支援请求", "New support request"),
    "alert_approval": ("待您审批", "Awaiting your approval"),
    "alert_late": ("单元超时", "Unit late"),
    "alert_deadline": ("时限将至", "Deadline near"),
    "alert_escalated": ("请求升级", "Request escalated"),
    "alert_unacknowledged": ("指令未确认", "Order unacknowledged"),
    "alert_new_request_text": ("{county} · {grade}级 · {id}，时限 {deadline}", "{county} · grade {grade} · {id}, due {deadline}"),
    "alert_approval_text": ("{county} · {grade}级 · {kind}方案 {plan}", "{county} · grade {grade} · {kind} plan {plan}"),
    "alert_approval_late": ("（超时：需 {need} 分钟到齐，时限 {limit} 分钟）",
                            " (late: {need} min to be in place, limit {limit} min)"),
    "alert_approval_late_past": ("（超时：需 {need} 分钟到齐，编制时已过时限 {limit} 分钟）",
                                 " (late: {need} min to be in place, planned {limit} min after the deadline)"),
    "alert_late_text": ("{unit}（{county} 派出）预计晚到 {m} 分钟 · {id}", "{unit} (from {county}) about {m} min late · {id}"),
    "alert_deadline_text": ("{county} · {id} · {what}时限 {deadline}", "{county} · {id} · {what} due {deadline}"),
    "alert_escalated_text": ("{county} · {id} · {old}→{new}级，时限 {deadline}", "{county} · {id} · grade {old}→{new}, due {deadline}"),
    "alert_unacknowledged_text": ("{unit}（{county} 派出）未确认指令 · {id}", "{unit} (from {county}) has not acknowledged · {id}"),
}

# The lines of a support request by their line_id (services/demand/policy/requirements-v1.yaml); a line
# of another id (one read from an incident's text, "text-1") is named by its module (line_name).
LINE_NAMES: dict[str, tuple[str, str]] = {
    "accident_scene": ("事故现场处置", "accident scene"),
    "aerial_search": ("空中搜索", "aerial search"),
    "assault": ("突击", "assault"),
    "casualty_rescue": ("伤员救护", "casualty rescue"),
    "cordon": ("警戒封控", "cordon"),
    "crowd_patrol": ("人群巡逻管控", "crowd patrol"),
    "cyber_investigation": ("网络侦查", "cyber investigation"),
    "eod": ("排爆", "bomb disposal"),
    "evacuation_order": ("疏散秩序维护", "evacuation order"),
    "evacuation_patrol": ("疏散巡逻", "evacuation patrol"),
    "forensics": ("电子取证", "e-forensics"),
    "ground_search": ("地面搜索", "ground search"),
    "investigation": ("侦查", "investigation"),
    "k9": ("警犬", "K9"),
    "marksmen": ("狙击", "marksmen"),
    "medical": ("医疗救护", "medical"),
    "negotiators": ("谈判", "negotiators"),
    "patrol": ("巡逻", "patrol"),
    "rescue": ("救援", "rescue"),
    "riot_control": ("处突", "riot control"),
    "security": ("安保警戒", "security"),
    "shelter_order": ("安置点秩序", "order at the shelters"),  # the rainstorm scenario's own line
    "surveillance": ("无人机侦察", "drone surveillance"),
    "tactical": ("特警战术", "tactical"),
    "technical": ("技术支援", "technical support"),
    "traffic_control": ("交通管制", "traffic control"),
    "traffic_diversion": ("交通疏导", "traffic diversion"),
    "water_rescue": ("水上救援", "water rescue"),
}

# The tasks of a dispatch order's scope by code (`tasks` in services/logistics/data/reception.yaml); a task
# written out in words (an order from another system) is shown as written (task_name).
TASK_NAMES: dict[str, tuple[str, str]] = {
    "crowd_control": ("人群控制", "crowd control"),
    "cordon": ("设卡封控", "cordon"),
    "public_order": ("维护现场秩序", "public order"),
    "investigation": ("案件侦查", "investigation"),
    "interviews": ("询问调查", "interviews"),
    "evidence_collection": ("证据收集固定", "evidence collection"),
    "e_forensics": ("电子取证", "e-forensics"),
    "communications": ("通信保障", "communications"),
    "patrol": ("巡逻防控", "patrol"),
    "traffic_control": ("交通管制疏导", "traffic control"),
    "escort": ("警卫护送", "escort"),
    "rescue": ("抢险救援", "rescue"),
    "evacuation": ("疏散转移群众", "evacuation"),
    "first_aid": ("医疗急救", "first aid"),
    "support_receiving_command": ("按接收地指挥协助处置", "assist as the receiving command directs"),
}


# Officers' specialty tags by code (`tags` in services/demand/needs/data/lexicon.yaml, where the first word
# of each is its standard term) and the languages of `foreign_language:<code>` (ISO 639-1).
TAG_NAMES: dict[str, tuple[str, str]] = {
    "cybercrime_investigation": ("涉网犯罪侦查", "cybercrime investigation"),
    "e_forensics": ("电子取证", "e-forensics"),
    "financial_investigation": ("经侦", "financial investigation"),
    "negotiation": ("谈判", "negotiation"),
    "mass_incident_handling": ("群体性事件处置", "mass-incident handling"),
    "sniper": ("狙击手", "sniper"),
    "eod": ("排爆", "EOD"),
    "drone_pilot": ("无人机操作员", "drone pilot"),
    "video_analysis": ("视频侦查", "video analysis"),
    "comms_engineering": ("通信保障", "communications engineering"),
    "k9": ("警犬", "K9"),
    "swimming_rescue": ("水上救援", "water rescue"),
    "first_aid": ("急救", "first aid"),
    "rope_rescue": ("绳索救援", "rope rescue"),
    "life_detection": ("生命探测", "life detection"),
    "accident_reconstruction": ("事故勘查", "accident reconstruction"),
    "interpreter_sign": ("手语", "sign language"),
    "foreign_language": ("外语", "foreign language"),
}
LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "en": ("英语", "English"), "ja": ("日语", "Japanese"), "ko": ("韩语", "Korean"), "ru": ("俄语", "Russian"),
    "ar": ("阿拉伯语", "Arabic"), "vi": ("越南语", "Vietnamese"), "th": ("泰语", "Thai"), "my": ("缅甸语", "Burmese"),
    "fr": ("法语", "French"), "es": ("西班牙语", "Spanish"),
}


ROLE_NAMES: dict[str, tuple[str, str]] = {
    "province_commander": ("省级指挥长", "province commander"),
    "city_commander": ("市级指挥长", "city commander"),
    "county_duty_officer": ("县级值班员", "county duty officer"),
    "resource_manager": ("资源管理员", "resource manager"),
    "support_officer": ("支援民警", "support officer"),
    "trainer": ("演练组", "trainer"),
    "integrator": ("系统对接", "integrator"),
    "auditor": ("审计员", "auditor"),
    "viewer": ("观察员", "viewer"),
}


def text(key: str, lang: str = DEFAULT_LANGUAGE, **values) -> str:
    """The message `key` in `lang`, filled with `values`; with `n=1`, its `<key>_one` form where there is
    one (English says "1 incident", "2 incidents")."""
    if values.get("n") == 1 and f"{key}_one" in MESSAGES:
        key = f"{key}_one"
    zh, en = MESSAGES[key]
    template = en if lang == "en" else zh
    return template.format(**values) if values else template


def unit_label(unit: dict, lang: str = DEFAULT_LANGUAGE) -> str:
    """A unit as a commander knows it: its roster name (平湖市公安局交警大队二中队; in English Pinghu City PSB,
    Traffic Police Brigade, Squadron 2), else its id."""
    return (unit.get("name_en") if lang == "en" else None) or unit.get("name") or unit["unit_id"]


def maybe(key: str, lang: str, fallback: str) -> str:
    """The label for `key` when the catalogue has it (statuses, types), else `fallback` as is."""
    return text(key, lang) if key in MESSAGES else fallback


def named(table: dict[str, tuple[str, str]], key: str, lang: str) -> str:
    """`key`'s name in `lang` from one of the (zh, en) tables below, or `key` as it is when the table lacks it."""
    zh, en = table.get(key, (key, key))
    return en if lang == "en" else zh


def role_name(role: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return named(ROLE_NAMES, role, lang)


def line_name(line_id: str, lang: str = DEFAULT_LANGUAGE, module: str | None = None, tags=()) -> str:
    """A request line's name: from LINE_NAMES; else, for a line an incident or a scenario wrote for itself,
    by the specialties it asks with its module ("越南语（刑侦）"), by its module with the id ("处突（text-1）"),
    or the id."""
    if line_id in LINE_NAMES:
        return named(LINE_NAMES, line_id, lang)
    unit = text(f"module_{module}", lang) if module and f"module_{module}" in MESSAGES else None
    what = ("、" if lang != "en" else ", ").join(tag_name(t, lang) for t in tags) if tags else None
    if what is None:
        what, unit = unit, line_id
    if what is None:
        return line_id
    if unit is None:
        return what
    return f"{what} ({unit})" if lang == "en" else f"{what}（{unit}）"


def request_line_name(line_id: str, lang: str, lines: dict[str, dict] | None) -> str:
    """line_name with the module and specialties the request gave the line (`lines`: its lines by line_id)."""
    line = (lines or {}).get(line_id) or {}
    return line_name(line_id, lang, line.get("module"), line.get("tags") or ())


def task_name(task: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A scope task's name in `lang` (TASK_NAMES), or the task as written when it is not a known code."""
    return named(TASK_NAMES, task, lang)


def tag_name(tag: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """A specialty tag's name in `lang` (TAG_NAMES; `foreign_language:vi` is 越南语 / Vietnamese), or the
    tag as it is when unknown."""
    kind, _, code = tag.partition(":")
    if kind == "foreign_language" and code:
        return named(LANGUAGE_NAMES, code, lang) if code in LANGUAGE_NAMES else tag
    return named(TAG_NAMES, tag, lang)
