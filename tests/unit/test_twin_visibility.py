"""Positions of moving units: province command always; the receiving command for units sent to it
during the task only when the province turned that on; nobody else (not on the map, not in /state).
Every read that shows a position is logged."""
from __future__ import annotations

from services.common.auth import Identity
from twin.map_layers import unit_traces
from twin.position_access import PositionAccess
from twin.visibility import visible

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
    assert positions(Identity("hz", "city_commander", "330100"), sharing=True) == [None]   # not its units


def test_other_regions_roles_and_anonymous_viewers_see_no_position():
    for who in (Identity("hz", "city_commander", "330100"), Identity("xh", "county_duty_officer", "330106"),
                Identity("pool", "resource_manager", "330000"), Identity("v", "viewer", "330000"),
                Identity("a", "auditor", "330000"), None):
        shown = visible(SNAPSHOT, who)["units"][0]
        assert shown["position"] is None and shown["origin"] is None and shown["position_hidden"], who
        assert shown["status"] == "moving"  # progress stays visible


def test_hidden_units_are_not_drawn_on_the_map():
    assert unit_traces(visible(SNAPSHOT, Identity("v", "viewer", "330000"))["units"]) == []
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
