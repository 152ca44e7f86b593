"""The replay: applies contract events to the twin's model, one plain handler per event type.

The twin keeps its model in memory only. On each start it mirrors the whole stream again under a
fresh consumer group (so it reads from the earliest offset) and rebuilds the same state; that is
why every handler is idempotent. Types the twin does not model yet are ignored and counted.

Records are ordered per topic and key only: across topics an event may come before the one that
makes what it names (a unit's arrival before its dispatch order, a plan's approval before the plan),
most of all when the twin reads the whole stream at start or the services publish their history again
to a broker that lost it. Such an event is parked under what it names and applied when that arrives,
so the state does not depend on which topic was read first (a bounded number per object and in all).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Callable

from services.common.config import Settings
from services.common.worker import Worker
from twin.mirror import replay_loop
from twin.sim.model import ProvinceModel

APPLIED, DUPLICATE, IGNORED, OUTSIDE = "applied", "duplicate", "ignored", "outside_province"


def on_incident_reported(model: ProvinceModel, data: dict) -> str:
    location = data["location"]
    county, point = location.get("county"), _point(location.get("point"))
    if not model.has_county(county) and point is not None:
        county = model.geography.county_at(*point) or county
    if not model.has_county(county):
        return OUTSIDE  # another province's incident: not an error, just not ours to show
    with model.lock:
        if model.incident(data["incident_id"]) is not None:
            return DUPLICATE
        model.add_incident(incident_id=data["incident_id"], county=county, point=point,
                           grade=data.get("reported_grade"), type=data.get("type", ""),
                           reported_at=data.get("reported_at"), description=data.get("description", ""))
    return APPLIED


def on_county_load_reported(model: ProvinceModel, data: dict) -> str:
    if not model.has_county(data["county"]):
        return OUTSIDE
    model.set_county_load(data["county"], on_duty=data["on_duty"], available=data["available"],
                          committed=data["committed"], reserve_floor=data["reserve_floor"])
    return APPLIED


HANDLERS: dict[str, Callable[[ProvinceModel, dict], str]] = {
    "incident.reported": on_incident_reported,
    "county.load-reported": on_county_load_reported,
    **replay_loop.HANDLERS,
}


# What an event needs the model to hold (kind, field naming it), and what an event makes.
NEEDS: dict[str, tuple[str, str]] = {
    **{t: ("request", "request_id") for t in ("support.escalated", "support.cancelled", "support.status-changed",
                                               "duty.alert-raised")},
    **{t: ("plan", "plan_id") for t in ("plan.approved", "plan.rejected", "officers.committed", "commit.rejected")},
    **{t: ("unit", "unit_id") for t in ("unit.position-reported", "unit.arrived", "dispatch.acknowledged",
                                        "dispatch.escalated", "unit.late", "unit.on-time")},
}
MAKES: dict[str, tuple[tuple[str, str], ...]] = {
    "support.requested": (("request", "request_id"),),
    "plan.proposed": (("plan", "plan_id"), ("request", "request_id")),   # a relief plan files its request
    "plan.approved": (("request", "request_id"),),
    "dispatch.ordered": (("unit", "unit_id"),),
}
PARKED_PER_OBJECT, PARKED_OBJECTS = 50, 2_000


def apply(model: ProvinceModel, event: dict) -> str:
    """Applies one event envelope; returns what happened (applied, duplicate, ignored, outside_province,
    stale: a verdict older than the one applied, or unknown_reference: parked until what it names arrives)."""
    kind = event.get("type")
    handler = HANDLERS.get(kind)
    with model.lock:
        outcome = IGNORED if handler is None else handler(model, event["data"])
        model.event_counts[outcome] += 1
        if event.get("time"):
            model.observe_time(_instant(event["time"]))
        if outcome == replay_loop.UNKNOWN and kind in NEEDS:
            _park(model, event)
        elif outcome == APPLIED and kind in MAKES:
            for what, field in MAKES[kind]:
                for waiting in model.parked.pop((what, str(event["data"].get(field))), ()):
                    apply(model, waiting)
    return outcome


def _park(model: ProvinceModel, event: dict) -> None:
    what, field = NEEDS[event["type"]]
    key = (what, str(event["data"].get(field)))
    if key not in model.parked and len(model.parked) >= PARKED_OBJECTS:
        model.parked.pop(next(iter(model.parked)))   # the longest waiting object's events: its maker never came
    waiting = model.parked.setdefault(key, [])
    waiting.append(event)
    del waiting[:-PARKED_PER_OBJECT]


def handlers_for(model: ProvinceModel, on_event: Callable[[dict], None] | None = None) -> dict[str, Callable]:
    """Worker handlers, one per topic the twin models (a topic carries events of its own type);
    `on_event` sees every event too (the recorder)."""
    def handle(ctx) -> None:
        apply(model, ctx.event)
        if on_event is not None:
            on_event(ctx.event)
    return {topic: handle for topic in HANDLERS}


def start_mirror(settings: Settings, model: ProvinceModel, on_event: Callable[[dict], None] | None = None) -> Worker:
    """Starts consuming the stream into `model` under a fresh group, so the whole stream is replayed."""
    worker = Worker(settings, handlers_for(model, on_event), group_id=f"twin-{uuid.uuid4().hex}")
    return worker.start()


def _instant(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _point(raw: dict | None) -> tuple[float, float] | None:
    return (float(raw["lon"]), float(raw["lat"])) if raw else None


