"""Publish → consume through the event kit (outbox, relay, broker, worker, inbox) on the embedded
broker, beside raw kafka-python in the same run.

The kit path: the producer writes each event in its own database transaction (state change +
outbox row, hash-chained), the relay publishes, a consumer in another process validates each
event, records it in its inbox and runs a handler in a transaction. Latency is commit of the
emitting transaction → handler done, from the event's own `time`.
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

N = int(__import__("os").environ.get("BENCH_EVENTS", "20000"))
TOPIC = "incident.reported"


def _raw(bootstrap: str, n: int) -> tuple[float, float]:
    """The baseline: plain kafka-python with the same producer/consumer settings, no database."""
    from kafka import KafkaConsumer, KafkaProducer

    from services.common.bus import CONSUMER_DEFAULTS

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=512 * 1024,
                             enable_idempotence=False)
    consumer = KafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=f"bench-raw-{time.time_ns()}",
                             **CONSUMER_DEFAULTS)
    while not consumer.assignment():
        consumer.poll(100)
    template = copy.deepcopy(contracts.example_event(TOPIC))
    t0 = time.perf_counter()
    futures = []
    for i in range(n):
        event = dict(template, id=f"raw-{i}")
        futures.append(producer.send(TOPIC, key=str(i % 64).encode(), value=json.dumps(event).encode(),
                                     headers=[("sent", repr(time.time()).encode())]))
    producer.flush()
    for f in futures:
        f.get(30)  # a refused record would otherwise leave the consumer waiting forever
    lat, seen = [], 0
    while seen < n:
        for msgs in consumer.poll(200).values():
            for m in msgs:
                if m.value.startswith(b'{') and b'"raw-' in m.value:
                    seen += 1
                    lat.append(time.time() - float(dict(m.headers)["sent"]))
    elapsed = time.perf_counter() - t0
    consumer.close()
    producer.close()
    return n / elapsed, float(np.percentile(lat, 99) * 1000)


def _consumer(bootstrap: str, db: str, n: int, out: mp.Queue) -> None:
    lat: list[float] = []

    def handle(ctx):
        if not ctx.data["incident_id"].startswith("INC-B"):
            return  # the baseline's records share the topic
        t = datetime.fromisoformat(ctx.event["time"].replace("Z", "+00:00")).timestamp()
        lat.append(time.time() - t)

    settings = Settings(service="bench-consumer", database_url=db, kafka_bootstrap=bootstrap)
    rt = Runtime.build(settings, handlers={TOPIC: handle}).start()
    out.put("ready")
    while len(lat) < n:
        time.sleep(0.01)
    done = time.time()
    rt.stop()
    out.put((done, lat))


def _kit(bootstrap: str, workdir: Path, n: int) -> tuple[float, float, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    proc = ctx.Process(target=_consumer, args=(bootstrap, f"sqlite:///{workdir / 'consumer.db'}", n, q))
    proc.start()
    assert q.get(timeout=120) == "ready"
    time.sleep(4)  # let the consumer join its group before the clock starts
    settings = Settings(service="bench-producer", database_url=f"sqlite:///{workdir / 'producer.db'}",
                        kafka_bootstrap=bootstrap)
    rt = Runtime.build(settings).start()
    data = copy.deepcopy(contracts.example_event(TOPIC)["data"])
    t0 = time.time()
    for i in range(n):
        with rt.outbox.transaction() as tx:
            tx.emit(TOPIC, dict(data, incident_id=f"INC-B{i}"), key=f"INC-B{i}")
    emitted = time.time() - t0
    done, lat = q.get(timeout=600)
    proc.join(30)
    rt.stop()
    return n / (done - t0), float(np.percentile(lat, 99) * 1000), n / emitted


def run() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        port = free_port()
        proc = embedded.start(port, work / "broker")
        try:
            bootstrap = f"127.0.0.1:{port}"
            Bus(bootstrap).ensure_topics(topic_specs())
            raw_rate, raw_p99 = _raw(bootstrap, N)
            kit_rate, kit_p99, emit_rate = _kit(bootstrap, work, N)
        finally:
            embedded.stop(proc)
    return {
        "bus.publish_consume.msgs_per_s": {"value": round(kit_rate, 1), "unit": "msg/s", "baseline": round(raw_rate, 1)},
        "bus.publish_consume.p99_ms": {"value": round(kit_p99, 1), "unit": "ms", "baseline": round(raw_p99, 1)},
        "bus.outbox_emit.events_per_s": {"value": round(emit_rate, 1), "unit": "event/s", "baseline": None},
    }
