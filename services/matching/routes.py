"""HTTP: requests and their candidate plans, a commander's approval or rejection, the signing key."""
from __future__ import annotations

from flask import Flask, abort, jsonify
from sqlalchemy import select

from ..common import permissions
from ..common.approval import may_approve
from ..common.auth import current_identity, region_covers
from ..common.clock import now
from ..common.http import Route, problem, validated_body
from . import approvals, relief, signing
from .store import plans, requests

ROUTES = [
    Route("GET", "/requests", "Support requests matching knows, with their status and plan version"),
    Route("GET", "/requests/{request_id}/plans", "The candidate plans of a request (all versions, newest first); "
          "`infeasible`: candidates nobody qualifies for, with what is missing",
          params=("request_id",)),
    Route("GET", "/plans/{plan_id}", "One plan: assignments, metrics, explanation, certificate, status",
          params=("plan_id",)),
    Route("POST", "/plans/{plan_id}/approve", "Approve a plan (city commander for grade IV/III in their city, "
          "province commander for all); signed, then plan.approved. 409 when it no longer matches the state",
          body="plan-approval", params=("plan_id",)),
    Route("POST", "/plans/{plan_id}/reject", "Reject a plan with a reason (plan.rejected)", body="plan-rejection",
          params=("plan_id",)),
    Route("GET", "/alerts", "Duty-limit alerts for the receiving commands: support officers approaching 12 hours on "
          "duty, or an extension that would take them past it, each with the relief shift planned; a county sees "
          "its own, a city its counties', the province all"),
    Route("GET", "/keys", "The public key that verifies approval signatures, and how", response="signing-key"),
    Route("GET", "/incidents/observed", "Incidents this service has consumed, once each"),
]


def view(row) -> dict:
    out = dict(row.body, status=row.status, version=row.version)
    if row.approval:
        out["approval"] = row.approval
    if row.reason:
        out["status_reason"] = row.reason
    return out


def install(app: Flask, runtime) -> None:
    key = runtime.extras["signing_key"]
    read = runtime.engine.connect

    def load(conn, plan_id: str):
        plan = conn.execute(select(plans).where(plans.c.plan_id == plan_id)).first()
        if plan is None:
            abort(404, f"no plan {plan_id}")
        return plan, conn.execute(select(requests).where(requests.c.request_id == plan.request_id)).first()

    def request_regions(request_id: str):
        with read() as conn:
            data = conn.execute(select(requests.c.data).where(requests.c.request_id == request_id)).scalar()
        return None if data is None else [data["county"]]

    def plan_regions(plan_id: str):
        """A plan concerns its receiving county and the counties its officers come from."""
        with read() as conn:
            row = conn.execute(select(plans.c.body, requests.c.data).join(
                requests, requests.c.request_id == plans.c.request_id, isouter=True)
                .where(plans.c.plan_id == plan_id)).first()
        if row is None:
            return None
        sending = [a.get("from_county") for a in (row.body or {}).get("assignments") or []]
        return [c for c in [(row.data or {}).get("county"), *sending] if c]

    permissions.objects(app, {"request_id": request_regions, "plan_id": plan_regions})

    @app.get("/requests")
    def list_requests():
        bound = permissions.bound_region()
        with read() as conn:
            rows = conn.execute(select(requests).order_by(requests.c.received_at)).all()
        if bound:
            rows = [r for r in rows if region_covers(bound, r.data["county"])]
        return jsonify([{"request_id": r.request_id, "county": r.data["county"], "grade": r.data["grade"],
                         "status": r.status, "version": r.version} for r in rows])

    @app.get("/requests/<request_id>/plans")
    def request_plans(request_id: str):
        with read() as conn:
            req = conn.execute(select(requests).where(requests.c.request_id == request_id)).first()
            if req is None:
                abort(404, f"no request {request_id}")
            rows = conn.execute(select(plans).where(plans.c.request_id == request_id)
                                .order_by(plans.c.version.desc(), plans.c.plan_id)).all()
        # a candidate nobody qualifies for is not a plan: it is listed apart with what is missing
        return jsonify({"request_id": request_id, "status": req.status, "version": req.version,
                        "plans": [view(r) for r in rows if r.status != "infeasible"],
                        "infeasible": [view(r) for r in rows if r.status == "infeasible"]})

    @app.get("/plans/<plan_id>")
    def get_plan(plan_id: str):
        with read() as conn:
            plan, _ = load(conn, plan_id)
        return jsonify(view(plan))

    @app.post("/plans/<plan_id>/approve")
    def approve(plan_id: str):
        body, who = validated_body("plan-approval"), current_identity()
        with read() as conn:
            plan, req = load(conn, plan_id)
        decision = may_approve(who, grade=req.data["grade"], county=req.data["county"],
                               approval_level=req.data.get("approval_level"))
        if not decision.allowed:
            return problem(403, "Not allowed to approve this plan", decision.reason,
                           [{"field": "Authorization", "reason": decision.reason}])
        try:
            with runtime.outbox.transaction() as tx:
                plan, req = load(tx.conn, plan_id)
                approval = approvals.approve(tx, plan, req, who, body, key, now())
        except approvals.Conflict as exc:
            if exc.stale:
                with runtime.outbox.transaction() as tx:
                    approvals.replan(tx.conn, req.request_id)
            return problem(409, exc.title, "re-planning" if exc.stale else "", exc.errors)
        return jsonify({"plan_id": plan_id, "status": "approved", "approval": approval,
                        "digest": signing.digest(approval).hex(), "key_id": runtime.extras["key_id"]})

    @app.post("/plans/<plan_id>/reject")
    def reject(plan_id: str):
        body, who = validated_body("plan-rejection"), current_identity()
        with read() as conn:
            plan, req = load(conn, plan_id)
        decision = may_approve(who, grade=req.data["grade"], county=req.data["county"],
                               approval_level=req.data.get("approval_level"))
        if not decision.allowed:
            return problem(403, "Not allowed to reject this plan", decision.reason,
                           [{"field": "Authorization", "reason": decision.reason}])
        try:
            with runtime.outbox.transaction() as tx:
                plan, _ = load(tx.conn, plan_id)
                data = approvals.reject(tx, plan, who, body["reason"], now())
        except approvals.Conflict as exc:
            return problem(409, exc.title, "", exc.errors)
        return jsonify({"plan_id": plan_id, "status": "rejected", "rejection": data})

    @app.get("/alerts")
    def list_alerts():
        who = current_identity()
        with read() as conn:
            items = relief.raised(conn, now())
        if who.level == "county":
            items = [a for a in items if a["county"] == who.region]
        elif who.level == "city":
            items = [a for a in items if a["county"][:4] == who.region[:4]]
        return jsonify({"items": items})

    @app.get("/keys")
    def keys():
        public = runtime.extras["public_key"]
        return jsonify({"algorithm": "Ed25519", "key_id": runtime.extras["key_id"], "public_key": public,
                        "signed": "SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8) of plan.approved "
                                  "data without its signature field; signature = base64 Ed25519 over that digest"})
