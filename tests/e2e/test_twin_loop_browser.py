"""The command map's loop in a real headless browser, the twin on its own: pick a request, compare its
candidate plans, approve one, watch the units move. Matching's approval API is a stand-in here that
answers as matching does (token checked, province-level plans need the province) and puts the facts
that would follow on the model's stream (plan.approved, dispatch.ordered); the simulated field
devices then drive the units. The same loop over the real services is test_twin_stack_browser.py.
"""
from __future__ import annotations

import copy
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask, jsonify
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common.auth import Identity, current_identity
from services.common.contracts import example_event
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.sim import devices, movement
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import ids
from twin.ui.app import create_app

from .test_twin_browser import click_first, remote_resources, severe_console_entries, sign_in_again, signed_in_url

pytestmark = pytest.mark.e2e
TIMEOUT_S = 90
PLAN_A = "PLAN-REQ-330783-20250915-0003-A"
UNIT_LONS_JS = """
const graph = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
const traces = (graph && graph.data || []).filter(t => t.mode === 'markers' && t.name === arguments[1]);
return traces.length ? Array.from(traces[0].lon) : null;
"""


def event(topic: str, **changes) -> dict:
    envelope = copy.deepcopy(example_event(topic))
    envelope["data"].update(changes)
    return envelope


@pytest.fixture
def model() -> ProvinceModel:
    model = ProvinceModel(seed=0, start=datetime(2025, 9, 15, 1, 0, tzinfo=timezone.utc),
                          preview_config=PreviewConfig(runs=200))
    for county in ("330782", "330703", "330727"):
        replay.apply(model, event("county.load-reported", county=county, on_duty=240, available=120,
                                  committed=10, reserve_floor=168))
    replay.apply(model, event("incident.reported"))
    replay.apply(model, event("support.requested"))
    replay.apply(model, event("plan.proposed"))
    fairest = event("plan.proposed", plan_id=PLAN_A[:-1] + "B", kind="fairest")
    fairest["data"]["metrics"]["points_spread"] = 2.0
    replay.apply(model, fairest)
    return model


def matching_stand_in(model: ProvinceModel) -> Flask:
    app = Flask("matching")  # the name a token is addressed to (aud)

    @app.post("/plans/<plan_id>/approve")
    def approve(plan_id):
        caller = current_identity()
        if caller.role != "province_commander":
            return jsonify({"title": "Forbidden", "status": 403, "detail": "grade III here needs the province"}), 403
        replay.apply(model, event("plan.approved", plan_id=plan_id))
        plan = model.plans[plan_id]
        ordered_at = model.clock
        for unit_id in sorted({a["unit_id"] for a in plan["assignments"]}):
            officers = [a["officer_id"] for a in plan["assignments"] if a["unit_id"] == unit_id]
            donor = next(a["from_county"] for a in plan["assignments"] if a["unit_id"] == unit_id)
            replay.apply(model, event("dispatch.ordered", order_id=f"ORD-{unit_id}", unit_id=unit_id,
                                      from_county=donor, officer_ids=officers, plan_id=plan_id,
                                      ordered_at=ordered_at.isoformat()))
        return jsonify({"plan_id": plan_id, "status": "approved"})

    return app


def drive(model: ProvinceModel, stop: threading.Event, speedup: float = 60.0) -> None:
    """The field devices on a fast clock from the first order on, their reports applied as the stream
    would deliver them."""
    def publish(data, _correlation):
        replay.apply(model, event("unit.position-reported", **data) | {"time": data["at"]})
    fleet = devices.FieldDevices(model, publish)
    began = wall = None
    while not stop.wait(0.5):
        if began is None:
            trips = movement.trips(model)
            if not trips:
                continue
            began, wall = min(t.start for t in trips), time.monotonic()
        fleet.tick(began + timedelta(seconds=(time.monotonic() - wall) * speedup))


def test_approve_a_plan_on_the_map_and_watch_its_units_move(model, serve_wsgi, chrome, screenshots):
    matching = serve_wsgi(matching_stand_in(model))
    origin = serve_wsgi(create_app(model, refresh_ms=700, client=ServicesClient({"matching": matching})).server)
    stop = threading.Event()
    threading.Thread(target=drive, args=(model, stop), daemon=True).start()
    try:
        chrome.get(signed_in_url(origin, Identity("jh-commander", "city_commander", "330700")))
        wait = WebDriverWait(chrome, TIMEOUT_S)
        wait.until(lambda d: "最公平" in d.find_element(By.ID, ids.PLAN_PANEL).text)
        panel = chrome.find_element(By.ID, ids.PLAN_PANEL).text
        assert "最快" in panel and "按时到位概率" in panel and "%" in panel

        # a city commander may not decide a province-level plan: the buttons say so and do nothing
        wait.until(lambda d: "无审批权" in d.find_element(By.ID, ids.PLAN_PANEL).text)
        approve = chrome.find_elements(By.XPATH, f"//div[@id='{ids.PLAN_PANEL}']//button[text()='批准']")
        assert approve and all(not b.is_enabled() and b.get_attribute("title").startswith("无审批权") for b in approve)
        assert model.plans[PLAN_A]["status"] == "proposed"

        sign_in_again(chrome, origin)  # the province commander, in the same browser
        wait.until(lambda d: "最公平" in d.find_element(By.ID, ids.PLAN_PANEL).text)
        wait.until(lambda d: click_first(d, f"//div[@id='{ids.PLAN_PANEL}']//button[text()='批准']"))
        wait.until(lambda d: "已批准" in d.find_element(By.ID, ids.DECISION_RESULT).text)
        wait.until(lambda d: "已批准" in d.find_element(By.ID, ids.PLAN_PANEL).text)

        first = wait.until(lambda d: d.execute_script(UNIT_LONS_JS, ids.MAP, "支援单元"))
        wait.until(lambda d: (now := d.execute_script(UNIT_LONS_JS, ids.MAP, "支援单元")) and now != first)
        chrome.save_screenshot(str(screenshots / "twin-loop.png"))
        assert len(first) == 3  # the plan's three units
        assert severe_console_entries(chrome) == []
        assert remote_resources(chrome, origin) == []
    finally:
        stop.set()
