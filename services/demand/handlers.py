"""demand's event handlers: plain functions of the worker's context, routed by one dict.

Facts from the other services drive each support request's lifecycle. An event about a request
demand does not hold (another deployment's, or one from before a database reset) changes nothing.
"""
from __future__ import annotations

from ..common.clock import parse_time
from . import relief, report_incident, status, store, support
from .reports.store import record_award


def _geography(ctx):
    from ..geo import Geography
    return Geography.load(ctx.settings.province)


def handle_incident_reported(ctx) -> None:
    """An incident from another system on the topic is recorded and watched like ours."""
    if ctx.event["source"] == ctx.settings.source:
        return  # our own event coming back: already stored when it was emitted
    problems = report_incident.place_problems(ctx.data["location"], _geography(ctx))
    if problems:  # dead-lettered with the reason
        raise ValueError("; ".join(f"{p['field']}: {p['reason']}" for p in problems))
    reporter = store.incident_reporter(ctx.conn, ctx.data["incident_id"])
    if reporter is not None and reporter != ctx.event["source"]:  # dead-lettered with the reason
        raise ValueError(f"incident {ctx.data['incident_id']} is reported by {reporter}: only its reporter "
                         f"reports it again (its growth), not {ctx.event['source']}")
    at = parse_time(ctx.data.get("updated_at") or ctx.data["reported_at"])
    report_incident.report(ctx.tx, ctx.data, now=at, emit=False, reporter=ctx.event["source"])


def on_load_reported(ctx) -> None:
    if store.record_load(ctx.conn, ctx.data):
        support.evaluate(ctx.tx, ctx.data["county"], parse_time(ctx.data["at"]))


def _follow(ctx, target: str, at_field: str, **extra) -> None:
    row = store.request(ctx.conn, ctx.data["request_id"], lock=True)
    if row is not None:
        status.follow(ctx.tx, row, target, cause=ctx.event["type"], at=parse_time(ctx.data[at_field]), **extra)


def on_plan_proposed(ctx) -> None:
    relief.file(ctx.tx, ctx.data)  # a relief shift's first plan files it beside the request it relieves
    _follow(ctx, "awaiting_approval", "proposed_at")


def on_plan_approved(ctx) -> None:
    relief.file(ctx.tx, ctx.data)
    _follow(ctx, "approved", "at")


def on_commit_rejected(ctx) -> None:
    _follow(ctx, "planning", "at")  # matching re-plans


def on_officers_committed(ctx) -> None:
    row = store.request(ctx.conn, ctx.data["request_id"], lock=True)
    if row is None:
        return
    committed = sorted(set(row.progress["committed"]) | set(ctx.data["officer_ids"]))
    need = sum(line["headcount"] for line in row.request["lines"])
    store.save_progress(ctx.conn, row, committed=committed)
    target = "committed" if len(committed) >= need else "partially_filled"
    status.follow(ctx.tx, row, target, cause=ctx.event["type"], at=parse_time(ctx.data["at"]),
                  filled=len(committed), need=need)


def on_dispatch_ordered(ctx) -> None:
    row = store.request(ctx.conn, ctx.data["request_id"], lock=True)
    if row is None:
        return
    store.save_progress(ctx.conn, row, ordered=sorted(set(row.progress["ordered"]) | {ctx.data["order_id"]}))
    status.follow(ctx.tx, row, "dispatched", cause=ctx.event["type"], at=parse_time(ctx.data["ordered_at"]))


def on_unit_arrived(ctx) -> None:
    """On scene once every unit ordered so far has arrived (an arrival also counts as its order)."""
    row = store.request(ctx.conn, ctx.data["request_id"], lock=True)
    if row is None:
        return
    ordered = set(row.progress["ordered"]) | {ctx.data["order_id"]}
    arrived = set(row.progress["arrived"]) | {ctx.data["order_id"]}
    store.save_progress(ctx.conn, row, ordered=sorted(ordered), arrived=sorted(arrived))
    target = "on_scene" if arrived >= ordered else "dispatched"
    status.follow(ctx.tx, row, target, cause=ctx.event["type"], at=parse_time(ctx.data["arrived_at"]))


def on_deployment_released(ctx) -> None:
    _follow(ctx, "released", "released_at")


def on_points_awarded(ctx) -> None:
    """Kept for the performance report's reciprocity between cities."""
    record_award(ctx.conn, ctx.data, parse_time(ctx.data["at"]))


HANDLERS = {
    "incident.reported": handle_incident_reported,
    "county.load-reported": on_load_reported,
    "plan.proposed": on_plan_proposed,
    "plan.approved": on_plan_approved,
    "commit.rejected": on_commit_rejected,
    "officers.committed": on_officers_committed,
    "dispatch.ordered": on_dispatch_ordered,
    "unit.arrived": on_unit_arrived,
    "deployment.released": on_deployment_released,
    "points.awarded": on_points_awarded,
}
