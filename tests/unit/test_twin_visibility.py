"""Positions of moving units: province command always; the receiving command for units sent to it
during the task; nobody else (not on the map, not in /state)."""
from __future__ import annotations

from services.common.auth import Identity
from twin.map_layers import unit_traces
from twin.visibility import visible

SNAPSHOT = {
    "requests": [{"request_id": "REQ-1", "county": "330783"}],
    "units": [{"unit_id": "U1", "order_id": "ORD-1", "request_id": "REQ-1", "status": "moving",
               "position": [120.3, 29.3], "origin": [120.2, 30.2], "late": False}],
}


def positions(identity):
    return [u["position"] for u in visible(SNAPSHOT, identity)["units"]]


def test_the_province_command_sees_every_position():
    assert positions(Identity("zj", "province_commander", "330000")) == [[120.3, 29.3]]


def test_the_receiving_city_and_county_see_the_units_sent_to_them():
    assert positions(Identity("jh", "city_commander", "330700")) == [[120.3, 29.3]]
    assert positions(Identity("dy", "county_duty_officer", "330783")) == [[120.3, 29.3]]


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
