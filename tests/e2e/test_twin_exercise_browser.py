"""The exercise page in a real browser: a trainer pauses an exercise's clock, a commander approves one of
its plans as a trainee (their own token to the exercise's matching, here a stand-in checking tokens)."""
from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone

import pytest
from flask import Flask, jsonify
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from services.common.auth import Identity, current_identity
from services.common.contracts import example_event
from services.exercise import clock as xclock
from services.exercise import store
from twin.sim.model import ProvinceModel
from twin.ui import ids
from twin.ui.app import create_app

from .test_twin_browser import severe_console_entries, sign_in_again, signed_in_url

pytestmark = pytest.mark.e2e
EXERCISE = "telecom-fraud-20260101000000-e2e0"
PLAN_A = "PLAN-REQ-330783-20250915-0003-A"


@pytest.fixture
def matching():
    decided = []
    app = Flask("matching")  # the name a token is addressed to (aud)

    @app.get("/plans/<plan_id>")
    def plan(plan_id):
        current_identity()
        return jsonify({"plan_id": plan_id, "version": 1})

    @app.post("/plans/<plan_id>/<action>")
    def decide(plan_id, action):
        caller = current_identity()
        if caller.role != "province_commander":
            return jsonify({"title": "Forbidden", "status": 403, "detail": "province-level plan"}), 403
        decided.append((plan_id, action, caller.subject))
        return jsonify({"plan_id": plan_id, "status": action + "d"}), 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", decided
    server.shutdown()


@pytest.fixture
def exercise(tmp_path, monkeypatch, matching):
    monkeypatch.setattr(store, "EXERCISES", tmp_path)
    folder = tmp_path / EXERCISE
    xclock.write_state(folder / "clock.json", xclock.start_state(datetime(2025, 9, 15, 1, tzinfo=timezone.utc), 60))
    other = copy.deepcopy(example_event("plan.proposed"))
    other["data"].update(plan_id=PLAN_A[:-1] + "B", kind="fairest")
    events = [example_event("incident.reported"), example_event("support.requested"),
              example_event("plan.proposed"), other]
    (folder / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
    (folder / "urls.json").write_text(json.dumps({"matching": matching[0]}))
    return folder


def test_a_trainer_pauses_the_exercise_and_a_commander_approves_its_plan(exercise, matching, serve_wsgi, chrome):
    _url, decided = matching
    origin = serve_wsgi(create_app(ProvinceModel(seed=0), demo=False).server)
    wait = WebDriverWait(chrome, 60)

    chrome.get(signed_in_url(origin, Identity("zj-trainer", "trainer", "330000"), "/exercise"))
    wait.until(lambda d: "★ 最快 · " + PLAN_A in d.find_element(By.ID, ids.EX_PENDING).text)
    assert "东阳市 · III级 · 时限 45 分钟" in chrome.find_element(By.ID, ids.EX_PENDING).text
    assert "zj-trainer" in chrome.find_element(By.ID, ids.SIGNED_IN_AS).text
    chrome.find_element(By.ID, ids.EX_PAUSE).click()
    wait.until(lambda d: "已暂停" in d.find_element(By.ID, ids.EX_CLOCK).text)
    assert xclock.read_state(exercise / "clock.json").paused

    sign_in_again(chrome, origin, path="/exercise")  # a province commander, as a trainee
    wait.until(lambda d: PLAN_A in d.find_element(By.ID, ids.EX_PENDING).text)
    chrome.find_element(By.XPATH, f"//div[@id='{ids.EX_PENDING}']//tr[td[contains(., '{PLAN_A}')]]"
                                  f"//button[text()='批准']").click()
    wait.until(lambda d: "已批准" in d.find_element(By.ID, ids.EX_DECISION_RESULT).text)
    assert decided == [(PLAN_A, "approve", "zj-commander")]
    assert severe_console_entries(chrome) == []
