"""matching's HTTP surface: requests and their candidate plans, a commander's approval or rejection,
duty-limit alerts, the signing key. Each route is declared once (services.common.api); the views
are thin: the decision is approvals.decide, the reads are store.py's."""
from __future__ import annotations

from flask import jsonify

from ..common import observed, paging
from ..common.api import Api, current_deps
from ..common.auth import current_identity
from ..common.clock import now
from ..common.http import Problem, validated_body
from ..common.permissions import bound_region
from . import approvals, relief, signing, store

api = Api("matching")


def plan_view(row) -> dict:
    out = dict(row.body, status=row.status, version=row.version)
    if row.approval:
        out["approval"] = row.approval
    if row.reason:
        out["status_reason"] = row.reason
    return out


def _read():
    return current_deps().runtime.engine.connect()


def request_regions(request_id: str):
    with _read() as conn:
        county = store.request_county(conn, request_id)
    return None if county is None else [county]


def plan_regions(plan_id: str):
    """A plan concerns its receiving county and the counties its officers come from."""
    with _read() as conn:
        return store.plan_counties(conn, plan_id)


api.objects({"request_id": request_regions, "plan_id": plan_regions})


@api.route("GET", "/requests", "Support requests matching knows, with their status and plan version, received "
           "first (in pages: ?limit=, ?offset= or ?after=)", response="requests", paged=500)
def list_requests():
    limit, offset, after = paging.args(store.REQUESTS_ORDER)
    bound = bound_region()
    with _read() as conn:
        rows, total = store.requests_page(conn, bound, limit=limit + 1, offset=offset, after=after)
    return paging.answer(rows, total, limit, store.REQUESTS_ORDER,
                         lambda r: {"request_id": r.request_id, "county": r.data["county"], "grade": r.data["grade"],
                                    "status": r.status, "version": r.version})


@api.route("GET", "/requests/{request_id}/plans", "The candidate plans of a request (all versions, newest first); "
           "`infeasible`: candidates nobody qualifies for, with what is missing", response="plans")
def request_plans(request_id: str):
    with _read() as conn:
        req = store.request(conn, request_id)
        if req is None:
            raise Problem(404, "Not Found", detail=f"no request {request_id}")
        rows = store.plans_of(conn, request_id)
    # a candidate nobody qualifies for is not a plan: it is listed apart with what is missing
    return jsonify({"request_id": request_id, "status": req.status, "version": req.version,
                    "plans": [plan_view(r) for r in rows if r.status != "infeasible"],
                    "infeasible": [plan_view(r) for r in rows if r.status == "infeasible"]})


@api.route("GET", "/plans/{plan_id}", "One plan: assignments, metrics, explanation, certificate, status", response="plan")
def get_plan(plan_id: str):
    with _read() as conn:
        plan, _ = approvals.load(conn, plan_id)
    return jsonify(plan_view(plan))


@api.route("POST", "/plans/{plan_id}/approve", "Approve a plan (city commander for grade IV/III in their city, "
           "province commander for all); signed, then plan.approved. 409 when it no longer matches the state",
           body="plan-approval", response="plan-decision")
def approve(plan_id: str):
    body, deps = validated_body("plan-approval"), current_deps()
    approval = approvals.decide_approve(deps.runtime.outbox, plan_id, current_identity(), body, deps.signing_key, now())
    return jsonify({"plan_id": plan_id, "status": "approved", "approval": approval,
                    "digest": signing.digest(approval).hex(), "key_id": deps.key_id})


@api.route("POST", "/plans/{plan_id}/reject", "Reject a plan with a reason (plan.rejected)", body="plan-rejection",
           response="plan-decision")
def reject(plan_id: str):
    body = validated_body("plan-rejection")
    data = approvals.decide_reject(current_deps().runtime.outbox, plan_id, current_identity(), body["reason"], now(),
                                   body.get("version"))
    return jsonify({"plan_id": plan_id, "status": "rejected", "rejection": data})


@api.route("GET", "/alerts", "Duty-limit alerts for the receiving commands: support officers approaching 12 hours on "
           "duty, or an extension that would take them past it, each with the relief shift planned; a county sees "
           "its own, a city its counties', the province all", response="duty-alerts")
def list_alerts():
    who = current_identity()
    with _read() as conn:
        items = relief.raised(conn, now())
    if who.level != "province":
        items = [a for a in items if who.covers(a["county"])]
    return jsonify({"items": items})


@api.route("GET", "/keys", "The public key that verifies approval signatures, and how", response="signing-key")
def keys():
    deps = current_deps()
    return jsonify({"algorithm": "Ed25519", "key_id": deps.key_id, "public_key": deps.public_key,
                    "signed": "SHA-256 of the canonical JSON (keys sorted, no spaces, UTF-8) of plan.approved "
                              "data without its signature field; signature = base64 Ed25519 over that digest"})


observed.declare_route(api, store.observed)
