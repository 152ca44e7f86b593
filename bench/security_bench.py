"""What security costs: token checks, the per-request guard, and ledger verification.

- `security.token_verify_us`: verifying a bearer token the process has not seen (EdDSA signature,
  key id, expiry, issuer, audience); baseline: minting one.
- `security.token_verify_remembered_us`: the same token again, answered from the memory of verified
  tokens (its key still verifies, it has not expired); baseline: the first verification.
- `security.guarded_request.p50_ms`: an authenticated GET through the whole guard (token, permission
  table, access-log row) on demand over SQLite; baseline: the public /health probe of the same app.
- `security.ledger_verify_5k.ms`: reading and verifying a 5,000-event ledger record by record;
  baseline: only reading it.
"""
from __future__ import annotations

import statistics
import tempfile
import time

from services.common import contracts, ledger, tokens
from services.common.auth import Identity, headers_for
from services.common.config import Settings
from services.common.tokens import Keyring

from . import producers


def per_call_us(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def bench_tokens(n: int = 2000) -> dict:
    ring = Keyring.generate()
    token = ring.mint("zj-commander", "province_commander", "330000")
    mint = per_call_us(lambda: ring.mint("zj-commander", "province_commander", "330000"), n)

    def first_time():
        tokens._verified.clear()  # as for a token never seen: the whole check
        ring.verify(token, "demand")

    verify = per_call_us(first_time, n)
    again = per_call_us(lambda: ring.verify(token, "demand"), n)
    return {"security.token_verify_us": {"value": verify, "unit": "us", "baseline": mint},
            "security.token_verify_remembered_us": {"value": again, "unit": "us", "baseline": verify}}


def bench_guard(workdir: str, n: int = 300) -> dict:
    from services.demand.bootstrap import build_runtime, create_app
    ring = Keyring.generate()
    runtime = build_runtime(Settings(service="demand", database_url=f"sqlite:///{workdir}/guard.db",
                                     kafka_bootstrap="127.0.0.1:1", auth_keys=ring))
    client = create_app(runtime).test_client()
    auth = headers_for(Identity("zj-commander", "province_commander"), ring)

    def p50(path: str, headers: dict) -> float:
        times = []
        for _ in range(n):
            start = time.perf_counter()
            client.get(path, headers=headers)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    guarded, public = p50("/incidents/INC-NONE/assessment", auth), p50("/health", {})
    runtime.engine.dispose()
    return {"security.guarded_request.p50_ms": {"value": guarded, "unit": "ms", "baseline": public}}


def bench_ledger(workdir: str, n: int = 5000) -> dict:
    from services.common.runtime import Runtime
    # demand's own ledger: its outbox signs each record with demand's key, as in service
    runtime = Runtime.build(Settings(service="demand", database_url=f"sqlite:///{workdir}/ledger.db",
                                     kafka_bootstrap="127.0.0.1:1"))
    data = contracts.example_event("incident.reported")["data"]
    with runtime.outbox.transaction() as tx:
        for i in range(n):
            tx.emit("incident.reported", dict(data, incident_id=f"INC-B{i}"), key=f"INC-B{i}")
    source = runtime.settings.source
    ledger.stored(runtime.engine, source)  # warm: both timings below read from the page cache
    start = time.perf_counter()
    rows, head = ledger.stored(runtime.engine, source)
    read_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    report = ledger.report(runtime.engine, "demand", source)
    verify_ms = (time.perf_counter() - start) * 1000
    assert report["intact"] and report["records"] == n == len(rows) and head[0] == n
    refused = producers.verify_consumed(event for _, _, event in rows)
    producers.assert_processed("ledger benchmark", handled=n - len(refused), expected=n, deadlettered=len(refused),
                               reason="; ".join(refused[:3]))
    runtime.engine.dispose()
    return {"security.ledger_verify_5k.ms": {"value": verify_ms, "unit": "ms", "baseline": read_ms}}


def run() -> dict:
    results = bench_tokens()
    with producers.registry(), tempfile.TemporaryDirectory() as workdir:
        results.update(bench_guard(workdir))
        results.update(bench_ledger(workdir))
    return results
