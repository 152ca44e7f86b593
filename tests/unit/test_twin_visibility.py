"""Positions of moving units: province command always; the receiving command for units sent to it
during the task only when the province turned that on; nobody else (not on the map, not in /state).
Every read that shows a position is logged."""
from __future__ import annotations

from services.common.auth import Identity
from twin.ui.map_layers import unit_traces
from twin.ui.position_access import PositionAccess
from twin.ui.visibility import visible

SNAPSHOT = {
    "requests": [{"request_id": "REQ-1", "county": "330783"}],
    "units": [{"unit_id": "U1", "order_id": "ORD-1", "request_id": "REQ-1", "status": "moving",
               "position": [120.3, 29.3], "origin": [120.2, 30.2], "late": False}],
}


def positions(identity, sharing=False):
    return [u["position"] for u in visible(SNAPSHOT, identity, sharing)["units"]]


def test_the_province_command_sees_every_position():
    assert positions(Identity("zj", "province_commander", "330000")) == [[120.3, 29.3]]


def test_the_receiving_command_sees_its_units_only_when_the_province_turned_that_on():
    for receiver in (Identity("jh", "city_commander", "330700"), Identity("dy", "county_duty_officer", "330783")):
        assert positions(receiver) == [None]                                  # off by default
        assert positions(receiver, sharing=True) == [[120.3, 29.3]]
    assert positions(Identity("hz", "city_commander", "330100"), sharing=True) == []       # not its units at all


def test_roles_that_read_the_unit_see_its_progress_but_no_position():
    for who in (Identity("pool", "resource_manager", "330000"), Identity("a", "auditor", "330000"),
                Identity("jh", "city_commander", "330700")):
        shown = visible(SNAPSHOT, who)["units"][0]
        assert shown["position"] is None and shown["origin"] is None and shown["position_hidden"], who
        assert shown["status"] == "moving"  # progress stays visible


def test_other_regions_viewers_and_anonymous_callers_do_not_get_the_unit_at_all():
    for who in (Identity("hz", "city_commander", "330100"), Identity("xh", "county_duty_officer", "330106"),
                Identity("v", "viewer", "330000"), None):
        assert visible(SNAPSHOT, who)["units"] == [], who


def test_hidden_units_are_not_drawn_on_the_map():
    assert unit_traces(visible(SNAPSHOT, Identity("a", "auditor", "330000"))["units"]) == []
    assert unit_traces(visible(SNAPSHOT, Identity("zj", "province_commander", "330000"))["units"]) != []


def test_the_snapshot_itself_is_not_changed():
    visible(SNAPSHOT, None)
    assert SNAPSHOT["units"][0]["position"] == [120.3, 29.3]


class Logistics:
    """logistics' GET /policy/positions as the twin's client sees it (None: logistics does not answer)."""

    def __init__(self, answer):
        self.answer, self.calls = answer, 0

    def position_policy(self):
        self.calls += 1
        return self.answer


def test_the_switch_is_read_from_logistics_cached_and_closed_when_logistics_is_silent(tmp_path):
    now = [0.0]
    logistics = Logistics({"receiving_command_sees_own_units": True})
    access = PositionAccess(logistics, log_path=tmp_path / "reads.jsonl", ttl_s=10, clock=lambda: now[0])
    receiver = Identity("dy", "county_duty_officer", "330783")
    assert access.visible(SNAPSHOT, receiver)["units"][0]["position"] == [120.3, 29.3]
    access.visible(SNAPSHOT, receiver)
    assert logistics.calls == 1                                               # cached for ttl_s
    logistics.answer, now[0] = None, 11.0                                     # logistics down: closed
    assert access.visible(SNAPSHOT, receiver)["units"][0]["position"] is None


def test_every_read_that_shows_a_position_is_logged_and_hidden_ones_are_not(tmp_path):
    import json
    access = PositionAccess(Logistics(None), log_path=tmp_path / "reads.jsonl")
    province, viewer = Identity("zj", "province_commander", "330000"), Identity("v", "viewer", "330000")
    assert access.record(viewer, "/state", access.visible(SNAPSHOT, viewer)) is None
    entry = access.record(province, "map", access.visible(SNAPSHOT, province))
    assert (entry["subject"], entry["role"], entry["via"], entry["units"]) == ("zj", "province_commander", "map", ["U1"])
    lines = [json.loads(line) for line in (tmp_path / "reads.jsonl").read_text().splitlines()]
    assert lines == [entry] and access.reads() == [entry]


# --- the services' permission table, per role and region -------------------------------------------

from services.common.permissions import table  # noqa: E402
from twin.ui.visibility import RULES, may_read, permitted  # noqa: E402

DONGYANG, XIHU, HANGZHOU = "330783", "330106", "330100"
STATE = {
    "counties": [{"code": DONGYANG, "name": "东阳市", "officers_on_duty": 120, "officers_available": 20,
                  "officers_committed": 90, "reserve_floor": 24, "load": 0.8},
                 {"code": XIHU, "name": "西湖区", "officers_on_duty": 300, "officers_available": 200,
                  "officers_committed": 0, "reserve_floor": 60, "load": 0.1}],
    "incidents": [{"incident_id": "INC-DY", "county": DONGYANG}, {"incident_id": "INC-XH", "county": XIHU}],
    "requests": [{"request_id": "REQ-DY", "county": DONGYANG}, {"request_id": "REQ-XH", "county": XIHU}],
    "plans": [{"plan_id": "P-DY", "request_id": "REQ-DY", "assignments": [{"from_county": "330782"}]},
              {"plan_id": "P-XH", "request_id": "REQ-XH", "assignments": [{"from_county": DONGYANG}]}],
    "units": [{"unit_id": "U-TO-DY", "request_id": "REQ-DY", "from_county": "330782", "position": [1, 2]},
              {"unit_id": "U-FROM-DY", "request_id": "REQ-XH", "from_county": DONGYANG, "position": [3, 4]},
              {"unit_id": "U-IDLE", "request_id": None, "from_county": None, "position": [5, 6]}],
    "officers": {DONGYANG: {"on_duty": 120}, XIHU: {"on_duty": 300}},
}


def shown(identity) -> dict:
    view = permitted(STATE, identity)
    return {"incidents": [i["incident_id"] for i in view["incidents"]],
            "requests": [r["request_id"] for r in view["requests"]],
            "plans": [p["plan_id"] for p in view["plans"]], "units": [u["unit_id"] for u in view["units"]],
            "officers": sorted(view["officers"]), "loads": [c["officers_on_duty"] for c in view["counties"]]}


def test_every_rule_the_twin_applies_is_in_the_services_table():
    for service, endpoint in RULES:
        assert endpoint in table().rules(service), (service, endpoint)


def test_the_province_command_and_the_auditor_see_the_whole_province():
    for who in (Identity("zj", "province_commander", "330000"), Identity("audit", "auditor", "330000")):
        assert shown(who) == {"incidents": ["INC-DY", "INC-XH"], "requests": ["REQ-DY", "REQ-XH"],
                              "plans": ["P-DY", "P-XH"], "units": ["U-TO-DY", "U-FROM-DY", "U-IDLE"],
                              "officers": [XIHU, DONGYANG], "loads": [120, 300]}


def test_a_county_officer_sees_their_county_only():
    assert shown(Identity("dy-duty", "county_duty_officer", DONGYANG)) == {
        "incidents": ["INC-DY"], "requests": ["REQ-DY"],
        "plans": ["P-DY", "P-XH"],          # its request, and the plan that takes officers from Dongyang
        "units": ["U-TO-DY", "U-FROM-DY"],  # sent to Dongyang, and sent from it
        "officers": [DONGYANG], "loads": [120, 300]}  # county loads are general data
    xihu = shown(Identity("xh-duty", "county_duty_officer", XIHU))
    assert (xihu["incidents"], xihu["requests"], xihu["plans"], xihu["units"]) == (
        ["INC-XH"], ["REQ-XH"], ["P-XH"], ["U-FROM-DY"])


def test_a_city_commander_sees_the_counties_of_their_city():
    hangzhou = shown(Identity("hz", "city_commander", HANGZHOU))
    assert (hangzhou["incidents"], hangzhou["requests"], hangzhou["officers"]) == (["INC-XH"], ["REQ-XH"], [XIHU])


def test_a_viewer_sees_general_data_only():
    assert shown(Identity("v", "viewer", "330000")) == {
        "incidents": [], "requests": [], "plans": [], "units": [], "officers": [], "loads": [120, 300]}


def test_a_logistics_officer_sees_the_units_to_or_from_their_county_and_no_incident_request_plan_or_figures():
    view = shown(Identity("dy-support", "support_officer", DONGYANG))
    assert view == {"incidents": [], "requests": [], "plans": [], "units": ["U-TO-DY", "U-FROM-DY"], "officers": [],
                    "loads": [0, 0]}  # not a reader of GET /counties/load
    assert all(c["load_hidden"] for c in permitted(STATE, Identity("s", "support_officer", DONGYANG))["counties"])


def test_nobody_signed_in_sees_nothing_and_the_state_itself_is_untouched():
    assert shown(None)["incidents"] == [] and shown(None)["units"] == []
    assert len(STATE["incidents"]) == 2 and STATE["counties"][0]["officers_on_duty"] == 120


def test_an_item_of_no_known_county_is_only_for_province_wide_readers():
    unit = ("logistics", "GET /orders")
    assert may_read(Identity("zj", "province_commander", "330000"), unit, [None])
    assert not may_read(Identity("dy", "county_duty_officer", DONGYANG), unit, [None])
    assert not may_read(Identity("dy", "county_duty_officer", DONGYANG), unit, [])
