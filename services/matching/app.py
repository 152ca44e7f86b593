"""matching's HTTP entry point and composition root, built by a factory; nothing connects at import.

The worker keeps the read model and records requests; a background task takes the first snapshot
of the force from the resource pool and then plans pending requests every batching window.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from ..common import keys
from ..common.clock import now
from ..common.config import Settings
from ..common.observed import install_observed_routes
from ..common.periodic import Periodic
from ..common.runtime import Runtime
from ..common.storage import add_columns
from . import readmodel, routes, signing, snapshot
from .handlers import HANDLERS
from .planning import Places, Planner
from .store import metadata, observed, officers

log = logging.getLogger(__name__)


def key_path(settings: Settings) -> Path:
    given = settings.extra.get("signing_key") or os.environ.get("MATCHING_SIGNING_KEY")
    if given:
        return Path(given)
    return keys.registry().private_path("matching")  # one key per deployment: approvals and events


class Batcher(Periodic):
    """Every `window_s`: take the snapshot if the read model is empty, then plan what is pending (the
    loop: common/periodic.py; the travel matrix is loaded in its thread before the first window)."""

    def __init__(self, runtime: Runtime, planner: Planner, *, window_s: float, resources_url: str | None):
        self.runtime, self.planner, self.window_s, self.url = runtime, planner, window_s, resources_url
        super().__init__("batcher", window_s, self._round_of_planning, telemetry=runtime, service="matching",
                         join_s=30, prepare=self._load_matrix, on_error=self._failed)

    def ensure_snapshot(self) -> int:
        with self.runtime.engine.connect() as conn:
            if readmodel.officer_count(conn) or not self.url:
                return 0
        rows, counties = snapshot.fetch(snapshot.Snapshot(self.url), now())
        with self.runtime.outbox.transaction() as tx:      # the writer's turn: SQLite has one writer
            return snapshot.store(tx.conn, rows, counties)

    def _load_matrix(self) -> None:
        try:
            _ = self.planner.places.matrix      # load the geography and travel matrix before the first request
        except Exception as exc:
            log.warning("matching: travel matrix not loaded yet (%s)", exc)

    def _round_of_planning(self) -> None:
        self.ensure_snapshot()
        self.planner.plan_pending()

    @staticmethod
    def _failed(exc: BaseException) -> None:  # resources down or a transient database error: next window
        log.warning("matching: planning round failed (%s: %s)", exc.__class__.__name__, exc)


def build_runtime(settings: Settings | None = None, *, resources_url: str | None = "env") -> Runtime:
    settings = settings or Settings.from_env("matching")
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    add_columns(runtime.engine, officers)   # a read model made before officers had stations
    key = signing.load_or_create(key_path(settings))
    public = signing.public_key_b64(key)
    if not keys.registry().readonly:
        keys.registry().register("matching", public)  # consumers verify approvals with the registry's keys
    runtime.extras.update(signing_key=key, public_key=public, key_id=signing.key_id(public))
    planner = Planner(runtime, settings.extra.get("places") or Places(settings.province))
    runtime.extras["planner"] = planner
    url = snapshot.resources_url() if resources_url == "env" else resources_url
    window = float(settings.extra.get("batch_window_s") or os.environ.get("MATCHING_BATCH_WINDOW_S") or 2.0)
    runtime.extras["batcher"] = Batcher(runtime, planner, window_s=window, resources_url=url)
    runtime.tasks.append(runtime.extras["batcher"])
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("matching")
    runtime.install(app, routes.ROUTES)
    install_observed_routes(app, runtime.engine, observed)
    routes.install(app, runtime)
    return app
