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
`msgs_per_s_100_per_tx` is the same path with the producer emitting 100 events per transaction
(`Tx.emit_many`, as a 60-officer commit emits its 111): what the pipeline carries once one commit
per event no longer bounds the producer. `cpu_ms_per_event.*` is the CPU time each process spent per
event during the flat-out run (the producer process: emitter, relay and kafka-python's sender).

The producer is demand (`/mutual-deploy/demand`, the owner of `incident.reported`): its outbox signs
every event with demand's registered key, so the consumer verifies and handles them; the run fails
if the consumer dead-letters any. The raw baseline publishes on a topic of its own (RAW_TOPIC, as
many partitions), so the kit's consumer never sees its unsigned records.

`python -m bench.bus_throughput --scaling` measures the kit at 1, 4 and 12 partitions of
`incident.reported`, with 1 and 2 consumer instances in one group, with the outbox and inbox on
SQLite and on PostgreSQL (TEST_POSTGRES_URL, default the `test` database on 127.0.0.1; one event per
transaction there for BENCH_PG_SINGLE_EVENTS events only), each on a broker of its own beside raw
kafka-python on a topic of as many partitions, and prints a table.
"""
from __future__ import annotations

import argparse
import collections
import copy
import json
import multiprocessing as mp
import os
import queue
import tempfile
import time
import uuid
from dataclasses import dataclass
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

N = int(os.environ.get("BENCH_EVENTS", "20000"))
TOPIC = "incident.reported"
RAW_TOPIC = "bench.raw-incidents"  # the baseline's records: raw kafka-python, unsigned, nobody's contract


WARMUP = int(os.environ.get("BENCH_WARMUP", "500"))  # events per path, not timed
PACED_RATE = 1000.0  # events/s for the steady-state latency figure
PACED_N = int(os.environ.get("BENCH_PACED_EVENTS", "5000"))
PER_TX = 100  # events per transaction for the batch-emit figure
PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# One event per transaction on PostgreSQL is a commit (a WAL flush) and six round trips each: fewer
# of them keep the scaling run to minutes.
PG_SINGLE = int(os.environ.get("BENCH_PG_SINGLE_EVENTS", "1000"))


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _raw(bootstrap: str, n: int) -> tuple[float, float]:
    """The baseline: plain kafka-python with the same producer/consumer settings, no database."""
    from kafka import KafkaConsumer, KafkaProducer

    from services.common.bus import CONSUMER_DEFAULTS

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5, batch_size=512 * 1024,
                             enable_idempotence=False, metrics_enabled=False)
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


def _consumer(bootstrap: str, db: str, service: str, out: mp.Queue, stop) -> None:
    """A consumer instance: reports (phase, event time, handled time) of what it handles, its share of
    the partitions and any dead letter, until told to stop; then its worker's counters."""
    handled: collections.deque = collections.deque()

    def handle(ctx):
        # incident ids are INC-<phase><i>: the phase is the letter after the dash
        t = datetime.fromisoformat(ctx.event["time"].replace("Z", "+00:00")).timestamp()
        handled.append((ctx.data["incident_id"][4], t, time.time()))

    settings = Settings(service=service, database_url=db, kafka_bootstrap=bootstrap)
    rt = Runtime.build(settings, handlers={TOPIC: handle}).start()
    out.put(("ready", os.getpid()))
    assigned, dead = -1, 0
    try:
        while not stop.wait(0.1):
            batch = []
            while handled:
                batch.append(handled.popleft())
            if batch:
                out.put(("handled", batch))
            if len(rt.worker.assigned) != assigned:
                assigned = len(rt.worker.assigned)
                out.put(("assigned", os.getpid(), assigned))
            if rt.worker.stats["deadlettered"] != dead:  # refused events never complete a phase: say so now
                dead = rt.worker.stats["deadlettered"]
                out.put(("deadlettered", dead, _last_reason(rt)))
    finally:
        rt.stop()
        out.put(("stats", os.getpid(), dict(rt.worker.stats)))


def _last_reason(rt) -> str:
    from sqlalchemy import select

    from services.common.storage import deadletters
    with rt.engine.connect() as conn:
        row = conn.execute(select(deadletters).order_by(deadletters.c.id.desc()).limit(1)).first()
    return row.reason if row else ""


class _Consumers:
    """`count` consumer instances of one group, each in its own process, and what they report."""

    def __init__(self, bootstrap: str, dbs: list[str], service: str):
        ctx = mp.get_context("spawn")
        self.q, self.stop_flag = ctx.Queue(), ctx.Event()
        self.procs = [ctx.Process(target=_consumer, args=(bootstrap, db, service, self.q, self.stop_flag))
                      for db in dbs]
        self.handled: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)
        self.assigned: dict[int, int] = {}
        self.stats: dict[int, dict] = {}
        for proc in self.procs:
            proc.start()
        try:
            self.pids = [self._next("ready", 180)[1] for _ in self.procs]
        except BaseException:
            self.stop_flag.set()
            for proc in self.procs:
                proc.join(30)
                if proc.is_alive():
                    proc.terminate()
            raise

    def _next(self, want: str | None, timeout: float):
        """Read reports until one of kind `want` (None: any one), keeping every other."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = self.q.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"bus benchmark: no {want or 'report'} from the consumers in {timeout:.0f} s") from None
            kind = got[0]
            if kind == "handled":
                for phase, t_event, t_done in got[1]:
                    self.handled[phase].append((t_event, t_done))
            elif kind == "assigned":
                self.assigned[got[1]] = got[2]
            elif kind == "stats":
                self.stats[got[1]] = got[2]
            elif kind == "deadlettered":
                producers.assert_processed("bus benchmark", handled=0, expected=1, deadlettered=got[1], reason=got[2])
            if want is None or kind == want:
                return got

    def wait_assigned(self, partitions: int, timeout: float = 120) -> None:
        """Until the group's members hold every partition between them (each one some, if there are enough)."""
        deadline = time.monotonic() + timeout
        while True:
            shares = [self.assigned.get(pid, -1) for pid in self.pids]
            if sum(max(s, 0) for s in shares) == partitions and (partitions < len(shares) or min(shares) > 0):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"bus benchmark: the consumer group holds {shares} of {partitions} partitions")
            try:
                self._next(None, max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                pass

    def wait_phase(self, phase: str, count: int, timeout: float) -> list[tuple[float, float]]:
        """(event time, handled time) of the phase's `count` events, once all are handled."""
        deadline = time.monotonic() + timeout
        while len(self.handled[phase]) < count:
            self._next(None, max(0.01, deadline - time.monotonic()))
        return self.handled[phase]

    def cpu_s(self) -> float:
        return sum(_cpu_s(pid) for pid in self.pids)

    def finish(self) -> dict:
        """Stop every instance; their worker counters summed."""
        self.stop_flag.set()
        try:
            while len(self.stats) < len(self.procs):
                self._next("stats", 60)
        finally:
            for proc in self.procs:
                proc.join(30)
                if proc.is_alive():
                    proc.terminate()
        return {k: sum(s.get(k, 0) for s in self.stats.values()) for k in ("handled", "deadlettered")}


def _emit(rt, prefix: str, n: int, data: dict, rate: float | None = None, per_tx: int = 1) -> float:
    """Emit n events, one per transaction (or `per_tx` per transaction, through emit_many); at `rate`
    events/s on a fixed schedule if given."""
    t0 = time.time()
    if per_tx > 1:
        for start in range(0, n, per_tx):
            with rt.outbox.transaction() as tx:
                tx.emit_many([(TOPIC, dict(data, incident_id=f"INC-{prefix}{i}"), f"INC-{prefix}{i}")
                              for i in range(start, min(n, start + per_tx))])
        return time.time() - t0
    for i in range(n):
        if rate:
            delay = t0 + i / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        with rt.outbox.transaction() as tx:
            tx.emit(TOPIC, dict(data, incident_id=f"INC-{prefix}{i}"), key=f"INC-{prefix}{i}")
    return time.time() - t0


@dataclass
class _Where:
    """Where the producer's outbox and the consumers' inboxes live for one measurement."""
    producer_url: str
    consumer_urls: list[str]
    producer_service: str
    consumer_service: str
    schemas: tuple[str, ...] = ()  # PostgreSQL schemas to drop afterwards


def _sqlite(workdir: Path, consumers: int) -> _Where:
    # A SQLite file belongs to one process: each consumer instance keeps its inbox in its own file.
    return _Where(f"sqlite:///{workdir / 'producer.db'}", [f"sqlite:///{workdir / f'consumer{i}.db'}" for i in range(consumers)],
                  "demand", "bench-consumer")


def _postgres(consumers: int) -> _Where:
    # Schemas of their own (a service's schema is its name): nothing else in the database is touched.
    tag = uuid.uuid4().hex[:8]
    producer, consumer = f"benchbus_p_{tag}", f"benchbus_c_{tag}"
    return _Where(PG_URL, [PG_URL] * consumers, producer, consumer, (producer, consumer))


def _tables(url: str, service: str) -> None:
    """The consumers' tables and chain head, made once before instances sharing a schema start."""
    from services.common.outbox import Outbox
    from services.common.storage import create_tables, make_engine
    settings = Settings(service=service, database_url=url, kafka_bootstrap="")
    engine = make_engine(url, schema=settings.db_schema)
    try:
        create_tables(engine)
        Outbox(engine, source=settings.source).ensure_chain()
    finally:
        engine.dispose()


def _drop(where: _Where) -> None:
    if not where.schemas:
        return
    from sqlalchemy import create_engine, text

    from services.common.storage import normalise_url
    engine = create_engine(normalise_url(PG_URL))
    try:
        with engine.begin() as conn:
            for schema in where.schemas:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def _kit(bootstrap: str, broker_pid: int, where: _Where, n: int, *, partitions: int, paced: bool = True,
         batched: bool = True, n_single: int | None = None) -> dict:
    """Warm-up (not timed); `n_single` (default N) events as fast as the producer goes, one per
    transaction; N events PER_TX per transaction; then PACED_N events paced at PACED_RATE/s for the
    steady-state latency."""
    single = n_single or n
    _tables(where.consumer_urls[0], where.consumer_service)  # before instances sharing a schema start at once
    group = _Consumers(bootstrap, where.consumer_urls, where.consumer_service)
    # The producer is demand, whatever its schema is called: it signs as /mutual-deploy/demand.
    settings = Settings(service=where.producer_service, database_url=where.producer_url, kafka_bootstrap=bootstrap,
                        acts_as="demand")
    rt = Runtime.build(settings).start()
    data = copy.deepcopy(contracts.example_event(TOPIC)["data"])
    out: dict = {}
    expected = 0
    try:
        group.wait_assigned(partitions)
        _emit(rt, "W", WARMUP, data)
        group.wait_phase("W", WARMUP, 180)
        expected += WARMUP
        cpu0 = (time.process_time(), group.cpu_s(), _cpu_s(broker_pid))
        t0 = time.time()
        emitted = _emit(rt, "B", single, data)
        lat = group.wait_phase("B", single, 600)
        done = max(t for _, t in lat)
        cpu1 = (time.process_time(), group.cpu_s(), _cpu_s(broker_pid))
        expected += single
        waits = np.array([d - e for e, d in lat])
        out.update(rate=single / (done - t0), emit=single / emitted, p50=float(np.percentile(waits, 50) * 1000),
                   p99=float(np.percentile(waits, 99) * 1000),
                   cpu={k: (b - a) / single * 1000 for k, a, b in zip(("producer", "consumers", "broker"), cpu0, cpu1)})
        if batched:
            t0 = time.time()
            _emit(rt, "T", n, data, per_tx=PER_TX)
            done = max(t for _, t in group.wait_phase("T", n, 600))
            expected += n
            out["rate_batched"] = n / (done - t0)
        if paced:
            _emit(rt, "P", PACED_N, data, rate=PACED_RATE)
            paced_lat = np.array([d - e for e, d in group.wait_phase("P", PACED_N, 600)])
            expected += PACED_N
            out.update(paced_p50=float(np.percentile(paced_lat, 50) * 1000),
                       paced_p99=float(np.percentile(paced_lat, 99) * 1000))
    finally:
        rt.stop()
        stats = group.finish()
    producers.assert_processed("bus benchmark", handled=stats["handled"], expected=expected,
                               deadlettered=stats["deadlettered"])
    return out


def _measure(work: Path, where: _Where, n: int, *, partitions: int | None = None, **kit) -> tuple[float, float, dict]:
    """A broker of its own, `incident.reported` and the raw topic with `partitions` partitions (the
    contract's count by default): raw kafka-python's rate and p99, then the kit's figures."""
    port = free_port()
    broker_dir = work / f"broker-{port}"
    proc = embedded.start(port, broker_dir)
    try:
        bootstrap = f"127.0.0.1:{port}"
        specs = topic_specs()
        count = partitions or next(p for t, p, _ in specs if t == TOPIC)
        specs = [(t, count if t == TOPIC else p, c) for t, p, c in specs]
        Bus(bootstrap).ensure_topics(specs + [(RAW_TOPIC, count, {})])
        raw_rate, raw_p99 = _raw(bootstrap, n)  # same run, same N, same broker
        result = _kit(bootstrap, proc.pid, where, n, partitions=count, **kit)
    finally:
        embedded.stop(proc)
        _drop(where)
    return raw_rate, raw_p99, result


def run() -> dict:
    with producers.registry(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        raw_rate, raw_p99, kit = _measure(work, _sqlite(work, 1), N)
    figures = {
        "bus.publish_consume.msgs_per_s": {"value": round(kit["rate"], 1), "unit": "msg/s", "baseline": round(raw_rate, 1)},
        "bus.publish_consume.msgs_per_s_100_per_tx": {"value": round(kit["rate_batched"], 1), "unit": "msg/s",
                                                      "baseline": round(raw_rate, 1)},
        "bus.publish_consume.p99_ms": {"value": round(kit["p99"], 1), "unit": "ms", "baseline": round(raw_p99, 1)},
        "bus.publish_consume.p50_ms": {"value": round(kit["p50"], 1), "unit": "ms", "baseline": None},
        f"bus.publish_consume.p99_ms_at_{PACED_RATE:.0f}_per_s": {"value": round(kit["paced_p99"], 1), "unit": "ms",
                                                                  "baseline": None},
        f"bus.publish_consume.p50_ms_at_{PACED_RATE:.0f}_per_s": {"value": round(kit["paced_p50"], 1), "unit": "ms",
                                                                  "baseline": None},
        "bus.outbox_emit.events_per_s": {"value": round(kit["emit"], 1), "unit": "event/s", "baseline": None},
    }
    for proc, ms in kit["cpu"].items():
        figures[f"bus.cpu_ms_per_event.{proc}"] = {"value": round(ms, 3), "unit": "ms", "baseline": None}
    return figures


def postgres_available() -> bool:
    from services.common.storage import database_answers
    return database_answers(PG_URL)


def scaling(partitions=(1, 4, 12), consumers=(1, 2), databases=("sqlite", "postgres"), n: int | None = None) -> list[dict]:
    """The kit (one event per transaction, and PER_TX per transaction) beside raw kafka-python, for
    each number of partitions, consumer instances and database, each on a broker of its own."""
    n = n or N
    if "postgres" in databases and not postgres_available():
        print(f"no PostgreSQL answers at {PG_URL}: SQLite only")
        databases = tuple(d for d in databases if d != "postgres")
    rows = []
    with producers.registry(), tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for db in databases:
            for p in partitions:
                for c in consumers:
                    run_dir = work / f"{db}-{p}-{c}"
                    run_dir.mkdir()
                    where = _sqlite(run_dir, c) if db == "sqlite" else _postgres(c)
                    raw_rate, _, kit = _measure(run_dir, where, n, partitions=p, paced=False,
                                                n_single=min(n, PG_SINGLE) if db == "postgres" else None)
                    row = {"db": db, "partitions": p, "consumers": c, "raw": raw_rate, "kit": kit["rate"],
                           "kit_batched": kit["rate_batched"], "p99": kit["p99"], "cpu": kit["cpu"],
                           "load": os.getloadavg()[0]}
                    rows.append(row)
                    print(_row(row), flush=True)
    return rows


HEADER = ("| outbox / inbox | partitions | consumers | raw kafka-python | kit, 1 event per tx (ratio) | "
          f"kit, {PER_TX} per tx (ratio) | kit p99 (flat out) | CPU ms/event: producer / consumers / broker | load |\n"
          "| --- | --- | --- | --- | --- | --- | --- | --- | --- |")


def _row(r: dict) -> str:
    cpu = r["cpu"]
    return (f"| {r['db']} | {r['partitions']} | {r['consumers']} | {r['raw']:,.0f}/s | {r['kit']:,.0f}/s "
            f"({r['kit'] / r['raw']:.2f}×) | {r['kit_batched']:,.0f}/s ({r['kit_batched'] / r['raw']:.2f}×) | "
            f"{r['p99']:,.0f} ms | {cpu['producer']:.2f} / {cpu['consumers']:.2f} / {cpu['broker']:.2f} | "
            f"{r['load']:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bus_throughput")
    parser.add_argument("--scaling", action="store_true", help="partitions x consumer instances x database")
    parser.add_argument("--partitions", default="1,4,12")
    parser.add_argument("--consumers", default="1,2")
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args()
    if not args.scaling:
        for name, figure in run().items():
            ratio = f" ({figure['value'] / figure['baseline']:.2f}×)" if figure["baseline"] else ""
            print(f"{name}: {figure['value']} {figure['unit']}, baseline {figure['baseline']}{ratio}")
        return
    print(HEADER, flush=True)
    scaling(tuple(int(x) for x in args.partitions.split(",")), tuple(int(x) for x in args.consumers.split(",")),
            tuple(args.databases.split(",")))


if __name__ == "__main__":
    main()
