"""The production web role: HTTP throughput of one service under gunicorn, by number of processes.

`python -m infra.serve web matching` on PostgreSQL (as in docker-compose; on one SQLite file several
processes would queue for its write lock) serves GET /incidents/observed (token check, permission
table, access-log row, one query) to 16 client threads for a fixed time; the figure with
WEB_WORKERS=2 (one per core here) beside the baseline measured in the same run with WEB_WORKERS=1.
Both servers run side by side and are loaded in turn, three rounds each, medians reported, so a
machine whose load changes from minute to minute affects both alike. The load generator shares the
machine's cores with the servers.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests
from sqlalchemy import create_engine, text

from infra.children import spawn
from infra.ports import free_port
from services.common.auth import Identity, headers_for
from services.common.storage import database_answers, normalise_url
from services.common.tokens import Keyring

KEY_ID, KEY = "bench", "YmVuY2gtaXNzdWVyLWtleS1vZi10aGUtYmVuY2htcms"  # the issuer's Ed25519 seed (base64url)
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
DATABASE = "mutual_deploy_bench"
CLIENTS, WARMUP_S, MEASURE_S, ROUNDS = 16, 1.0, 4.0, 3


def bench_database() -> str:
    """A database of its own on the test server (created once), so no test's tables are touched."""
    admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE}).first():
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    return PG_URL.rsplit("/", 1)[0] + "/" + DATABASE


def serve(workers: int, folder: Path, database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "HTTP_HOST": "127.0.0.1",
           "MATCHING_PORT": str(port), "DATABASE_URL": database_url,
           "VAR_DIR": str(folder), "AUTH_KEY_ID": KEY_ID, "AUTH_ISSUER_KEY": KEY, "WEB_WORKERS": str(workers),
           "WEB_THREADS": "4", "PROMETHEUS_MULTIPROC_DIR": str(folder / f"prom-{workers}"), "LOG_LEVEL": "WARNING"}
    log = open(folder / f"web-{workers}.log", "wb")
    proc = spawn([sys.executable, "-m", "infra.serve", "web", "matching"], env=env, stdout=log,
                 stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"web role with {workers} workers did not start (see {log.name})")


def load(url: str) -> tuple[float, float]:
    """(requests per second, p95 latency in ms) over MEASURE_S with CLIENTS threads."""
    headers = headers_for(Identity("bench", "province_commander"), Keyring.from_env({"AUTH_KEY_ID": KEY_ID, "AUTH_ISSUER_KEY": KEY}))
    start = time.monotonic()
    measure_from, stop_at = start + WARMUP_S, start + WARMUP_S + MEASURE_S
    latencies: list[list[float]] = [[] for _ in range(CLIENTS)]

    def client(mine: list[float]) -> None:
        session = requests.Session()
        while (now := time.monotonic()) < stop_at:
            t0 = time.perf_counter()
            resp = session.get(url + "/incidents/observed", headers=headers, timeout=10)
            resp.raise_for_status()
            if now >= measure_from:
                mine.append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in latencies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples = [x for mine in latencies for x in mine]
    return len(samples) / MEASURE_S, float(np.percentile(samples, 95))


def run() -> dict:
    if not database_answers(PG_URL):
        print(f"deploy bench: skipped, no PostgreSQL at {PG_URL}")
        return {}
    database_url = bench_database()
    rounds: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        servers = {workers: serve(workers, Path(tmp), database_url) for workers in rounds}
        try:
            for _ in range(ROUNDS):
                for workers, (_, url) in servers.items():
                    rounds[workers].append(load(url))
        finally:
            for proc, _ in servers.values():
                proc.terminate()
                proc.wait(30)
    (base_rps, base_p95), (rps, p95) = (tuple(float(x) for x in np.median(rounds[w], axis=0)) for w in (1, 2))
    return {
        "deploy.web_2_workers.req_per_s": {"value": round(rps, 1), "unit": "req/s", "baseline": round(base_rps, 1)},
        "deploy.web_2_workers.p95_ms": {"value": round(p95, 1), "unit": "ms", "baseline": round(base_p95, 1)},
    }


if __name__ == "__main__":
    print(run())
