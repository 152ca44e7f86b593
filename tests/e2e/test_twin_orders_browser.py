"""Plans on paper and the page for the officers sent, in a real headless browser.

The printed order: an approved plan (signed with matching's key from the key registry) printed by the
province commander carries the approval's signature digest and a QR code of the verification link;
the verification page confirms the digest and the signature and catches a changed digest; a user who
may not read the plan gets nothing; the page loads nothing from another origin and prints on A4.

The field page: logistics is the real service (its app over SQLite, events handed to its handlers as
its worker would); a unit leader (support officer of the donor county) signs in on a phone-sized
browser, sees the unit's order, acknowledges it and shares the position the browser reports (Chrome's
geolocation overridden); logistics records the acknowledgement and publishes the positions, one sent
while the network was down included.
"""
from __future__ import annotations

import base64
import copy
import re
from datetime import datetime, timedelta, timezone

import pytest
import requests
from flask import Flask, jsonify, request
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.common import contracts, keys
from services.common.auth import Identity, current_identity, headers_for
from services.common.clock import stamp
from services.matching import signing
from tests.helpers import deliver, example_envelope, offline_settings
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import order_print
from twin.ui.app import create_app
from twin.ui.messages import task_name

from .test_twin_browser import remote_resources, severe_console_entries, signed_in_url

pytestmark = pytest.mark.e2e
TIMEOUT_S = 60
PLAN = "PLAN-REQ-330783-20250915-0003-A"
T0 = datetime(2025, 9, 15, 1, 10, tzinfo=timezone.utc)
PROVINCE = Identity("zj-commander", "province_commander", "330000")


def data(topic: str, **changes) -> dict:
    return dict(copy.deepcopy(contracts.example_event(topic)["data"]), **changes)


def signed(approval: dict) -> dict:
    bare = {k: v for k, v in approval.items() if k != "signature"}
    return dict(bare, signature=signing.sign(keys.registry().signer("matching").key, bare))


# --- the printed order ------------------------------------------------------------------------------

@pytest.fixture
def approved_model() -> ProvinceModel:
    model = ProvinceModel(seed=0, start=T0, preview_config=PreviewConfig(runs=50))
    for topic in ("incident.reported", "support.requested", "plan.proposed"):
        replay.apply(model, example_envelope(topic, data(topic)))
    approval = signed(data("plan.approved"))
    replay.apply(model, example_envelope("plan.approved", approval))
    replay.apply(model, example_envelope("dispatch.ordered", data("dispatch.ordered")))
    return model


UNIT_NAMES = {"UNIT-330782-TS-01": "义乌市公安局网安大队技术一中队", "UNIT-330703-TS-02": "金华市公安局金东区分局网安大队技术二中队"}


def resources_stand_in() -> Flask:
    """resources' GET /officers?ids= as it answers a province commander: name and rank, the phone masked;
    and GET /units?ids= with the roster's names of two of the plan's three units."""
    app = Flask("resources")  # the audience a token must be addressed to
    seen = app.config.setdefault("callers", [])

    @app.get("/officers")
    def officers_by_id():
        seen.append(current_identity().subject)
        return jsonify({"items": [{"officer_id": o, "name": f"警员{o[-3:]}", "rank": "一级警司", "phone": "138****5678",
                                   "masked": ["phone", "home_address", "id_number"]}
                                  for o in request.args["ids"].split(",")], "not_shown": []})

    @app.get("/units")
    def units():
        asked = request.args["ids"].split(",")
        return jsonify([{"unit_id": u, "name": UNIT_NAMES[u]} for u in asked if u in UNIT_NAMES])

    return app


def test_the_printed_order_carries_the_signature_digest_and_a_qr_code_of_its_verification(
        approved_model, serve_wsgi, chrome, screenshots):
    resources = resources_stand_in()
    origin = serve_wsgi(create_app(approved_model, client=ServicesClient({"resources": serve_wsgi(resources)})).server)
    approval = approved_model.plans[PLAN]["approval"]
    digest = keys.approval_digest(approval).hex()
    assert keys.registry().approval_problem(approval) is None  # the mirrored approval is matching's, signed

    chrome.get(signed_in_url(origin, PROVINCE, "/field"))   # a light page to sign in on
    wait = WebDriverWait(chrome, TIMEOUT_S)
    wait.until(lambda d: d.find_elements(By.ID, "field-not-unit"))   # the field page is for unit leaders
    chrome.get(f"{origin}/plans/{PLAN}/order")
    printed = wait.until(lambda d: d.find_element(By.ID, "signature-digest")).text
    assert printed.replace(" ", "") == digest and printed.count(" ") == 7   # 8 groups of 8 hex digits
    page = chrome.find_element(By.ID, "order").text
    assert "有效" in chrome.find_element(By.ID, "signature-status").text
    assert "省级审批" in page and "U-330000-0031 省公安厅指挥中心值班长" in page   # who, at what level
    assert "2025-09-15 09:09:30" in page                                      # when, Beijing time
    assert "东阳市" in page and "义乌市" in page and "金东区" in page and "磐安县" in page  # receiving, donors
    assert "警员342" in page and "138****5678" in page and "13812345678" not in page     # resources' masking
    assert "涉案手机和电脑电子取证" in page and "东阳市公安局指挥中心" in page               # scope, reporting point
    assert "技术支援（L1）：技术支援 4 人" in page and "刑侦（L2）：刑侦 2 人" in page          # lines named by module
    assert "（电子取证、mobile_forensics）" in page and "（涉网犯罪侦查、越南语）" in page   # tags in words, else as written
    assert "U-330000-0031 省公安厅指挥中心值班长" in page   # an approver the user list does not know: as recorded
    assert all(name in page for name in UNIT_NAMES.values()) and "UNIT-330727-CI-01" in page  # units by name, else id
    assert "UNIT-330782-TS-01" not in page
    assert set(resources.config["callers"]) == {"zj-commander"}   # resources asked with the user's own token

    link = chrome.find_element(By.ID, "verify-link").text
    assert link == f"{origin}/plans/{PLAN}/verify?digest={digest}"
    qr = chrome.find_element(By.CSS_SELECTOR, "#verify-qr svg")
    assert qr.size["width"] > 100 and qr.size["height"] == qr.size["width"]
    assert chrome.find_element(By.ID, "verify-qr").get_attribute("innerHTML").count("<path") >= 1
    assert chrome.find_element(By.ID, "verify-qr").get_attribute("innerHTML") \
        .startswith(order_print.qr_svg(link)[:200])   # the QR code is the verification link's
    chrome.save_screenshot(str(screenshots / "order-print.png"))
    chrome.execute_script("document.getElementById('verify-qr').scrollIntoView({block: 'center'})")
    chrome.save_screenshot(str(screenshots / "order-print-approval.png"))

    pdf = base64.b64decode(chrome.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True,
                                                                      "printBackground": True})["data"])
    (screenshots / "order-print.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]", pdf)
    assert pdf.startswith(b"%PDF") and 1 <= len(boxes) <= 2   # the order fits on two sheets
    assert all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)   # A4 in points
    assert remote_resources(chrome, origin) == []
    assert severe_console_entries(chrome) == []

    chrome.get(link)   # what the QR code opens
    assert "核验通过" in wait.until(lambda d: d.find_element(By.ID, "verify-result")).text
    chrome.get(link[:-4] + "0000")   # a digest changed on paper
    assert "不一致" in wait.until(lambda d: d.find_element(By.ID, "verify-result")).text

    elsewhere = Identity("xh-duty", "county_duty_officer", "330106")   # 西湖: neither receiving nor a donor
    resp = requests.get(f"{origin}/plans/{PLAN}/order", headers=headers_for(elsewhere, audience="twin"), timeout=5)
    assert resp.status_code == 404 and "签名" not in resp.text
    approved_model.plans[PLAN]["approval"]["approved_by"] = "someone else"   # a changed approval
    resp = requests.get(f"{origin}/plans/{PLAN}/order", headers=headers_for(PROVINCE, audience="twin"), timeout=5)
    assert "未通过" in resp.text and digest not in resp.text.replace(" ", "")


# --- the field page ---------------------------------------------------------------------------------

@pytest.fixture
def logistics(tmp_path, fixed_clock):
    from services.logistics.bootstrap import build_runtime
    from services.logistics.bootstrap import create_app as logistics_app

    # The phone stamps its fixes with its own clock, and logistics refuses a report stamped ahead of
    # its clock: logistics' clock stands at the moment the test starts (not the examples' 2025).
    now = datetime.now(timezone.utc).replace(microsecond=0)
    fixed_clock(now)
    deadline = now + timedelta(minutes=41, seconds=40)     # a grade III emergency's 45 minutes from the request
    runtime = build_runtime(offline_settings("logistics", tmp_path))
    sources = {"support.requested": "demand", "plan.proposed": "matching", "plan.approved": "matching",
               "officers.committed": "resources"}
    for topic, source in sources.items():
        payload = data(topic, deadline=stamp(deadline)) if topic == "support.requested" else data(topic)
        if topic == "plan.approved":  # this shift on scene: 8 hours from now, as matching would approve it
            payload = signed(dict(payload, task_start=stamp(now), task_end=stamp(now + timedelta(hours=8))))
        deliver(runtime, topic, payload, source=f"/mutual-deploy/{source}", subject="s")
    yield runtime, logistics_app(runtime)
    runtime.engine.dispose()


def beijing_minute(iso: str) -> str:
    """An instant as the field page writes it: Beijing time, to the minute."""
    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=8)))
    return at.strftime("%Y-%m-%d %H:%M")


def published(runtime, topic: str) -> list[dict]:
    return [e["data"] for e in runtime.outbox.events() if e["type"] == topic]


def test_a_unit_leader_acknowledges_the_order_on_a_phone_and_its_positions_reach_logistics(
        logistics, serve_wsgi, chrome, screenshots):
    runtime, app = logistics
    order = next(o for o in published(runtime, "dispatch.ordered") if o["from_county"] == "330782")
    service = serve_wsgi(app)
    model = ProvinceModel(seed=0, start=T0)
    origin = serve_wsgi(create_app(model, client=ServicesClient({"logistics": service})).server)
    lead = Identity("yw-unit", "support_officer", "330782")   # 义乌: the unit's own county

    chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844,
                                                                   "deviceScaleFactor": 2, "mobile": True})
    chrome.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})
    first = {"latitude": 29.3069, "longitude": 120.0751, "accuracy": 12}
    chrome.execute_cdp_cmd("Emulation.setGeolocationOverride", first)
    chrome.get(signed_in_url(origin, lead, "/field"))
    wait = WebDriverWait(chrome, TIMEOUT_S, ignored_exceptions=(StaleElementReferenceException,))  # re-rendered
    card = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, f"section.order[data-order='{order['order_id']}']"))
    assert order["reporting_point"]["name"] in card.text and "到位时限" in card.text
    assert beijing_minute(order["deadline"]) in card.text   # the deadline, Beijing time
    assert all(task_name(task, "zh") in card.text for task in order["scope"]["tasks"])   # the scope, in words
    assert "电子取证" in card.text and "e_forensics" not in card.text
    assert "东阳市公安局指挥中心" in card.text and "county_duty_officer" not in card.text   # who commands on scene
    assert len(chrome.find_elements(By.CSS_SELECTOR, "section.order")) == 1   # only the unit from 义乌

    chrome.find_element(By.ID, f"ack-{order['order_id']}").click()
    wait.until(lambda d: "已确认" in d.find_element(By.ID, f"ack-note-{order['order_id']}").text)
    as_province = headers_for(PROVINCE, audience="logistics")
    acked = requests.get(f"{service}/orders/{order['order_id']}", headers=as_province, timeout=5).json()
    assert acked["acknowledged_at"] and acked["status"] == "acknowledged"
    assert [a["order_id"] for a in published(runtime, "dispatch.acknowledged")] == [order["order_id"]]

    chrome.find_element(By.ID, "share-start").click()
    wait.until(lambda d: d.find_elements(By.ID, "position-delivered"))
    reports = published(runtime, "unit.position-reported")
    assert len(reports) == 1 and reports[0]["unit_id"] == order["unit_id"]
    assert reports[0]["point"] == {"lon": 120.0751, "lat": 29.3069} and reports[0]["order_id"] == order["order_id"]
    chrome.save_screenshot(str(screenshots / "field-page.png"))

    # The network drops (every request to the twin fails, as in a tunnel; Chrome's offline emulation
    # spares loopback): the next fix waits on the phone, and goes out when the network is back.
    chrome.execute_cdp_cmd("Network.enable", {})
    chrome.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"{origin}/*"]})
    chrome.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 29.3101, "longitude": 120.0803,
                                                                "accuracy": 9})
    WebDriverWait(chrome, 40, ignored_exceptions=(StaleElementReferenceException,)).until(lambda d: d.find_element(By.ID, "queue-count").get_attribute("data-n") == "1")
    queued = chrome.execute_script("return JSON.parse(localStorage.getItem('field-outbox'))")
    assert queued[0]["report"]["point"] == {"lon": 120.0803, "lat": 29.3101} and len(queued[0]["key"]) == 32
    assert len(published(runtime, "unit.position-reported")) == 1
    chrome.save_screenshot(str(screenshots / "field-page-offline.png"))
    assert "field-offline" in chrome.find_element(By.TAG_NAME, "body").get_attribute("class")
    chrome.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    wait.until(lambda d: d.find_element(By.ID, "queue-count").get_attribute("data-n") == "0")
    reports = published(runtime, "unit.position-reported")
    points = [r["point"] for r in reports]   # the first fix, then the one kept while offline (and any later)
    assert points[0] == {"lon": 120.0751, "lat": 29.3069} and len(points) >= 2
    assert all(p == {"lon": 120.0803, "lat": 29.3101} for p in points[1:])
    assert reports[1]["at"] == queued[0]["report"]["at"]

    # The same report sent again (its key kept) is answered once and not published twice.
    resend = {"key": queued[0]["key"], **queued[0]["report"]}
    again = requests.post(f"{origin}/field/positions", json=resend, headers=headers_for(lead, audience="twin"),
                          timeout=5)
    assert again.status_code == 202 and again.json()["repeated"] is True
    assert len(published(runtime, "unit.position-reported")) == len(reports)

    # logistics applies the first report (its worker would; the next, 600 m on a few seconds later, it
    # would refuse as implausible): the page, read again, shows when the unit is due
    deliver(runtime, "unit.position-reported", reports[0], source="/mutual-deploy/twin", subject=order["request_id"])
    eta = requests.get(f"{service}/orders/{order['order_id']}", headers=as_province, timeout=5).json()["eta"]
    chrome.refresh()
    due = wait.until(lambda d: d.find_element(By.ID, f"eta-{order['order_id']}"))
    assert due.text == beijing_minute(eta) and eta < order["deadline"]   # Beijing time; 义乌 is 30 min away
    assert "预计到达" in chrome.find_element(By.CSS_SELECTOR, f"section.order[data-order='{order['order_id']}']").text
    assert remote_resources(chrome, origin) == []
