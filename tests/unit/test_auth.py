"""Signed identity tokens: minted by headers_for, verified by current_identity, rotated by key id;
every endpoint but /health refuses a request without a valid token (401, problem+json)."""
from __future__ import annotations

import json

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common import users
from services.common.auth import Identity, headers_for
from services.common.tokens import ALGORITHM, AUDIENCES, InvalidToken, Keyring, NotIssuer, service_token
from tests.helpers import offline_settings

OLD = Keyring.generate("2025a")  # the issuer before rotation
_b = Keyring.generate("2025b")
NEW = Keyring({**OLD.keys, **_b.keys}, "2025b", _b.private)  # the issuer after: both public keys, the new private one
COMMANDER = Identity("hz-commander", "city_commander", "330100")
SERVICE = NEW.public_only().for_audience("demand")  # what a service holds: public keys, its own audience


def test_a_minted_token_carries_subject_role_region_and_audience():
    token = NEW.mint("hz-commander", "city_commander", "330100")
    claims = SERVICE.verify(token)
    assert (claims.subject, claims.role, claims.region) == ("hz-commander", "city_commander", "330100")
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert jwt.decode(token, options={"verify_signature": False})["aud"] == list(AUDIENCES)


def test_a_service_holds_public_keys_only_and_cannot_mint_a_commander():
    assert SERVICE.private is None and not SERVICE.issuer
    with pytest.raises(NotIssuer):
        SERVICE.mint("me", "province_commander", "330000")
    # nor with what it holds: the public key is no HMAC secret (the old algorithm-confusion forgery)
    for alg in ("HS256", "none"):
        forged = jwt.encode({"sub": "me", "role": "province_commander", "region": "330000", "iss": "mutual-deploy",
                             "aud": ["demand"], "iat": 1, "exp": 2**40},
                            SERVICE.keys["2025b"] if alg == "HS256" else None, algorithm=alg, headers={"kid": "2025b"})
        with pytest.raises(InvalidToken):
            SERVICE.verify(forged)


def test_a_token_addressed_to_another_service_is_refused():
    token = NEW.mint("a", "viewer", "330000", audience="logistics")
    assert NEW.verify(token, "logistics").subject == "a"
    with pytest.raises(InvalidToken, match="not addressed to 'demand'"):
        SERVICE.verify(token)
    with pytest.raises(InvalidToken, match="no audience"):
        NEW.public_only().verify(token)


def test_a_service_signs_its_own_token_with_its_registry_key_for_itself_only(tmp_path, monkeypatch):
    from services.common import keys
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))
    keys.reset()
    try:
        claims = SERVICE.verify(service_token("matching", audience="demand"))
        assert (claims.subject, claims.role, claims.region) == ("service:matching", "integrator", "330000")
        signer = keys.registry().signer("matching")
        for sub, role in (("zj-commander", "province_commander"), ("service:matching", "province_commander"),
                          ("service:resources", "integrator")):
            forged = jwt.encode({"sub": sub, "role": role, "region": "330000", "iss": "/mutual-deploy/matching",
                                 "aud": ["demand"], "iat": 1, "exp": 2**40}, signer.key, algorithm=ALGORITHM,
                                headers={"kid": signer.keyid})
            with pytest.raises(InvalidToken, match="speaks for that service only"):
                SERVICE.verify(forged)
        with pytest.raises(InvalidToken, match="unknown issuer"):
            SERVICE.verify(jwt.encode({"sub": "x", "role": "integrator", "region": "330000", "aud": ["demand"],
                                       "iss": "/mutual-deploy/matching/relay-2", "iat": 1, "exp": 2**40},
                                      signer.key, algorithm=ALGORITHM, headers={"kid": signer.keyid}))
    finally:
        keys.reset()


def test_rotation_keeps_old_tokens_valid_until_their_key_is_dropped():
    old_token = OLD.mint("a", "viewer", "330000")
    assert SERVICE.verify(old_token).subject == "a"          # the old key still verifies during rotation
    dropped = Keyring({"2025b": NEW.keys["2025b"]}, "2025b", audience="demand")
    with pytest.raises(InvalidToken, match="unknown key id '2025a'"):
        dropped.verify(old_token)
    assert jwt.get_unverified_header(NEW.mint("a", "viewer", "330000"))["kid"] == "2025b"


@pytest.mark.parametrize("forge, reason", [
    (lambda: Keyring.generate("2025b").mint("a", "viewer", "330000"), "Signature verification failed"),
    (lambda: NEW.mint("a", "viewer", "330000", ttl_s=-5), "expired"),
    (lambda: jwt.encode({"sub": "a", "role": "viewer", "region": "330000", "iat": 1, "exp": 2**40, "aud": ["demand"]},
                        Ed25519PrivateKey.from_private_bytes(NEW.private), algorithm=ALGORITHM,
                        headers={"kid": "2025b"}), "unknown issuer"),
    (lambda: jwt.encode({"sub": "a", "role": "province_commander", "region": "330000", "iss": "mutual-deploy",
                         "aud": ["demand"], "iat": 1, "exp": 2**40}, None, algorithm="none", headers={"kid": "2025b"}),
     "not valid"),
    (lambda: "not.a.token", "not valid"),
])
def test_forged_expired_unsigned_and_malformed_tokens_are_refused(forge, reason):
    with pytest.raises(InvalidToken, match=reason):
        SERVICE.verify(forge())


def test_a_tampered_payload_breaks_the_signature():
    header, payload, sig = NEW.mint("a", "viewer", "330000").split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["role"] = "province_commander"
    forged = ".".join([header, jwt.utils.base64url_encode(json.dumps(claims).encode()).decode(), sig])
    with pytest.raises(InvalidToken, match="Signature verification failed"):
        SERVICE.verify(forged)


def test_keys_come_from_the_environment_or_key_files_created_on_first_use(tmp_path):
    import base64
    seed = base64.urlsafe_b64encode(b"s" * 32).decode()
    other = Keyring.generate("k8")
    public = "k8:" + base64.urlsafe_b64encode(other.keys["k8"]).decode()
    ring = Keyring.from_env({"AUTH_ISSUER_KEY": seed, "AUTH_KEY_ID": "k9", "AUTH_PUBLIC_KEYS": public})
    assert ring.active == "k9" and set(ring.keys) == {"k8", "k9"} and ring.issuer
    verifier = Keyring.from_env({"AUTH_PUBLIC_KEYS": public})    # a service: public keys only
    assert not verifier.issuer
    with pytest.raises(NotIssuer):
        Keyring.from_env({"AUTH_PUBLIC_KEYS": public}, issuer=True)
    files = {"AUTH_KEY_FILE": str(tmp_path / "keys.json"), "AUTH_ISSUER_KEY_FILE": str(tmp_path / "issuer.json")}
    first = Keyring.from_env(files, issuer=True)
    assert Keyring.from_env(files, issuer=True) == first    # the same key on the next start
    assert Keyring.from_env(files, issuer=False) == first.public_only()
    assert (tmp_path / "issuer.json").stat().st_mode & 0o077 == 0     # readable by its owner only
    assert "private" not in (tmp_path / "keys.json").read_text()       # what the services read
    with pytest.raises(ValueError, match="32-byte"):
        Keyring.from_env({"AUTH_ISSUER_KEY": "c2hvcnQ"})
    with pytest.raises(ValueError, match="replaced by an issuer key pair"):
        Keyring.from_env({"AUTH_SIGNING_KEY": "s" * 40})


def test_an_older_shared_secret_key_file_is_replaced_by_a_key_pair(tmp_path):
    (tmp_path / "keys.json").write_text(json.dumps({"active": "k1", "keys": {"k1": "x" * 64}}))
    files = {"AUTH_KEY_FILE": str(tmp_path / "keys.json"), "AUTH_ISSUER_KEY_FILE": str(tmp_path / "issuer.json")}
    ring = Keyring.from_env(files, issuer=True)
    assert ring.issuer and "private" in (tmp_path / "issuer.json").read_text()
    assert Keyring.from_env(files).for_audience("demand").verify(ring.mint("a", "viewer", "330000")).subject == "a"


def test_headers_for_mints_a_bearer_token_that_verifies_and_is_reused():
    first, second = headers_for(COMMANDER, NEW), headers_for(COMMANDER, NEW)
    assert first == second and first["Authorization"].startswith("Bearer ")
    assert SERVICE.verify(first["Authorization"].removeprefix("Bearer ")).region == "330100"


def test_demo_users_each_get_a_token_of_their_role_and_region(tmp_path):
    doc = users.write_demo_tokens(tmp_path / "tokens.json", NEW)
    assert {doc[u]["role"] for u in doc} >= {"province_commander", "city_commander", "county_duty_officer",
                                             "resource_manager", "support_officer", "trainer", "integrator",
                                             "auditor"}
    dy = SERVICE.verify(doc["dy-duty"]["token"])
    assert (dy.subject, dy.role, dy.region) == ("dy-duty", "county_duty_officer", "330783")
    with pytest.raises(KeyError, match="no user 'mallory'"):
        users.token("mallory", NEW)


# ---------------------------------------------------------------- over HTTP

@pytest.fixture(scope="module")
def demand(tmp_path_factory):
    from services.demand.bootstrap import build_runtime, create_app
    settings = offline_settings("demand", tmp_path_factory.mktemp("auth"), auth_keys=NEW.public_only())
    runtime = build_runtime(settings)
    yield create_app(runtime).test_client()
    runtime.engine.dispose()


@pytest.mark.parametrize("headers, reason", [
    ({}, "a bearer token is required"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "a bearer token is required"),
    ({"Authorization": "Bearer garbage"}, "not valid"),
    ({"X-Role": "province_commander", "X-Region": "330000"}, "a bearer token is required"),  # old headers: no
    ({"Authorization": "Bearer " + Keyring.generate("x").mint("a", "auditor", "330000")}, "unknown key id"),
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
    other = Keyring.generate("2025b")   # same key id, another deployment's issuer
    assert demand.get("/incidents", headers=headers_for(Identity("zj", "province_commander"), other)).status_code == 401
    elsewhere = NEW.mint("zj", "province_commander", "330000", audience="logistics")
    resp = demand.get("/incidents", headers={"Authorization": f"Bearer {elsewhere}"})
    assert resp.status_code == 401 and "not addressed to 'demand'" in resp.get_json()["errors"][0]["reason"]


def test_an_expired_token_is_refused_over_http(demand):
    token = NEW.mint("zj", "province_commander", "330000", ttl_s=-1)
    resp = demand.get("/incidents", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and "expired" in resp.get_json()["errors"][0]["reason"]
