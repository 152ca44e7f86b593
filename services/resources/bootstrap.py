"""resources' HTTP entry point, built by a factory; nothing connects at import time."""
from __future__ import annotations

import os
from functools import cached_property

from flask import Flask
from sqlalchemy import func, select

from ..common import clock
from ..common.config import Settings
from ..common.observed import install_observed_routes
from ..common.runtime import Runtime
from ..common.storage import add_columns
from . import roster, routes_officers, routes_pool
from .domain.policy import Policy
from .events import report_loads
from .handlers import HANDLERS, observed
from .readiness import routes as readiness_routes
from .readiness import store as readiness_store
from .store import metadata, officers, regions, replace_legacy_roster, seal_plain_personal

ROUTES = routes_officers.ROUTES + routes_pool.ROUTES + readiness_routes.ROUTES


class Places:
    """The province's geography and travel-time provider, loaded on first use (a search with a point)."""

    def __init__(self, province: str):
        self.province = province

    @cached_property
    def geography(self):
        from ..geo import Geography
        return Geography.load(self.province)

    @cached_property
    def travel(self):
        from ..geo.travel import make_travel_provider
        return make_travel_provider(self.geography)

    @cached_property
    def seats(self) -> dict[str, tuple[float, float]]:
        return {c.code: c.seat for c in self.geography.counties}


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings.from_env("resources")
    settings.extra.setdefault("policy", Policy.from_env())
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    replace_legacy_roster(runtime.engine)
    add_columns(runtime.engine, officers)   # a pool made before officers had stations
    seal_plain_personal(runtime.engine)
    runtime.extras["places"] = Places(settings.province)
    _ensure_regions(runtime)
    return runtime


def _ensure_regions(runtime: Runtime, standards: dict | None = None) -> None:
    """The province, its cities and counties are reference data: loaded once into an empty pool."""
    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(regions)).scalar_one():
            return
    with runtime.outbox.transaction() as tx:
        roster.load_geography(tx, runtime.extras["places"].geography, standards or {})


def seed_demo_if_empty(runtime: Runtime, *, officers_n: int | None = None, seed: int | None = None) -> int:
    """Load the demo province into an empty roster and publish every county's load; 0 if not empty."""
    from ..demo import generate

    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(officers)).scalar_one():
            return 0
    n = officers_n or int(os.environ.get("DEMO_OFFICERS", "20000"))
    force = generate(runtime.settings.province, officers=n, seed=seed or int(os.environ.get("DEMO_SEED", "7")),
                     geography=runtime.extras["places"].geography)
    now = clock.now()
    with runtime.outbox.transaction() as tx:
        roster.set_standards(tx, {s.county: (s.accepts, s.legacy) for s in force.standards})
        loaded = roster.load_force(tx, force, now, runtime.settings.extra["policy"].rest_min)
        readiness_store.load_rota(tx.conn, readiness_store.rota_of_force(force))
        report_loads(tx, None, now, runtime.settings.extra["policy"].reserve_share)
    return loaded


def create_app(runtime: Runtime) -> Flask:
    app = Flask("resources")
    runtime.install(app, ROUTES)
    install_observed_routes(app, runtime.engine, observed)
    routes_officers.install(app, runtime)
    routes_pool.install(app, runtime)
    readiness_routes.install(app, runtime)
    return app
