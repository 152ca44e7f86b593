"""resources' HTTP entry point, built by a factory; nothing connects at import time."""
from __future__ import annotations

import os

from flask import Flask, jsonify
from sqlalchemy import func, select

from ..common.config import Settings
from ..common.http import Route
from ..common.observed import install_observed_routes, observe_handler, observed_table
from ..common.runtime import Runtime
from .handlers import load_force, report_county_loads
from .store import metadata, officers

observed = observed_table(metadata)
HANDLERS = {"incident.reported": observe_handler(observed)}
ROUTES = [
    Route("GET", "/summary", "Officers per county and status"),
    Route("GET", "/incidents/observed", "Incidents this service has consumed, once each"),
]


def build_runtime(settings: Settings | None = None) -> Runtime:
    return Runtime.build(settings or Settings.from_env("resources"), metadata=metadata, handlers=HANDLERS)


def seed_demo_if_empty(runtime: Runtime, *, officers_n: int | None = None, seed: int | None = None) -> int:
    """Load the demo province into an empty roster and publish every county's load; 0 if not empty."""
    from ..demo import generate
    from ..geo import Geography

    with runtime.engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(officers)).scalar_one():
            return 0
    n = officers_n or int(os.environ.get("DEMO_OFFICERS", "20000"))
    force = generate(runtime.settings.province, officers=n, seed=seed or int(os.environ.get("DEMO_SEED", "7")))
    counties = [c.code for c in Geography.load(runtime.settings.province).counties]
    with runtime.outbox.transaction() as tx:
        loaded = load_force(tx, force)
        report_county_loads(tx, counties)
    return loaded


def create_app(runtime: Runtime) -> Flask:
    app = Flask("resources")
    runtime.install(app, ROUTES)
    install_observed_routes(app, runtime.engine, observed)

    @app.get("/summary")
    def summary():
        with runtime.engine.connect() as conn:
            rows = conn.execute(select(officers.c.county, officers.c.status, func.count())
                                .group_by(officers.c.county, officers.c.status)).all()
        out: dict = {}
        for county, status, n in rows:
            out.setdefault(county, {})[status] = n
        return jsonify({"officers": sum(n for _, _, n in rows), "counties": out})

    return app
