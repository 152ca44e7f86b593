"""matching's event handlers: plain functions of the worker's context, routed by one dict.

Requests are only recorded here (status pending); the planner plans everything pending together
after a short batching window (planning.py), so competing requests share one optimisation.
"""
from __future__ import annotations

from sqlalchemy import delete, insert, select, update

from ..common.clock import now
from ..common.observed import observe_handler
from . import readmodel, relief
from .approvals import replan, supersede
from .store import holds, observed, plans, requests


def on_support_requested(ctx) -> None:
    data = ctx.data
    if ctx.conn.execute(select(requests.c.request_id).where(requests.c.request_id == data["request_id"])).first():
        return
    ctx.conn.execute(insert(requests).values(request_id=data["request_id"], data=data, status="pending", version=1,
                                             exclude=[], received_at=now()))


def on_support_escalated(ctx) -> None:
    """New grade, deadline and (when given) lines: re-plan what approved plans do not already hold."""
    data = ctx.data
    row = ctx.conn.execute(select(requests).where(requests.c.request_id == data["request_id"])).first()
    if row is None or row.status == "cancelled":
        return
    merged = dict(row.data, grade=data["to_grade"], deadline=data["deadline"], approval_level=data["approval_level"],
                  deadline_minutes=data["deadline_minutes"], lines=data.get("lines") or row.data["lines"])
    ctx.conn.execute(update(requests).where(requests.c.request_id == row.request_id).values(data=merged))
    supersede(ctx.tx, row.request_id, f"superseded: the request was escalated to grade {data['to_grade']}", now())
    replan(ctx.conn, row.request_id)


def on_support_cancelled(ctx) -> None:
    """The request and its relief shifts still to come are void."""
    for request_id in [ctx.data["request_id"], *relief.shifts_of(ctx.conn, ctx.data["request_id"])]:
        supersede(ctx.tx, request_id, "void: the request was cancelled", now())
        ctx.conn.execute(delete(holds).where(holds.c.request_id == request_id))
        ctx.conn.execute(update(requests).where(requests.c.request_id == request_id).values(status="cancelled"))


def on_status_changed(ctx) -> None:
    """Keep the officer's status; an officer an approved plan holds who drops out before dispatch
    frees their place, and only that place is planned again."""
    status = readmodel.status_changed(ctx.conn, ctx.data)
    if status is None or status in ("on_duty", "reserved", "deployed"):
        return
    hold = ctx.conn.execute(select(holds).where(holds.c.officer_id == ctx.data["officer_id"])).first()
    if hold is None:
        return
    ctx.conn.execute(delete(holds).where(holds.c.officer_id == hold.officer_id))
    req = ctx.conn.execute(select(requests.c.status).where(requests.c.request_id == hold.request_id)).first()
    if req is not None and req.status != "cancelled":
        replan(ctx.conn, hold.request_id)


def on_load_reported(ctx) -> None:
    readmodel.load_reported(ctx.conn, ctx.data)


def on_points_awarded(ctx) -> None:
    readmodel.points_awarded(ctx.conn, ctx.data)


def on_officers_committed(ctx) -> None:
    ctx.conn.execute(update(holds).where(holds.c.plan_id == ctx.data["plan_id"]).values(committed=1))
    ctx.conn.execute(update(plans).where(plans.c.plan_id == ctx.data["plan_id"]).values(status="committed"))


def on_commit_rejected(ctx) -> None:
    """The pool refused the plan: drop the named officers for this request, keep the others as
    pinned places, and re-plan only the refused places (the new plan replaces this one)."""
    data = ctx.data
    row = ctx.conn.execute(select(requests).where(requests.c.request_id == data["request_id"])).first()
    if row is None:
        return
    named = sorted({r["officer_id"] for r in data["reasons"] if r.get("officer_id")})
    if named:
        ctx.conn.execute(delete(holds).where(holds.c.plan_id == data["plan_id"], holds.c.officer_id.in_(named)))
    else:   # the whole plan was refused: nothing is kept
        ctx.conn.execute(delete(holds).where(holds.c.plan_id == data["plan_id"]))
    why = "; ".join(f"{r.get('officer_id', 'plan')}: {r['reason']}" for r in data["reasons"])[:3000]
    ctx.conn.execute(update(plans).where(plans.c.plan_id == data["plan_id"]).values(status="rejected", reason=why))
    ctx.conn.execute(update(requests).where(requests.c.request_id == row.request_id)
                     .values(exclude=sorted(set(row.exclude or []) | set(named)), replaces=data["plan_id"]))
    plan = ctx.conn.execute(select(plans).where(plans.c.plan_id == data["plan_id"])).first()
    if plan is not None:
        ctx.emit("plan.rejected", {"plan_id": plan.plan_id, "request_id": plan.request_id, "rejected_by": "matching",
                                   "reason": f"commit rejected by the resource pool: {why}", "at": now().isoformat(),
                                   **({"incident_id": data["incident_id"]} if data.get("incident_id") else {})},
                 key=plan.request_id)
    replan(ctx.conn, row.request_id)


def on_deployment_released(ctx) -> None:
    ctx.conn.execute(delete(holds).where(holds.c.request_id == ctx.data["request_id"]))
    ctx.conn.execute(update(requests).where(requests.c.request_id == ctx.data["request_id"]).values(status="closed"))


def on_deployment_extended(ctx) -> None:
    """An extension: officers who would pass the duty limit before the new end are re-staffed."""
    relief.on_extended(ctx.conn, ctx.data, now())
    relief.publish_due(ctx.tx, now())


HANDLERS = {
    "incident.reported": observe_handler(observed),
    "support.requested": on_support_requested,
    "support.escalated": on_support_escalated,
    "support.cancelled": on_support_cancelled,
    "officer.status-changed": on_status_changed,
    "county.load-reported": on_load_reported,
    "points.awarded": on_points_awarded,
    "officers.committed": on_officers_committed,
    "commit.rejected": on_commit_rejected,
    "deployment.released": on_deployment_released,
    "deployment.extended": on_deployment_extended,
}
