"""The command map and the situation board in a real headless browser that can reach nothing but the
twin: place names drawn over the map in the browser's fonts (Chinese, English with ?lang=en), the
board's countdowns ticking without the page moving, its wall-screen mode, and an alert (toast, badge,
acknowledged log) when a unit goes late. E2E_SCREENSHOTS=docs/zh/img keeps the pictures for the guide."""
from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import ElementNotInteractableException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common.auth import Identity
from twin.mirror import replay
from twin.ui import ids
from twin.ui.app import create_app

from .test_twin_browser import click_first, remote_resources, severe_console_entries, signed_in_url
from .twin_scene import CROWD_REQUEST, FRAUD_REQUEST, event, scene, unit_late, unit_on_time

pytestmark = pytest.mark.e2e
TIMEOUT_S = 60
DONGYANG_DUTY = Identity("dy-duty", "county_duty_officer", "330783")

# The place names the overlay shows, with where each sits relative to the map's canvas.
LABELS_JS = """
const holder = document.getElementById(arguments[0]);
const graph = holder && holder.querySelector('.js-plotly-plot');
const sub = graph && graph._fullLayout && graph._fullLayout.map && graph._fullLayout.map._subplot;
if (!sub || !sub.map || !sub.map.loaded()) return null;
const canvas = sub.map.getCanvas().getBoundingClientRect();
return Array.from(holder.querySelectorAll('.twin-place-label')).filter(el => el.style.display !== 'none')
  .map(el => { const r = el.getBoundingClientRect();
               return {text: el.textContent, level: el.dataset.level, width: r.width, height: r.height,
                       inside: r.left >= canvas.left && r.right <= canvas.right && r.top >= canvas.top
                               && r.bottom <= canvas.bottom,
                       font: getComputedStyle(el).fontFamily}; });
"""
# The visible place names that cover an incident's marker (meta.avoid, projected onto the page).
COVERED_JS = """
const holder = document.getElementById(arguments[0]);
const graph = holder.querySelector('.js-plotly-plot');
const map = graph._fullLayout.map._subplot.map;
const canvas = map.getCanvas().getBoundingClientRect();
const points = (graph.layout.meta.avoid || []).map(p => map.project(p)).map(q => [canvas.left + q.x, canvas.top + q.y]);
const covered = Array.from(holder.querySelectorAll('.twin-place-label')).filter(el => el.style.display !== 'none')
  .filter(el => { const r = el.getBoundingClientRect();
                  return points.some(([x, y]) => x + 7 > r.left && x - 7 < r.right && y + 7 > r.top && y - 7 < r.bottom); })
  .map(el => el.textContent);
return {points: points.length, covered: covered};
"""
ZOOM_JS = """
const sub = document.getElementById(arguments[0]).querySelector('.js-plotly-plot')._fullLayout.map._subplot;
sub.map.jumpTo({center: [arguments[1], arguments[2]], zoom: arguments[3]});
"""


def shown_labels(driver) -> list[dict] | None:
    labels = driver.execute_script(LABELS_JS, ids.MAP)
    return labels if labels else None


def test_place_names_show_over_the_map_offline_in_chinese_and_english(serve_wsgi, offline_chrome, screenshots):
    model = scene()
    # an incident at 上城区's seat, where the name 杭州市 is drawn: the name moves off the marker
    replay.apply(model, event("incident.reported", incident_id="INC-330102-20250915-0009",
                              location={"county": "330102", "point": {"lon": 120.1985, "lat": 30.2460}}))
    origin = serve_wsgi(create_app(model, refresh_ms=1000).server)
    offline_chrome.get(signed_in_url(origin))
    labels = WebDriverWait(offline_chrome, TIMEOUT_S).until(shown_labels)
    offline_chrome.save_screenshot(str(screenshots / "commander-map.png"))
    covering = offline_chrome.execute_script(COVERED_JS, ids.MAP)
    assert covering["points"] == 2 and covering["covered"] == []  # no name over an incident

    names = {label["text"] for label in labels}
    assert {"杭州市", "宁波市", "温州市", "金华市"} <= names  # the cities at province zoom
    assert all(label["level"] == "city" for label in labels)  # counties wait for city zoom
    assert all(label["inside"] and label["width"] > 20 and label["height"] > 8 for label in labels)
    assert "Noto Sans CJK SC" in labels[0]["font"]  # the browser's own font, nothing fetched

    offline_chrome.execute_script(ZOOM_JS, ids.MAP, 120.15, 30.27, 9.2)  # Hangzhou, at city zoom
    zoomed = WebDriverWait(offline_chrome, TIMEOUT_S).until(
        lambda d: (found := shown_labels(d)) and any(label["level"] == "county" for label in found) and found)
    assert {"西湖区", "上城区"} & {label["text"] for label in zoomed}
    offline_chrome.save_screenshot(str(screenshots / "commander-map-city.png"))

    offline_chrome.get(origin + "/?lang=en")
    english = WebDriverWait(offline_chrome, TIMEOUT_S).until(shown_labels)
    assert {"Hangzhou", "Ningbo", "Wenzhou"} <= {label["text"] for label in english}
    assert not any("市" in label["text"] for label in english)
    assert remote_resources(offline_chrome, origin) == []
    assert severe_console_entries(offline_chrome) == []


def countdowns(driver) -> list[dict]:
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('.twin-countdown')).map(el => ({
            request: el.closest('tr').id, which: el.dataset.which, text: el.textContent,
            left: el.dataset.leftS === undefined ? null : Number(el.dataset.leftS)}));""")


def test_the_board_counts_down_in_the_browser_without_moving_the_page(serve_wsgi, offline_chrome, screenshots):
    origin = serve_wsgi(create_app(scene(), refresh_ms=700).server)
    offline_chrome.get(signed_in_url(origin, path="/board"))
    first = WebDriverWait(offline_chrome, TIMEOUT_S).until(
        lambda d: (found := countdowns(d)) and all(c["left"] is not None for c in found) and found)
    read_at = time.monotonic()
    table = offline_chrome.find_element(By.CSS_SELECTOR, ".twin-board")
    before = table.rect
    time.sleep(2.6)  # several refreshes of the page and ticks of the countdowns
    later = countdowns(offline_chrome)
    elapsed = time.monotonic() - read_at
    offline_chrome.save_screenshot(str(screenshots / "commander-board.png"))

    # the grade I request first (launch due in 15 min), with both of its deadlines; then the fraud request
    assert [(c["request"], c["which"]) for c in first] == [
        (f'{{"request":"{CROWD_REQUEST}","type":"board-row"}}', "launch"),
        (f'{{"request":"{CROWD_REQUEST}","type":"board-row"}}', "on_scene"),
        (f'{{"request":"{FRAUD_REQUEST}","type":"board-row"}}', "on_scene")]
    assert 14 * 60 < first[0]["left"] <= 15 * 60 and 29 * 60 < first[1]["left"] <= 30 * 60
    assert all(2 <= a["left"] - b["left"] <= elapsed + 2 for a, b in zip(first, later))  # ticking, at the clock's pace
    assert [c["text"] for c in later] != [c["text"] for c in first]
    assert table.rect == before  # nothing moved as the digits changed and the page refreshed
    row = offline_chrome.find_element(By.XPATH, f"//tr[contains(@id, '{FRAUD_REQUEST}')]")
    assert "table-warning" in row.get_attribute("class") and "III→II" in row.text  # escalated, highlighted
    assert "61%" in row.text  # the fastest plan's chance of meeting the deadline, from its preview

    offline_chrome.get(origin + "/board?wall=1")
    WebDriverWait(offline_chrome, TIMEOUT_S).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".twin-wall .twin-countdown"))
    wall = offline_chrome.find_element(By.CSS_SELECTOR, ".twin-wall")
    assert wall.get_attribute("data-bs-theme") == "dark"
    assert not offline_chrome.find_elements(By.ID, ids.ALERT_BELL) and not offline_chrome.find_elements(By.ID, ids.SIGNOUT)
    assert float(wall.value_of_css_property("font-size").removesuffix("px")) >= 16
    time.sleep(1.5)
    offline_chrome.save_screenshot(str(screenshots / "commander-board-wall.png"))
    assert remote_resources(offline_chrome, origin) == []
    assert severe_console_entries(offline_chrome) == []


def test_an_alert_appears_when_a_unit_goes_late_and_stays_in_the_log_once_acknowledged(
        serve_wsgi, offline_chrome, screenshots):
    model = scene()
    origin = serve_wsgi(create_app(model, refresh_ms=500).server)
    offline_chrome.get(signed_in_url(origin, DONGYANG_DUTY, path="/board"))
    badge = WebDriverWait(offline_chrome, TIMEOUT_S).until(  # the request and its escalation, counted
        lambda d: (b := d.find_elements(By.ID, ids.ALERT_BADGE)) and b[0].text not in ("", "0") and b[0])
    time.sleep(1.2)  # the alerts have looked: what was there already is counted on the bell, not toasted
    count = int(offline_chrome.find_element(By.ID, ids.ALERT_BADGE).text or badge.text)
    assert not offline_chrome.find_elements(By.CSS_SELECTOR, ".twin-alert-stack .toast")

    unit_late(model)
    # the toast's text is read in the wait: the stack is re-rendered as alerts come, which replaces its elements
    toast = WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: (t := d.find_elements(By.CSS_SELECTOR, ".twin-alert-stack .toast")) and t[0].text)
    assert "单元超时" in toast and "UNIT-330782-TS-01" in toast and "7 分钟" in toast
    WebDriverWait(offline_chrome, TIMEOUT_S).until(lambda d: d.find_element(By.ID, ids.ALERT_BADGE).text == str(count + 1))
    offline_chrome.save_screenshot(str(screenshots / "duty-alert.png"))

    offline_chrome.find_element(By.ID, ids.ALERT_BELL).click()
    late = '{"alert":"late:UNIT-330782-TS-01:ORD-20250915-0042","type":"alert-ack"}'
    WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=[ElementNotInteractableException]).until(
        lambda d: click_first(d, f"//button[@id='{late}']"))  # once the panel has opened
    WebDriverWait(offline_chrome, TIMEOUT_S).until(lambda d: d.find_element(By.ID, ids.ALERT_BADGE).text == str(count))
    log = WebDriverWait(offline_chrome, TIMEOUT_S).until(
        lambda d: (found := d.find_element(By.ID, ids.ALERT_LOG).text) and "UNIT-330782-TS-01" in found and found)
    assert "确认" in log
    assert "UNIT-330782-TS-01" not in offline_chrome.find_element(By.ID, ids.ALERT_LIST).text
    offline_chrome.save_screenshot(str(screenshots / "duty-alert-log.png"))
    assert remote_resources(offline_chrome, origin) == []
    assert severe_console_entries(offline_chrome) == []


def test_a_late_unit_that_makes_up_the_time_leaves_the_alerts_and_the_board(serve_wsgi, offline_chrome, screenshots):
    model = scene()
    origin = serve_wsgi(create_app(model, refresh_ms=500).server)
    offline_chrome.get(signed_in_url(origin, DONGYANG_DUTY, path="/board"))
    WebDriverWait(offline_chrome, TIMEOUT_S).until(
        lambda d: (b := d.find_elements(By.ID, ids.ALERT_BADGE)) and b[0].text not in ("", "0"))
    time.sleep(1.2)
    count = int(offline_chrome.find_element(By.ID, ids.ALERT_BADGE).text)

    def board() -> str:
        return offline_chrome.find_element(By.TAG_NAME, "body").text

    unit_late(model)
    WebDriverWait(offline_chrome, TIMEOUT_S).until(lambda d: d.find_element(By.ID, ids.ALERT_BADGE).text == str(count + 1))
    WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "1 个单元超时" in board())
    unit_on_time(model)  # no acknowledgement: the alert is gone because the unit is on time again
    WebDriverWait(offline_chrome, TIMEOUT_S).until(lambda d: d.find_element(By.ID, ids.ALERT_BADGE).text == str(count))
    WebDriverWait(offline_chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "单元超时" not in board())
    assert model.unit("UNIT-330782-TS-01").as_dict()["late"] is False
    offline_chrome.save_screenshot(str(screenshots / "duty-board-on-time.png"))
    assert severe_console_entries(offline_chrome) == []
