"""The composition root every service process shares: database, outbox, relay, worker, HTTP app.

`Runtime.build(...)` opens nothing until `start()`; tests build a runtime with their own settings
(a temporary SQLite file, a test broker) and get the very same wiring as production.
"""
from __future__ import annotations

import faulthandler
import gc
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Engine

from . import logs, permissions, security
from .api import Api
from .bus import Bus
from .config import Settings
from .http import Route, database_check, install_common
from .leadership import Leadership
from .metrics import ServiceMetrics
from .outbox import Outbox
from .relay import Relay
from .storage import StatisticsKeeper, create_tables, deadletters, make_engine, outbox, refresh_statistics
from .worker import Handler, Worker

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    outbox: Outbox
    bus: Bus
    relay: Relay
    worker: Worker | None
    _deps: object = field(default=None, repr=False)
    running: set = field(default_factory=set)  # "relay", "worker": the threads started in this process
    tasks: list = field(default_factory=list)  # a service's own background threads (start()/stop()), run beside the worker
    ledger_check: Callable[[dict], str | None] | None = None  # a service's own test of each ledger record (security.py)
    leadership: Leadership | None = None       # who publishes the outbox, once start() ran the relay
    _telemetry: ServiceMetrics | None = field(default=None, repr=False)
    _broker_probe: tuple = field(default=(-1e9, None), repr=False)   # (when, result): probes are cached a few seconds
    _relay_errors: tuple = field(default=(0, -1e9), repr=False)      # (count, since): the relay's recent failures
    _statistics: StatisticsKeeper | None = field(default=None, repr=False)  # SQLite's planner figures kept fresh

    @classmethod
    def build(cls, settings: Settings, *, metadata: MetaData | None = None,
              handlers: dict[str, Handler] | None = None) -> "Runtime":
        engine = make_engine(settings.database_url, schema=settings.db_schema)
        create_tables(engine, *([metadata] if metadata is not None else []))
        box = Outbox(engine, source=settings.source, mode=settings.mode, exercise_id=settings.exercise_id)
        box.ensure_chain()
        bus = Bus(settings.kafka_bootstrap, client_id=settings.service)
        worker = Worker(settings, handlers, outbox=box, bus=bus) if handlers else None
        return cls(settings, engine, box, bus, Relay(box, bus), worker)

    def start(self, *, relay: bool = True, worker: bool = True) -> "Runtime":
        """Start the relay and the worker threads (a gunicorn web worker starts neither: see infra/serve.py)."""
        if relay:  # only the leading instance of the service publishes (see leadership.py)
            self.leadership = Leadership(
                self.engine, f"relay:{self.settings.db_schema}:{self.settings.source}",
                lead=self._lead_relay, follow=lambda: self.relay.stop()).start()
            self.running.add("relay")
        if worker and self.worker:
            self.worker.start()
            self.running.add("worker")
        if worker and self.tasks:
            for task in self.tasks:
                task.start()
            self.running.add("tasks")
        refresh_statistics(self.engine)   # what start-up loaded (a demo force, a roster) analysed before use
        self._statistics = StatisticsKeeper(self.engine).start()
        _settle_heap()
        return self

    def stop(self) -> None:
        """Graceful: the worker finishes the batch in hand and commits its offsets, then the relay
        publishes what is committed, then the producer flushes."""
        if "tasks" in self.running:
            for task in self.tasks:
                task.stop()
        if self.worker and "worker" in self.running:
            self.worker.stop()
        if "relay" in self.running:
            self.leadership.stop()  # the leader's relay publishes what is committed, then stops
        if self._statistics is not None:
            self._statistics.stop()
            self._statistics = None
        self.running.clear()
        self.bus.close()
        self.engine.dispose()

    def _lead_relay(self) -> None:
        self.relay = self.relay.renewed()
        self.relay.start()

    @property
    def deps(self):
        """The service's typed dependencies (the dataclass its bootstrap builds): views read them with
        api.current_deps(), handlers as ctx.deps, tests directly."""
        return self._deps

    @deps.setter
    def deps(self, value) -> None:
        self._deps = value
        if self.worker is not None:
            self.worker.deps = value

    @property
    def leading(self) -> bool:
        """Whether this instance's relay publishes the service's outbox."""
        return "relay" in self.running and self.leadership.leading

    def metrics(self) -> dict:
        out = {f"relay_{k}": v for k, v in self.relay.stats.items()}
        if self.worker:
            out.update({f"worker_{k}": v for k, v in self.worker.stats.items()})
        out["deadletters_total"] = self.deadletters_stored()
        return out

    @property
    def telemetry(self) -> ServiceMetrics:
        """This process's Prometheus registry (request counters and the kit's figures)."""
        if self._telemetry is None:
            self._telemetry = ServiceMetrics(self.settings.service, self)
        return self._telemetry

    def outbox_backlog(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))).scalar_one()

    def deadletters_stored(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(deadletters)).scalar_one()

    def health_checks(self) -> dict:
        """Liveness: the database answers and every thread this process started is still running."""
        checks = {"database": database_check(self.engine)}
        if "worker" in self.running:
            checks["worker"] = lambda: True if self.worker.alive else "stopped"
        if "relay" in self.running:
            checks["relay"] = self._relay_alive
        return checks

    def _relay_alive(self):
        leadership = self.leadership
        if not leadership.alive:
            return "stopped"
        return True if not leadership.leading or self.relay.alive else "stopped"  # standing by is fine

    def ready_checks(self) -> dict:
        """Readiness: database and broker answer, our topics exist, the relay is not failing, the
        worker has joined its consumer group."""
        checks = {"database": database_check(self.engine), "broker": self._broker_check}
        if "relay" in self.running:
            checks["relay"] = lambda: self._relay_check() if self.leading else True
        if "worker" in self.running:
            checks["worker"] = lambda: True if self.worker.ready.is_set() else "joining its consumer group"
        return checks

    def _broker_check(self):
        """Cached for a few seconds: probes come often and each opens a connection."""
        at, result = self._broker_probe
        if time.monotonic() - at > 5:
            try:
                missing = sorted(set(self.worker.handlers if self.worker else ()) - self.bus.probe(2.0))
                result = True if not missing else f"missing topics: {', '.join(missing)}"
            except Exception as exc:
                result = f"unreachable: {exc.__class__.__name__}"
            self._broker_probe = (time.monotonic(), result)
        return result

    def _relay_check(self):
        """Failing when the relay had errors in the last 30 s and events are waiting."""
        count, since = self._relay_errors
        if self.relay.stats["errors"] != count:
            count, since = self.relay.stats["errors"], time.monotonic()
            self._relay_errors = (count, since)
        if time.monotonic() - since < 30 and self.outbox_backlog():
            return "retrying: events are waiting to be published"
        return True

    def install(self, app: Flask, routes: "list[Route] | list[Api]", deps=None) -> Flask:
        """The common endpoints, the security kit and the service's own routes on `app`: `routes` are
        the service's `Api`s (their Blueprints are registered here) or, for a bare app, Routes.
        `deps` is the service's typed dependency object (api.current_deps)."""
        app.config["MODE"] = self.settings.mode
        app.extensions["runtime"] = self
        app.extensions["deps"] = deps if deps is not None else (self.deps if self.deps is not None else self)
        apis = [r for r in routes if isinstance(r, Api)]
        routes = [r for r in routes if isinstance(r, Route)] + [r for a in apis for r in a.routes]
        for api in apis:
            app.register_blueprint(api.blueprint)
            permissions.objects(app, api.resolvers, api.general)
        if apis:
            permissions.check_routes(app.name, routes)
        install_common(app, service=self.settings.service, routes=routes + security.ROUTES,
                       health_checks=self.health_checks, metrics=self.telemetry, ready_checks=self.ready_checks)
        security.install(app, self)  # tokens, permission table, size limit, access log, audit endpoints
        return app


class HttpServer:
    """waitress serving `app` in the foreground (`run`) until `close`, from a signal handler or another
    thread. Closing the listening socket alone does not end waitress's loop: it runs while any
    connection is open, and a client that keeps one alive between requests (Prometheus between
    scrapes, the twin's session) held a stopping process up until it hung up or waitress's channel
    timeout (120 s) passed. `close` ends every connection too (dispatcher closes only, no lock taken,
    so it is safe in a signal handler); requests in hand get `grace_s` to finish first when closed
    from another thread (none from a signal handler, which must not wait)."""

    def __init__(self, app: Flask, host: str, port: int, threads: int):
        import waitress

        self._sockets: dict = {}
        self.server = waitress.create_server(app, map=self._sockets, host=host, port=port, threads=threads)
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            self.server.run()
        except (OSError, ValueError):  # a socket closed under select() while stopping
            if not self.stopping.is_set():
                raise

    def close(self, grace_s: float = 0.0) -> None:
        from waitress import wasyncore

        self.stopping.set()
        self.server.close()  # no new connections
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline and any(getattr(c, "requests", None) for c in list(self._sockets.values())):
            time.sleep(0.05)
        wasyncore.close_all(self._sockets, ignore_all=True)  # the loop ends with its last connection


def serve(app: Flask, runtime: Runtime) -> None:
    """Run the HTTP server in the foreground and the relay and worker beside it until a signal."""
    logs.configure(runtime.settings.service)
    host = runtime.settings.http_host
    runtime.start()
    server = HttpServer(app, host, runtime.settings.http_port, threads=8)

    def _shutdown(signum, _frame):
        log.info("%s: signal %s, stopping", runtime.settings.service, signum)
        server.close()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    # `kill -USR1 <pid>` writes every thread's stack to the log: how to see where a stuck relay or
    # consumer waits, without stopping it.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    print(f"{runtime.settings.service}: http://{host}:{runtime.settings.http_port}", flush=True)
    try:
        server.run()
    finally:
        runtime.stop()


_settled = False


def _settle_heap() -> None:
    """Once per process, when its first runtime starts: collect, then freeze what start-up built
    (modules, contracts, policy, geography, the runtime) out of the collector's full passes. Each
    full pass walked all of it, 40-75 ms with every thread of the service held, a few times a
    minute under load: the event path's slowest latencies. Objects created later are collected as
    before; what start-up built and later drops is freed by its reference count."""
    global _settled
    if not _settled:
        _settled = True
        gc.collect()
        gc.freeze()
