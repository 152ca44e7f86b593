"""Failed sign-ins and bad tokens: counted, written to the access log, and rate-limited per client
(429 with Retry-After after a burst); the public endpoints stay open; other clients are not affected."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common.auth import Identity, headers_for, service_identity
from services.common.throttle import FailureLimiter, Limits
from services.common.tokens import Keyring, NotIssuer

LIMITS = Limits(burst=3, forgiven_per_minute=6)
AUDITOR = headers_for(Identity("audit", "auditor"))
OTHER = {"REMOTE_ADDR": "127.0.0.2"}


def test_the_policy_numbers_are_stated_with_their_source():
    from services.common.throttle import LIMITS_FILE
    text = LIMITS_FILE.read_text(encoding="utf-8")
    assert Limits.from_file(env={}) == Limits(burst=10, forgiven_per_minute=6, remembered=10000)
    assert text.count("source:") == 2 and "assumed" in text


def test_a_burst_empties_the_allowance_and_failures_are_forgiven_at_the_stated_rate():
    now = [0.0]
    limiter = FailureLimiter(LIMITS, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.retry_after("10.0.0.1") is None
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10  # one failure forgiven every 10 s
    assert limiter.retry_after("10.0.0.2") is None  # per client
    now[0] = 9.0
    assert limiter.retry_after("10.0.0.1") == 1
    now[0] = 10.0
    assert limiter.retry_after("10.0.0.1") is None
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10


def test_remembered_clients_are_bounded():
    limiter = FailureLimiter(Limits(burst=2, forgiven_per_minute=6, remembered=50))
    for i in range(500):
        limiter.failed(f"10.0.{i // 250}.{i % 250}")
    assert len(limiter._buckets) <= 50


@pytest.fixture
def demand(offline_runtime):
    from services.demand.bootstrap import create_app
    return create_app(offline_runtime("demand", extra={"auth_limits": LIMITS})).test_client()


def test_bad_tokens_from_one_client_get_429_with_retry_after_then_counted_and_logged(demand):
    forged = {"Authorization": "Bearer " + Keyring.generate("test").mint("zj", "province_commander", "330000")}
    for _ in range(3):
        assert demand.get("/incidents", headers=forged).status_code == 401
    refused = demand.get("/incidents", headers=headers_for(Identity("zj", "province_commander")))
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert 1 <= int(refused.headers["Retry-After"]) <= 10  # even a good token waits: nothing is verified
    assert demand.get("/health").status_code == 200  # the public endpoints stay open
    assert demand.get("/incidents", headers=headers_for(Identity("zj", "province_commander")),
                      environ_base=OTHER).status_code == 200  # another client is not affected
    metrics = demand.get("/metrics", headers=headers_for(Identity("zj", "province_commander")), environ_base=OTHER)
    text = metrics.get_data(as_text=True)
    assert 'mutual_deploy_auth_failures_total{reason="signature",service="demand"} 3.0' in text
    assert 'mutual_deploy_auth_throttled_total{service="demand"} 1.0' in text
    rows = demand.get("/audit/access?subject=(unauthenticated) 127.0.0.1", headers=AUDITOR,
                      environ_base=OTHER).get_json()
    assert [r["status"] for r in rows] == [429, 401, 401, 401]
    assert {(r["role"], r["path"]) for r in rows} == {("none", "/incidents")}


def test_a_deeply_nested_body_is_answered_400_not_500(demand):
    body = "[" * 10000 + "]" * 10000
    resp = demand.post("/incidents", data=body, content_type="application/json",
                       headers=headers_for(Identity("zj", "province_commander")))
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    nested = '{"a":' * 10000 + "1" + "}" * 10000
    assert demand.post("/incidents", data=nested, content_type="application/json",
                       headers=headers_for(Identity("zj", "province_commander"))).status_code == 400


def test_without_the_issuer_key_a_service_speaks_for_itself_and_for_no_one_else(demand, tmp_path, monkeypatch):
    from services.common import keys
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))
    keys.reset()
    try:
        public_only = Keyring.generate("test").public_only()
        with pytest.raises(NotIssuer):
            headers_for(Identity("zj", "province_commander"), public_only)
        own = headers_for(service_identity("matching"), public_only, audience="demand")
        assert demand.get("/incidents", headers=own, environ_base=OTHER).status_code == 200
        elsewhere = headers_for(service_identity("matching"), public_only, audience="logistics")
        assert demand.get("/incidents", headers=elsewhere, environ_base=OTHER).status_code == 401
    finally:
        keys.reset()


def test_the_twin_limits_failed_sign_ins_but_not_pages_whose_session_ended(monkeypatch):
    from twin.sim.model import ProvinceModel
    from twin.sim.uncertainty import PreviewConfig
    from twin.ui.app import create_app
    monkeypatch.setenv("AUTH_FAILURE_BURST", "3")
    model = ProvinceModel(seed=0, preview_config=PreviewConfig(runs=5), start=datetime(2025, 9, 15, tzinfo=timezone.utc))
    client = create_app(model, demo=False, secret="s" * 48).server.test_client()
    for _ in range(5):
        assert client.get("/state").status_code == 401  # no credential offered: not an attempt
    for _ in range(3):
        assert client.post("/signin", data={"token": "forged"}, headers={"Origin": "http://localhost"}).status_code == 401
    refused = client.post("/signin", data={"token": "forged"}, headers={"Origin": "http://localhost"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/health").status_code == 200
