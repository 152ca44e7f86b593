"""The twin's Dash app: thin callbacks over views, the plan panel, approvals through matching's API."""
from __future__ import annotations

import copy
import json
import re
import threading
from datetime import datetime, timezone

import dash
import pytest
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.common.approval import may_approve
from services.common.auth import Identity, current_identity, headers_for, signed_in
from services.common.contracts import example_event, validate_body
from services.common.http import issue, problem
from tests.helpers import token_for
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import alerts, ids, panel
from twin.ui.app import create_app, panel_view, refresh_view
from twin.ui.position_access import PositionAccess
from twin.ui.views import decide, routes_for

PLAN = "PLAN-REQ-330783-20250915-0003-A"
PROVINCE = Identity("zj-commander", "province_commander", "330000")
REQUEST = "REQ-330783-20250915-0003"


@pytest.fixture
def model() -> ProvinceModel:
    return ProvinceModel(seed=0, preview_config=PreviewConfig(runs=50), start=datetime(2025, 9, 15, tzinfo=timezone.utc))


@pytest.fixture
def loop(model) -> ProvinceModel:
    """A request with two candidate plans, previewed."""
    replay.apply(model, example_event("support.requested"))
    replay.apply(model, example_event("plan.proposed"))
    other = copy.deepcopy(example_event("plan.proposed"))
    other["data"].update(plan_id=PLAN[:-1] + "B", kind="fairest")
    other["data"]["metrics"]["points_spread"] = 3.5
    replay.apply(model, other)
    return model


@pytest.fixture
def geojson(model) -> dict:
    return model.geography.county_geojson()


@pytest.fixture
def matching():
    """A stand-in for matching's approval API on a loopback port: province-level plans need a province commander."""
    calls = []
    app = Flask("matching")  # the name a token is addressed to (aud)

    @app.post("/plans/<plan_id>/<action>")
    def decide_route(plan_id, action):
        caller = current_identity()  # the real token check every service uses
        calls.append({"plan": plan_id, "action": action, "role": caller.role, "region": caller.region,
                      "body": request.get_json(silent=True)})
        decision = may_approve(caller, grade="II", county="330783")  # the example's plan: a grade II request
        if not decision.allowed:
            return problem(403, "Not allowed to approve this plan", decision.reason,
                           [issue("Authorization", decision.reason, decision.code, decision.params)])
        if plan_id.endswith("-STALE"):
            officer = {"officer": "330782-0007", "county": "330782", "status": "resting"}
            return problem(409, "Plan no longer matches the state", "re-planned", [
                issue(f"assignments.{i}.officer_id", "gone", "plan.officer_off_duty", officer) for i in range(5)])
        return jsonify({"plan_id": plan_id, "status": action + "d"}), 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ServicesClient({"matching": f"http://127.0.0.1:{server.server_port}"}), calls
    server.shutdown()


def test_refresh_draws_the_map_table_and_request_list_from_the_model(loop, geojson):
    replay.apply(loop, example_event("incident.reported"))
    figure, rows, count, clock, options, key = refresh_view(loop, geojson, "load", REQUEST, "zh", None, PROVINCE)
    assert {t.type for t in figure.data} == {"choroplethmap", "scattermap"}
    assert len(rows) == 1 and count == "事件 1 起" and "北京时间" in clock
    assert [o["value"] for o in options] == [REQUEST]
    assert "东阳市" in options[0]["label"]
    assert {"最快", "最公平"} <= {t.name for t in figure.data}  # the two candidates drawn as routes
    assert key


def test_refresh_does_not_resend_an_unchanged_map(loop, geojson):
    *_, key = refresh_view(loop, geojson, "load", REQUEST, "zh", None, PROVINCE)
    figure, *_rest, same_key = refresh_view(loop, geojson, "load", REQUEST, "zh", key, PROVINCE)
    assert figure is dash.no_update and same_key == key


def test_refresh_redraws_after_an_event_a_colouring_or_another_request(loop, geojson):
    *_, key = refresh_view(loop, geojson, "load", REQUEST, "zh", None, PROVINCE)
    assert refresh_view(loop, geojson, "gap", REQUEST, "zh", key, PROVINCE)[0] is not dash.no_update
    assert refresh_view(loop, geojson, "load", None, "zh", key, PROVINCE)[0] is not dash.no_update
    replay.apply(loop, example_event("dispatch.ordered"))
    province = Identity("zj-commander", "province_commander", "330000")
    figure, *_ = refresh_view(loop, geojson, "load", REQUEST, "zh", key, province)
    assert "支援单元" in {t.name for t in figure.data}
    figure, *_ = refresh_view(loop, geojson, "load", REQUEST, "zh", None, Identity("v", "viewer", "330000"))
    assert "支援单元" not in {t.name for t in figure.data}  # positions are core data (twin.ui.visibility)


def test_the_gap_colouring_shows_the_open_request_county(loop, geojson):
    figure, *_ = refresh_view(loop, geojson, "gap", REQUEST, "zh", None, PROVINCE)
    counties = figure.data[0]
    gap = example_event("support.requested")["data"]["gap_ratio"]
    assert counties.z[list(counties.locations).index("330783")] == pytest.approx(gap)
    assert counties.z[list(counties.locations).index("330106")] == 0


def test_the_panel_compares_the_plans_side_by_side_with_their_previews(loop):
    comparison, strength, key = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    text = str(comparison)
    assert "最快" in text and "最公平" in text and "3.5" in text
    assert "按时到位概率" in text and "%" in text
    buttons = [c.id for c in comparison._traverse() if isinstance(getattr(c, "id", None), dict)]
    assert {"type": ids.DECIDE, "action": "approve", "plan": PLAN} in buttons
    assert len(strength.data) == 6  # 3 donors x 2 plans
    assert panel_view(loop, REQUEST, "zh", key, PROVINCE)[0] is dash.no_update


def test_the_panel_shows_how_many_officers_are_in_place_by_the_deadline_and_each_hour():
    plan = {"plan_id": "P-A", "kind": "fastest", "status": "proposed", "request_id": "R-1",
            "assignments": [{"officer_id": f"O{i}", "from_county": "330328", "line_id": "L1", "eta_s": 11754} for i in range(121)],
            "metrics": {"headcount": 121, "latest_eta_s": 11754, "points_spread": 23.3},
            "preview": {"donors": [], "build_up": [
                {"at_s": 1799.6, "deadline": True, "in_place_p50": 0, "in_place_p10": 0},
                {"at_s": 3600, "deadline": False, "in_place_p50": 3, "in_place_p10": 0},
                {"at_s": 7200, "deadline": False, "in_place_p50": 66, "in_place_p10": 51},
                {"at_s": 10800, "deadline": False, "in_place_p50": 121, "in_place_p10": 110},
                {"at_s": 14400, "deadline": False, "in_place_p50": 121, "in_place_p10": 121}]}}
    assert panel.plan_summary(plan, "zh")["build_up"] == "时限 30 分钟：0 人\n1 小时：3 人\n2 小时：66 人\n3 小时：121 人"
    assert panel.plan_summary(plan, "en")["build_up"] == "deadline 30 min: 0\n1 h: 3\n2 h: 66\n3 h: 121"
    assert "分时到位人数（P50）" in str(panel.comparison([plan], "zh", {}))
    assert panel.plan_summary(dict(plan, preview=None), "zh")["build_up"] == "—"  # before its preview


def test_the_panel_names_the_donor_cities_the_command_designated_above_the_plans():
    plan = {"plan_id": "P-A", "kind": "fastest", "status": "proposed", "request_id": "R-1",
            "assignments": [{"officer_id": "O1", "from_county": "330803", "line_id": "patrol_quzhou", "eta_s": 3900}],
            "metrics": {"headcount": 1, "latest_eta_s": 3900, "points_spread": 0.0},
            "shortfall": [{"line_id": "patrol_quzhou", "needed": 40, "assigned": 1, "qualified_within_deadline": 1,
                           "qualified": 1}]}
    lines = {"patrol_quzhou": {"line_id": "patrol_quzhou", "module": "patrol", "tags": [], "donor_cities": ["330800"]},
             "traffic": {"line_id": "traffic", "module": "traffic", "tags": []}}
    cities = {"330803": "衢州市", "330702": "金华市"}
    shown = str(panel.comparison([plan], "zh", {}, lines=lines, cities=cities))
    assert "指挥部指定派出城市：巡逻（patrol_quzhou）：衢州市（方案只从这些城市选派）" in shown and "交通" not in shown.split("（方案")[0]
    assert "指定城市合格 1 名" in panel.summary_zh(plan, {}, lines)
    assert "designated-donors" not in str(panel.comparison([plan], "zh", {}, lines={"traffic": lines["traffic"]},
                                                            cities=cities))


def test_the_panel_asks_for_a_request_until_one_is_picked(loop):
    nothing, *_ = panel_view(loop, None, "zh", None, PROVINCE)
    assert "在上方选择支援请求" in str(nothing) and "该请求暂无候选方案" not in str(nothing)
    unplanned, *_ = panel_view(loop, "REQ-NONE", "en", None, PROVINCE)
    assert "No candidate plans for this request yet" in str(unplanned)


def test_the_panel_in_english(loop):
    comparison, *_ = panel_view(loop, REQUEST, "en", None, PROVINCE)
    assert "chance of meeting the deadline" in str(comparison) and "Approve" in str(comparison)


def test_plans_made_again_say_why_above_the_comparison(loop):
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    assert "方案已重新编制" not in str(comparison)                      # a request's first plans: nothing said
    again = copy.deepcopy(example_event("plan.proposed"))
    again["id"] = "replanned-1"
    again["data"].update(plan_id=PLAN[:-1] + "2A", version=2, replanned=[
        {"code": "plan.officer_off_duty", "reason": "ZJ330782-00337 is unavailable, no longer on duty",
         "params": {"officer": "ZJ330782-00337", "county": "330782", "status": "unavailable"}},
        {"code": "request.escalated", "reason": "escalated to grade II", "params": {"grade": "II"}}])
    replay.apply(loop, again)
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-replanned")
    assert note.children[0].children == "方案已重新编制（第 2 版）："
    assert note.children[2] == "民警 ZJ330782-00337（义乌市）当前不可调用，无法调派；请求已升级为II级"
    comparison, *_ = panel_view(loop, REQUEST, "en", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-replanned")
    assert note.children[2] == "Officer ZJ330782-00337 (Yiwu City) is unavailable, no longer on duty; the request was " \
                               "escalated to grade II"


def test_plans_that_all_miss_the_deadline_say_so_above_the_comparison_until_units_are_sent(loop):
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    assert not any(getattr(c, "id", None) == "twin-plans-late" for c in comparison._traverse())  # on time
    late = copy.deepcopy(example_event("plan.proposed"))
    late["id"] = "late-1"
    late["data"].update(plan_id=PLAN[:-1] + "2A", version=2)
    late["data"]["metrics"].update(latest_eta_s=9_000, deadline_met=False)
    replay.apply(loop, late)
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-plans-late")
    limit = panel.deadline_minutes(late["data"])
    assert note.children[0].children == f"各方案均超时：最快需 150 分钟到齐（时限 {limit} 分钟）"
    assert "预置建议" in note.children[2]
    comparison, *_ = panel_view(loop, REQUEST, "en", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-plans-late")
    assert note.children[0].children == f"Every plan is late: the quickest needs 150 min to be in place (limit {limit} min)"
    replay.apply(loop, example_event("dispatch.ordered"))  # a unit sent: its own estimate says if it is late
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    assert not any(getattr(c, "id", None) == "twin-plans-late" for c in comparison._traverse())


def test_plans_in_time_but_short_of_officers_say_they_are_short_not_late(loop):
    """matching's deadline_met is false for a plan that places fewer officers than asked, however soon they
    arrive: the band (and the approval alert) then says how many it places, not that it is late."""
    short = copy.deepcopy(example_event("plan.proposed"))
    short["id"] = "short-1"
    short["data"].update(plan_id=PLAN[:-1] + "2A", version=2, shortfall=[
        {"line_id": "L2", "needed": 8, "assigned": 2, "qualified_within_deadline": 2, "qualified": 3,
         "text": "网络侦查（越南语）：需 8 人，仅 2 人可在时限内到达"}])
    short["data"]["metrics"].update(deadline_met=False, fill_ratio=0.5)
    replay.apply(loop, short)
    assert panel.late_in_time(short["data"]) is False
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-plans-late")
    assert note.children[0].children == "各方案均缺员：最多安排 6/12 人"
    assert "缺口" in note.children[2] and "超时" not in str(note.children)
    comparison, *_ = panel_view(loop, REQUEST, "en", None, PROVINCE)
    note = next(c for c in comparison._traverse() if getattr(c, "id", None) == "twin-plans-late")
    assert note.children[0].children == "Every plan is short: at most 6 of 12 officers placed"
    assert panel.plan_summary(dict(short["data"], status="proposed"), "zh")["headcount"] == "6/12"
    filled = dict(example_event("plan.proposed")["data"], status="proposed")
    assert panel.plan_summary(filled, "zh")["headcount"] == "6"
    assert alerts.lateness(short["data"], "zh") == "（缺员：安排 6/12 人）"
    late = copy.deepcopy(short)   # the same plan, its last officer after the deadline too: late says more
    late["data"]["metrics"].update(latest_eta_s=9_000)
    assert panel.late_in_time(late["data"]) and alerts.lateness(late["data"], "zh").startswith("（超时：需 150 分钟")
    bare = copy.deepcopy(short["data"])   # an integrator's plan without the optional counts of the qualified
    bare["shortfall"] = [{k: v for k, v in bare["shortfall"][0].items() if not k.startswith("qualified")}]
    assert "缺口 L2：需 8 人，已安排 2 人。" in panel.summary_zh(bare, {})


def test_decided_plans_cannot_be_decided_again(loop):
    replay.apply(loop, example_event("plan.approved"))
    comparison = panel.comparison([p for p in loop.snapshot()["plans"] if p["plan_id"] == PLAN], "zh")
    assert all(b.disabled for b in comparison._traverse() if isinstance(getattr(b, "id", None), dict))


def test_approve_as_province_commander_calls_matching_with_that_identity(matching):
    client, calls = matching
    outcome, message = decide(client, plan_id=PLAN, action="approve",
                              identity=Identity("u1", "province_commander", "330000"), reason=None)
    assert outcome == "approved" and message == f"方案 {PLAN} 已批准"
    assert calls == [{"plan": PLAN, "action": "approve", "role": "province_commander", "region": "330000",
                      "body": {"version": 1}}]


def test_a_city_commander_is_refused_a_province_plan_and_told_why(matching):
    client, _calls = matching
    city = Identity("u2", "city_commander", "330700")
    outcome, message = decide(client, plan_id=PLAN, action="approve", identity=city, reason=None, lang="en")
    assert outcome == "refused"
    assert message == f"Not allowed to decide plan {PLAN}: A grade II plan is approved by: province commander; " \
                      "you are city commander"
    _outcome, message = decide(client, plan_id=PLAN, action="approve", identity=city, reason=None)
    assert message == f"无权审批方案 {PLAN}：II级方案由省级指挥长审批，您是市级指挥长"


def test_a_plan_that_no_longer_matches_the_state_says_who_is_gone_and_that_it_is_re_planned(matching):
    client, _calls = matching
    outcome, message = decide(client, plan_id="PLAN-X-STALE", action="approve", reason=None,
                              identity=Identity("u1", "province_commander", "330000"),
                              place={"330782": "义乌市"}.get)
    assert outcome == "conflict"
    assert message == ("方案 PLAN-X-STALE 已不能批准：" + "；".join(["民警 330782-0007（义乌市）当前休整，无法调派"] * 3) +
                       "；另有 2 项。系统正按当前态势重新编制方案，新方案生成后请重新审批")


def test_a_rejection_needs_a_reason_and_sends_it(matching):
    client, calls = matching
    identity = Identity("u1", "province_commander", "330000")
    assert decide(client, plan_id=PLAN, action="reject", identity=identity, reason="  ")[0] == "invalid"
    assert calls == []
    outcome, _message = decide(client, plan_id=PLAN, action="reject", identity=identity, reason="储备不足")
    assert outcome == "rejected" and calls[0]["body"] == {"reason": "储备不足", "version": 1}


def test_matching_down_is_an_error_not_a_crash():
    client = ServicesClient({"matching": "http://127.0.0.1:9"})
    outcome, message = decide(client, plan_id=PLAN, action="approve",
                              identity=Identity("u1", "province_commander", "330000"), reason=None)
    assert outcome == "error" and "审批失败" in message


def test_routes_leave_out_rejected_plans_and_mark_the_approved_one(loop):
    replay.apply(loop, example_event("plan.approved"))
    replay.apply(loop, example_event("plan.rejected") | {"data": dict(example_event("plan.rejected")["data"],
                                                                       plan_id=PLAN[:-1] + "B")})
    routes = routes_for(loop.snapshot(), REQUEST)
    assert [(r["plan_id"], r["selected"]) for r in routes] == [(PLAN, True)]
    assert routes[0]["destination"] == [120.2413, 29.2894]


def test_health_state_and_on_demand_preview_routes(loop):
    client = signed_in(create_app(loop).server.test_client(), PROVINCE)
    health = client.get("/health").get_json()
    assert (health["status"], health["service"], health["plans"], health["requests"]) == ("ok", "twin", 2, 1)
    assert client.get("/state").get_json()["plans"][0]["preview"]["plan_id"] == PLAN
    preview = client.get(f"/plans/{PLAN}/preview")
    assert preview.status_code == 200 and preview.get_json()["config"]["runs"] == 50
    assert validate_body("plan-preview", preview.get_json()) == []
    assert client.get("/plans/nope/preview").status_code == 404


def test_the_page_loads_nothing_from_another_host(model):
    app = create_app(model)
    html = signed_in(app.server.test_client(), PROVINCE).get("/").get_data(as_text=True)
    assert app.config.serve_locally
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_the_layout_holds_the_map_panel_identity_and_refresh(loop):
    app = create_app(loop, refresh_ms=500)
    with app.server.test_request_context("/?lang=en", headers=headers_for(PROVINCE)):
        app.server.preprocess_request()  # the sign-in guard: the request's user
        layout = app.layout()
    found = {c.id for c in layout._traverse() if isinstance(getattr(c, "id", None), str)}
    assert {ids.MAP, ids.INCIDENT_TABLE, ids.REFRESH, ids.COLOUR_BY, ids.REQUEST_PICKER, ids.PLAN_PANEL,
            ids.SIGNED_IN_AS, ids.SIGNOUT} <= found
    [interval] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.REFRESH]
    assert interval.interval == 500
    [title] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.TITLE]
    assert title.children.startswith("Cross-regional")
    [picker] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.REQUEST_PICKER]
    assert picker.value == REQUEST


def test_the_page_query_picks_the_language_and_the_bar_shows_the_signed_in_user(loop):
    client = create_app(loop).server.test_client()
    client.get("/?token=" + token_for(PROVINCE))
    referer = "http://127.0.0.1/?lang=en"
    layout = client.get("/_dash-layout", headers={"Referer": referer}).get_data(as_text=True)
    assert "Cross-regional police mutual deployment" in layout
    assert "zj-commander" in layout and "province commander" in layout
    default = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "警力跨区互援" in default and "省级指挥长" in default


def test_the_panel_shows_the_plans_in_play_of_the_newest_version_by_kind():
    def plan(plan_id, kind, status="proposed", version=1):
        return {"plan_id": plan_id, "kind": kind, "status": status, "version": version}
    plans = [plan("A1", "fairest"), plan("A2", "fastest"), plan("B1", "fastest", version=2),
             plan("B2", "least_reserve_damage", version=2), plan("B3", "fairest", "rejected", version=2)]
    assert [p["plan_id"] for p in panel.current(plans)] == ["B1", "B2"]
    decided = [plan("A1", "fastest", "approved"), plan("B1", "fastest", "rejected", version=2)]
    assert [p["plan_id"] for p in panel.current(decided)] == ["A1"]
    assert [p["plan_id"] for p in panel.current([plan("C1", "fastest", "rejected")])] == ["C1"]


def test_the_panel_says_when_criteria_agree_what_differs_and_where_to_pre_position():
    def plan(plan_id, kinds, per_donor, **extra):
        return {"plan_id": plan_id, "kind": kinds[0], "kinds": kinds, "status": "proposed", "version": 1,
                "assignments": [], "metrics": {"latest_eta_s": 3600, "per_donor": per_donor}, **extra}
    staged = [{"line_id": "L1", "officers": 12, "late": 12, "from": {"330302": 12}, "text": "L1: stage 12",
               "stage_at": [{"county": "330329", "name": "泰顺县", "minutes": 12}]}]
    names = {"330302": "鹿城区", "330303": "龙湾区", "330329": "泰顺县"}
    plans = [plan("P-A", ["fastest", "fairest"], {"330302": 40, "330303": 6}, prepositioning=staged),
             plan("P-C", ["least_reserve_damage"], {"330302": 30, "330303": 9, "330304": 7})]
    text = str(panel.comparison(plans, "zh", names))
    assert "最快、最公平一致：同一方案" in text and "对派出地影响最小" in text
    assert "−10 鹿城区，+7 330304，+3 龙湾区" in text     # what the second plan does differently
    assert "L1：预置 12 人于 泰顺县" in text
    english = str(panel.comparison(plans, "en", names))
    assert "fastest, fairest agree: one plan" in english and "L1: stage 12 at 泰顺县" in english
    same = str(panel.comparison([plans[0], dict(plans[0], plan_id="P-B", kinds=["fairest"])], "en", names))
    assert "same donors" in same


def test_the_donors_are_summed_by_city_with_each_citys_counties_folded_under_it():
    plan = {"plan_id": "P-A", "kind": "fastest", "status": "proposed", "version": 1, "assignments": [],
            "metrics": {"latest_eta_s": 3600, "per_donor": {"330302": 8, "330303": 6, "330702": 9, "330304": 6}}}
    names = {"330302": "鹿城区", "330303": "龙湾区", "330304": "瓯海区", "330702": "婺城区"}
    cities = {"330302": "温州市", "330303": "温州市", "330304": "温州市", "330702": "金华市"}
    [donors] = [c for c in panel.comparison([plan], "zh", names, cities=cities)._traverse()
                if getattr(c, "className", None) == "donors-by-city"]
    assert donors.children[0].children == "2 市 4 县区：温州市 20 人、金华市 9 人"
    assert donors.children[1].children == "温州市：鹿城区 8、龙湾区 6、瓯海区 6\n金华市：婺城区 9"
    english = panel.donors_by_city(plan, names, {k: "Wenzhou" for k in cities}, "en")
    assert english.children[0].children == "4 counties in 1 city: Wenzhou 29"
    # without the counties' cities, the plain list of counties as before
    assert panel.donors_by_city(plan, names, {}, "zh") is None
    assert "donors-by-city" not in str(panel.comparison([plan], "zh", names))


def test_a_long_explanation_is_folded_after_its_first_sentence(loop):
    comparison, *_ = panel_view(loop, REQUEST, "zh", None, PROVINCE)
    [details, *_] = [c for c in comparison._traverse()
                     if type(c).__name__ == "Details" and getattr(c, "className", None) != "donors-by-city"]
    summary = details.children[0].children
    assert summary == "需 6 人，已安排 6 人；最晚 40 分钟到达（时限 45 分钟，可按时到位）"  # from the plan's figures
    words = str(details.children[2].children)
    assert words.startswith("匹配服务原文：") and example_event("plan.proposed")["data"]["explanation"] in words
    english, *_ = panel_view(loop, REQUEST, "en", None, PROVINCE)
    [details, *_] = [c for c in english._traverse()
                     if type(c).__name__ == "Details" and getattr(c, "className", None) != "donors-by-city"]
    assert details.children[0].children == example_event("plan.proposed")["data"]["explanation"].split("。")[0][:80]


def triggered(prop_id: str, value):
    """Dash's callback context as the browser would set it for one triggering input."""
    from dash._callback_context import context_value
    from dash._utils import AttributeDict
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))


def test_the_approve_callback_decides_as_the_signed_in_user(loop, matching):
    client, calls = matching
    app = create_app(loop, client=client)
    callbacks = app.twin_callbacks
    button = json.dumps({"action": "approve", "plan": PLAN, "type": ids.DECIDE}, separators=(",", ":"))
    with app.server.test_request_context("/_dash-update-component", method="POST", headers=headers_for(PROVINCE)):
        app.server.preprocess_request()  # the sign-in guard: the request's user
        triggered(button + ".n_clicks", 1)
        message = callbacks["on_decide"]([1, 0], None, "en")
        assert message == f"Plan {PLAN} approved"
        assert calls[-1]["role"] == "province_commander" and calls[-1]["body"] == {"version": 1}
        triggered(button + ".n_clicks", 0)  # the buttons were just drawn: no click, no call
        assert callbacks["on_decide"]([0, 0], None, "en") is dash.no_update
    assert len(calls) == 1


def test_the_preview_button_simulates_the_plans_again(loop):
    app = create_app(loop)
    callbacks = app.twin_callbacks
    before = loop.previews[PLAN]
    triggered(f"{ids.PREVIEW}.n_clicks", 1)
    with app.server.test_request_context("/_dash-update-component", method="POST", headers=headers_for(PROVINCE)):
        app.server.preprocess_request()
        comparison, _strength, _key = callbacks["on_panel"](3, REQUEST, 1, "zh", "stale-key")
    assert loop.previews[PLAN] is not before and loop.previews[PLAN] == before  # same seed, fresh run
    assert "最快" in str(comparison)


class PositionSwitch:
    """logistics' GET /policy/positions, as the twin's client reads it."""

    def __init__(self, on: bool):
        self.on = on

    def position_policy(self):
        return {"receiving_command_sees_own_units": self.on}


def test_state_and_map_show_positions_by_the_provinces_switch_and_log_every_read(loop, geojson, tmp_path):
    for topic in ("dispatch.ordered", "unit.position-reported"):
        replay.apply(loop, example_event(topic))
    switch = PositionSwitch(False)
    access = PositionAccess(switch, log_path=tmp_path / "reads.jsonl", ttl_s=0)
    app = create_app(loop, positions=access).server
    receiver = Identity("dy-duty", "county_duty_officer", "330783")
    units = signed_in(app.test_client(), receiver).get("/state").get_json()["units"]
    assert units and all(u["position"] is None for u in units)                 # off by default
    switch.on = True
    units = signed_in(app.test_client(), receiver).get("/state").get_json()["units"]
    assert any(u["position"] is not None for u in units)
    refresh_view(loop, geojson, "load", REQUEST, "zh", None, PROVINCE, access)
    assert [(r["subject"], r["via"]) for r in access.reads()] == [("zj-commander", "map"), ("dy-duty", "/state")]
    assert signed_in(app.test_client(), receiver).get("/audit/positions").status_code == 403
    reads = signed_in(app.test_client(), Identity("audit", "auditor", "330000")).get("/audit/positions").get_json()
    assert len(reads["reads"]) == 2 and len((tmp_path / "reads.jsonl").read_text().splitlines()) == 2


# --- what each role gets: the services' permission table, per role and region ---------------------

VIEWER = Identity("zj-viewer", "viewer", "330000")
LOGISTICS = Identity("dy-support", "support_officer", "330783")
DONGYANG_DUTY = Identity("dy-duty", "county_duty_officer", "330783")
XIHU_DUTY = Identity("xh-duty", "county_duty_officer", "330106")


@pytest.fixture
def two_counties(loop):
    """The Dongyang request with its plans, an incident in Dongyang and one in Xihu."""
    replay.apply(loop, example_event("incident.reported"))
    xihu = copy.deepcopy(example_event("incident.reported"))
    xihu["data"].update(incident_id="INC-330106-20250915-0001", location={"county": "330106"})
    replay.apply(loop, xihu)
    return loop


def state_as(app, identity) -> dict:
    return signed_in(app.server.test_client(), identity).get("/state").get_json()


def test_state_gives_each_role_what_the_services_would_give_it(two_counties):
    app = create_app(two_counties)
    everything = state_as(app, PROVINCE)
    assert len(everything["incidents"]) == 2 and everything["requests"] and everything["plans"]
    for identity in (VIEWER, LOGISTICS):  # the services refuse them incidents, requests and plans
        state = state_as(app, identity)
        assert (state["incidents"], state["requests"], state["plans"]) == ([], [], []), identity
    assert state_as(app, VIEWER)["counties"][0]["load"] == everything["counties"][0]["load"]  # general data
    dongyang = state_as(app, DONGYANG_DUTY)
    assert [i["county"] for i in dongyang["incidents"]] == ["330783"]
    assert [r["request_id"] for r in dongyang["requests"]] == [REQUEST] and len(dongyang["plans"]) == 2
    xihu = state_as(app, XIHU_DUTY)
    assert [i["county"] for i in xihu["incidents"]] == ["330106"] and xihu["requests"] == []
    assert all(p["request_id"] != REQUEST for p in xihu["plans"])


def test_a_plans_preview_is_not_found_for_whom_may_not_read_the_plan(loop):
    app = create_app(loop)
    assert signed_in(app.server.test_client(), DONGYANG_DUTY).get(f"/plans/{PLAN}/preview").status_code == 200
    for identity in (XIHU_DUTY, VIEWER, LOGISTICS):
        resp = signed_in(app.server.test_client(), identity).get(f"/plans/{PLAN}/preview")
        assert resp.status_code == 404, identity  # as if it did not exist


def callback_as(app, identity, name, *args):
    with app.server.test_request_context("/_dash-update-component", method="POST", headers=headers_for(identity)):
        app.server.preprocess_request()  # the sign-in guard: the request's user
        return app.twin_callbacks[name](*args)


def test_the_map_callback_and_the_page_show_a_role_only_its_part(two_counties):
    from twin.ui.messages import text
    app = create_app(two_counties)
    _figure, rows, count, _clock, options, _key = callback_as(app, VIEWER, "on_refresh", 1, "load", REQUEST,
                                                              "en", None)
    # never shown incidents: told so, with the roles that are, not shown "0 incidents"
    assert options == [] and count == text("incidents_withheld", "en") != text("incidents_count", "en", n=0)
    assert len(rows) == 1 and rows[0].children.id == ids.INCIDENTS_WITHHELD
    assert "Your role (viewer) may not read incidents" in rows[0].children.children
    assert "province commander" in rows[0].children.children and "INC-" not in str(rows)
    _figure, rows, count, _clock, options, _key = callback_as(app, XIHU_DUTY, "on_refresh", 1, "load", REQUEST,
                                                              "en", None)
    assert len(rows) == 1 and "INC-330106-20250915-0001" in str(rows) and "INC-330783" not in str(rows)
    assert options == [] and count == text("incidents_count", "en", n=1)
    page = json.dumps(signed_in(app.server.test_client(), VIEWER).get("/_dash-layout").get_json(), ensure_ascii=False)
    assert REQUEST not in page and "INC-330106-20250915-0001" not in page


def test_the_panel_and_its_preview_button_show_no_plan_of_another_county(loop):
    app = create_app(loop)
    before = loop.previews[PLAN]
    triggered(f"{ids.PREVIEW}.n_clicks", 1)
    comparison, strength, _key = callback_as(app, XIHU_DUTY, "on_panel", 3, REQUEST, 1, "en", "stale-key")
    assert PLAN not in str(comparison) and loop.previews[PLAN] is before  # nothing shown, nothing simulated
    comparison, *_ = callback_as(app, DONGYANG_DUTY, "on_panel", 3, REQUEST, 1, "en", "stale-key")
    assert PLAN in str(comparison)


def test_the_buttons_of_a_plan_the_user_may_not_decide_are_disabled_and_say_why():
    from twin.ui.app import approval_refusal

    grade_iii = {"request_id": "R", "grade": "III", "county": "330783", "approval_level": "city"}
    grade_ii = dict(grade_iii, grade="II", approval_level="province")
    county = Identity("dy-duty", "county_duty_officer", "330783")
    jinhua, hangzhou = Identity("jh", "city_commander", "330700"), Identity("hz", "city_commander", "330100")
    assert approval_refusal(jinhua, grade_iii) is None                       # 东阳 lies in 金华: theirs
    assert approval_refusal(Identity("zj", "province_commander", "330000"), grade_ii) is None
    assert approval_refusal(county, grade_iii, "zh").startswith("III级方案由") and "市级指挥长" in \
        approval_refusal(county, grade_iii, "zh")
    assert approval_refusal(hangzhou, grade_iii, "en") == "the receiving county lies outside your region"
    assert approval_refusal(jinhua, grade_ii, "en").startswith("a grade II plan is approved by: ")
    plan = {"plan_id": "P1", "kind": "fastest", "status": "proposed", "version": 1, "assignments": [],
            "metrics": {"latest_eta_s": 600}}
    refused = panel.comparison([plan], "zh", {}, lambda p: approval_refusal(county, grade_iii, "zh"))
    decide = [c for c in refused._traverse() if isinstance(getattr(c, "id", None), dict)]
    assert decide and all(b.disabled and b.title.startswith("无审批权：III级方案由") for b in decide)
    allowed = panel.comparison([plan], "zh", {}, lambda p: approval_refusal(jinhua, grade_iii, "zh"))
    assert not any(b.disabled for b in allowed._traverse() if isinstance(getattr(b, "id", None), dict))


def test_a_short_late_plan_is_summed_up_in_chinese_from_its_figures():
    plan = {"plan_id": "P", "request_id": "R", "proposed_at": "2026-12-03T02:32:41Z",
            "deadline": "2026-12-03T03:02:41Z",
            "assignments": [{"officer_id": "A", "line_id": "L1", "from_county": "330302", "eta_s": 7200},
                            {"officer_id": "B", "line_id": "L1", "from_county": "330302", "eta_s": 6900},
                            {"officer_id": "C", "line_id": "L1", "from_county": "330328", "eta_s": 2940}],
            "metrics": {"headcount": 3, "latest_eta_s": 7200, "deadline_met": False, "min_reserve_ratio": 0.75,
                        "per_donor": {"330302": 2, "330328": 1}},
            "shortfall": [{"line_id": "L1", "needed": 5, "assigned": 3, "qualified_within_deadline": 1,
                           "qualified": 40, "text": "..."}]}
    text = panel.summary_zh(plan, {"330302": "鹿城区", "330328": "文成县"})
    assert text == ("需 5 人，已安排 3 人；最晚 120 分钟到达（时限 30 分钟，无法按时全部到位）。"
                    "派出：鹿城区 2 人（120 分钟）、文成县 1 人（49 分钟）。"
                    "缺口 L1：需 5 人，已安排 3 人；时限内可到的合格人员 1 名，全省合格 40 名。"
                    "派出地出警后在岗警力最低 75%。")


def test_the_page_draws_the_base_map_first_and_lays_the_units_over_it_once_drawn(loop):
    """The layout's map asks no service and shows no position; once the page says it drew (or after a few
    ticks if it never does) the whole map follows."""
    from twin.ui import views
    from twin.ui.messages import text
    for topic in ("dispatch.ordered", "unit.position-reported"):
        replay.apply(loop, example_event(topic))
    app = create_app(loop, refresh_ms=500)
    with app.server.test_request_context("/", headers=headers_for(PROVINCE)):
        app.server.preprocess_request()
        layout = app.layout()
    [graph] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.MAP]
    [state] = [c for c in layout._traverse() if getattr(c, "id", None) == ids.STATE_KEY]
    assert state.data == views.BASE_MAP_KEY and graph.figure.layout.meta["drawn_signal"] == ids.MAP_DRAWN
    assert text("units", "zh") not in {t.name for t in graph.figure.data}
    assert graph.figure.data[0].type == "choroplethmap"

    triggered(f"{ids.REFRESH}.n_intervals", 1)
    figure, _rows, _count, clock, _options, key = callback_as(app, PROVINCE, "on_refresh", 1, "load", REQUEST,
                                                              "zh", state.data)
    assert figure is dash.no_update and key is dash.no_update and clock  # the base map may still be drawing
    figure, key = callback_as(app, PROVINCE, "on_map_drawn", 1, "load", REQUEST, "zh", state.data)
    assert text("units", "zh") in {t.name for t in figure.data} and key != views.BASE_MAP_KEY
    assert callback_as(app, PROVINCE, "on_map_drawn", 2, "load", REQUEST, "zh", key) == (dash.no_update,) * 2
    triggered(f"{ids.REFRESH}.n_intervals", 3)
    figure, *_rest = callback_as(app, PROVINCE, "on_refresh", 3, "load", REQUEST, "zh", state.data)
    assert text("units", "zh") in {t.name for t in figure.data}  # the page never said: filled all the same


def layout_props(app, identity, *wanted: str) -> dict[str, dict]:
    """The props of the components with the `wanted` ids in the layout `identity` is sent."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props") or {}
            if props.get("id") in wanted:
                found[props["id"]] = props
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(signed_in(app.server.test_client(), identity).get("/_dash-layout").get_json())
    return found


def layout_as(app, identity) -> str:
    return json.dumps(signed_in(app.server.test_client(), identity).get("/_dash-layout?lang=en").get_json(),
                      ensure_ascii=False)


def test_a_role_never_shown_requests_or_the_counties_figures_is_told_so_not_shown_empties(two_counties):
    """A support officer may read neither requests nor the counties' load: the plan panel says so (not
    "pick a request"), the decision controls are hidden, the colourings disabled, and the counties drawn
    flat with no colour bar, not every county at zero. A county officer with nothing in their county
    still sees an honest empty."""
    from twin.ui.messages import text
    app = create_app(two_counties)
    support = layout_as(app, LOGISTICS)
    assert "Your role (support officer) may not read support requests and their plans" in support
    assert "Your role (support officer) may not read the counties' force and load" in support
    assert text("no_request_picked", "en") not in support
    found = layout_props(app, LOGISTICS, ids.COLOUR_BY, ids.REQUEST_PICKER, ids.MAP, ids.STRENGTH, ids.PLAN_CONTROLS)
    assert all(o["disabled"] for o in found[ids.COLOUR_BY]["options"])
    assert found[ids.REQUEST_PICKER]["disabled"] is True
    assert found[ids.PLAN_CONTROLS]["className"] == "d-none" and found[ids.STRENGTH]["style"] == {"display": "none"}
    [counties] = [t for t in found[ids.MAP]["figure"]["data"] if t["type"] == "choroplethmap"]
    assert counties["showscale"] is False and set(counties["z"]) == {0}
    assert text("county_figures_withheld", "zh") in counties["hovertemplate"]

    province = layout_as(app, PROVINCE)  # may read everything: none of the notes
    assert "may not read" not in province
    xihu = layout_as(app, XIHU_DUTY)  # reads requests in 西湖 only, and there is none: an honest empty
    assert "may not read" not in xihu
    comparison, *_ = panel_view(two_counties, None, "en", None, LOGISTICS)
    assert "may not read support requests" in str(comparison)
    comparison, *_ = panel_view(two_counties, None, "en", None, XIHU_DUTY)
    assert text("no_request_picked", "en") in str(comparison)


def controls_of(app, identity) -> tuple[str, dict | None]:
    """The plan controls' class and the donors' chart's style in the layout `identity` is sent."""
    found = layout_props(app, identity, ids.PLAN_CONTROLS, ids.STRENGTH)
    return found[ids.PLAN_CONTROLS]["className"], found[ids.STRENGTH].get("style")


def test_the_reason_box_preview_button_and_donors_chart_show_only_while_a_request_is_picked(two_counties):
    """A county officer with no request in their county is offered nothing to reject or preview; the
    province, whose first request is picked, is; picking a request or clearing the pick shows or hides them."""
    app = create_app(two_counties)
    assert controls_of(app, XIHU_DUTY) == ("d-none", {"display": "none"})
    assert controls_of(app, PROVINCE) == ("d-flex gap-2 my-2", None)
    assert app.twin_callbacks["on_pick"](None) == ("d-none", {"display": "none"})
    assert app.twin_callbacks["on_pick"](REQUEST) == ("d-flex gap-2 my-2", None)


def test_request_lines_are_named_in_the_pages_language_and_a_past_deadline_or_nowhere_to_stage_is_said():
    """The 泰顺 demo case: re-planned after its deadline had passed, so no county can be reached in time
    and there is nowhere to pre-position. The panel names the lines (not riot_control) and says so,
    instead of "预置 80 人于 —" and "时限 -8 分钟"."""
    from twin.ui.messages import line_name
    assert (line_name("riot_control"), line_name("negotiators", "en")) == ("处突", "negotiators")
    assert line_name("text-1", "zh", "riot_control") == "处突（text-1）"  # a line read from an incident's text
    assert line_name("text-2", "en", "patrol") == "patrol (text-2)" and line_name("text-3") == "text-3"
    # a line a scenario wrote for itself reads by the specialty it asks
    assert line_name("interpreter_vi", "zh", "investigation", ["foreign_language:vi"]) == "越南语（刑侦）"
    assert line_name("interpreter_vi", "en", None, ["foreign_language:vi"]) == "Vietnamese"
    nowhere = [{"line_id": "riot_control", "officers": 80, "late": 80, "from": {}, "text": "...", "stage_at": []},
               {"line_id": "text-1", "officers": 4, "late": 4, "from": {}, "text": "...",
                "stage_at": [{"county": "330329", "name": "泰顺县", "minutes": 0},
                             {"county": "330328", "name": "文成县", "minutes": 25}]}]
    plan = {"plan_id": "P", "request_id": "R", "prepositioning": nowhere}
    names = {"330329": "泰顺县", "330328": "文成县"}
    shown = panel.prepositioning(plan, names, "zh", {"text-1": {"line_id": "text-1", "module": "riot_control"}})
    assert shown == "处突：80 人，时限内无县区可达，无法靠预置按时到位；处突（text-1）：预置 4 人于 泰顺县、文成县"
    assert "—" not in shown and "riot_control" not in shown.replace("text-1", "")
    english = panel.prepositioning(plan, names, "en")
    assert english == "riot control: 80, no county within the deadline to stage them at; text-1: stage 4 at 泰顺县; 文成县"
    vietnamese = {"text-1": {"line_id": "text-1", "module": "investigation", "tags": ["foreign_language:vi"]}}
    assert "越南语（刑侦）：预置 4 人" in panel.prepositioning(plan, names, "zh", vietnamese)

    late = {"plan_id": "P", "request_id": "R", "proposed_at": "2026-12-04T15:37:00Z", "deadline": "2026-12-04T15:29:00Z",
            "assignments": [{"officer_id": "A", "line_id": "riot_control", "from_county": "330302", "eta_s": 11760}],
            "metrics": {"headcount": 1, "latest_eta_s": 11760, "deadline_met": False, "per_donor": {"330302": 1}},
            "shortfall": [{"line_id": "riot_control", "needed": 2, "assigned": 1, "qualified_within_deadline": 0,
                           "qualified": 900, "text": "..."}]}
    summary = panel.summary_zh(late, {"330302": "鹿城区"})
    assert summary.startswith("需 2 人，已安排 1 人；最晚 196 分钟到达（时限已过 8 分钟，无法按时全部到位）。")
    assert "缺口 处突：需 2 人" in summary and "-8" not in summary


def test_an_english_page_names_the_counties_in_english_everywhere_not_only_on_the_map(two_counties):
    from twin.ui import board
    from twin.ui.place_names import county_names
    assert county_names([{"code": "330783", "name": "东阳市"}], "en") == {"330783": "Dongyang City"}
    app = create_app(two_counties)
    _figure, rows, _count, _clock, options, _key = callback_as(app, PROVINCE, "on_refresh", 1, "load", REQUEST,
                                                               "en", None)
    assert "Dongyang City" in str(rows) and "东阳市" not in str(rows)               # the incident table
    assert any("Dongyang City" in o["label"] for o in options)                     # the request picker
    comparison, *_ = panel_view(two_counties, REQUEST, "en", None, PROVINCE)
    assert "Yiwu City" in str(comparison) and "Jindong District" in str(comparison)  # the plan panel's donors
    with app.server.test_request_context("/board"):
        body, *_ = board.board_view(two_counties, PROVINCE, "en", None)
    assert "Dongyang City" in str(body) and "东阳市" not in str(body)
    chinese, *_ = panel_view(two_counties, REQUEST, "zh", None, PROVINCE)
    assert "义乌市" in str(chinese) and "Yiwu" not in str(chinese)
    assert "东阳市" in str(callback_as(app, PROVINCE, "on_refresh", 1, "load", REQUEST, "zh", None)[1])


def test_the_first_layout_says_the_picked_requests_plans_are_loading_not_that_it_has_none(two_counties):
    """The page lays out before the panel's callback fills in the plans: with plans in hand it says they
    are loading; "no candidate plans yet" stays for a request that has none."""
    app = create_app(two_counties)
    first = layout_as(app, PROVINCE)
    assert "Loading the candidate plans…" in first and "No candidate plans for this request yet" not in first
    assert "Loading" not in str(panel.comparison([], "en", picked=True))
    assert panel.comparison([], "en", picked=True, loading=True).children == "Loading the candidate plans…"


def test_english_counts_say_one_incident_and_two_incidents():
    from twin.ui.messages import text
    assert text("incidents_count", "en", n=1) == "1 incident"
    assert text("incidents_count", "en", n=2) == "2 incidents"
    assert text("incidents_count", "zh", n=1) == "事件 1 起"
    assert text("flag_late", "en", n=1) == "1 unit late" and text("flag_late", "en", n=3) == "3 units late"
    assert text("flag_unacknowledged", "en", n=1) == "1 order unacknowledged, escalated"


def test_an_approved_plan_links_to_its_signed_order_and_a_proposed_one_does_not():
    plan = {"plan_id": "PLAN-R-1A", "kind": "fastest", "status": "proposed", "version": 1, "assignments": [],
            "metrics": {"latest_eta_s": 600}}

    def links(p):
        return [c for c in panel.comparison([p], "zh", {})._traverse() if getattr(c, "className", None) == "print-order"]

    assert links(plan) == []
    for status in ("approved", "committed"):
        found = links(dict(plan, status=status))
        assert len(found) == 1 and found[0].href == "/plans/PLAN-R-1A/order" and found[0].children == "打印调度令（含电子签名）"
    assert links(dict(plan, status="rejected")) == []
