"""Replay of a recorded period in a real headless browser: play at a chosen speed, the slider and the
replay map's clock move forward, the unit appears and moves, and the console stays clean."""
from __future__ import annotations

import copy

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common.contracts import example_event
from twin.sim.model import ProvinceModel
from twin.ui import ids
from twin.ui.app import create_app

from .test_twin_browser import remote_resources, severe_console_entries, signed_in_url
from .test_twin_loop_browser import UNIT_LONS_JS

pytestmark = pytest.mark.e2e


def at(topic: str, time: str) -> dict:
    event = copy.deepcopy(example_event(topic))
    event["time"] = time
    return event


def test_a_recording_plays_on_the_replay_map(serve_wsgi, chrome):
    recording = [at("incident.reported", "2025-09-15T09:00:00+08:00"),
                 at("dispatch.ordered", "2025-09-15T09:02:00+08:00"),
                 at("unit.position-reported", "2025-09-15T09:04:00+08:00"),
                 at("unit.arrived", "2025-09-15T09:06:00+08:00")]
    origin = serve_wsgi(create_app(ProvinceModel(seed=0), refresh_ms=5000, recording=recording).server)
    chrome.get(signed_in_url(origin))
    wait = WebDriverWait(chrome, 90)
    wait.until(lambda d: "09:00:00" in d.find_element(By.ID, ids.REPLAY_CLOCK).text)
    chrome.find_element(By.ID, ids.REPLAY_PLAY).click()  # 60x by default: a recorded minute a second
    wait.until(lambda d: d.find_element(By.ID, ids.REPLAY_PLAY).text == "暂停")
    first = wait.until(lambda d: d.execute_script(UNIT_LONS_JS, ids.REPLAY_MAP, "支援单元"))
    wait.until(lambda d: (now := d.execute_script(UNIT_LONS_JS, ids.REPLAY_MAP, "支援单元")) and now != first)
    wait.until(lambda d: "09:06:00" in d.find_element(By.ID, ids.REPLAY_CLOCK).text)
    wait.until(lambda d: d.find_element(By.ID, ids.REPLAY_PLAY).text == "播放")  # at the end it stops
    assert severe_console_entries(chrome) == []
    assert remote_resources(chrome, origin) == []
