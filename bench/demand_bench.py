"""demand: an incident posted over HTTP → its `support.requested` seen by a consumer of the embedded broker.

The path measured: POST /incidents (body validation, place check, grading, requirement lines, the
force-gap evaluation of the county, one transaction with the incident and both events in the
outbox) → relay → broker → a kafka-python consumer in another process. The service runs in-process
(Flask test client) with its relay and worker started, on SQLite, as `python -m services.demand` does.

- `demand.incident_to_request.p50_ms` / `.p95_ms`: incidents posted at PACED_RATE/s (no backlog);
  baseline: a raw kafka-python publish (send + flush) → consume of one record on the same broker,
  paced the same, in the same run.
- `demand.incidents_per_s`: BURST incidents posted back to back by one client, until the last
  request is consumed; baseline: the same number of raw records published back to back (batched by
  the producer) and consumed.
- `demand.cpu_ms_per_incident`: CPU time of the service process (HTTP, relay and worker threads) per
  incident during the burst: steadier than wall-clock figures on a shared machine.

demand publishes as itself, signed with its registered key (a throw-away registry per run); the
reader verifies every `support.requested` of demand's phases as a consumer would (owner, key,
signature), and demand's own worker must handle its `incident.reported` echo without a dead letter:
otherwise the run fails instead of reporting figures of refused events.
"""
from __future__ import annotations

import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from infra import broker as embedded
from infra.ports import free_port
from services.common import contracts
from services.common.bus import Bus
from services.common.topics import topic_specs

from . import producers

TOPIC = "support.requested"
PACED = int(os.environ.get("BENCH_DEMAND_PACED", "60"))
PACED_RATE = 2.0  # incidents/s for the latency figures (well below the sustained rate: no backlog)
BURST = int(os.environ.get("BENCH_DEMAND_BURST", "300"))
WARMUP = 30


def _consumer(bootstrap: str, counts: dict, ready, out) -> None:
    """Receive times of every record whose incident id is INC-<phase>-<i>, reported per phase when complete."""
    from kafka import KafkaConsumer

    from services.common.bus import CONSUMER_DEFAULTS

    consumer = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=f"bench-demand-{time.time_ns()}",
                             **dict(CONSUMER_DEFAULTS, auto_offset_reset="latest"))
    while not consumer.assignment():
        consumer.poll(100)
    consumer.seek_to_end()
    consumer.poll(0)
    ready.set()
    seen: dict[str, dict[str, float]] = {phase: {} for phase in counts}
    refused: dict[str, list[str]] = {phase: [] for phase in counts}
    pending = list(counts)
    while pending:
        for msgs in consumer.poll(100).values():
            now = time.time()
            for m in msgs:
                event = json.loads(m.value)
                incident_id = event["data"]["incident_id"]
                phase = incident_id.split("-")[1]
                if phase in seen:
                    seen[phase][incident_id] = now
                    if phase.startswith("D"):  # demand's events: would a consumer act on them?
                        refused[phase] += producers.verify_consumed([event])
        while pending and len(seen[pending[0]]) >= counts[pending[0]]:
            out.put((pending[0], seen[pending[0]], refused[pending[0]]))
            pending.pop(0)
    consumer.close()


def _incident(phase: str, i: int, counties: list[str]) -> dict:
    return {"incident_id": f"INC-{phase}-{i}", "type": "mass_gathering", "domain": "public_order",
            "location": {"county": counties[i % len(counties)]}, "size": {"people_involved": 150 + i % 100},
            "description": "benchmark incident", "reported_by": "bench command centre"}


def _paced(send, n: int, rate: float | None) -> dict[str, float]:
    sent, t0 = {}, time.time()
    for i in range(n):
        if rate:
            delay = t0 + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        sent.update(send(i))
    return sent


def _latencies(sent: dict[str, float], seen: dict[str, float]) -> list[float]:
    return [(seen[k] - sent[k]) * 1000 for k in sent]


def _raw_sender(producer, phase: str, *, wait: bool = True):
    """The baseline: one valid support.requested record published (send + flush) with kafka-python and
    consumed, with no service in between (the broker checks it against the contract, as it does demand's)."""
    example = contracts.example_event(TOPIC)

    def send(i: int) -> dict[str, float]:
        key = f"INC-{phase}-{i}"
        value = json.dumps(dict(example, data=dict(example["data"], incident_id=key))).encode()
        t = time.time()
        future = producer.send(TOPIC, key=key.encode(), value=value)
        if wait:
            future.get(30)  # a refused record fails here
        return {key: t}
    return send


def _demand_sender(client, phase: str, counties: list[str]):
    def send(i: int) -> dict[str, float]:
        body = _incident(phase, i, counties)
        t = time.time()
        resp = client.post("/incidents", json=body)
        assert resp.status_code == 201, resp.get_json()
        return {body["incident_id"]: t}
    return send


def _echo_handled(runtime, n: int) -> None:
    """demand's worker handles its own `incident.reported` (signed by the outbox): none dead-lettered."""
    deadline = time.monotonic() + 60
    while runtime.worker.stats["handled"] < n and time.monotonic() < deadline and not runtime.worker.stats["deadlettered"]:
        time.sleep(0.1)
    producers.assert_processed("demand benchmark: incident.reported", handled=runtime.worker.stats["handled"],
                               expected=n, deadlettered=runtime.worker.stats["deadlettered"])


def _measure(work: Path, bootstrap: str) -> dict:
    from kafka import KafkaProducer

    from services.common.auth import Identity, signed_in
    from services.common.config import Settings
    from services.demand.bootstrap import build_runtime, create_app

    counts = {"RW": WARMUP, "RP": PACED, "RB": BURST, "DW": WARMUP, "DP": PACED, "DB": BURST}
    ctx = mp.get_context("spawn")
    ready, out = ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=_consumer, args=(bootstrap, counts, ready, out))
    proc.start()
    assert ready.wait(120)
    runtime = build_runtime(Settings(service="demand", database_url=f"sqlite:///{work / 'demand.db'}",
                                     kafka_bootstrap=bootstrap))
    runtime.start()
    client = signed_in(create_app(runtime).test_client(), Identity("bench", "province_commander"))
    counties = [c.code for c in runtime.deps.geography().counties]
    sent: dict[str, dict[str, float]] = {}
    try:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=0)
        for phase, n, rate in (("RW", WARMUP, None), ("RP", PACED, PACED_RATE), ("RB", BURST, None)):
            sent[phase] = _paced(_raw_sender(producer, phase, wait=rate is not None), n, rate)
        producer.flush()
        producer.close()
        for phase, n, rate in (("DW", WARMUP, None), ("DP", PACED, PACED_RATE), ("DB", BURST, None)):
            cpu = time.process_time()
            sent[phase] = _paced(_demand_sender(client, phase, counties), n, rate)
        cpu_ms = (time.process_time() - cpu) * 1000 / BURST  # every thread of the service: HTTP, relay, worker
        seen, refused = {}, []
        for _ in counts:
            phase, times, problems = out.get(timeout=600)
            seen[phase] = times
            refused += problems
        producers.assert_processed("demand benchmark: support.requested", handled=sum(len(seen[p]) for p in ("DW", "DP", "DB")),
                                   expected=WARMUP + PACED + BURST, deadlettered=len(refused), reason="; ".join(refused[:3]))
        _echo_handled(runtime, WARMUP + PACED + BURST)
        proc.join(30)
    finally:
        runtime.stop()
        if proc.is_alive():
            proc.terminate()
    raw_lat = _latencies(sent["RP"], seen["RP"])
    demand_lat = _latencies(sent["DP"], seen["DP"])

    def rate(phase: str) -> float:
        return len(sent[phase]) / (max(seen[phase].values()) - min(sent[phase].values()))
    return {"p50": float(np.percentile(demand_lat, 50)), "p95": float(np.percentile(demand_lat, 95)),
            "raw_p50": float(np.percentile(raw_lat, 50)), "raw_p95": float(np.percentile(raw_lat, 95)),
            "rate": rate("DB"), "raw_rate": rate("RB"), "cpu_ms": cpu_ms}


def run() -> dict:
    with producers.registry(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        proc = embedded.start(port, work / "broker")
        try:
            bootstrap = f"127.0.0.1:{port}"
            Bus(bootstrap).ensure_topics(topic_specs())
            m = _measure(work, bootstrap)
        finally:
            embedded.stop(proc)
    return {
        "demand.incident_to_request.p95_ms": {"value": round(m["p95"], 1), "unit": "ms", "baseline": round(m["raw_p95"], 1)},
        "demand.incident_to_request.p50_ms": {"value": round(m["p50"], 1), "unit": "ms", "baseline": round(m["raw_p50"], 1)},
        "demand.incidents_per_s": {"value": round(m["rate"], 1), "unit": "incident/s", "baseline": round(m["raw_rate"], 1)},
        "demand.cpu_ms_per_incident": {"value": round(m["cpu_ms"], 2), "unit": "ms", "baseline": None},
    }


if __name__ == "__main__":
    print(run())
