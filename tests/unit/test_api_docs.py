"""Each service's API documentation at /docs: public, every asset served by the service itself, and a
page policy that lets the browser fetch nothing from anywhere else."""
from __future__ import annotations

import importlib
import re

import pytest

from services.common import api_docs, permissions
from tests.helpers import offline_settings

SERVICES = ["demand", "resources", "matching", "logistics"]


@pytest.fixture(scope="module", params=SERVICES)
def client(request, tmp_path_factory):
    module = importlib.import_module(f"services.{request.param}.bootstrap")
    runtime = module.build_runtime(offline_settings(request.param, tmp_path_factory.mktemp(request.param)))
    yield request.param, module.create_app(runtime).test_client()
    runtime.engine.dispose()


def test_the_docs_page_and_the_description_answer_without_a_token(client):
    service, http = client
    page = http.get("/docs")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert f"mutual-deploy {service}" in page.text and 'data-url="/openapi.json"' in page.text
    doc = http.get("/openapi.json")
    assert doc.status_code == 200 and doc.get_json()["info"]["title"] == f"mutual-deploy {service} service"


def test_every_file_the_page_loads_is_served_by_the_service_itself(client):
    _, http = client
    page = http.get("/docs").text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls  # no other origin
    assert "/docs/assets/swagger-ui-bundle.js" in urls and "/docs/init.js" in urls
    for url in urls:
        resp = http.get(url)
        assert resp.status_code == 200 and len(resp.data) > 0, url
        assert "connect-src 'self'" in resp.headers["Content-Security-Policy"], url


def test_the_init_script_turns_off_the_online_validator(client):
    _, http = client
    script = http.get("/docs/init.js").text
    assert "validatorUrl: null" in script and "root.dataset.url" in script


@pytest.mark.parametrize("name", ["oauth2-redirect.html", "..%2Fflask_swagger_ui.py", "swagger-ui.js.map", "x"])
def test_only_the_listed_assets_are_served(client, name):
    _, http = client
    resp = http.get(f"/docs/assets/{name}")
    assert resp.status_code in (401, 404) and b"flask" not in resp.data  # a path outside the rule: 401 first


def test_the_policy_allows_the_own_origin_only():
    policy = dict(part.strip().split(" ", 1) for part in api_docs.POLICY.split(";"))
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "connect-src", "img-src", "style-src", "font-src"):
        sources = policy[directive].split()
        assert "'self'" in sources and not any(s.startswith(("http", "*")) or s.endswith(":") and s != "data:"
                                               for s in sources), directive


def test_the_docs_are_public_and_nothing_else_became_public():
    public = permissions.table().public
    assert {"GET /openapi.json", "GET /docs", "GET /docs/init.js", "GET /docs/assets/{name}"} <= public
    assert "GET /metrics" not in public and not any(e.startswith("GET /audit") for e in public)
