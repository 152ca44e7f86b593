"""logistics's HTTP entry point, built by a factory; nothing connects at import time."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import MetaData

from ..common.config import Settings
from ..common.http import Route
from ..common.observed import install_observed_routes, observe_handler, observed_table
from ..common.runtime import Runtime

metadata = MetaData()
observed = observed_table(metadata)
HANDLERS = {"incident.reported": observe_handler(observed)}
ROUTES = [Route("GET", "/incidents/observed", "Incidents this service has consumed, once each")]


def build_runtime(settings: Settings | None = None) -> Runtime:
    return Runtime.build(settings or Settings.from_env("logistics"), metadata=metadata, handlers=HANDLERS)


def create_app(runtime: Runtime) -> Flask:
    app = Flask("logistics")
    runtime.install(app, ROUTES)
    install_observed_routes(app, runtime.engine, observed)
    return app
