"""Publish → consume through the event kit (outbox, relay, broker, worker, inbox) on the embedded
broker, beside raw kafka-python in the same run.

The kit path: the producer writes each event in its own database transaction (state change +
outbox row, hash-chained), the relay publishes, a consumer in another process validates each
event, records it in its inbox and runs a handler in a transaction. Latency is commit of the
emitting transaction → handler done, from the event's own `time` (millisecond resolution).

Each path first sends WARMUP events that are not timed. `p99_ms` is measured with the producer
emitting as fast as it can, so it includes the backlog queued behind each event whenever the
producer outruns the relay; `p99_ms_at_1000_per_s` paces the producer at 1,000 events/s to show
the steady-state latency of one event through outbox, relay, broker, worker and inbox.

The producer is demand (`/mutual-deploy/demand`, the owner of `incident.reported`): its outbox signs
every event with demand's registered key, so the consumer verifies and handles them; the run fails
if the consumer dead-letters any. The raw baseline publishes on a topic of its own (RAW_TOPIC, as
many partitions), so the kit's consumer never sees its unsigned records.
"""
from __future__ import annotations

import copy
import json
import multiprocessing as mp
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from infra import broker as embedded
from infra.ports import free_port
from services.common import contracts
from services.common.bus import Bus
from services.common.config import Settings
from services.common.runtime import Runtime
from services.common.topics import topic_specs

from . import producers

N = int(__import__("os").environ.get("BENCH_EVENTS", "20000"))
TOPIC = "incident.reported"
RAW_TOPIC = "bench.raw-incidents"  # the baseline's records: raw kafka-python, unsigned, nobody's contract


WARMUP = int(__import__("os").environ.get("BENCH_WARMUP", "500"))  # events per path, not timed
PACED_RATE = 1000.0  # events/s for the steady-state latency figure
PACED_N = int(__import__("os").environ.get("BENCH_PACED_EVENTS", "5000"))


def _raw(bootstrap: str, n: int) -> tuple[float, float]:
    """The baseline: plain kafka-python with the same producer/consumer settings, no database."""
    from kafka import KafkaConsumer, KafkaProducer

    from services.common.bus import CONSUMER_DEFAULTS

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=512 * 1024,
                             enable_idempotence=False)
    consumer = KafkaConsumer(RAW_TOPIC, bootstrap_servers=bootstrap, group_id=f"bench-raw-{time.time_ns()}",
                             **CONSUMER_DEFAULTS)
    while not consumer.assignment():
        consumer.poll(100)
    template = copy.deepcopy(contracts.example_event(TOPIC))

    def publish(prefix: str, count: int) -> None:
        futures = []
        for i in range(count):
            event = dict(template, id=f"{prefix}-{i}")
            futures.append(producer.send(RAW_TOPIC, key=str(i % 64).encode(), value=json.dumps(event).encode(),
                                         headers=[("sent", repr(time.time()).encode())]))
        producer.flush()
        for f in futures:
            f.get(30)  # a refused record would otherwise leave the consumer waiting forever

    def consume(marker: bytes, count: int) -> list[float]:
        lat: list[float] = []
        while len(lat) < count:
            for msgs in consumer.poll(200).values():
                for m in msgs:
                    if m.value.startswith(b'{') and marker in m.value:
                        lat.append(time.time() - float(dict(m.headers)["sent"]))
        return lat

    publish("rawwarm", WARMUP)  # connections, metadata, fetch positions: not timed
    consume(b'"rawwarm-', WARMUP)
    t0 = time.perf_counter()
    publish("raw", n)
    lat = consume(b'"raw-', n)
    elapsed = time.perf_counter() - t0
    consumer.close()
    producer.close()
    return n / elapsed, float(np.percentile(lat, 99) * 1000)


def _consumer(bootstrap: str, db: str, counts: dict, out: mp.Queue) -> None:
    """The consumer service: latencies by phase (the incident id's prefix), reported per phase."""
    import threading

    lat: dict[str, list[float]] = {phase: [] for phase in counts}
    complete = {phase: threading.Event() for phase in counts}  # no polling loop competing for the GIL

    def handle(ctx):
        phase = ctx.data["incident_id"].split("-")[1][:1]
        t = datetime.fromisoformat(ctx.event["time"].replace("Z", "+00:00")).timestamp()
        lat[phase].append(time.time() - t)
        if len(lat[phase]) >= counts[phase]:
            complete[phase].set()

    settings = Settings(service="bench-consumer", database_url=db, kafka_bootstrap=bootstrap)
    rt = Runtime.build(settings, handlers={TOPIC: handle}).start()
    out.put("ready")
    try:
        for phase in counts:
            while not complete[phase].wait(0.5):
                if rt.worker.stats["deadlettered"]:  # refused events never complete a phase: say so now
                    out.put(("deadlettered", rt.worker.stats["deadlettered"], _last_reason(rt)))
                    return
            out.put((phase, time.time(), lat[phase]))
        deadline = time.monotonic() + 30  # the worker counts a batch once its transaction is committed
        while rt.worker.stats["handled"] < sum(counts.values()) and time.monotonic() < deadline:
            time.sleep(0.05)
        out.put(("stats", dict(rt.worker.stats)))
    finally:
        rt.stop()


def _last_reason(rt) -> str:
    from sqlalchemy import select

    from services.common.storage import deadletters
    with rt.engine.connect() as conn:
        row = conn.execute(select(deadletters).order_by(deadletters.c.id.desc()).limit(1)).first()
    return row.reason if row else ""


def _expect(q, phase: str, timeout: float):
    got = q.get(timeout=timeout)
    if got[0] == "deadlettered":
        producers.assert_processed("bus benchmark", handled=0, expected=1, deadlettered=got[1], reason=got[2])
    assert got[0] == phase, got[0]
    return got


def _emit(rt, prefix: str, n: int, data: dict, rate: float | None = None) -> float:
    """Emit n events, one per transaction; at `rate` events/s on a fixed schedule if given."""
    t0 = time.time()
    for i in range(n):
        if rate:
            delay = t0 + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        with rt.outbox.transaction() as tx:
            tx.emit(TOPIC, dict(data, incident_id=f"INC-{prefix}{i}"), key=f"INC-{prefix}{i}")
    return time.time() - t0


def _kit(bootstrap: str, workdir: Path, n: int) -> dict:
    """Warm-up (not timed), then N events as fast as the producer goes, then events paced at
    PACED_RATE/s for the steady-state latency (no backlog behind each event)."""
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    counts = {"W": WARMUP, "B": n, "P": PACED_N}
    proc = ctx.Process(target=_consumer, args=(bootstrap, f"sqlite:///{workdir / 'consumer.db'}", counts, q))
    proc.start()
    assert q.get(timeout=120) == "ready"
    settings = Settings(service="demand", database_url=f"sqlite:///{workdir / 'producer.db'}",
                        kafka_bootstrap=bootstrap)
    rt = Runtime.build(settings).start()
    data = copy.deepcopy(contracts.example_event(TOPIC)["data"])
    try:
        _emit(rt, "W", WARMUP, data)  # also waits out the consumer's group join
        _expect(q, "W", 180)
        t0 = time.time()
        emitted = _emit(rt, "B", n, data)
        _, done, lat = _expect(q, "B", 600)
        _emit(rt, "P", PACED_N, data, rate=PACED_RATE)
        _, _, paced = _expect(q, "P", 600)
        _, stats = _expect(q, "stats", 60)
        producers.assert_processed("bus benchmark", handled=stats["handled"], expected=sum(counts.values()),
                                   deadlettered=stats["deadlettered"])
        proc.join(30)
    finally:
        rt.stop()
        if proc.is_alive():
            proc.terminate()
    return {"rate": n / (done - t0), "p99": float(np.percentile(lat, 99) * 1000), "emit": n / emitted,
            "p50": float(np.percentile(lat, 50) * 1000),
            "paced_p99": float(np.percentile(paced, 99) * 1000), "paced_p50": float(np.percentile(paced, 50) * 1000)}


def run() -> dict:
    with producers.registry(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        proc = embedded.start(port, work / "broker")
        try:
            bootstrap = f"127.0.0.1:{port}"
            specs = topic_specs()
            Bus(bootstrap).ensure_topics(specs + [(RAW_TOPIC, next(p for t, p, _ in specs if t == TOPIC), {})])
            raw_rate, raw_p99 = _raw(bootstrap, N)  # same run, same N, same broker
            kit = _kit(bootstrap, work, N)
        finally:
            embedded.stop(proc)
    return {
        "bus.publish_consume.msgs_per_s": {"value": round(kit["rate"], 1), "unit": "msg/s", "baseline": round(raw_rate, 1)},
        "bus.publish_consume.p99_ms": {"value": round(kit["p99"], 1), "unit": "ms", "baseline": round(raw_p99, 1)},
        "bus.publish_consume.p50_ms": {"value": round(kit["p50"], 1), "unit": "ms", "baseline": None},
        f"bus.publish_consume.p99_ms_at_{PACED_RATE:.0f}_per_s": {"value": round(kit["paced_p99"], 1), "unit": "ms",
                                                                  "baseline": None},
        f"bus.publish_consume.p50_ms_at_{PACED_RATE:.0f}_per_s": {"value": round(kit["paced_p50"], 1), "unit": "ms",
                                                                  "baseline": None},
        "bus.outbox_emit.events_per_s": {"value": round(kit["emit"], 1), "unit": "event/s", "baseline": None},
    }
