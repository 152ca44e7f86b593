"""A service's API documentation (/docs) in a real headless browser that can reach nothing but the
service: every operation of its OpenAPI description renders, the console stays clean."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from services.demand.bootstrap import build_runtime, create_app
from tests.helpers import offline_settings

from .test_twin_browser import remote_resources, severe_console_entries

pytestmark = pytest.mark.e2e
RENDER_TIMEOUT_S = 60
@pytest.fixture
def demand(tmp_path):
    runtime = build_runtime(offline_settings("demand", tmp_path))
    yield create_app(runtime)
    runtime.engine.dispose()


def test_the_docs_render_every_operation_offline_with_a_clean_console(demand, serve_wsgi, offline_chrome):
    origin = serve_wsgi(demand)
    doc = demand.test_client().get("/openapi.json").get_json()
    operations = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}

    offline_chrome.get(origin + "/docs")
    WebDriverWait(offline_chrome, RENDER_TIMEOUT_S).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(operations))
    rendered = {(block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
                 block.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
                for block in offline_chrome.find_elements(By.CSS_SELECTOR, ".opblock")}
    assert rendered == operations
    assert "mutual-deploy demand service" in offline_chrome.find_element(By.CSS_SELECTOR, ".info .title").text
    assert offline_chrome.find_elements(By.CSS_SELECTOR, ".models, .model-container"), "no schemas section"

    # One operation opened: its request body schema comes from components/schemas and renders.
    offline_chrome.find_element(By.CSS_SELECTOR, "#operations-default-post_incidents .opblock-summary").click()
    WebDriverWait(offline_chrome, RENDER_TIMEOUT_S).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#operations-default-post_incidents .opblock-body"))
    body = offline_chrome.find_element(By.CSS_SELECTOR, "#operations-default-post_incidents").text
    assert "incident_id" in body and "Could not resolve reference" not in body

    assert severe_console_entries(offline_chrome) == []
    assert remote_resources(offline_chrome, origin) == []
