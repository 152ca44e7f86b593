"""The four services in one process, on their own SQLite files, with no broker between them.

Each service is built by its own `build_runtime(settings)` and serves its own Flask app (through a test
client). What one service commits to its outbox travels as it would through the broker: the relay's own
`publish_pending` reads the unsent rows in seq order and hands them to `LocalBus`, which keeps one
ordered log per topic; `System.deliver()` then gives each new record to every service whose worker
subscribes to the topic (the producer too, when it consumes its own topic), through the worker's own
`process_batch`: contract, ownership, signature, hash and chain checks, mode, inbox de-duplication and
the handler, in one transaction, exactly as a consumer runs them. Background loops run one round each
when `System.tick()` calls their step, never on threads.

What this leaves out is the transport: partitions, consumer groups, offsets, redelivery and broker loss.
The broker-based integration and end-to-end tests cover those.
"""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from services.common.bus import Record
from services.common.clock import now
from services.common.config import Settings
from services.common.relay import Relay
from services.common.runtime import Runtime
from services.common.storage import deadletters

SERVICES = ("demand", "resources", "matching", "logistics")
# The loops a round of the system runs; demand's report schedule is left out (its periodic reports read
# logistics and resources over HTTP, and nothing in a support request's loop waits on them).
LOOPS = (("demand", "deadline-watch"), ("matching", "batcher"), ("logistics", "checker"))
NO_BROKER = "127.0.0.1:9"  # never dialled: nothing here opens a producer or a consumer


@dataclass(frozen=True)
class Sent:
    """What a producer's future gives back (kafka-python's RecordMetadata, the fields the relay reads)."""
    partition: int
    offset: int

    def get(self, timeout: float | None = None) -> "Sent":
        return self


@dataclass
class LocalBus:
    """The two calls the relay makes on its bus, `send` and `flush`, kept in memory: one partition
    per topic, so every topic's records keep the order they were published in."""
    log: list[Record] = field(default_factory=list)
    _offsets: dict = field(default_factory=dict)

    def send(self, topic: str, key: str | None, value: bytes) -> Sent:
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        self.log.append(Record(topic, 0, offset, key, value))
        return Sent(0, offset)

    def flush(self, timeout: float = 30) -> None:
        pass


class _Reply:
    def __init__(self, resp):
        self._resp = resp
        self.status_code = resp.status_code

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self._resp.get_data(as_text=True)[:300]}")

    def json(self):
        return self._resp.get_json()


class ClientSession:
    """A `requests.Session` look-alike over a Flask test client, for code that calls another service over
    HTTP (matching's snapshot of the resource pool): the URL's path goes to the app, headers and all."""

    def __init__(self, client):
        self.client = client

    def get(self, url: str, *, params=None, headers=None, timeout=None) -> _Reply:
        return _Reply(self.client.get(url, query_string=params or {}, headers=headers or {}))

    def post(self, url: str, *, json=None, headers=None, timeout=None) -> _Reply:
        return _Reply(self.client.post(url, json=json, headers=headers or {}))

    def request(self, method: str, url: str, *, json=None, headers=None, timeout=None) -> _Reply:
        return _Reply(self.client.open(url, method=method, json=json, headers=headers or {}))


def _module(name: str):
    """The service's composition root: build_runtime, create_app (and resources' seed_demo_if_empty)."""
    return importlib.import_module(f"services.{name}.bootstrap")


def loop(runtime: Runtime, name: str):
    """The service's background loop called `name` (a common.periodic.Periodic in runtime.tasks)."""
    found = [task for task in runtime.tasks if getattr(task, "name", None) == name]
    if len(found) != 1:
        raise LookupError(f"{runtime.settings.service} has {len(found)} loops named {name!r}")
    return found[0]


class System:
    """demand, resources, matching and logistics wired to one another in this process.

    `runtimes[name]` and `apps[name]` are each service's own; `client(name, headers)` is a test client;
    `settle()` delivers and ticks until nothing more happens."""

    def __init__(self, folder: Path, *, officers: int = 1500, seed: int = 7, province: str = "330000"):
        self.bus = LocalBus()
        self.delivered = 0  # how far into the bus's log every subscriber has been served
        self.runtimes: dict[str, Runtime] = {}
        for name in SERVICES:
            settings = Settings(service=name, database_url=f"sqlite:///{folder / (name + '.db')}",
                                kafka_bootstrap=NO_BROKER, province=province)
            if name == "matching":
                settings.extra["signing_key"] = str(folder / "matching-key.pem")
                # No URL: the batcher does not fetch its snapshot over the network; `snapshot()` does it here.
                self.runtimes[name] = _module(name).build_runtime(settings, resources_url=None)
            else:
                self.runtimes[name] = _module(name).build_runtime(settings)
        self.apps = {name: _module(name).create_app(rt) for name, rt in self.runtimes.items()}
        self.relays = {name: Relay(rt.outbox, self.bus) for name, rt in self.runtimes.items()}
        if officers:
            _module("resources").seed_demo_if_empty(self.runtimes["resources"], officers_n=officers, seed=seed)

    def client(self, name: str, headers: dict | None = None):
        client = self.apps[name].test_client()
        if headers:
            client.environ_base.update({f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
        return client

    # -- the transport ------------------------------------------------------------------------------

    def publish(self) -> int:
        """Every service's committed, unsent outbox rows onto the bus, by the relay's own code."""
        return sum(relay.publish_pending() for relay in self.relays.values())

    def deliver(self) -> int:
        """Hand the bus's new records to each subscribing worker, as one poll's batch; returns how many."""
        records = self.bus.log[self.delivered:]
        self.delivered = len(self.bus.log)
        for runtime in self.runtimes.values():
            mine = [r for r in records if r.topic in runtime.worker.handlers]
            if mine:
                runtime.worker.process_batch(mine)
        return len(records)

    def redeliver(self) -> int:
        """Everything on the bus, once more, to every subscriber (what a broker does after a rewind or a
        lost offset commit): each inbox must drop it all. Returns how many records went out again."""
        self.delivered = 0
        return self.deliver()

    def drain(self, max_rounds: int = 100) -> int:
        """Publish and deliver until no service has anything left to send; returns the records moved."""
        moved = 0
        for _ in range(max_rounds):
            if not self.publish() and self.delivered == len(self.bus.log):
                return moved
            moved += self.deliver()
        raise AssertionError(f"events still flowing after {max_rounds} rounds")

    # -- the background loops, one round each -------------------------------------------------------

    def snapshot(self) -> int:
        """matching's first picture of the force, read from the resource pool's app (not over a socket):
        what its batcher's `ensure_snapshot` does before planning, with snapshot.py's own fetch and store."""
        from services.matching import snapshot, store

        matching = self.runtimes["matching"]
        with matching.engine.connect() as conn:
            if store.officer_count(conn):
                return 0
        # Its own client: the same paths, and the same token (matching as an integrator, for resources).
        source = snapshot.Snapshot("", session=ClientSession(self.apps["resources"].test_client()))
        rows, counties = snapshot.fetch(source, now())
        with matching.outbox.transaction() as tx:
            return snapshot.store(tx.conn, rows, counties)

    def tick(self) -> None:
        """One round of each service's background loop, by its own step: demand's deadline watch,
        matching's batcher (snapshot first), logistics' checker."""
        self.snapshot()
        for service, name in LOOPS:
            loop(self.runtimes[service], name).step()

    def settle(self, rounds: int = 10) -> None:
        """Deliver, tick, deliver ... until a round moves nothing."""
        for _ in range(rounds):
            moved = self.drain()
            self.tick()
            if not self.drain() and not moved:
                return
        raise AssertionError(f"still busy after {rounds} rounds")

    # -- looking on ---------------------------------------------------------------------------------

    def events(self, topic: str) -> list[dict]:
        """Every event on `topic` so far, in publication order (as a consumer reads them)."""
        return [json.loads(r.value) for r in self.bus.log if r.topic == topic]

    def deadletters(self) -> dict[str, int]:
        out = {}
        for name, rt in self.runtimes.items():
            with rt.engine.connect() as conn:
                out[name] = conn.execute(select(func.count()).select_from(deadletters)).scalar_one()
        return out

    def worker_stats(self) -> dict[str, dict]:
        return {name: dict(rt.worker.stats) for name, rt in self.runtimes.items()}

    def close(self) -> None:
        for rt in self.runtimes.values():
            rt.engine.dispose()

