"""Signed identity tokens: minted by headers_for, verified by current_identity, rotated by key id;
every endpoint but /health refuses a request without a valid token (401, problem+json)."""
from __future__ import annotations

import json

import jwt
import pytest

from services.common import users
from services.common.auth import Identity, headers_for
from services.common.config import Settings
from services.common.tokens import ALGORITHM, InvalidToken, Keyring

OLD = Keyring({"2025a": b"a" * 40}, "2025a")
NEW = Keyring({"2025a": b"a" * 40, "2025b": b"b" * 40}, "2025b")
COMMANDER = Identity("hz-commander", "city_commander", "330100")


def test_a_minted_token_carries_subject_role_and_region():
    claims = NEW.verify(NEW.mint("hz-commander", "city_commander", "330100"))
    assert (claims.subject, claims.role, claims.region) == ("hz-commander", "city_commander", "330100")


def test_rotation_keeps_old_tokens_valid_until_their_key_is_dropped():
    old_token = OLD.mint("a", "viewer", "330000")
    assert NEW.verify(old_token).subject == "a"          # the old key still verifies during rotation
    dropped = Keyring({"2025b": b"b" * 40}, "2025b")
    with pytest.raises(InvalidToken, match="unknown key id '2025a'"):
        dropped.verify(old_token)
    assert jwt.get_unverified_header(NEW.mint("a", "viewer", "330000"))["kid"] == "2025b"


@pytest.mark.parametrize("forge, reason", [
    (lambda: Keyring({"2025b": b"z" * 40}, "2025b").mint("a", "viewer", "330000"), "Signature verification failed"),
    (lambda: NEW.mint("a", "viewer", "330000", ttl_s=-5), "expired"),
    (lambda: jwt.encode({"sub": "a", "role": "viewer", "region": "330000", "iat": 1, "exp": 2**40},
                        b"b" * 40, algorithm=ALGORITHM, headers={"kid": "2025b"}), "iss"),
    (lambda: jwt.encode({"sub": "a", "role": "province_commander", "region": "330000", "iss": "mutual-deploy",
                         "iat": 1, "exp": 2**40}, None, algorithm="none", headers={"kid": "2025b"}), "not valid"),
    (lambda: "not.a.token", "not valid"),
])
def test_forged_expired_unsigned_and_malformed_tokens_are_refused(forge, reason):
    with pytest.raises(InvalidToken, match=reason):
        NEW.verify(forge())


def test_a_tampered_payload_breaks_the_signature():
    header, payload, sig = NEW.mint("a", "viewer", "330000").split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["role"] = "province_commander"
    forged = ".".join([header, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig])
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        NEW.verify(forged)


def test_keys_come_from_the_environment_or_a_key_file_created_on_first_use(tmp_path):
    env = {"AUTH_SIGNING_KEY": "s" * 40, "AUTH_KEY_ID": "k9", "AUTH_VERIFY_KEYS": "k8:" + "o" * 40}
    ring = Keyring.from_env(env)
    assert ring.active == "k9" and set(ring.keys) == {"k8", "k9"}
    path = tmp_path / "keys.json"
    first = Keyring.from_env({"AUTH_KEY_FILE": str(path)})
    assert Keyring.from_env({"AUTH_KEY_FILE": str(path)}) == first    # the same key on the next start
    assert path.stat().st_mode & 0o077 == 0                           # readable by its owner only
    with pytest.raises(ValueError, match="shorter than 32 bytes"):
        Keyring.from_env({"AUTH_SIGNING_KEY": "short"})


def test_headers_for_mints_a_bearer_token_that_verifies_and_is_reused():
    first, second = headers_for(COMMANDER, NEW), headers_for(COMMANDER, NEW)
    assert first == second and first["Authorization"].startswith("Bearer ")
    assert NEW.verify(first["Authorization"].removeprefix("Bearer ")).region == "330100"


def test_demo_users_each_get_a_token_of_their_role_and_region(tmp_path):
    doc = users.write_demo_tokens(tmp_path / "tokens.json", NEW)
    assert {doc[u]["role"] for u in doc} >= {"province_commander", "city_commander", "county_duty_officer",
                                             "resource_manager", "support_officer", "trainer", "integrator",
                                             "auditor"}
    dy = NEW.verify(doc["dy-duty"]["token"])
    assert (dy.subject, dy.role, dy.region) == ("dy-duty", "county_duty_officer", "330783")
    with pytest.raises(KeyError, match="no user 'mallory'"):
        users.token("mallory", NEW)


# ---------------------------------------------------------------- over HTTP

@pytest.fixture(scope="module")
def demand(tmp_path_factory):
    from services.demand.app import build_runtime, create_app
    settings = Settings(service="demand", database_url=f"sqlite:///{tmp_path_factory.mktemp('auth') / 'd.db'}",
                        kafka_bootstrap="127.0.0.1:1", auth_keys=NEW)
    runtime = build_runtime(settings)
    yield create_app(runtime).test_client()
    runtime.engine.dispose()


@pytest.mark.parametrize("headers, reason", [
    ({}, "a bearer token is required"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "a bearer token is required"),
    ({"Authorization": "Bearer garbage"}, "not valid"),
    ({"X-Role": "province_commander", "X-Region": "330000"}, "a bearer token is required"),  # old headers: no
    ({"Authorization": "Bearer " + Keyring({"x": b"x" * 40}, "x").mint("a", "auditor", "330000")}, "unknown key id"),
    ({"Authorization": "Bearer " + NEW.mint("a", "root", "330000")}, "unknown role 'root'"),
    ({"Authorization": "Bearer " + NEW.mint("a", "auditor", "zhejiang")}, "6-digit region"),
])
def test_a_request_without_a_valid_token_gets_401_naming_the_reason(demand, headers, reason):
    for path in ("/incidents", "/metrics", "/audit/access", "/no-such-path"):
        resp = demand.get(path, headers=headers)
        assert resp.status_code == 401 and resp.mimetype == "application/problem+json", path
        assert resp.get_json()["errors"][0]["field"] == "Authorization"
        assert reason in resp.get_json()["errors"][0]["reason"]


def test_health_and_the_api_description_alone_answer_without_a_token(demand):
    assert demand.get("/health").status_code == 200
    assert demand.get("/openapi.json").status_code == 200 and demand.get("/docs").status_code == 200
    assert demand.get("/incidents").status_code == 401


def test_a_service_verifies_with_the_keys_in_its_settings(demand):
    good = demand.get("/incidents", headers=headers_for(Identity("zj", "province_commander"), NEW))
    assert good.status_code == 200
    other = Keyring({"2025b": b"q" * 40}, "2025b")   # same key id, another deployment's secret
    assert demand.get("/incidents", headers=headers_for(Identity("zj", "province_commander"), other)).status_code == 401


def test_an_expired_token_is_refused_over_http(demand):
    token = NEW.mint("zj", "province_commander", "330000", ttl_s=-1)
    resp = demand.get("/incidents", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "expired" in resp.get_json()["errors"][0]["reason"]
