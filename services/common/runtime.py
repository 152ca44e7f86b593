"""The composition root every service process shares: database, outbox, relay, worker, HTTP app.

`Runtime.build(...)` opens nothing until `start()`; tests build a runtime with their own settings
(a temporary SQLite file, a test broker) and get the very same wiring as production.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import MetaData, func, select
from sqlalchemy.engine import Engine

from .bus import Bus
from .config import Settings
from .http import Route, database_check, install_common
from .outbox import Outbox
from .relay import Relay
from .storage import create_tables, deadletters, make_engine
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
    extras: dict = field(default_factory=dict)

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

    def start(self) -> "Runtime":
        self.relay.start()
        if self.worker:
            self.worker.start()
        return self

    def stop(self) -> None:
        if self.worker:
            self.worker.stop()
        self.relay.stop()
        self.bus.close()
        self.engine.dispose()

    def metrics(self) -> dict:
        out = {f"relay_{k}": v for k, v in self.relay.stats.items()}
        if self.worker:
            out.update({f"worker_{k}": v for k, v in self.worker.stats.items()})
        with self.engine.connect() as conn:
            out["deadletters_total"] = conn.execute(select(func.count()).select_from(deadletters)).scalar_one()
        return out

    def health_checks(self) -> dict:
        checks = {"database": database_check(self.engine)}
        if self.worker:
            checks["worker"] = lambda: True if self.worker.alive else "stopped"
        checks["relay"] = lambda: True if self.relay.stats["errors"] == 0 or self._relay_recent_ok() else "retrying"
        return checks

    def _relay_recent_ok(self) -> bool:
        with self.engine.connect() as conn:
            from .storage import outbox
            return conn.execute(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))).scalar_one() == 0

    def install(self, app: Flask, routes: list[Route]) -> Flask:
        app.config["MODE"] = self.settings.mode
        app.extensions["runtime"] = self
        install_common(app, service=self.settings.service, routes=routes,
                       health_checks=self.health_checks(), metrics=self.metrics)
        return app


def serve(app: Flask, runtime: Runtime) -> None:
    """Run the HTTP server in the foreground and the relay and worker beside it until a signal."""
    import waitress

    host = runtime.settings.http_host
    runtime.start()
    server = waitress.create_server(app, host=host, port=runtime.settings.http_port, threads=8)
    stop = threading.Event()

    def _shutdown(signum, _frame):
        log.info("%s: signal %s, stopping", runtime.settings.service, signum)
        stop.set()
        server.close()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    print(f"{runtime.settings.service}: http://{host}:{runtime.settings.http_port}", flush=True)
    try:
        server.run()
    except (OSError, ValueError):
        if not stop.is_set():
            raise
    finally:
        runtime.stop()
