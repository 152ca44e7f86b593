"""demand's HTTP entry point, built by a factory; nothing connects at import time."""
from __future__ import annotations

import os
from functools import cache

from flask import Flask

from ..common.config import Settings
from ..common.runtime import Runtime
from . import policies, routes_incidents, routes_needs, routes_requests
from .escalation import DeadlineWatch
from .handlers import HANDLERS
from .reports import routes as routes_reports
from .reports.service import Reports, ReportSchedule, default_sources, load_policy
from .store import metadata, upgrade

ROUTES = routes_incidents.ROUTES + routes_needs.ROUTES + routes_requests.ROUTES + routes_reports.ROUTES


def build_runtime(settings: Settings | None = None) -> Runtime:
    policies.current()  # a broken policy or template file stops the service here, naming the rule
    settings = settings or Settings.from_env("demand")
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    upgrade(runtime.engine)

    @cache
    def geography():
        from ..geo import Geography
        return Geography.load(settings.province)

    runtime.extras["geography"] = geography
    runtime.extras["deadline_watch"] = DeadlineWatch(runtime, float(settings.extra.get("tick_s", 1.0)))
    runtime.tasks.append(runtime.extras["deadline_watch"])
    report_policy = load_policy()  # a broken report policy stops the service here, naming the field
    runtime.extras["reports"] = Reports(runtime, report_policy, settings.extra.get("report_sources")
                                        or default_sources(settings), geography)
    schedule = os.environ.get("REPORT_SCHEDULE") or report_policy["schedule"]
    runtime.extras["report_schedule"] = ReportSchedule(runtime.extras["reports"], schedule)
    runtime.tasks.append(runtime.extras["report_schedule"])
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("demand")
    runtime.install(app, ROUTES)
    routes_incidents.install(app, runtime)
    routes_needs.install(app, runtime)
    routes_requests.install(app, runtime)
    routes_reports.install(app, runtime)
    return app
