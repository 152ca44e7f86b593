"""logistics' event handlers: plain functions of the worker's context, routed by one dict."""
from __future__ import annotations

import functools

from ..common.clock import now as clock_now
from ..common.clock import parse_time
from ..common.observed import observe_handler
from . import dispatch, positions, reception_flow, relief, store, timeline
from .places import Places
from .policy import Policy

_observe = observe_handler(store.observed)


def _policy(ctx) -> Policy:
    """The service's policy (runtime.deps); a context handed no dependencies reads the policy file once."""
    return ctx.deps.policy if ctx.deps is not None else _default_policy()


def _places(ctx) -> Places:
    return ctx.deps.places if ctx.deps is not None else _default_places(ctx.settings.province)


@functools.cache
def _default_policy() -> Policy:
    return Policy.from_env()


@functools.cache
def _default_places(province: str) -> Places:
    return Places(province)


def on_support_requested(ctx) -> None:
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    if store.request_exists(ctx.conn, d["request_id"]):
        return
    point = (d.get("location") or {}).get("point") or {}
    store.insert_request(
        ctx.conn, request_id=d["request_id"], incident_id=d["incident_id"], county=d["county"], grade=d["grade"],
        approval_level=d["approval_level"], deadline=parse_time(d["deadline"]), lon=point.get("lon"),
        lat=point.get("lat"), requested_at=parse_time(d["requested_at"]),
        modules=sorted({line["module"] for line in d["lines"]}), status="open")


def on_support_escalated(ctx) -> None:
    """A higher grade brings a tighter deadline: orders still on the way are held to it."""
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    values = {"grade": d["to_grade"], "approval_level": d["approval_level"], "deadline": parse_time(d["deadline"])}
    if d.get("lines"):
        values["modules"] = sorted({line["module"] for line in d["lines"]})
    store.update_request(ctx.conn, d["request_id"], **values)
    store.regrade_deployments(ctx.conn, d["request_id"], d["to_grade"])
    store.hold_orders_to(ctx.conn, d["request_id"], parse_time(d["deadline"]))


def on_support_cancelled(ctx) -> None:
    """Plans not yet dispatched are void; deployed units are released (outcome cancelled). The request's
    relief shifts (its next echelons) go with it."""
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    ids = [d["request_id"], *relief.shifts_of(ctx.conn, d["request_id"])]
    store.cancel_requests(ctx.conn, ids)
    for found in store.unreleased_deployments_of(ctx.conn, ids):
        dep = store.deployment(ctx.conn, found["deployment_id"], lock=True)   # a release at once waits, or was first
        if dep["status"] != "released":
            reception_flow.release(ctx.tx, dep, clock_now(), outcome="cancelled", policy=_policy(ctx))


def on_plan_proposed(ctx) -> None:
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    relief.file(ctx.conn, d)
    dispatch.remember_plan(ctx.conn, d["plan_id"], d["request_id"], d.get("incident_id"), kind=d["kind"], proposal=d)


def on_plan_approved(ctx) -> None:
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    relief.file(ctx.conn, d)
    plan = dispatch.remember_plan(ctx.conn, d["plan_id"], d["request_id"], d.get("incident_id"), approval=d)
    dispatch.dispatch_when_ready(ctx.tx, plan, _places(ctx), _policy(ctx))


def on_officers_committed(ctx) -> None:
    d = ctx.data
    timeline.record(ctx.conn, ctx.event)
    plan = dispatch.remember_plan(ctx.conn, d["plan_id"], d["request_id"], d.get("incident_id"), committed=d)
    dispatch.dispatch_when_ready(ctx.tx, plan, _places(ctx), _policy(ctx))


def on_timeline_only(ctx) -> None:
    """Facts the after-action report shows (who, when) that change nothing in logistics."""
    timeline.record(ctx.conn, ctx.event)


def on_incident_reported(ctx) -> None:
    _observe(ctx)
    timeline.record(ctx.conn, ctx.event)


def on_position_reported(ctx) -> None:
    positions.apply_report(ctx.tx, ctx.data, _places(ctx), _policy(ctx))


def on_load_reported(ctx) -> None:
    d = ctx.data
    at = parse_time(d["at"])
    if store.load_recorded(ctx.conn, d["county"], at):
        return
    store.insert_load(ctx.conn, county=d["county"], at=at, on_duty=d["on_duty"], available=d["available"],
                      committed=d["committed"])


HANDLERS = {
    "incident.reported": on_incident_reported,
    "plan.rejected": on_timeline_only,
    "commit.rejected": on_timeline_only,
    "support.requested": on_support_requested,
    "support.escalated": on_support_escalated,
    "support.cancelled": on_support_cancelled,
    "plan.proposed": on_plan_proposed,
    "plan.approved": on_plan_approved,
    "officers.committed": on_officers_committed,
    "unit.position-reported": on_position_reported,
    "county.load-reported": on_load_reported,
}
