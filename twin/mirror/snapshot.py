"""The twin's start: the services' current state over HTTP, before the stream takes over.

The stream alone rebuilds most of the state (the mirror reads it from the earliest offset), but
short-lived topics (positions are kept an hour) and a broker that restarted empty lose history;
the services' own views fill that in. Every apply is idempotent, so the stream may repeat it.
"""
from __future__ import annotations

import logging

from twin.mirror import replay, replay_loop
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel

log = logging.getLogger(__name__)


def rebuild(model: ProvinceModel, client: ServicesClient) -> dict[str, int]:
    """Applies each service's snapshot to `model`; returns how many items came from each."""
    counts = {"county_loads": 0, "incidents": 0, "requests": 0, "plans": 0}
    for load in client.county_loads():
        if model.has_county(load.get("county", "")):
            replay.on_county_load_reported(model, load)
            counts["county_loads"] += 1
    for incident in client.incidents():
        if incident.get("incident_id") and incident.get("location"):
            counts["incidents"] += replay.on_incident_reported(model, incident) == replay.APPLIED
    for request in client.requests():  # before the plans: a preview needs its request's deadline
        if {"request_id", "county", "deadline"} <= set(request):
            if replay_loop.on_support_requested(model, request) == replay_loop.APPLIED:
                counts["requests"] += 1
                with model.lock:
                    model.requests[request["request_id"]]["status"] = request.get("status") or "open"
    for plan in client.plans():
        if {"plan_id", "request_id", "assignments", "proposed_at"} <= set(plan):
            held = plan.get("status") if plan.get("status") in ("approved", "committed") else "proposed"
            counts["plans"] += replay_loop.on_plan_proposed(model, plan, held) == replay_loop.APPLIED
            if plan.get("status") in ("approved", "rejected", "committed", "void"):
                replay_loop.plan_status(model, plan["plan_id"], plan["status"])
    log.info("snapshot: %s", counts)
    return counts
