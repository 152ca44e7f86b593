"""logistics' HTTP entry point and composition root, built by a factory; nothing connects at import time."""
from __future__ import annotations

from flask import Flask

from ..common.config import Settings
from ..common.http import Route, problem
from ..common.observed import install_observed_routes
from ..common.runtime import Runtime
from . import regions, routes_deployments, routes_orders, routes_policy, routes_reports
from .checker import Checker
from .handlers import HANDLERS, observed
from .places import Places
from .policy import Policy
from .reception_flow import Refused
from .store import metadata

ROUTES = ([Route("GET", "/incidents/observed", "Incidents this service has consumed, once each")]
          + routes_orders.ROUTES + routes_deployments.ROUTES + routes_reports.ROUTES
          + routes_policy.ROUTES)


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings.from_env("logistics")
    settings.extra.setdefault("policy", Policy.from_env())
    settings.extra.setdefault("places", Places(settings.province))
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    runtime.extras["checker"] = Checker(runtime)
    runtime.tasks.append(runtime.extras["checker"])  # started with the worker, wherever it runs (infra.serve too)
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("logistics", static_folder=None)
    runtime.install(app, ROUTES)

    @app.errorhandler(Refused)
    def _refused(exc: Refused):
        return problem(exc.status, "Refused", exc.reason, errors=[{"field": exc.field, "reason": exc.reason}])

    install_observed_routes(app, runtime.engine, observed)
    regions.install(app, runtime)
    routes_orders.install(app, runtime)
    routes_deployments.install(app, runtime)
    routes_reports.install(app, runtime)
    routes_policy.install(app, runtime)
    return app
