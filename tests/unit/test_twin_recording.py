"""Recorded streams: written by the mirror, replayed at any moment of the period, at a chosen speed."""
from __future__ import annotations

import copy

import pytest

from services.common.auth import Identity, signed_in
from services.common.contracts import example_event
from services.geo import Geography
from twin.mirror import recording
from twin.sim.model import ProvinceModel
from twin.ui.app import create_app
from twin.ui.replay_controls import advance


def at(topic: str, time: str, **changes) -> dict:
    event = copy.deepcopy(example_event(topic))
    event["time"] = time
    event["data"].update(changes)
    return event


@pytest.fixture
def events() -> list[dict]:
    return [at("incident.reported", "2025-09-15T09:00:00+08:00"),
            at("dispatch.ordered", "2025-09-15T09:10:00+08:00"),
            at("unit.position-reported", "2025-09-15T09:20:00+08:00"),
            at("unit.arrived", "2025-09-15T09:40:00+08:00")]


@pytest.fixture
def recorded(tmp_path, events):
    path = tmp_path / "stream.jsonl"
    record = recording.Recorder(path)
    for event in reversed(events):  # written out of order, loaded in time order
        record(event)
    return path


def test_the_recording_loads_in_time_order(recorded, events):
    assert [e["id"] for e in recording.load(recorded)] == [e["id"] for e in events]


def test_the_player_shows_the_state_at_each_moment(recorded):
    player = recording.Player(recording.load(recorded), Geography.load("330000"))
    assert player.duration_s == 40 * 60
    assert player.at(0)["incidents"] and not player.at(0)["units"]
    moving = player.at(15 * 60)["units"][0]
    assert moving["status"] == "dispatched"
    assert player.at(25 * 60)["units"][0]["position"] == [120.1586, 29.2977]
    assert player.at(40 * 60)["units"][0]["status"] == "arrived"


def test_the_player_goes_back_in_time(recorded):
    player = recording.Player(recording.load(recorded), Geography.load("330000"))
    player.at(40 * 60)
    back = player.at(5 * 60)
    assert back["units"] == [] and back["clock"].startswith("2025-09-15T01:05:00")


def test_playing_moves_the_slider_by_speed_and_stops_at_the_end():
    assert advance(0, 60, 2400) == (60, True)
    assert advance(2380, 60, 2400) == (2400, False)


def test_the_page_has_the_replay_panel_only_with_a_recording(recorded):
    model = ProvinceModel(seed=0)
    with_recording = create_app(model, recording=recording.load(recorded))
    assert with_recording._replay_player.duration_s == 2400
    viewer = Identity("zj-viewer", "viewer", "330000")
    page = signed_in(with_recording.server.test_client(), viewer).get("/_dash-layout").get_data(as_text=True)
    assert "replay-slider" in page
    bare = signed_in(create_app(model).server.test_client(), viewer).get("/_dash-layout").get_data(as_text=True)
    assert "replay-slider" not in bare
