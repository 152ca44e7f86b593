"""The twin's map in a real headless browser: it draws offline, logs no errors, loads nothing remote."""
from __future__ import annotations

import copy

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common.auth import Identity
from services.common.contracts import example_event
from tests.helpers import token_for
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.ui import ids
from twin.ui.app import create_app

pytestmark = pytest.mark.e2e
DRAW_TIMEOUT_S = 60
PROVINCE = Identity("zj-commander", "province_commander", "330000")


def signed_in_url(origin: str, identity: Identity = PROVINCE, path: str = "/") -> str:
    """The address a user opens once with the token issued for them (the twin keeps it in its cookie)."""
    token = token_for(identity)
    return f"{origin}{path}{'&' if '?' in path else '?'}token={token}"


def sign_in_again(driver, origin: str, identity: Identity = PROVINCE, path: str = "/") -> None:
    """Another user signs in in this browser. Signing in revokes the browser's old session, so a poll
    the open page sends meanwhile is refused (401) and logged: the open page's console is checked
    first, then the page is left and what leaving it logged is dropped, before the new sign-in."""
    assert severe_console_entries(driver) == []
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get(signed_in_url(origin, identity, path))

# Counts what the map drew: the MapLibre canvas with a WebGL context, the county fill features and
# the incident's marker as rendered on the map (queried from the map itself, not from the DOM).
MAP_STATE_JS = """
const holder = document.getElementById(arguments[0]);
const graph = holder && holder.querySelector('.js-plotly-plot');
const subplot = graph && graph._fullLayout && graph._fullLayout.map && graph._fullLayout.map._subplot;
const map = subplot && subplot.map;
if (!map || !map.loaded()) return null;
const canvas = map.getCanvas();
const layers = map.getStyle().layers.map(l => l.id);
const rendered = type => map.queryRenderedFeatures({layers: layers.filter(id => map.getLayer(id).type === type)});
return {canvas: canvas.width * canvas.height, webgl: !!(canvas.getContext('webgl2') || canvas.getContext('webgl')),
        fills: rendered('fill').length, circles: rendered('circle').length};
"""


@pytest.fixture
def model() -> ProvinceModel:
    model = ProvinceModel(seed=0)
    replay.apply(model, example_event("incident.reported"))
    load = copy.deepcopy(example_event("county.load-reported"))
    load["data"].update(county=example_event("incident.reported")["data"]["location"]["county"],
                        on_duty=120, available=20, committed=90)
    replay.apply(model, load)
    return model


def test_the_map_draws_offline_with_the_incident_and_no_errors(model, serve_wsgi, chrome, screenshots):
    origin = serve_wsgi(create_app(model, refresh_ms=1000).server)
    chrome.get(signed_in_url(origin))

    state = WebDriverWait(chrome, DRAW_TIMEOUT_S).until(
        lambda driver: (s := driver.execute_script(MAP_STATE_JS, ids.MAP)) and s["fills"] and s["circles"] and s)
    table = chrome.find_element(By.ID, ids.INCIDENT_TABLE_BODY).text
    chrome.save_screenshot(str(screenshots / "twin-map.png"))

    assert state["webgl"] and state["canvas"] > 0
    assert state["fills"] >= 50  # county polygons drawn (several per county where they have islands)
    assert state["circles"] >= 1  # the incident's marker
    assert example_event("incident.reported")["data"]["incident_id"] in table
    assert "东阳市" in table
    assert severe_console_entries(chrome) == []
    assert remote_resources(chrome, origin) == []


def test_the_page_keeps_refreshing_without_errors(model, serve_wsgi, chrome):
    origin = serve_wsgi(create_app(model, refresh_ms=300).server)
    chrome.get(signed_in_url(origin))
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda driver: driver.execute_script(MAP_STATE_JS, ids.MAP))
    incident = copy.deepcopy(example_event("incident.reported"))
    incident["data"].update(incident_id="INC-330106-20250915-0001", location={"county": "330106"})
    replay.apply(model, incident)

    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(
        lambda driver: "INC-330106-20250915-0001" in driver.find_element(By.ID, ids.INCIDENT_TABLE_BODY).text)
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(
        lambda driver: (driver.execute_script(MAP_STATE_JS, ids.MAP) or {}).get("circles", 0) >= 2)
    assert severe_console_entries(chrome) == []
    assert remote_resources(chrome, origin) == []


SUPPORT_OFFICER = Identity("dy-support", "support_officer", "330783")
# Whether each element is laid out visibly, its text, and which of a radio group's inputs are disabled.
PAGE_FACTS_JS = """
const facts = {shown: {}, texts: {}};
for (const id of arguments[0]) {
  const e = document.getElementById(id);
  facts.shown[id] = !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  facts.texts[id] = e ? e.innerText : null;
}
facts.radios = [...document.querySelectorAll('#' + arguments[1] + ' input[type=radio]')].map(r => r.disabled);
return facts;
"""


def test_a_support_officer_is_told_what_they_are_not_shown_and_offered_no_decision(model, serve_wsgi, chrome,
                                                                                   screenshots):
    """As the browser lays the page out: the notes show, the decision controls and the colourings do not
    work, the counties carry no colour bar (a CSS class must not undo what the page hides)."""
    origin = serve_wsgi(create_app(model, refresh_ms=1000).server)
    chrome.get(signed_in_url(origin, SUPPORT_OFFICER, "/?lang=en"))
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(
        lambda driver: (s := driver.execute_script(MAP_STATE_JS, ids.MAP)) and s["fills"] and s)
    chrome.save_screenshot(str(screenshots / "twin-map-support-officer.png"))
    page = chrome.execute_script(PAGE_FACTS_JS, [ids.INCIDENTS_WITHHELD, ids.INCIDENT_COUNT, ids.LOADS_WITHHELD,
                                                 ids.PLAN_PANEL, ids.REJECT_REASON, ids.PREVIEW, ids.STRENGTH],
                                 ids.COLOUR_BY)  # in one go: the table is redrawn every second
    shown, texts = page["shown"], page["texts"]
    assert shown[ids.INCIDENTS_WITHHELD] and "may not read incidents" in texts[ids.INCIDENTS_WITHHELD]
    assert texts[ids.INCIDENT_COUNT] == "incidents: not shown"
    assert shown[ids.LOADS_WITHHELD] and "may not read the counties' force and load" in texts[ids.LOADS_WITHHELD]
    assert "may not read support requests" in texts[ids.PLAN_PANEL]
    assert not shown[ids.REJECT_REASON] and not shown[ids.PREVIEW] and not shown[ids.STRENGTH]
    assert page["radios"] == [True] * 5  # every colouring disabled
    counties = chrome.execute_script(CIRCLE_Z_JS, ids.MAP)
    assert set(counties["z"].values()) == {0} and "not shown" in counties["hover"]
    assert chrome.execute_script("return document.querySelectorAll('.colorbar').length") == 0
    assert severe_console_entries(chrome) == []


def test_a_visitor_signs_in_as_a_demo_user_and_out_again(model, serve_wsgi, chrome):
    origin = serve_wsgi(create_app(model, refresh_ms=1000, demo=True).server)
    chrome.get(origin + "/?lang=en")
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda d: d.find_elements(By.ID, "demo-users"))
    assert "/signin" in chrome.current_url and "Demo mode" in chrome.find_element(By.ID, "demo-users").text
    chrome.find_element(By.ID, "demo-hz-commander").click()
    who = WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda d: d.find_elements(By.ID, ids.SIGNED_IN_AS))[0]
    assert "hz-commander" in who.text and "city commander" in who.text
    assert chrome.find_element(By.ID, ids.DEMO_BADGE).text == "DEMO"
    chrome.find_element(By.ID, ids.SIGNOUT).click()
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda d: d.find_elements(By.ID, "signin-token"))
    chrome.get(origin + "/")  # signed out: the map is not shown, the sign-in page is
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda d: d.find_elements(By.ID, "signin-token"))
    assert not chrome.find_elements(By.ID, ids.MAP)


CIRCLE_Z_JS = """
const graph = document.getElementById(arguments[0]).querySelector('.js-plotly-plot');
const trace = graph && graph.data && graph.data.find(t => t.type === 'choroplethmap');
return trace ? {z: Object.fromEntries(trace.locations.map((c, i) => [c, trace.z[i]])),
                hover: trace.hovertemplate} : null;
"""


def test_the_support_circle_colouring_and_the_report_link(model, serve_wsgi, chrome):
    """The map coloured by resources' support circle (a stand-in), the hover with the support counts, and
    the navbar's link to the performance report for a province commander."""
    from flask import Flask, jsonify

    from tests.unit.test_twin_readiness import COVERAGE
    from twin.mirror.client import ServicesClient

    resources = Flask("resources")
    resources.get("/readiness/coverage")(lambda: jsonify(COVERAGE))
    client = ServicesClient({"resources": serve_wsgi(resources)})
    origin = serve_wsgi(create_app(model, refresh_ms=500, client=client).server)
    chrome.get(signed_in_url(origin))
    WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda driver: driver.execute_script(MAP_STATE_JS, ids.MAP))
    assert chrome.find_element(By.ID, ids.REPORT_LINK).text == "绩效报告"
    chrome.find_element(By.XPATH, "//label[text()='1小时支援圈']").click()
    shown = WebDriverWait(chrome, DRAW_TIMEOUT_S).until(
        lambda driver: (s := driver.execute_script(CIRCLE_Z_JS, ids.MAP)) and s["z"].get("330783") == 4 and s)
    assert shown["z"]["330106"] == 1 and "customdata[5]" in shown["hover"]
    # the map reports nothing while it redraws for the new layer (map.loaded() is false): wait for it
    state = WebDriverWait(chrome, DRAW_TIMEOUT_S).until(lambda driver: driver.execute_script(MAP_STATE_JS, ids.MAP))
    assert state["fills"] >= 2  # counties without coverage stay unfilled
    assert severe_console_entries(chrome) == []
    assert remote_resources(chrome, origin) == []


def severe_console_entries(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def remote_resources(driver, origin: str) -> list[str]:
    names = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return [name for name in names if not name.startswith(origin + "/")]

def click_first(driver, xpath: str) -> bool:
    """Click the first element matching `xpath`; False (try again) if there is none yet or the page
    replaced it between finding and clicking."""
    try:
        found = driver.find_elements(By.XPATH, xpath)
        if not found:
            return False
        found[0].click()
        return True
    except StaleElementReferenceException:
        return False
