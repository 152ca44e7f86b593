"""Commit an approved plan: all its officers or none, under locks, with a reason per refused officer."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from ..common.clock import as_utc, parse_time
from . import queries, updates
from .domain import commit_rules, duty
from .domain.commit_rules import Candidate, CountyLoad, Task
from .domain.policy import Policy
from .events import county_loads, report_loads, stamp, status_changed


def commit_plan(tx, plan: dict, policy: Policy, now: datetime) -> dict:
    """Reserve the plan's officers and emit officers.committed, or emit commit.rejected with reasons."""
    conn = tx.conn
    done = queries.commitment(conn, plan_id=plan["plan_id"])
    if done:
        return {"status": "committed", "commit_id": done["commit_id"], "officer_ids": done["officer_ids"]}
    ids = [a["officer_id"] for a in plan["assignments"]]
    task = Task(parse_time(plan["task_start"]), parse_time(plan["task_end"]), parse_time(plan["at"]))
    homes = {r["county"] for r in queries.officers_by_id(conn, ids).values()}
    locked = queries.lock_counties(conn, sorted(homes))        # counties first, then officers: one order
    rows = queries.lock_officers(conn, ids)
    loads = {c["county"]: CountyLoad(c["available"], c["on_duty"], c["reserve_share"])
             for c in county_loads(conn, sorted(locked), now, policy.reserve_share)}
    required = {a["officer_id"]: tuple(a.get("certifications", ())) for a in plan["assignments"]}
    candidates = [_candidate(rows[i], required[i], now) for i in ids if i in rows]
    rejections = commit_rules.check_plan(candidates, [i for i in ids if i not in rows], task, loads,
                                         limit=policy.duty_limit_min)
    if rejections:
        return _reject(tx, plan, rejections, now)
    return _commit(tx, plan, [rows[i] for i in ids], task, policy, now)


def _candidate(row: dict, required: tuple[str, ...], now: datetime) -> Candidate:
    certs = {c["name"]: date.fromisoformat(c["expires"]) for c in row["certifications"]}
    status = duty.effective_status(row["status"], as_utc(row["rest_until"]), now)
    return Candidate(row["officer_id"], row["county"], status, queries.duty_now(row, now), certs, required)


def _reject(tx, plan: dict, rejections, now: datetime) -> dict:
    data = {"plan_id": plan["plan_id"], "request_id": plan["request_id"],
            "reasons": [r.as_dict() for r in rejections], "at": stamp(now)}
    if plan.get("incident_id"):
        data["incident_id"] = plan["incident_id"]
    tx.emit("commit.rejected", data, key=plan["request_id"], subject=plan["request_id"])
    return {"status": "rejected", **data}


def _commit(tx, plan: dict, rows: list[dict], task: Task, policy: Policy, now: datetime) -> dict:
    commit_id = f"CMT-{uuid.uuid4().hex[:12].upper()}"
    ids = [r["officer_id"] for r in rows]
    updates.update_officers(tx.conn, ids, {"status": "reserved", "status_since": now, "commit_id": commit_id,
                                           "rest_until": None})
    updates.insert_commitment(tx.conn, {
        "commit_id": commit_id, "plan_id": plan["plan_id"], "request_id": plan["request_id"],
        "incident_id": plan.get("incident_id"), "county": plan["county"], "grade": plan["grade"],
        "risk": plan.get("risk"), "task_start": task.start, "task_end": task.end, "officer_ids": ids,
        "status": "committed", "at": now})
    for row in rows:
        status_changed(tx, {**row, "status": "on_duty"}, "reserved", now, f"committed to {plan['plan_id']}", request_id=plan["request_id"])
    data = {"commit_id": commit_id, "plan_id": plan["plan_id"], "request_id": plan["request_id"],
            "officer_ids": ids, "at": stamp(now)}
    wages = {r["officer_id"]: r["personal"].get("base_wage_daily") for r in rows}
    if any(wages.values()):  # logistics pays the allowance on each officer's own wage
        data["base_wage_daily"] = {k: v for k, v in wages.items() if v}
    if plan.get("incident_id"):
        data["incident_id"] = plan["incident_id"]
    tx.emit("officers.committed", data, key=plan["request_id"], subject=plan["request_id"])
    report_loads(tx, sorted({r["county"] for r in rows} | {plan["county"]}), now, policy.reserve_share)
    return {"status": "committed", **data}
