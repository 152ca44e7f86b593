"""Production entry points: one service as two process roles.

    python -m infra.serve web <service>      HTTP only, under gunicorn with WEB_WORKERS processes
    python -m infra.serve worker <service>   the relay and the consumer, plus /health /ready /metrics

Why two roles: the relay (outbox → broker) and the consumer must run once per service instance,
not once per gunicorn worker. A web process only writes to the database (state and outbox rows in
one transaction); the worker process publishes those rows and handles the service's topics. Web
processes scale with HTTP load (more gunicorn workers, more containers); worker processes scale
with the topics' partitions (more instances join the same consumer group and split them).
`python -m services.<name>` stays the all-in-one process that `make run` uses.

The worker role builds the schema (and, for resources with DEMO=1, loads the demo force) before it
reports ready, so web processes that start after it find their tables.
"""
from __future__ import annotations

import importlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from services.common import logs

SERVICES = ("demand", "resources", "matching", "logistics")
ROLES = ("web", "worker")


def app_module(service: str):
    if service not in SERVICES:
        raise SystemExit(f"error: unknown service {service!r}; one of {', '.join(SERVICES)}")
    return importlib.import_module(f"services.{service}.bootstrap")


def gunicorn_options(settings, env: dict | None = None) -> dict:
    """gunicorn settings from the environment (WEB_WORKERS, WEB_THREADS, WEB_TIMEOUT_S)."""
    env = os.environ if env is None else env
    return {
        "bind": f"{settings.http_host}:{settings.http_port}",
        "workers": int(env.get("WEB_WORKERS", "4")),
        "worker_class": "gthread",
        "threads": int(env.get("WEB_THREADS", "4")),
        "timeout": int(env.get("WEB_TIMEOUT_S", "60")),
        "graceful_timeout": 20,  # SIGTERM: requests in hand finish within this, then workers exit
        "keepalive": 5,
        "accesslog": None,  # the app logs each request as JSON with its request id
        "errorlog": "-",
        "proc_name": f"{settings.service}-web",
        "control_socket_disable": True,  # one fixed path per user: several masters on a host would collide
        "child_exit": _mark_process_dead,
    }


def _mark_process_dead(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def run_web(service: str) -> None:
    # Every gunicorn worker writes its request counters here; /metrics on any of them adds them up.
    # Set before prometheus_client is imported anywhere, emptied so counters of a previous run go.
    metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                             str(Path(tempfile.gettempdir()) / f"metrics-{service}-{os.getpid()}")))
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)

    from gunicorn.app.base import BaseApplication

    from services.common.config import Settings

    module = app_module(service)
    settings = Settings.from_env(service)
    logs.configure(f"{service}-web")
    # Schema and reference data once, in the master, before the workers fork (they would race).
    module.build_runtime(Settings.from_env(service)).stop()

    class WebApplication(BaseApplication):
        def load_config(self):
            for key, value in gunicorn_options(settings).items():
                self.cfg.set(key, value)
            # The master only (an atexit hook would also run in every worker that exits).
            self.cfg.set("on_exit", lambda _server: shutil.rmtree(metrics_dir, ignore_errors=True))

        def load(self):
            # Runs in each gunicorn worker after the fork: its own engine, pool and producer.
            # Neither the relay nor the consumer starts here.
            return module.create_app(module.build_runtime(Settings.from_env(service)))

    WebApplication().run()


def run_worker(service: str) -> None:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # one process: its own registry, not the web's files
    from flask import Flask

    from services.common.config import Settings
    from services.common.runtime import HttpServer

    module = app_module(service)
    logs.configure(f"{service}-worker")
    runtime = module.build_runtime(Settings.from_env(service))
    seed = getattr(module, "seed_demo_if_empty", None)
    if seed is not None and os.environ.get("DEMO", "1") == "1":
        seed(runtime)
    app = Flask(service)  # the name the permission table knows the service by
    runtime.install(app, [])  # /health, /ready, /metrics (events, outbox backlog, consumer lag)
    runtime.start()
    server = HttpServer(app, runtime.settings.http_host, runtime.settings.http_port, threads=2)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: server.close())
    signal.signal(signal.SIGINT, lambda _signum, _frame: server.close())
    try:
        server.run()
    finally:
        runtime.stop()  # finish the batch in hand, commit offsets, publish what is committed, flush


def main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] not in ROLES:
        raise SystemExit("usage: python -m infra.serve web|worker <service>")
    role, service = argv
    (run_web if role == "web" else run_worker)(service)


if __name__ == "__main__":
    main(sys.argv[1:])
