"""matching's event handlers: plain functions of the worker's context, routed by one dict.

Requests are only recorded here (status pending); the planner plans everything pending together
after a short batching window (planning.py), so competing requests share one optimisation.
"""
from __future__ import annotations

from ..common.clock import now
from ..common.observed import observe_handler
from . import readmodel, relief, store
from .approvals import supersede


def on_support_requested(ctx) -> None:
    data = ctx.data
    if store.request_exists(ctx.conn, data["request_id"]):
        return
    store.insert_request(ctx.conn, data["request_id"], data, status="pending", exclude=[], received_at=now())


def on_support_escalated(ctx) -> None:
    """New grade, deadline and (when given) lines: re-plan what approved plans do not already hold."""
    data = ctx.data
    row = store.request(ctx.conn, data["request_id"])
    if row is None or row.status == "cancelled":
        return
    merged = dict(row.data, grade=data["to_grade"], deadline=data["deadline"], approval_level=data["approval_level"],
                  deadline_minutes=data["deadline_minutes"], lines=data.get("lines") or row.data["lines"])
    store.update_request(ctx.conn, row.request_id, data=merged)
    why = escalation_reason(data, row.data.get("grade"))
    supersede(ctx.tx, row.request_id, f"superseded: {why['reason']}", now())
    store.mark_for_replanning(ctx.conn, row.request_id, [why])


def escalation_reason(data: dict, grade_before: str | None) -> dict:
    """Why support.escalated plans the request again, by what changed: its grade; else, at the same grade,
    its lines (the incident grew, local officers were freed, the reporter confirmed the lines from their
    words); else the approval level it went to when it missed a deadline."""
    if data["to_grade"] != (data.get("from_grade") or grade_before):
        return because("request.escalated", f"escalated to grade {data['to_grade']}", {"grade": data["to_grade"]})
    if data.get("lines"):
        return because("request.lines_changed", f"the request's lines changed ({data['kind']})", {"kind": data["kind"]})
    return because("request.referred", f"referred to the {data['approval_level']} command after {data['kind']}",
                   {"kind": data["kind"], "level": data["approval_level"]})


def on_support_cancelled(ctx) -> None:
    """The request and its relief shifts still to come are void."""
    for request_id in [ctx.data["request_id"], *store.relief_shifts(ctx.conn, ctx.data["request_id"])]:
        supersede(ctx.tx, request_id, "void: the request was cancelled", now())
        store.delete_request_holds(ctx.conn, request_id)
        store.update_request(ctx.conn, request_id, status="cancelled")


def on_status_changed(ctx) -> None:
    """Keep the officer's status; an officer an approved plan holds who drops out before dispatch
    frees their place, and only that place is planned again. A request whose proposals name an officer
    who drops out is planned again at once, so no commander is shown (or approves) a plan that can no
    longer be sent."""
    status = readmodel.status_changed(ctx.conn, ctx.data)
    if status is None or status in ("on_duty", "reserved", "deployed"):
        return
    officer = ctx.data["officer_id"]
    why = [because("plan.officer_off_duty", f"{officer} is {status}, no longer on duty",
                   {"officer": officer, "county": ctx.data["county"], "status": status})]
    hold = store.hold(ctx.conn, officer)
    if hold is None:
        for request_id in store.requests_proposing(ctx.conn, officer):
            store.mark_for_replanning(ctx.conn, request_id, why)
        return
    store.delete_hold(ctx.conn, hold.officer_id)
    if store.request_status(ctx.conn, hold.request_id) not in (None, "cancelled"):
        store.mark_for_replanning(ctx.conn, hold.request_id, why)


def on_load_reported(ctx) -> None:
    readmodel.load_reported(ctx.conn, ctx.data)


def on_points_awarded(ctx) -> None:
    readmodel.points_awarded(ctx.conn, ctx.data)


def on_officers_committed(ctx) -> None:
    store.commit_holds(ctx.conn, ctx.data["plan_id"])
    store.update_plan(ctx.conn, ctx.data["plan_id"], status="committed")


def on_commit_rejected(ctx) -> None:
    """The pool refused the plan: drop the named officers for this request, keep the others as
    pinned places, and re-plan only the refused places (the new plan replaces this one)."""
    data = ctx.data
    row = store.request(ctx.conn, data["request_id"])
    if row is None:
        return
    named = sorted({r["officer_id"] for r in data["reasons"] if r.get("officer_id")})
    # named officers are dropped; the whole plan refused: nothing is kept
    store.delete_plan_holds(ctx.conn, data["plan_id"], named or None)
    why = "; ".join(f"{r.get('officer_id', 'plan')}: {r['reason']}" for r in data["reasons"])[:3000]
    store.update_plan(ctx.conn, data["plan_id"], status="rejected", reason=why)
    store.update_request(ctx.conn, row.request_id, exclude=sorted(set(row.exclude or []) | set(named)),
                         replaces=data["plan_id"])
    plan = store.plan(ctx.conn, data["plan_id"])
    if plan is not None:
        ctx.emit("plan.rejected", {"plan_id": plan.plan_id, "request_id": plan.request_id, "rejected_by": "matching",
                                   "reason": f"commit rejected by the resource pool: {why}", "at": now().isoformat(),
                                   **({"incident_id": data["incident_id"]} if data.get("incident_id") else {})},
                 key=plan.request_id)
    refused = (because("commit.rejected", f"the resource pool refused {len(named)} officers: {why}",
                       {"officers": len(named)}) if named else
               because("commit.rejected_plan", f"the resource pool refused the plan: {why}"))
    store.mark_for_replanning(ctx.conn, row.request_id, [refused])


def because(code: str, reason: str, params: dict | None = None) -> dict:
    """One reason a request is planned again (plan.proposed's replanned)."""
    return {"code": code, "reason": reason[:1000], **({"params": params} if params else {})}


def on_deployment_released(ctx) -> None:
    store.delete_request_holds(ctx.conn, ctx.data["request_id"])
    store.update_request(ctx.conn, ctx.data["request_id"], status="closed")


def on_deployment_extended(ctx) -> None:
    """An extension: officers who would pass the duty limit before the new end are re-staffed."""
    relief.on_extended(ctx.conn, ctx.data, now())
    relief.publish_due(ctx.tx, now())


HANDLERS = {
    "incident.reported": observe_handler(store.observed),
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
