"""A commander's decision on a plan: approve (signed, then plan.approved) or reject (plan.rejected).

Approval is refused with 409 when the plan no longer matches the state (optimistic version check):
it is no longer proposed, the caller approved another version, or one of its officers is off duty,
held by another approved plan or was refused for this request. Such a request is re-planned.
"""
from __future__ import annotations

from datetime import datetime

from ..common.approval import REPLANNED, may_approve
from ..common.clock import now
from ..common.http import Problem, issue
from . import signing, store
from .domain.model import TASK_MINUTES


class Conflict(Problem):
    """409: the plan no longer matches the state; `stale` (an error whose code is in approval.REPLANNED, the
    codes after which the twin tells the commander so): the request is re-planned."""

    def __init__(self, title: str, errors: list[dict]):
        self.stale = any(e.get("code") in REPLANNED for e in errors)
        super().__init__(409, title, errors,
                         detail="the request is being re-planned against the current state" if self.stale else "")


def load(conn, plan_id: str, *, lock: bool = False):
    """The plan and its request; 404 when there is no such plan. `lock`: for a decision, the request's row
    is locked and the plan read again under the lock, so a decision on any plan of the request committed
    meanwhile shows (two commanders approving two candidates at once: the second is told the first's)."""
    row = store.plan(conn, plan_id)
    if row is None:
        raise Problem(404, "Not Found", detail=f"no plan {plan_id}")
    if not lock:
        return row, store.request(conn, row.request_id)
    req = store.request(conn, row.request_id, lock=True)
    return store.plan(conn, plan_id), req


def _may_decide(who, req, verb: str) -> None:
    decision = may_approve(who, grade=req.data["grade"], county=req.data["county"],
                           approval_level=req.data.get("approval_level"))
    if not decision.allowed:
        raise Problem(403, f"Not allowed to {verb} this plan",
                      [issue("Authorization", decision.reason, decision.code, decision.params)], detail=decision.reason)


def decide_approve(outbox, plan_id: str, who, body: dict, key, at: datetime) -> dict:
    """The use case: a commander approves a plan. Checked against the approval table, then in one
    transaction against the current state; a stale plan's request is re-planned and the 409 raised."""
    with outbox.engine.connect() as conn:
        _, req = load(conn, plan_id)
    _may_decide(who, req, "approve")
    try:
        with outbox.transaction() as tx:
            plan, req = load(tx.conn, plan_id, lock=True)
            return approve(tx, plan, req, who, body, key, at)
    except Conflict as exc:
        if exc.stale:
            with outbox.transaction() as tx:
                if store.request_status(tx.conn, req.request_id) != "pending":  # not already being re-planned
                    store.mark_for_replanning(tx.conn, req.request_id,
                                              [{k: e[k] for k in ("code", "reason", "params") if k in e}
                                               for e in exc.errors])
        raise


def decide_reject(outbox, plan_id: str, who, reason: str, at: datetime, version: int | None = None) -> dict:
    """The use case: a commander rejects a plan with a reason; with `version`, the plan's version they
    saw (409 when the plan is at another: they would reject what they did not see, as approve refuses)."""
    with outbox.engine.connect() as conn:
        _, req = load(conn, plan_id)
    _may_decide(who, req, "reject")
    with outbox.transaction() as tx:
        plan, _ = load(tx.conn, plan_id, lock=True)
        if version is not None and version != plan.version:
            raise Conflict("Plan is out of date", [issue("version", f"the plan is at version {plan.version}, not "
                                                                    f"{version}", "plan.version",
                                                         {"plan_version": plan.version, "shown": version})])
        return reject(tx, plan, who, reason, at)


def conflicts(conn, plan, request) -> list[dict]:
    """What in the current state contradicts the plan (empty: it can be approved)."""
    ids = [a["officer_id"] for a in plan.body["assignments"]]
    status = store.officer_statuses(conn, ids)
    held = store.holds_of_officers(conn, ids)
    refused = set(request.exclude or ())
    out = []
    for i, a in enumerate(plan.body["assignments"]):
        officer, field = a["officer_id"], f"assignments.{i}.officer_id"
        who = {"officer": officer, "county": a.get("from_county", "")}
        mine = officer in held and held[officer].request_id == plan.request_id and not held[officer].committed
        if officer in held and not mine:
            out.append(issue(field, f"{officer} is held by {held[officer].plan_id}", "plan.officer_held",
                             who | {"plan": held[officer].plan_id}))
        elif officer in refused:
            out.append(issue(field, f"{officer} was refused by the resource pool", "plan.officer_refused", who))
        elif not mine and status.get(officer) != "on_duty":
            now_status = status.get(officer, "unknown")
            out.append(issue(field, f"{officer} is {now_status}, no longer on duty", "plan.officer_off_duty",
                             who | {"status": now_status}))
    return out


def task_minutes(data: dict) -> int:
    """Expected time on scene: the request's task window, its expected duration, else by grade."""
    window = data.get("task_window") or {}
    if window.get("start") and window.get("end"):
        span = datetime.fromisoformat(window["end"].replace("Z", "+00:00")) - \
            datetime.fromisoformat(window["start"].replace("Z", "+00:00"))
        return max(1, int(span.total_seconds() // 60))
    return data.get("expected_duration_minutes") or TASK_MINUTES.get(data["grade"], 360)


def check_current(conn, plan, request, version: int | None) -> None:
    if plan.status != "proposed":
        raise Conflict(f"Plan is {plan.status}", [issue("plan_id", f"the plan is {plan.status}", "plan.status",
                                                        {"status": plan.status})])
    valid_until = plan.body.get("valid_until")
    if valid_until and datetime.fromisoformat(valid_until) < now():
        raise Conflict("Plan has expired", [issue("valid_until", f"valid until {valid_until}: the state may have "
                                                  "moved on", "plan.expired", {"valid_until": valid_until})])
    problems = conflicts(conn, plan, request)
    if problems:   # said before a version change: the officers are why the request is (being) re-planned
        raise Conflict("Plan no longer matches the state", problems)
    if plan.version != request.version or (version is not None and version != plan.version):
        raise Conflict("Plan is out of date", [issue("version", f"the request is at version {request.version}, the "
                                                     f"plan at {plan.version}", "plan.version",
                                                     {"request_version": request.version, "plan_version": plan.version,
                                                      "shown": plan.version if version is None else version})])


def supersede(tx, request_id: str, reason: str, at: datetime, *, keep: str | None = None) -> None:
    """Every other proposed plan of the request is voided, each with a plan.rejected."""
    for row in store.proposed_plans(tx.conn, request_id):
        if row.plan_id == keep:
            continue
        store.update_plan(tx.conn, row.plan_id, status="void", reason=reason)
        tx.emit("plan.rejected", _rejection(row, "matching", None, reason, at), key=request_id)


def approve(tx, plan, request, identity, body: dict, key, at: datetime) -> dict:
    check_current(tx.conn, plan, request, body.get("version"))
    from . import relief
    data = request.data
    lines = {line["line_id"]: line for line in data["lines"]}
    # The task window is this shift on scene: from the last arrival for the expected duration, at most
    # one shift, and over before any officer passes the duty limit counted from the order (to the
    # second). A task that runs on gets its relief shift, planned before this one ends.
    start, end, task_end = relief.shift_window(tx.conn, data, plan.body["assignments"], at)
    if end <= start:
        raise Conflict("Plan would pass the duty limit", [issue("assignments", "an officer would reach the duty limit "
                                                                "before the task starts", "plan.duty_limit")])
    approval = {"plan_id": plan.plan_id, "request_id": plan.request_id, "county": data["county"], "grade": data["grade"],
                "task_start": start.isoformat(), "task_end": end.isoformat(),
                "assignments": [_approved(a, lines) for a in plan.body["assignments"]],
                "approved_by": identity.subject, "role": identity.role, "at": at.isoformat()}
    if data.get("incident_id"):
        approval["incident_id"] = data["incident_id"]
    if relief.marker(data):
        approval["relief_of"] = relief.marker(data)
    if body.get("comment"):
        approval["comment"] = body["comment"]
    approval["signature"] = signing.sign(key, approval)
    conn = tx.conn
    store.delete_request_holds(conn, plan.request_id, uncommitted_only=True)
    store.insert_holds(conn, [{"officer_id": a["officer_id"], "plan_id": plan.plan_id, "request_id": plan.request_id,
                               "line_id": a["line_id"], "committed": 0} for a in plan.body["assignments"]])
    store.update_plan(conn, plan.plan_id, status="approved", approval=approval)
    store.update_request(conn, plan.request_id, status="approved", replaces=None)
    relief.on_approved(conn, data, plan.plan_id, plan.body["assignments"], at, end, task_end)
    relief.publish_due(tx, at)       # alerts due at once go out with the approval
    tx.emit("plan.approved", approval, key=plan.request_id, correlationid=data.get("incident_id"))
    supersede(tx, plan.request_id, f"superseded: {plan.plan_id} was approved", at)
    return approval


def reject(tx, plan, identity, reason: str, at: datetime) -> dict:
    if plan.status != "proposed":
        raise Conflict(f"Plan is {plan.status}", [issue("plan_id", f"the plan is {plan.status}", "plan.status",
                                                        {"status": plan.status})])
    store.update_plan(tx.conn, plan.plan_id, status="rejected", reason=reason)
    data = _rejection(plan, identity.subject, identity.role, reason, at)
    tx.emit("plan.rejected", data, key=plan.request_id)
    return data


def _rejection(plan, by: str, role: str | None, reason: str, at: datetime) -> dict:
    data = {"plan_id": plan.plan_id, "request_id": plan.request_id, "rejected_by": by, "reason": reason[:4000],
            "at": at.isoformat()}
    if role in ("city_commander", "province_commander"):
        data["role"] = role
    if plan.body.get("incident_id"):
        data["incident_id"] = plan.body["incident_id"]
    return data


def _approved(a: dict, lines: dict) -> dict:
    out = {"officer_id": a["officer_id"], "line_id": a["line_id"], "from_county": a["from_county"]}
    if a.get("unit_id"):  # the unit logistics orders: the approval carries it, so dispatch needs no other event
        out["unit_id"] = a["unit_id"]
    certs = lines.get(a["line_id"], {}).get("certifications") or []
    if certs:
        out["certifications"] = list(certs)
    return out
