"""The twin's sign-in: no page or route without a verified token, demo users only in demo mode, and
decisions going out with the signed-in user's own token (so matching judges *their* authority)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest

from services.common.auth import Identity, default_keyring, headers_for
from services.common.tokens import Keyring
from twin import signin
from twin.app import create_app
from twin.model import ProvinceModel
from twin.uncertainty import PreviewConfig

PROVINCE = Identity("zj-commander", "province_commander", "330000")
SECRET = "s" * 48


def token_of(identity: Identity, ring: Keyring | None = None, **kw) -> str:
    ring = ring or default_keyring()
    return ring.mint(identity.subject, identity.role, identity.region, **kw)


@pytest.fixture(scope="module")
def model() -> ProvinceModel:
    return ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20), start=datetime(2025, 9, 15, tzinfo=timezone.utc))


def app_of(model, *, demo: bool = False, secret: str = SECRET):
    return create_app(model, demo=demo, secret=secret)


def test_without_a_token_pages_go_to_the_sign_in_page_and_routes_answer_401(model):
    client = app_of(model).server.test_client()
    page = client.get("/?lang=en", headers={"Accept": "text/html"})
    assert page.status_code == 302 and page.headers["Location"].startswith("/signin?lang=en&next=")
    for path in ("/state", "/geo/counties.geojson", "/plans/P1/preview", "/_dash-layout", "/_dash-dependencies"):
        resp = client.get(path)
        assert resp.status_code == 401, path
        assert resp.mimetype == "application/problem+json"
        assert resp.get_json()["errors"][0]["field"] == "Authorization"
    assert client.post("/_dash-update-component", json={}).status_code == 401
    assert client.get("/health").status_code == 200
    assert client.get("/signin").status_code == 200


def test_static_assets_need_no_sign_in(model):
    app = app_of(model)
    signed = app.server.test_client()
    assert signed.get("/?token=" + token_of(PROVINCE)).status_code == 302
    html = signed.get("/").get_data(as_text=True)
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', html).group(1)
    assert app.server.test_client().get(script).status_code == 200


def test_a_token_in_the_address_signs_in_once_and_is_dropped_from_it(model):
    client = app_of(model).server.test_client()
    first = client.get("/?lang=en&token=" + token_of(PROVINCE))
    assert first.status_code == 302 and first.headers["Location"] == "/?lang=en"
    assert client.get("/state").status_code == 200  # the session cookie from now on
    assert client.get("/").status_code == 200
    client.get("/signout")
    assert client.get("/state").status_code == 401


@pytest.mark.parametrize("bad, reason", [
    ("not-a-token", "not valid"),
    (token_of(PROVINCE, ttl_s=-60), "expired"),
    (token_of(PROVINCE, Keyring.generate("other")), "unknown key id"),
    (token_of(Identity("x", "superuser", "330000")), "unknown role"),
])
def test_bad_expired_or_foreign_tokens_are_refused(model, bad, reason):
    client = app_of(model).server.test_client()
    resp = client.get("/?token=" + bad)
    assert resp.status_code == 401 and reason in resp.get_data(as_text=True)
    form = client.post("/signin", data={"token": bad})
    assert form.status_code == 401 and reason in form.get_data(as_text=True)
    assert client.get("/state").status_code == 401
    assert client.get("/state", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_a_pasted_token_signs_in_and_returns_to_the_page_asked_for(model):
    client = app_of(model).server.test_client()
    resp = client.post("/signin", data={"token": token_of(PROVINCE), "next": "/exercise?lang=en"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/exercise?lang=en"
    assert client.get("/state").status_code == 200
    elsewhere = client.post("/signin", data={"token": token_of(PROVINCE), "next": "//evil.example/"})
    assert elsewhere.headers["Location"] == "/"  # never sent to another site


def test_a_session_cookie_signed_with_another_secret_is_worthless(model):
    one = app_of(model, secret="a" * 48).server.test_client()
    one.get("/?token=" + token_of(PROVINCE))
    cookie = one.get_cookie("twin_session")
    other = app_of(model, secret="b" * 48).server.test_client()
    other.set_cookie("twin_session", cookie.value)
    assert other.get("/state").status_code == 401


def test_demo_users_sign_in_with_one_click_in_demo_mode_only(model):
    demo = app_of(model, demo=True).server.test_client()
    page = demo.get("/signin?lang=en").get_data(as_text=True)
    assert "demo-users" in page and "Demo mode" in page
    assert 'id="demo-zj-commander"' in page.replace("'", '"') and "service:twin" not in page
    resp = demo.post("/signin", data={"user": "hz-commander", "next": "/"})
    assert resp.status_code == 302
    layout = json.dumps(demo.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "hz-commander" in layout and "市级指挥长" in layout and "演示模式" in layout
    assert demo.post("/signin", data={"user": "service:twin"}).status_code == 403  # people only

    live = app_of(model, demo=False).server.test_client()
    page = live.get("/signin").get_data(as_text=True)
    assert "demo-users" not in page and "zj-commander" not in page
    assert live.post("/signin", data={"user": "zj-commander"}).status_code == 403
    assert live.get("/state").status_code == 401


def test_demo_mode_follows_demo_and_the_exercise_mode(model, monkeypatch):
    assert signin.demo_enabled("live", {"DEMO": "0"}) is False
    assert signin.demo_enabled("live", {"DEMO": "1"}) is True
    assert signin.demo_enabled("exercise", {"DEMO": "0"}) is True
    monkeypatch.setenv("DEMO", "0")
    assert "demo-users" not in create_app(model, secret=SECRET).server.test_client().get("/signin").get_data(as_text=True)


def test_the_session_secret_is_generated_once_and_kept_private(tmp_path):
    path = tmp_path / "twin" / "session.key"
    first = signin.session_secret({}, path)
    assert len(first) >= 32 and signin.session_secret({}, path) == first
    assert path.stat().st_mode & 0o077 == 0
    assert signin.session_secret({"TWIN_SECRET_KEY": "from-config"}, path) == "from-config"


def test_a_bearer_token_opens_the_twins_routes_to_programs(model):
    client = app_of(model).server.test_client()
    assert client.get("/state", headers=headers_for(PROVINCE)).status_code == 200


# --- the signed-in user's own token reaches the real matching service ---------------------------

@pytest.fixture(scope="module")
def real_matching(tmp_path_factory):
    """Matching's real app and database (no broker) on a loopback port, with one grade II request planned."""
    import copy
    import threading
    from datetime import timedelta

    from werkzeug.serving import make_server

    from services.common import contracts
    from services.common.clock import now
    from services.common.config import Settings
    from services.common.worker import Context
    from services.demo import generate
    from services.matching import snapshot
    from services.matching.app import build_runtime
    from services.matching.app import create_app as matching_app
    from services.matching.handlers import HANDLERS

    folder = tmp_path_factory.mktemp("matching")
    settings = Settings(service="matching", database_url=f"sqlite:///{folder / 'm.db'}", kafka_bootstrap="127.0.0.1:1",
                        extra={"signing_key": str(folder / "key.pem")})
    runtime = build_runtime(settings, resources_url=None)
    with runtime.engine.begin() as conn:
        snapshot.load_force(conn, generate(officers=3000, seed=5), now())
    event = copy.deepcopy(contracts.example_event("support.requested"))
    at = now()
    lines = [{"line_id": "patrol", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 4}]
    event["data"].update(request_id="REQ-II", county="330106", grade="II", approval_level="province", lines=lines,
                         requested_at=at.isoformat(), deadline=(at + timedelta(minutes=90)).isoformat())
    for optional in ("task_window", "launch_deadline"):
        event["data"].pop(optional, None)
    with runtime.outbox.transaction(cause=event) as tx:
        HANDLERS["support.requested"](Context(event, tx, runtime.settings))
    runtime.extras["planner"].plan_pending()
    server = make_server("127.0.0.1", 0, matching_app(runtime), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    plans = __import__("requests").get(url + "/requests/REQ-II/plans", headers=headers_for(PROVINCE)).json()["plans"]
    assert any(p["status"] == "proposed" for p in plans), plans
    yield url, next(p for p in plans if p["status"] == "proposed")
    server.shutdown()
    runtime.engine.dispose()


class RecordingSession(__import__("requests").Session):
    """A requests session that keeps the Authorization header of every call the twin makes."""

    def __init__(self):
        super().__init__()
        self.sent: list[str] = []

    def request(self, method, url, **kw):
        self.sent.append((kw.get("headers") or {}).get("Authorization", ""))
        return super().request(method, url, **kw)


def test_approve_goes_out_with_the_signed_in_users_token_and_matching_judges_them(model, real_matching):
    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from twin import ids
    from twin.client import ServicesClient

    url, plan = real_matching
    session = RecordingSession()
    app = create_app(model, secret=SECRET, client=ServicesClient({"matching": url}, session=session))
    button = json.dumps({"action": "approve", "plan": plan["plan_id"], "type": ids.DECIDE}, separators=(",", ":"))

    def approve_as(identity: Identity) -> str:
        token = token_of(identity)
        with app.server.test_request_context("/_dash-update-component", method="POST",
                                             headers={"Authorization": f"Bearer {token}"}):
            app.server.preprocess_request()
            context_value.set(AttributeDict(triggered_inputs=[{"prop_id": button + ".n_clicks", "value": 1}]))
            message = app.twin_callbacks["on_decide"]([1], None, "en")
        assert session.sent[-1] == f"Bearer {token}"  # forwarded as it came, not minted by the twin
        return message

    refused = approve_as(Identity("hz-commander", "city_commander", "330100"))
    assert refused.startswith(f"Not allowed to decide plan {plan['plan_id']}")
    assert approve_as(PROVINCE) == f"Plan {plan['plan_id']} approved"


def test_a_refresh_in_flight_cannot_undo_a_sign_out(model):
    """Only sign-in and sign-out set the cookie: a map refresh answered after the sign-out must not
    put the old session back."""
    client = app_of(model).server.test_client()
    assert "twin_session=" in client.post("/signin", data={"token": token_of(PROVINCE)}).headers.get("Set-Cookie", "")
    refresh = client.get("/state")
    assert refresh.status_code == 200 and "Set-Cookie" not in refresh.headers
    signed_out = client.get("/signout")
    assert "twin_session=" in signed_out.headers.get("Set-Cookie", "")
    assert client.get("/state").status_code == 401
