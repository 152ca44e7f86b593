"""resources' composition root: `build_runtime` wires the database, the kit and the service's typed
dependencies (`Resources`); `create_app` serves http.py and readiness/http.py. Nothing connects at
import time.

The worker commits approved plans and follows their tasks (handlers.py → commit.py, tasks.py); the
views search and edit the pool (http.py) and read the support circle (readiness/http.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask

from ..common import clock
from ..common.config import Settings
from ..common.runtime import Runtime
from ..common.storage import add_columns, refresh_statistics
from ..geo.places import Places
from . import http, roster
from .domain.policy import Policy
from .events import report_loads
from .handlers import HANDLERS
from .readiness import http as readiness_http
from .readiness import store as readiness_store
from .readiness.policy import ReadinessPolicy
from .readiness.service import Readiness
from .store import (
    count_rows,
    drop_replaced_indexes,
    fill_commitment_officers,
    fill_officer_certificates,
    metadata,
    officers,
    regions,
    replace_legacy_roster,
    seal_plain_personal,
    units,
)


@dataclass
class Resources:
    """What resources' views and tests use, typed (runtime.deps)."""
    runtime: Runtime
    policy: Policy          # lifecycle, duty and rest, reserve share, points (the handlers read it from settings)
    places: Places          # geography, travel provider, county seats
    readiness: Readiness    # the support circle and pre-positioning


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings.from_env("resources")
    policy = settings.extra.setdefault("policy", Policy.from_env())
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    replace_legacy_roster(runtime.engine)
    add_columns(runtime.engine, officers)   # a pool made before officers had stations
    add_columns(runtime.engine, units)      # a roster made before units had names
    drop_replaced_indexes(runtime.engine)
    seal_plain_personal(runtime.engine)
    fill_commitment_officers(runtime.engine)   # commitments made before their officers were kept apart
    fill_officer_certificates(runtime.engine)  # officers imported before their certificates were kept apart
    places = Places(settings.province)
    runtime.deps = Resources(runtime, policy, places,
                             Readiness(places, ReadinessPolicy.from_env(), policy.reserve_share))
    _ensure_regions(runtime)
    return runtime


def _ensure_regions(runtime: Runtime, standards: dict | None = None) -> None:
    """The province, its cities and counties are reference data: loaded once into an empty pool."""
    with runtime.engine.connect() as conn:
        if count_rows(conn, regions):
            return
    with runtime.outbox.transaction() as tx:
        roster.load_geography(tx, runtime.deps.places.geography, standards or {})


def seed_demo_if_empty(runtime: Runtime, *, officers_n: int | None = None, seed: int | None = None) -> int:
    """Load the demo province into an empty roster and publish every county's load; 0 if not empty."""
    from ..demo import generate

    with runtime.engine.connect() as conn:
        if count_rows(conn, officers):
            return 0
    n = officers_n or int(os.environ.get("DEMO_OFFICERS", "20000"))
    force = generate(runtime.settings.province, officers=n, seed=seed or int(os.environ.get("DEMO_SEED", "7")),
                     geography=runtime.deps.places.geography)
    now = clock.now()
    with runtime.outbox.transaction() as tx:
        roster.set_standards(tx, {s.county: (s.accepts, s.legacy) for s in force.standards})
        loaded = roster.load_force(tx, force, now, runtime.deps.policy.rest_min)
        readiness_store.load_rota(tx.conn, readiness_store.rota_of_force(force))
        report_loads(tx, None, now, runtime.deps.policy.reserve_share)
    refresh_statistics(runtime.engine)   # a whole force loaded: the planner's figures too
    return loaded


def create_app(runtime: Runtime) -> Flask:
    app = Flask("resources")
    runtime.install(app, [http.api, readiness_http.api])
    return app
