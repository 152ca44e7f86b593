"""The twin's sign-in: no page or route without a verified token, demo users only in demo mode, and
decisions going out with the signed-in user's own token (so matching judges *their* authority)."""
from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from services.common.auth import Identity, default_keyring, headers_for
from services.common.tokens import InvalidToken, Keyring
from tests.helpers import deliver, example_envelope, offline_settings, token_for
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import signin
from twin.ui.app import create_app

PROVINCE = Identity("zj-commander", "province_commander", "330000")
SECRET = "s" * 48


@pytest.fixture(scope="module")
def model() -> ProvinceModel:
    return ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20), start=datetime(2025, 9, 15, tzinfo=timezone.utc))


def app_of(model, *, demo: bool = False, secret: str = SECRET):
    return create_app(model, demo=demo, secret=secret)


SAME_SITE = {"Origin": "http://localhost"}  # the test client's own origin: a form of the twin's own page


def sign_in(client, data: dict, headers: dict | None = None):
    """POST /signin as the twin's own sign-in page sends it (same Origin)."""
    return client.post("/signin", data=data, headers=SAME_SITE if headers is None else headers)


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
    assert signed.get("/?token=" + token_for(PROVINCE)).status_code == 302
    html = signed.get("/").get_data(as_text=True)
    script = re.search(r'src="(/_dash-component-suites/[^"]+)"', html).group(1)
    assert app.server.test_client().get(script).status_code == 200


def test_a_token_in_the_address_signs_in_once_and_is_dropped_from_it(model):
    client = app_of(model).server.test_client()
    first = client.get("/?lang=en&token=" + token_for(PROVINCE))
    assert first.status_code == 302 and first.headers["Location"] == "/?lang=en"
    assert client.get("/state").status_code == 200  # the session cookie from now on
    assert client.get("/").status_code == 200
    client.get("/signout")
    assert client.get("/state").status_code == 401


@pytest.mark.parametrize("bad, reason", [
    ("not-a-token", "not valid"),
    (token_for(PROVINCE, ttl_s=-60), "expired"),
    (token_for(PROVINCE, Keyring.generate("other")), "unknown key id"),
    (token_for(Identity("x", "superuser", "330000")), "unknown role"),
])
def test_bad_expired_or_foreign_tokens_are_refused(model, bad, reason):
    client = app_of(model).server.test_client()
    resp = client.get("/?token=" + bad)
    assert resp.status_code == 401 and reason in resp.get_data(as_text=True)
    form = sign_in(client, {"token": bad})
    assert form.status_code == 401 and reason in form.get_data(as_text=True)
    assert client.get("/state").status_code == 401
    assert client.get("/state", headers={"Authorization": f"Bearer {bad}"}).status_code == 401


def test_a_pasted_token_signs_in_and_returns_to_the_page_asked_for(model):
    client = app_of(model).server.test_client()
    resp = sign_in(client, {"token": token_for(PROVINCE), "next": "/exercise?lang=en"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/exercise?lang=en"
    assert client.get("/state").status_code == 200
    elsewhere = sign_in(client, {"token": token_for(PROVINCE), "next": "//evil.example/"})
    assert elsewhere.headers["Location"] == "/"  # never sent to another site


def test_a_session_cookie_of_another_twin_is_worthless(model):
    one = app_of(model, secret="a" * 48).server.test_client()
    one.get("/?token=" + token_for(PROVINCE))
    cookie = one.get_cookie("twin_session")
    other = app_of(model, secret="a" * 48).server.test_client()  # even with the same secret: its own table
    other.set_cookie("twin_session", cookie.value)
    assert other.get("/state").status_code == 401


def test_demo_users_sign_in_with_one_click_in_demo_mode_only(model):
    demo = app_of(model, demo=True).server.test_client()
    page = demo.get("/signin?lang=en").get_data(as_text=True)
    assert "demo-users" in page and "Demo mode" in page
    assert 'id="demo-zj-commander"' in page.replace("'", '"') and "service:twin" not in page
    resp = sign_in(demo, {"user": "hz-commander", "next": "/"})
    assert resp.status_code == 302
    layout = json.dumps(demo.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "hz-commander" in layout and "市级指挥长" in layout and "演示模式" in layout
    assert sign_in(demo, {"user": "service:twin"}).status_code == 403  # people only

    live = app_of(model, demo=False).server.test_client()
    page = live.get("/signin").get_data(as_text=True)
    assert "demo-users" not in page and "zj-commander" not in page
    assert sign_in(live, {"user": "zj-commander"}).status_code == 403
    assert live.get("/state").status_code == 401


def test_demo_mode_follows_demo_and_the_exercise_mode(model, monkeypatch):
    assert signin.demo_enabled("live", {"DEMO": "0"}) is False
    assert signin.demo_enabled("live", {"DEMO": "1"}) is True
    assert signin.demo_enabled("live", {}) is False  # unset is live: a forgotten variable offers nothing
    assert signin.demo_enabled("exercise", {"DEMO": "0"}) is True
    monkeypatch.setenv("DEMO", "0")
    assert "demo-users" not in create_app(model, secret=SECRET).server.test_client().get("/signin").get_data(as_text=True)
    monkeypatch.delenv("DEMO")
    assert "demo-users" not in create_app(model, secret=SECRET).server.test_client().get("/signin").get_data(as_text=True)


def test_make_run_keeps_the_demo_unless_told_otherwise():
    from infra.run import Supervisor
    assert Supervisor(env={}).env["DEMO"] == "1"          # handed to the twin it starts
    assert Supervisor(env={"DEMO": "0"}).env["DEMO"] == "0"


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
    import threading
    from datetime import timedelta

    from werkzeug.serving import make_server

    from services.common.clock import now
    from services.demo import generate
    from services.matching import snapshot
    from services.matching.bootstrap import build_runtime
    from services.matching.bootstrap import create_app as matching_app

    folder = tmp_path_factory.mktemp("matching")
    runtime = build_runtime(offline_settings("matching", folder, extra={"signing_key": str(folder / "key.pem")}),
                            resources_url=None)
    with runtime.engine.begin() as conn:
        snapshot.load_force(conn, generate(officers=3000, seed=5), now())
    event = example_envelope("support.requested")
    at = now()
    lines = [{"line_id": "patrol", "module": "patrol", "tags": [], "certifications": [], "equipment": [], "headcount": 4}]
    event["data"].update(request_id="REQ-II", county="330106", grade="II", approval_level="province", lines=lines,
                         requested_at=at.isoformat(), deadline=(at + timedelta(minutes=90)).isoformat())
    for optional in ("task_window", "launch_deadline"):
        event["data"].pop(optional, None)
    deliver(runtime, "support.requested", event=event)
    runtime.deps.planner.plan_pending()
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

    from twin.mirror.client import ServicesClient
    from twin.ui import ids

    url, plan = real_matching
    session = RecordingSession()
    app = create_app(model, secret=SECRET, client=ServicesClient({"matching": url}, session=session))
    button = json.dumps({"action": "approve", "plan": plan["plan_id"], "type": ids.DECIDE}, separators=(",", ":"))

    def approve_as(identity: Identity) -> str:
        token = token_for(identity)
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
    assert "twin_session=" in sign_in(client, {"token": token_for(PROVINCE)}).headers.get("Set-Cookie", "")
    refresh = client.get("/state")
    assert refresh.status_code == 200 and "Set-Cookie" not in refresh.headers
    signed_out = client.get("/signout")
    assert "twin_session=" in signed_out.headers.get("Set-Cookie", "")
    assert client.get("/state").status_code == 401


# --- the session: on the server, revoked at sign-out, a cookie that carries no token ----------------

def test_the_cookie_carries_no_token_only_an_opaque_session_id(model):
    client = app_of(model).server.test_client()
    token = token_for(PROVINCE)
    resp = sign_in(client, {"token": token})
    set_cookie = resp.headers["Set-Cookie"]
    session_id = client.get_cookie("twin_session").value
    assert token not in set_cookie and token.split(".")[1] not in set_cookie  # not the token, not its claims
    assert len(session_id) >= 40 and "." not in session_id
    with pytest.raises(InvalidToken):
        default_keyring().verify(session_id)  # worthless as a bearer token on any service
    attributes = [part.strip().lower() for part in set_cookie.split(";")]
    assert {"httponly", "samesite=lax", "path=/"} <= set(attributes) and "secure" not in attributes


def test_the_cookie_is_secure_over_tls_or_when_configured(model):
    over_tls = app_of(model).server.test_client()
    resp = over_tls.post("/signin", data={"token": token_for(PROVINCE)}, base_url="https://localhost",
                         headers={"Origin": "https://localhost"})
    assert "secure" in [p.strip().lower() for p in resp.headers["Set-Cookie"].split(";")]
    configured = create_app(model, secret=SECRET)
    configured.twin_signin.secure_cookie = True  # TWIN_SECURE_COOKIE=1: TLS ends at a proxy in front
    resp = sign_in(configured.server.test_client(), {"token": token_for(PROVINCE)})
    assert "secure" in [p.strip().lower() for p in resp.headers["Set-Cookie"].split(";")]


def test_sign_out_revokes_the_session_so_a_replayed_cookie_opens_nothing(model):
    app = app_of(model)
    client = app.server.test_client()
    sign_in(client, {"token": token_for(PROVINCE)})
    stolen = client.get_cookie("twin_session").value
    assert len(app.twin_signin.sessions) == 1
    client.post("/signout", headers=SAME_SITE)
    assert len(app.twin_signin.sessions) == 0
    replay = app.server.test_client()
    replay.set_cookie("twin_session", stolen)
    assert replay.get("/state").status_code == 401
    assert replay.post("/_dash-update-component", json={}).status_code == 401


def test_signing_in_again_replaces_the_browsers_old_session(model):
    app = app_of(model)
    client = app.server.test_client()
    sign_in(client, {"token": token_for(PROVINCE)})
    first = client.get_cookie("twin_session").value
    sign_in(client, {"token": token_for(Identity("hz-commander", "city_commander", "330100"))})
    assert client.get_cookie("twin_session").value != first and len(app.twin_signin.sessions) == 1
    old = app.server.test_client()
    old.set_cookie("twin_session", first)
    assert old.get("/state").status_code == 401


def test_a_session_ends_when_its_token_expires():
    now = [1000.0]
    sessions = signin.Sessions("k" * 48, clock=lambda: now[0])
    session_id = sessions.open("the-token", "zj-commander", expires_at=1060.0)
    assert sessions.get(session_id).token == "the-token"
    assert sessions.get(session_id + "x") is None
    now[0] = 1061.0
    assert sessions.get(session_id) is None and len(sessions) == 0


def test_the_session_table_holds_no_usable_cookie():
    sessions = signin.Sessions("k" * 48)
    session_id = sessions.open("the-token", "zj-commander", expires_at=9e12)
    assert session_id not in repr(sessions._table) and len(sessions) == 1


# --- the sign-in form answers only the twin's own pages -------------------------------------------

@pytest.mark.parametrize("headers", [
    {"Origin": "http://evil.example"},
    {"Origin": "null"},
    {"Referer": "http://evil.example/signin"},
    {"Origin": "http://localhost.evil.example"},
    {},  # neither Origin nor Referer: not a page of the twin
])
def test_a_sign_in_from_another_site_is_refused(model, headers):
    client = app_of(model, demo=True).server.test_client()
    for data in ({"token": token_for(PROVINCE)}, {"user": "zj-commander"}):
        resp = sign_in(client, data, headers)
        assert resp.status_code == 403 and "Set-Cookie" not in resp.headers
    assert client.get("/state").status_code == 401


def test_a_sign_in_whose_referer_is_the_twin_is_accepted(model):
    client = app_of(model).server.test_client()
    resp = sign_in(client, {"token": token_for(PROVINCE)}, {"Referer": "http://localhost/signin?lang=en"})
    assert resp.status_code == 302 and client.get("/state").status_code == 200


def test_no_state_changing_request_from_another_origin_is_served(model):
    client = app_of(model).server.test_client()
    sign_in(client, {"token": token_for(PROVINCE)})
    resp = client.post("/_dash-update-component", json={}, headers={"Origin": "http://evil.example"})
    assert resp.status_code == 403 and resp.get_json()["errors"][0]["field"] == "Origin"
    assert client.post("/signout", headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get("/state").status_code == 200  # still signed in


def test_the_public_origin_is_configurable_behind_a_proxy(model, monkeypatch):
    monkeypatch.setenv("TWIN_ORIGIN", "https://twin.police.example")
    client = create_app(model, secret=SECRET).server.test_client()
    assert sign_in(client, {"token": token_for(PROVINCE)}).status_code == 403  # the Host is not the origin
    resp = sign_in(client, {"token": token_for(PROVINCE)}, {"Origin": "https://twin.police.example"})
    assert resp.status_code == 302


# --- one-click demo users: demo mode, and a browser on this machine --------------------------------

@pytest.mark.parametrize("where", [
    {"environ_base": {"REMOTE_ADDR": "10.20.30.40"}},                      # another machine
    {"headers": {"X-Forwarded-For": "10.20.30.40"}},                      # relayed by a proxy on this host
    {"headers": {"Forwarded": "for=10.20.30.40"}},
    {"base_url": "http://twin.police.example"},                            # addressed by a public name
])
def test_demo_users_are_offered_only_to_a_browser_on_this_machine(model, where):
    client = app_of(model, demo=True).server.test_client()
    headers = where.get("headers", {})
    origin = where.get("base_url", "http://localhost")
    page = client.get("/signin?lang=en", **where).get_data(as_text=True)
    assert "demo-users" not in page and "demo-zj-commander" not in page
    assert "only to a browser on this machine" in page  # the page says why
    resp = client.post("/signin", data={"user": "zj-commander"}, headers={"Origin": origin, **headers},
                       **{k: v for k, v in where.items() if k != "headers"})
    assert resp.status_code == 403 and "Set-Cookie" not in resp.headers


def test_the_sign_in_page_states_where_demo_users_are_offered(model):
    page = app_of(model, demo=True).server.test_client().get("/signin?lang=en").get_data(as_text=True)
    assert "DEMO=1" in page and "127.0.0.1" in page and "DEMO=0" in page


# --- where a sign-in returns to: a page of the twin, never another site -----------------------------

EVIL_NEXT = ["/%09/evil.com", "//evil.com", "https://evil.com", "/\\evil.com", "/\\/evil.com", "\t//evil.com",
             "/%2F%2Fevil.com", "http:evil.com", "/.//evil.com", "/@evil.com", "javascript:alert(1)",
             "/\x00//evil.com", " //evil.com", "/state", "/signout", "/exercise/../signout"]


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_next_is_a_page_of_the_allow_list_or_the_default_page(model, target):
    client = app_of(model).server.test_client()
    resp = sign_in(client, {"token": token_for(PROVINCE), "next": target})
    assert resp.status_code == 302 and resp.headers["Location"] == "/", target
    assert signin.safe_next(target) == "/"


@pytest.mark.parametrize("target, expected", [
    ("/", "/"), ("/?lang=en", "/?lang=en"), ("/exercise?lang=zh", "/exercise?lang=zh"),
    ("/exercise?lang=en&x=1", "/exercise?lang=en"), ("/?lang=<script>", "/"), (None, "/"), ("", "/"),
    # the performance report and its half-year; an after-action report of an exercise
    ("/reports/performance?period=2026-H1&lang=en", "/reports/performance?lang=en&period=2026-H1"),
    ("/reports/performance?period=2026-H3&lang=fr", "/reports/performance"),
    ("/reports/performance?period=2026-06", "/reports/performance?period=2026-06"),
    ("/reports/performance?period=2026", "/reports/performance?period=2026"),
    ("/reports/performance?period=2026-13", "/reports/performance"),
    ("/exercise/EX-20261204-a.1/report.html?lang=en", "/exercise/EX-20261204-a.1/report.html?lang=en"),
    ("/exercise/EX-1/report.json", "/"), ("/exercise/EX-1/events.jsonl", "/"), ("/exercise/.x/report.html", "/"),
    # another page of the twin is the map, in the page's language; the other pages' queries stay with them
    ("/state?lang=en", "/?lang=en"), ("/signout?lang=en", "/?lang=en"), ("/?lang=en&period=2026-H1&wall=1", "/?lang=en"),
    ("/board?period=2026-H1&wall=1", "/board?wall=1"),
])
def test_next_keeps_the_page_and_its_language_only(target, expected):
    assert signin.safe_next(target) == expected


def test_a_link_to_the_performance_report_comes_back_to_it_after_signing_in(model):
    """A commander opening a shared link to the report is sent to sign in, and then to the report."""
    client = app_of(model).server.test_client()
    page = client.get("/reports/performance?period=2026-H1&lang=en", headers={"Accept": "text/html"})
    assert page.status_code == 302
    asked = parse_qs(urlsplit(page.headers["Location"]).query)
    assert asked["next"] == ["/reports/performance?lang=en&period=2026-H1"]
    resp = sign_in(client, {"token": token_for(PROVINCE), "next": asked["next"][0]})
    assert resp.status_code == 302 and resp.headers["Location"] == "/reports/performance?lang=en&period=2026-H1"
    # the same with the token in the address
    other = app_of(model).server.test_client()
    resp = other.get(f"/reports/performance?lang=en&period=2026-H2&token={token_for(PROVINCE)}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/reports/performance?lang=en&period=2026-H2"


def test_a_token_in_the_address_of_a_foreign_looking_path_goes_to_the_default_page(model):
    client = app_of(model).server.test_client()
    resp = client.get("//evil.com/?token=" + token_for(PROVINCE))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


# --- the headers of every response ------------------------------------------------------------------

def test_every_page_forbids_framing_and_loads_only_from_the_twin(model):
    client = app_of(model).server.test_client()
    sign_in(client, {"token": token_for(PROVINCE)})
    for path in ("/", "/signin", "/state", "/_dash-layout"):
        resp = client.get(path)
        csp = resp.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["frame-ancestors"] == "'none'" and resp.headers["X-Frame-Options"] == "DENY", path
        assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
        assert "'unsafe-inline'" not in directives["script-src"]  # Dash's inline start script by its hash
        assert re.search(r"'sha256-[A-Za-z0-9+/=]+'", directives["script-src"])
        assert not re.search(r"https?:|\*", csp), csp  # no other origin, no wildcard
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/state").headers["Cache-Control"] == "no-store"


def test_the_csp_hash_is_the_hash_of_the_inline_script_the_page_holds(model):
    import base64
    import hashlib

    client = app_of(model).server.test_client()
    sign_in(client, {"token": token_for(PROVINCE)})
    resp = client.get("/")
    page = re.sub(r"<!--.*?-->", "", resp.get_data(as_text=True), flags=re.S)  # (Dash's note for old IE)
    inline = re.findall(r'<script(?![^>]*\bsrc=)(?![^>]*type="application/json")[^>]*>(.*?)</script>', page, re.S)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in resp.headers["Content-Security-Policy"]
