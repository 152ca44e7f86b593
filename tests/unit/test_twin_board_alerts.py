"""The situation board's queue, the alerts per role and region, their log, and the map's place names."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

import pytest

from services.common.auth import Identity
from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.ui import alerts, board
from twin.ui.app import create_app
from twin.ui.figures import province_map
from twin.ui.place_names import english_name, place_labels

PROVINCE = Identity("zj-commander", "province_commander", "330000")
HANGZHOU = Identity("hz-commander", "city_commander", "330100")
JINHUA = Identity("jh-commander", "city_commander", "330700")
DONGYANG = Identity("dy-duty", "county_duty_officer", "330783")
XIHU = Identity("xh-duty", "county_duty_officer", "330106")
FRAUD, CROWD, UNIT = "REQ-330783-20250915-0003", "REQ-330102-20250915-0001", "UNIT-330782-TS-01"
START = datetime.fromisoformat("2025-09-15T09:00:00+08:00")


def event(kind: str, **data) -> dict:
    out = copy.deepcopy(example_event(kind))
    out["data"].update(data)
    return out


def situation(*, escalate: bool = False) -> ProvinceModel:
    """A grade III fraud request in 东阳市 (plan, one unit ordered) and a grade I crowd request in 上城区."""
    model = ProvinceModel(seed=0, start=START)
    for kind in ("incident.reported", "support.requested", "plan.proposed"):
        replay.apply(model, example_event(kind))
    if escalate:
        replay.apply(model, example_event("support.escalated"))
    replay.apply(model, example_event("dispatch.ordered"))
    at = datetime.fromisoformat("2025-09-15T09:20:00+08:00")
    crowd = event("support.requested", request_id=CROWD, incident_id="INC-330102-20250915-0001", county="330102",
                  grade="I", approval_level="province", requested_at=at.isoformat(),
                  deadline=(at + timedelta(minutes=30)).isoformat(),
                  launch_deadline=(at + timedelta(minutes=15)).isoformat(), deadline_minutes=30)
    crowd["time"] = at.isoformat()
    replay.apply(model, crowd)
    return model


def clock_at(model: ProvinceModel, iso: str) -> None:
    model.observe_time(datetime.fromisoformat(iso))


# --- the board ---------------------------------------------------------------------------------------

def test_the_queue_puts_the_soonest_deadline_first_with_grade_one_s_two_deadlines():
    rows = board.queue(situation().snapshot())
    assert [r["request_id"] for r in rows] == [CROWD, FRAUD]
    crowd, fraud = rows
    assert [which for which, _ in crowd["deadlines"]] == ["launch", "on_scene"]
    assert crowd["left_s"] == 15 * 60  # launch by 09:35, the clock at 09:20
    assert [which for which, _ in fraud["deadlines"]] == ["on_scene"]
    assert fraud["asked"] == 6 and fraud["arrived"] == 0 and fraud["on_the_way"] == 2
    assert fraud["chance"] is not None and fraud["plan_kind"] == "fastest" and not fraud["decided"]


def test_a_launched_grade_one_request_counts_down_to_being_on_scene_only():
    model = situation()
    replay.apply(model, event("dispatch.ordered", order_id="ORD-2", request_id=CROWD, unit_id="UNIT-330104-01",
                              from_county="330104", plan_id="PLAN-X"))
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert [which for which, _ in crowd["deadlines"]] == ["on_scene"] and crowd["launched"]


def test_late_units_and_escalations_are_flagged_and_coloured():
    model = situation(escalate=True)
    fraud = next(r for r in board.queue(model.snapshot()) if r["request_id"] == FRAUD)
    assert fraud["escalated_from"] == "III" and fraud["late_units"] == []
    assert board.row_class(fraud) == "table-warning"
    replay.apply(model, event("unit.late", unit_id=UNIT, order_id="ORD-20250915-0042"))
    fraud = next(r for r in board.queue(model.snapshot()) if r["request_id"] == FRAUD)
    assert fraud["late_units"] == [UNIT] and board.row_class(fraud) == "table-danger"


def late_plans(model: ProvinceModel, eta_s: float, *, met: bool = False, proposed_at: str = "09:22",
               version: int = 1) -> None:
    """The crowd request's three plans (on scene by 09:50), the quickest arriving `eta_s` after it is
    approved, each missing the deadline unless `met`."""
    for i, (kind, letter) in enumerate((("fastest", "A"), ("fairest", "B"), ("least_reserve_damage", "C"))):
        plan = event("plan.proposed", request_id=CROWD, plan_id=f"PLAN-{CROWD}-{version}{letter}", version=version,
                     deadline="2025-09-15T09:50:00+08:00", proposed_at=f"2025-09-15T{proposed_at}:00+08:00")
        plan["id"] = f"plan-{version}{letter}"
        plan["data"]["kind"] = kind
        plan["data"]["metrics"] = {**plan["data"]["metrics"], "latest_eta_s": eta_s + 600 * i, "deadline_met": met}
        replay.apply(model, plan)


def test_a_plan_short_of_certain_says_how_many_of_the_asked_officers_the_deadline_sees():
    model = situation()
    late_plans(model, 11_700)  # the example plan's units: 2 officers by the deadline, the other 4 after it
    rows = {r["request_id"]: r for r in board.queue(model.snapshot())}
    assert (rows[CROWD]["chance"], rows[CROWD]["on_time"], rows[CROWD]["asked"]) == (0.0, 2, 6)
    assert "最快方案；时限内到位 2/6 人（P50）" in str(board.chance_cell(rows[CROWD], "zh"))
    assert "2/6 in place by the deadline (P50)" in str(board.chance_cell(rows[CROWD], "en"))
    certain = {**rows[FRAUD], "chance": 1.0}
    assert "时限内到位" not in str(board.chance_cell(certain, "zh"))  # every run on time: nothing to add


def test_a_request_whose_every_plan_misses_the_deadline_is_flagged_with_the_quickest():
    model = situation()
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert crowd["plans_late"] is None and board.row_class(crowd) == ""  # no plan yet: nothing to say
    late_plans(model, 11_700)
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert crowd["plans_late"] == {"need_s": 11_700, "limit_min": 28}  # the quickest of the three
    assert board.row_class(crowd) == "table-warning"
    assert "各方案均超时：最快需 195 分钟到齐（时限 28 分钟）" in str(board.board_row(crowd, "zh"))
    assert "every plan is late: the quickest needs 195 min to be in place (limit 28 min)" in str(
        board.board_row(crowd, "en"))
    late_plans(model, 11_700, proposed_at="09:55", version=2)  # made again after the deadline
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert "各方案均超时：最快需 195 分钟到齐（编制时已过时限 5 分钟）" in str(board.board_row(crowd, "zh"))
    approved = event("plan.approved", plan_id=f"PLAN-{CROWD}-2C", request_id=CROWD)  # the slowest: its own figure
    approved["id"] = "crowd-approved"
    replay.apply(model, approved)
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert crowd["decided"] and crowd["plans_late"]["need_s"] == 11_700 + 1_200
    assert "the approved plan is late: it needs 215 min to be in place (planned 5 min after the deadline)" in str(
        board.board_row(crowd, "en"))


def test_one_plan_in_time_or_units_on_the_way_take_the_plan_flag_away():
    model = situation()
    late_plans(model, 600, met=True)
    crowd = next(r for r in board.queue(model.snapshot()) if r["request_id"] == CROWD)
    assert crowd["plans_late"] is None and "超时" not in str(board.board_row(crowd, "zh"))
    late = event("plan.proposed", plan_id=f"PLAN-{FRAUD}-2A", version=2)  # made again, late
    late["id"] = "the-plan-made-again"
    late["data"]["metrics"] = {**late["data"]["metrics"], "latest_eta_s": 9_000, "deadline_met": False}
    replay.apply(model, late)
    snapshot = model.snapshot()
    assert board.late_by_plan(board.views.plans_of(snapshot, FRAUD))["need_s"] == 9_000
    fraud = next(r for r in board.queue(snapshot) if r["request_id"] == FRAUD)
    assert fraud["on_the_way"] and fraud["plans_late"] is None  # its units say whether they are late
    replay.apply(model, event("unit.arrived"))
    fraud = next(r for r in board.queue(model.snapshot()) if r["request_id"] == FRAUD)
    assert fraud["arrived"] and not fraud["on_the_way"] and fraud["plans_late"] is None  # in place: no plan flag


def test_the_board_s_thresholds_come_from_its_policy_file_with_their_sources(tmp_path):
    assert board.thresholds() == (board.SOON_S, board.AT_RISK) == (300.0, 0.5)
    policy = tmp_path / "board.yaml"
    policy.write_text('soon: {minutes: 10, source: "seed"}\nat_risk: {chance: 0.8, source: "assumed (a drill)"}\n')
    assert board.thresholds(policy) == (600.0, 0.8)
    policy.write_text('soon: {minutes: 10}\nat_risk: {chance: 0.8, source: "assumed (a drill)"}\n')
    with pytest.raises(ValueError, match="board.yaml: soon: 'source' must be"):
        board.thresholds(policy)
    policy.write_text('soon: {minutes: 10, source: "seed"}\nat_risk: {chance: 1.5, source: "seed"}\n')
    with pytest.raises(ValueError, match="at_risk.chance in"):
        board.thresholds(policy)


def test_a_low_chance_is_shown_red_and_colours_the_row():
    row = next(r for r in board.queue(situation().snapshot()) if r["request_id"] == FRAUD)
    for chance, red in ((0.0, True), (0.49, True), (0.5, False), (0.97, False)):
        row = {**row, "chance": chance, "live": None, "plans_late": None, "left_s": 3600,
               "escalated_from": None, "unacknowledged": [], "late_units": []}
        assert ("text-danger" in str(board.chance_cell(row, "zh"))) is red
        assert board.row_class(row) == ("table-warning" if red else "")
    live = {"units": 3, "arrived": 0, "on_way": 3, "late": 0, "silent": 0, "latest_eta": "2025-09-15T09:40:00+08:00",
            "deadline": "2025-09-15T09:51:40+08:00", "speedup": 1.0}
    row = {**row, "chance": 0.0, "live": live}  # on the way and expected in time: the plan's 0% no longer counts
    assert board.row_class(row) == ""
    row = {**row, "chance": 0.97, "live": {**live, "latest_eta": "2025-09-15T10:05:00+08:00"}}  # expected late
    assert board.row_class(row) == "table-warning"


def test_the_board_shows_a_county_only_its_own_requests():
    model = situation()
    ids_for = {who: [r["request_id"] for r in board.queue(board.visibility.permitted(model.snapshot(), who))]
               for who in (PROVINCE, HANGZHOU, DONGYANG, XIHU)}
    assert ids_for == {PROVINCE: [CROWD, FRAUD], HANGZHOU: [CROWD], DONGYANG: [FRAUD], XIHU: []}


def test_the_board_page_and_its_callback_answer_per_user():
    model = situation()
    app = create_app(model, refresh_ms=1000)
    with app.server.test_request_context("/board"):
        body, count, _clock, clock_iso, key = board.board_view(model, DONGYANG, "zh", None)
        assert count == "待处理 1 项" and clock_iso.startswith("2025-09-15T01:20")
        assert len(body) == 1 and FRAUD in str(body[0])
        again = board.board_view(model, DONGYANG, "zh", key)
        assert again[0] is board.dash.no_update  # nothing changed: the rows are not sent again
        viewer = Identity("zj-viewer", "viewer", "330000")  # never shown requests: told so, not "none open"
        body, count, *_ = board.board_view(model, viewer, "en", None)
        assert count == "open: not shown" and "No open support requests" not in str(body)
        assert body[0].children.id == "board-withheld"
        assert body[0].children.children.startswith("Your role (viewer) may not read support requests")
        body, count, *_ = board.board_view(model, XIHU, "en", None)  # may read 西湖's, has none: empty
        assert count == "0 open" and "No open support requests" in str(body)
        body, count, *_ = board.board_view(model, None, "en", None)  # nobody signed in: no role to name
        assert "sign in again" in str(body) and "Your role" not in str(body)
        body, count, *_ = board.board_view(model, XIHU, "en", None)
        assert count == "0 open" and "No open support requests" in str(body)
        page = board.page(model, "zh", None, True, 1000)
        assert "twin-wall" in page.className and getattr(page, "data-bs-theme") == "dark"


# --- alerts -----------------------------------------------------------------------------------------

def kinds(found: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for alert in found:
        out.setdefault(alert["kind"], []).append(alert["id"])
    return out


def test_a_plan_awaits_approval_only_of_whom_may_approve_it():
    snapshot = situation().snapshot()  # the fraud request is approved at province level
    assert kinds(alerts.alerts_for(snapshot, PROVINCE))["approval"] == ["approval:PLAN-REQ-330783-20250915-0003-A"]
    assert "approval" not in kinds(alerts.alerts_for(snapshot, JINHUA))  # its city, but a province-level request
    assert "approval" not in kinds(alerts.alerts_for(snapshot, DONGYANG))  # a county officer never approves
    assert kinds(alerts.alerts_for(snapshot, JINHUA))["new_request"] == [f"new_request:{FRAUD}"]


def test_an_approval_alert_says_when_the_plan_misses_its_deadline():
    model = situation()
    late_plans(model, 11_700)
    texts = {a["id"]: a["text"] for a in alerts.alerts_for(model.snapshot(), PROVINCE) if a["kind"] == "approval"}
    assert texts[f"approval:PLAN-{CROWD}-1A"].endswith("（超时：需 195 分钟到齐，时限 28 分钟）")
    assert texts[f"approval:PLAN-{CROWD}-1C"].endswith("（超时：需 215 分钟到齐，时限 28 分钟）")  # each its own
    assert "超时" not in texts["approval:PLAN-REQ-330783-20250915-0003-A"]  # the fraud plan keeps its deadline
    english = {a["id"]: a["text"] for a in alerts.alerts_for(model.snapshot(), PROVINCE, "en")}
    assert english[f"approval:PLAN-{CROWD}-1A"].endswith(" (late: 195 min to be in place, limit 28 min)")
    late_plans(model, 600, met=True, version=2)  # made again, in time: the alerts of the new plans say nothing
    texts = {a["id"]: a["text"] for a in alerts.alerts_for(model.snapshot(), PROVINCE) if a["kind"] == "approval"}
    again = [t for i, t in texts.items() if i.startswith(f"approval:PLAN-{CROWD}-2")]
    assert len(again) == 3 and not any("超时" in t for t in again)


def test_a_late_unit_alerts_the_receiving_county_and_the_province_not_another_county():
    model = situation()
    replay.apply(model, event("unit.late", unit_id=UNIT, order_id="ORD-20250915-0042", late_by_s=600))
    snapshot = model.snapshot()
    late = [a for a in alerts.alerts_for(snapshot, DONGYANG) if a["kind"] == "late"]
    assert [a["id"] for a in late] == [f"late:{UNIT}:ORD-20250915-0042"]
    assert "10 分钟" in late[0]["text"] and "义乌市" in late[0]["text"]
    assert any(a["kind"] == "late" for a in alerts.alerts_for(snapshot, PROVINCE))
    assert alerts.alerts_for(snapshot, XIHU) == []
    assert alerts.alerts_for(snapshot, None) == []


def test_a_deadline_alerts_within_five_minutes_and_an_escalation_once_per_grade():
    model = situation(escalate=True)
    assert "deadline" not in kinds(alerts.alerts_for(model.snapshot(), PROVINCE))
    clock_at(model, "2025-09-15T09:31:00+08:00")  # grade I's launch due 09:35
    found = kinds(alerts.alerts_for(model.snapshot(), PROVINCE))
    assert found["deadline"] == [f"deadline:{CROWD}:launch"]
    assert found["escalated"] == [f"escalated:{FRAUD}:II"]
    assert alerts.alerts_for(model.snapshot(), PROVINCE, "en")[0]["text"]  # worded in English too


def test_acknowledged_alerts_leave_the_count_and_stay_in_the_users_own_log():
    model = situation()
    log = alerts.AlertLog()
    first = alerts.alerts_for(model.snapshot(), DONGYANG)
    assert log.acknowledge("dy-duty", first[:1], START) == 1
    assert log.acknowledge("dy-duty", first[:1], START) == 0  # once
    assert [a["id"] for a in log.log("dy-duty")] == [first[0]["id"]]
    assert log.log("dy-duty")[0]["acknowledged_at"] == START.isoformat()
    assert log.log("xh-duty") == [] and log.acknowledged_ids("zj-commander") == set()


def test_the_alerts_view_toasts_only_what_appeared_since_the_page_looked():
    model = situation()
    log = alerts.AlertLog()
    user = alerts.signin.SignedIn(DONGYANG, "token", "东阳市局值班员")
    badge, colour, listing, _log, toasts, seen = alerts.alerts_view(model, log, user, "zh", None)
    assert toasts is alerts.dash.no_update and badge == str(len(listing)) and colour == "danger"
    replay.apply(model, event("unit.late", unit_id=UNIT, order_id="ORD-20250915-0042"))
    badge2, _c, _l, _g, toasts, seen = alerts.alerts_view(model, log, user, "zh", seen)
    assert int(badge2) == int(badge) + 1
    new = toasts.to_plotly_json()["operations"]
    assert len(new) == 1 and "UNIT-330782-TS-01" in str(new[0])
    late = f"late:{UNIT}:ORD-20250915-0042"
    badge3, _c, _l, _g, toasts, _s = alerts.alerts_view(model, log, user, "zh", seen,
                                                        {"type": "alert-ack", "alert": late}, True)
    assert int(badge3) == int(badge) and [a["id"] for a in log.log("dy-duty")] == [late]
    assert toasts == []  # acknowledging clears the toasts


# --- place names ------------------------------------------------------------------------------------

def test_place_names_in_chinese_and_in_pinyin():
    assert english_name("杭州市", "city") == "Hangzhou"
    assert english_name("西湖区") == "Xihu District"
    assert english_name("东阳市") == "Dongyang City"
    assert english_name("长兴县") == "Changxing County"
    assert english_name("临安区") == "Lin'an District" and english_name("瑞安市") == "Rui'an City"  # the syllables' boundary
    assert english_name("莲都区") == "Liandu District"  # 都 as a place name reads dū
    # matching's English explanation names counties as the geography does; the English page reads them in Pinyin
    from twin.ui.place_names import places_in_english
    assert places_in_english("riot_control: 33 from 鹿城区 (120 min), 5 from 乐清市; 景宁畲族自治县 at its floor") == \
        "riot_control: 33 from Lucheng District (120 min), 5 from Yueqing City; Jingning She Autonomous County at its floor"
    assert english_name("景宁畲族自治县") == "Jingning She Autonomous County"
    assert english_name("浙江省", "province") == "Zhejiang" and english_name("广西壮族自治区", "province") == "Guangxi"
    assert english_name("重庆市", "province") == "Chongqing"


def test_the_map_carries_city_and_county_labels_at_their_seats():
    model = ProvinceModel(seed=0)
    counties = [c.as_dict() for c in model.counties()]
    labels = place_labels(counties)
    cities = [label for label in labels if label["level"] == "city"]
    assert len(cities) == 11 and cities[0]["name"] == "杭州市" and labels[0]["level"] == "city"
    assert sum(label["level"] == "county" for label in labels) == len(counties)
    figure = province_map(model.geography.county_geojson(), counties, [], lang="en")
    meta = figure.layout.meta
    assert {"Hangzhou", "Xihu District"} <= {label["name"] for label in meta["place_labels"]}
    assert meta["county_zoom"] > figure.layout.map.zoom
    assert meta["avoid"] == []  # no incident: no marker a name must keep off
    incident = {"incident_id": "INC-1", "grade": "II", "type": "mass_gathering", "county": "330102",
                "point": (120.1985, 30.246)}
    assert province_map(model.geography.county_geojson(), counties, [incident]).layout.meta["avoid"] == [
        [120.1985, 30.246]]
    assert figure.layout.legend.y <= 0 and figure.layout.margin.b > 0  # the legend under the map, not on it


def test_signing_in_returns_to_the_board_and_keeps_its_wall_screen_mode():
    from twin.ui.signin import safe_next

    assert safe_next("/board?wall=1&lang=en&x=2") == "/board?lang=en&wall=1"
    assert safe_next("/board?wall=yes") == "/board"
