"""The Chinese guides' pictures for county duty officers, unit leaders and trainers (docs/zh/), each
taken in a real headless browser after checking what the user sees: a county duty officer's map and
board show their county's request and not another county's; a unit leader's phone shows the unit's
order, acknowledges it, shares its position and keeps a fix while the network is down; a trainer's
exercise page shows the optimiser's pick, a paused clock and the report.
E2E_SCREENSHOTS=docs/zh/img keeps the pictures for the guides."""
from __future__ import annotations

import time

import pytest
import requests
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common.auth import Identity, headers_for
from services.exercise import clock as xclock
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel
from twin.ui import ids
from twin.ui.app import create_app

from .test_twin_browser import MAP_STATE_JS, remote_resources, severe_console_entries, signed_in_url
from .test_twin_exercise_browser import PLAN_A, exercise, matching  # noqa: F401  (fixtures)
from .test_twin_orders_browser import PROVINCE, T0, logistics, published  # noqa: F401  (fixture)
from .twin_scene import CROWD_REQUEST, FRAUD_REQUEST, event, scene

pytestmark = pytest.mark.e2e
TIMEOUT_S = 60
DONGYANG_DUTY = Identity("dy-duty", "county_duty_officer", "330783")
FRAUD_INCIDENT = "INC-330783-20250915-0007"
CROWD_INCIDENT = "INC-330102-20250915-0001"
YIWU_LEADER = Identity("yw-leader", "support_officer", "330782")
TRAINER = Identity("zj-trainer", "trainer", "330000")


def test_a_county_duty_officer_sees_their_own_county_on_the_map_and_the_board(serve_wsgi, offline_chrome, screenshots):
    model = scene()
    replay.apply(model, event("incident.reported", incident_id=CROWD_INCIDENT, reported_grade="I",
                              location={"county": "330102", "point": {"lon": 120.17, "lat": 30.25}}))
    assert {i.incident_id for i in model.incidents()} == {FRAUD_INCIDENT, CROWD_INCIDENT}
    origin = serve_wsgi(create_app(model, refresh_ms=1000).server)
    offline_chrome.get(signed_in_url(origin, DONGYANG_DUTY))
    wait = WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: (s := d.execute_script(MAP_STATE_JS, ids.MAP)) and s["fills"] and s["circles"])
    table = wait.until(lambda d: (t := d.find_element(By.ID, ids.INCIDENT_TABLE_BODY).text)
                       and FRAUD_INCIDENT in t and t)
    assert "东阳市" in table
    assert CROWD_INCIDENT not in table and "上城区" not in table   # Hangzhou's crowd is not 东阳's to see
    assert "dy-duty" in offline_chrome.find_element(By.ID, ids.SIGNED_IN_AS).text
    time.sleep(1)   # the place names settle over the map
    offline_chrome.save_screenshot(str(screenshots / "duty-officer-map.png"))

    offline_chrome.get(origin + "/board")
    wait.until(lambda d: d.find_elements(By.XPATH, f"//tr[contains(@id, '{FRAUD_REQUEST}')]//*[@data-left-s]"))
    rows = offline_chrome.find_elements(By.CSS_SELECTOR, ".twin-board tbody tr")
    assert len(rows) == 1 and FRAUD_REQUEST in rows[0].get_attribute("id")   # their county's request only
    assert not offline_chrome.find_elements(By.XPATH, f"//tr[contains(@id, '{CROWD_REQUEST}')]")
    assert "III→II" in rows[0].text   # the escalation, shown to the county that asked
    time.sleep(1.5)
    offline_chrome.save_screenshot(str(screenshots / "duty-officer-board.png"))
    assert remote_resources(offline_chrome, origin) == []
    assert severe_console_entries(offline_chrome) == []


def test_a_unit_leader_takes_the_order_on_the_phone_and_shares_the_position(
        logistics, serve_wsgi, chrome, screenshots):  # noqa: F811
    runtime, app = logistics
    order = next(o for o in published(runtime, "dispatch.ordered") if o["from_county"] == YIWU_LEADER.region)
    service = serve_wsgi(app)
    origin = serve_wsgi(create_app(ProvinceModel(seed=0, start=T0),
                                   client=ServicesClient({"logistics": service})).server)
    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844,
                                                                   "deviceScaleFactor": 2, "mobile": True})
    chrome.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})
    chrome.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 29.3069, "longitude": 120.0751,
                                                                "accuracy": 12})
    chrome.get(signed_in_url(origin, YIWU_LEADER, "/field"))
    wait = WebDriverWait(chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,))
    card = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"section.order[data-order='{order['order_id']}']"))
    assert "待确认" in card.text and order["reporting_point"]["name"] in card.text
    assert "义乌市局支援分队带队民警" in chrome.find_element(By.TAG_NAME, "header").text
    chrome.save_screenshot(str(screenshots / "unit-leader-order.png"))

    chrome.find_element(By.ID, f"ack-{order['order_id']}").click()
    wait.until(lambda d: "已确认" in d.find_element(By.ID, f"ack-note-{order['order_id']}").text)
    chrome.find_element(By.ID, "share-start").click()
    wait.until(lambda d: d.find_elements(By.ID, "position-delivered"))
    acked = requests.get(f"{service}/orders/{order['order_id']}",
                         headers=headers_for(PROVINCE, audience="logistics"), timeout=5).json()
    assert acked["status"] == "acknowledged"
    assert [r["point"] for r in published(runtime, "unit.position-reported")] == [{"lon": 120.0751, "lat": 29.3069}]
    chrome.save_screenshot(str(screenshots / "unit-leader-sharing.png"))

    chrome.execute_cdp_cmd("Network.enable", {})
    chrome.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{origin}/*"]})   # a tunnel: no network
    chrome.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 29.3101, "longitude": 120.0803,
                                                                "accuracy": 9})
    WebDriverWait(chrome, 40, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_element(By.ID, "queue-count").get_attribute("data-n") == "1")
    assert "field-offline" in chrome.find_element(By.TAG_NAME, "body").get_attribute("class")
    assert len(published(runtime, "unit.position-reported")) == 1   # kept on the phone, not lost
    chrome.save_screenshot(str(screenshots / "unit-leader-offline.png"))
    chrome.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait.until(lambda d: d.find_element(By.ID, "queue-count").get_attribute("data-n") == "0")
    assert {"lon": 120.0803, "lat": 29.3101} in [r["point"] for r in published(runtime, "unit.position-reported")]
    assert remote_resources(chrome, origin) == []


def test_a_trainer_steers_the_exercise_and_finds_its_report(exercise, serve_wsgi, chrome, screenshots):  # noqa: F811
    (exercise / "report.html").write_text("<!doctype html><title>演练复盘报告</title>", encoding="utf-8")
    origin = serve_wsgi(create_app(ProvinceModel(seed=0), demo=False).server)
    wait = WebDriverWait(chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,))
    chrome.get(signed_in_url(origin, TRAINER, "/exercise"))
    wait.until(lambda d: "★ 最快 · " + PLAN_A in d.find_element(By.ID, ids.EX_PENDING).text)
    assert "zj-trainer" in chrome.find_element(By.ID, ids.SIGNED_IN_AS).text
    # the page refreshes itself: an element found as it redraws is stale, and is looked for again
    href = wait.until(lambda d: d.find_element(By.ID, f"{ids.EX_REPORT}-html").get_attribute("href"))
    assert href == f"{origin}/exercise/{exercise.name}/report.html"
    wait.until(lambda d: d.find_element(By.ID, ids.EX_PAUSE).click() or True)
    wait.until(lambda d: "已暂停" in d.find_element(By.ID, ids.EX_CLOCK).text)
    assert xclock.read_state(exercise / "clock.json").paused
    chrome.save_screenshot(str(screenshots / "trainer-exercise.png"))
    assert severe_console_entries(chrome) == []


def test_a_county_duty_officer_records_the_reception_of_the_officers_sent(
        logistics, serve_wsgi, offline_chrome, screenshots):  # noqa: F811
    runtime, app = logistics
    (dep,) = app.test_client().get("/deployments", headers=headers_for(PROVINCE)).get_json()
    service = serve_wsgi(app)
    origin = serve_wsgi(create_app(ProvinceModel(seed=0, start=T0),
                                   client=ServicesClient({"logistics": service})).server)
    offline_chrome.get(signed_in_url(origin, DONGYANG_DUTY, "/reception"))
    # the form's redirect replaces the page: a card found as it goes is stale, and looked for again
    wait = WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,))
    card = wait.until(lambda d: (c := d.find_element(By.ID, f"dep-{dep['deployment_id']}")) and
                      "待落实：住宿、就餐、交通、随队医护" in c.text and c)
    for item, detail in (("lodging", "东阳市公安局培训中心宿舍"), ("meals", "局食堂三餐"), ("transport", "局车队两辆中巴")):
        card.find_element(By.CSS_SELECTOR, f"select[name='{item}.status'] option[value='arranged']").click()
        card.find_element(By.NAME, f"{item}.detail").send_keys(detail)
    card.find_element(By.CSS_SELECTOR, "form[action$='/arrangements'] button[type=submit]").click()
    wait.until(lambda d: "deployment=" in d.current_url)  # the form's redirect has replaced the page
    saved = wait.until(lambda d: (c := d.find_element(By.ID, f"dep-{dep['deployment_id']}")) and
                       "已保存" in c.text and c)
    assert "待落实：随队医护" in saved.text   # what the officer did not mark is still to do
    stored = app.test_client().get(f"/deployments/{dep['deployment_id']}", headers=headers_for(PROVINCE)).get_json()
    assert stored["arrangements"]["lodging"]["detail"] == "东阳市公安局培训中心宿舍"
    assert stored["arrangements"]["transport"]["status"] == "arranged" and stored["missing"] == ["medic"]
    offline_chrome.save_screenshot(str(screenshots / "duty-officer-reception.png"))
    assert remote_resources(offline_chrome, origin) == []
    assert severe_console_entries(offline_chrome) == []
