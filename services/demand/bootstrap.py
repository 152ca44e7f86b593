"""demand's composition root: `build_runtime` wires the database, the kit and the service's typed
dependencies (`Demand`); `create_app` serves http.py and reports/http.py. Nothing connects at import.

The worker records facts from the other services (handlers.py); the deadline watch escalates
requests and raises due echelons (escalation.py); the report schedule keeps the performance reports
(reports/service.py); people report incidents and command requests over HTTP (http.py →
report_incident.py, prepositions.py, status.py).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Callable

from flask import Flask

from ..common.config import Settings
from ..common.runtime import Runtime
from . import policies
from .escalation import DeadlineWatch
from .handlers import HANDLERS
from .http import api
from .reports.http import api as reports_api
from .reports.service import Reports, ReportSchedule, default_sources, load_policy
from .store import metadata, upgrade

if TYPE_CHECKING:
    from ..geo import Geography


@dataclass
class Demand:
    """What demand's views, background loops and tests use, typed (runtime.deps)."""
    runtime: Runtime
    geography: Callable[[], Geography]   # the province's places, loaded once on first use
    deadline_watch: DeadlineWatch
    reports: Reports
    report_schedule: ReportSchedule


def build_runtime(settings: Settings | None = None) -> Runtime:
    policies.current()  # a broken policy or template file stops the service here, naming the rule
    settings = settings or Settings.from_env("demand")
    runtime = Runtime.build(settings, metadata=metadata, handlers=HANDLERS)
    upgrade(runtime.engine)

    @cache
    def geography():
        from ..geo import Geography
        return Geography.load(settings.province)

    watch = DeadlineWatch(runtime, float(settings.extra.get("tick_s", 1.0)))
    report_policy = load_policy()  # a broken report policy stops the service here, naming the field
    reports = Reports(runtime, report_policy, settings.extra.get("report_sources") or default_sources(settings),
                      geography)
    schedule = ReportSchedule(reports, os.environ.get("REPORT_SCHEDULE") or report_policy["schedule"])
    runtime.deps = Demand(runtime, geography, watch, reports, schedule)
    runtime.tasks.extend([watch, schedule])
    return runtime


def create_app(runtime: Runtime) -> Flask:
    app = Flask("demand")
    runtime.install(app, [api, reports_api])
    return app
