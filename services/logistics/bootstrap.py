"""logistics' composition root: `build_runtime` wires the database, the kit and the service's typed
dependencies (`Logistics`); `create_app` serves http.py. Nothing connects at import.

The worker records what the loop tells logistics and dispatches committed plans (handlers.py); the
checker (checker.py) re-sends unacknowledged orders, escalates them and raises late alerts, started
with the worker wherever it runs (`python -m services.logistics`, `infra.serve worker logistics`);
commands, units and devices act over HTTP (http.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from ..common.config import Settings
from ..common.runtime import Runtime
from ..common.storage import add_columns
from .checker import Checker
from .handlers import HANDLERS
from .http import api
from .places import Places
from .policy import Policy
from .store import fill_deployment_counties, metadata, orders, timeline


@dataclass
class Logistics:
    """What logistics' views, the checker and tests use, typed (runtime.deps)."""
    runtime: Runtime
    policy: Policy       # data/reception.yaml (LOGISTICS_POLICY names another file)
    places: Places       # the province's geography and travel times, loaded on first use
    checker: Checker     # re-sends, escalation and late alerts (one of runtime.tasks)


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings.from_env("logistics")
    # The handlers read these two from the settings (the worker's context carries the settings only).
    policy = settings.extra.setdefault("policy", Policy.from_env())
    places = settings.extra.setdefault("places", Places(settings.province))
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    add_columns(runtime.engine, orders)   # a database made before orders kept a unit's route and pace
    add_columns(runtime.engine, timeline)  # ... and before the timeline kept each event's seq
    fill_deployment_counties(runtime.engine)   # ... and before the counties each deployment concerns were kept
    runtime.deps = Logistics(runtime, policy, places, Checker(runtime))
    runtime.tasks.append(runtime.deps.checker)  # started with the worker, wherever it runs (infra.serve too)
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("logistics", static_folder=None)  # GET /static/plotly.min.js is a route of http.py
    runtime.install(app, [api])
    return app
