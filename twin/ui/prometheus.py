"""The twin's GET /metrics: its Prometheus text, as a service's /metrics is (services.common.metrics).

What it shows is the process's `ServiceMetrics` ("twin"): the rounds, failed rounds and last good round
of its background loops (`steps`, the model's steps or the field devices' ticks; `exercise-field`, the
field side of an exercise the exercise page started) and, with the simulated devices, the outbox's
figures (events published, relay errors, backlog). Who may read it is the services' own rule
(permissions.yaml, `every_service`: GET /metrics): the province command, integrators and the auditor.
A request with no signed-in user (session or Authorization: Bearer) is 401, another role 403.
"""
from __future__ import annotations

import dash
from flask import Response, jsonify

from services.common.metrics import ServiceMetrics
from services.common.permissions import table
from twin.ui import signin

PATH = "/metrics"
RULE = ("twin", "GET /metrics")  # the twin is read as a service: the every_service rule applies


def install(app: dash.Dash, telemetry: ServiceMetrics | None = None) -> ServiceMetrics:
    """Serve `telemetry` (a fresh "twin" registry when None) at /metrics; returns it."""
    telemetry = telemetry if telemetry is not None else ServiceMetrics("twin")

    @app.server.get(PATH)
    def metrics_route():
        identity = signin.current_identity()
        if identity is None:  # the sign-in guard answers first; kept should the route ever be opened
            return signin.unauthorised("sign in first: no valid token (session or Authorization: Bearer)")
        decision = table().decide(identity, *RULE, [])
        if not decision.allowed:
            return jsonify({"title": "Forbidden", "status": 403, "detail": decision.reason}), 403
        body, content_type = telemetry.render()
        return Response(body, headers={"Content-Type": content_type, "Cache-Control": "no-store"})

    return telemetry
