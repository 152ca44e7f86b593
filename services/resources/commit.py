"""Commit an approved plan: all its officers or none, under locks, with a reason per refused officer."""
from __future__ import annotations

import uuid
from datetime import date, datetime

from ..common.clock import parse_time
from ..common.outbox import Emit
from . import store
from .domain import commit_rules, duty
from .domain.commit_rules import Candidate, CountyLoad, Task
from .domain.policy import Policy
from .events import counts_of, report_loads, shifted_counts, stamp, status_change


def commit_plan(tx, plan: dict, policy: Policy, now: datetime) -> dict:
    """Reserve the plan's officers and emit officers.committed, or emit commit.rejected with reasons."""
    conn = tx.conn
    done = store.commitment(conn, plan_id=plan["plan_id"])
    if done:
        return {"status": "committed", "commit_id": done["commit_id"], "officer_ids": done["officer_ids"]}
    ids = [a["officer_id"] for a in plan["assignments"]]
    task = Task(parse_time(plan["task_start"]), parse_time(plan["task_end"]), parse_time(plan["at"]))
    homes = store.officer_counties(conn, ids)
    locked = store.lock_counties(conn, sorted(homes))        # counties first, then officers: one order
    rows = store.lock_for_commit(conn, ids)
    counts = _Counts(conn, sorted(set(locked) | {r["county"] for r in rows.values()} | {plan["county"]}),
                     list(rows.values()), now)
    loads = {}
    for county, row in locked.items():
        c = counts.before.get(county, {"available": 0, "committed": 0})
        share = row["reserve_share"] if row["reserve_share"] is not None else policy.reserve_share
        loads[county] = CountyLoad(c["available"], c["available"] + c["committed"], share)
    required = {a["officer_id"]: tuple(a.get("certifications", ())) for a in plan["assignments"]}
    candidates = [_candidate(rows[i], required[i], now) for i in ids if i in rows]
    rejections = commit_rules.check_plan(candidates, [i for i in ids if i not in rows], task, loads,
                                         limit=policy.duty_limit_min)
    if rejections:
        return _reject(tx, plan, rejections, now)
    return _commit(tx, plan, [rows[i] for i in ids], task, policy, now, counts, locked)


class _Counts:
    """The county counts of a commit with one scan of its counties: the counts after the commit are
    those before it with the plan's officers (`mine`, their locked rows; their status alone changes)
    counted again, from their rows."""

    def __init__(self, conn, codes: list[str], mine: list[dict], now: datetime):
        """`codes` include the home county of every officer in `mine`."""
        self.mine, self.now = mine, now
        self.before = store.county_counts(conn, codes, now)

    def after(self, values: dict) -> dict[str, dict]:
        """store.county_counts over `codes` once the plan's officers took `values` (status, rest_until)."""
        return shifted_counts(self.before, counts_of(self.mine, self.now),
                              counts_of([{**r, **values} for r in self.mine], self.now))


def _candidate(row: dict, required: tuple[str, ...], now: datetime) -> Candidate:
    certs = {c["name"]: date.fromisoformat(c["expires"]) for c in row["certifications"]}
    status = duty.effective_status(row["status"], row["rest_until"], now)
    return Candidate(row["officer_id"], row["county"], status, store.duty_now(row, now), certs, required)


def _reject(tx, plan: dict, rejections, now: datetime) -> dict:
    data = {"plan_id": plan["plan_id"], "request_id": plan["request_id"],
            "reasons": [r.as_dict() for r in rejections], "at": stamp(now)}
    if plan.get("incident_id"):
        data["incident_id"] = plan["incident_id"]
    tx.emit("commit.rejected", data, key=plan["request_id"], subject=plan["request_id"])
    return {"status": "rejected", **data}


def _commit(tx, plan: dict, rows: list[dict], task: Task, policy: Policy, now: datetime, counts: _Counts,
            locked: dict[str, dict]) -> dict:
    commit_id = f"CMT-{uuid.uuid4().hex[:12].upper()}"
    ids = [r["officer_id"] for r in rows]
    reserved = {"status": "reserved", "status_since": now, "commit_id": commit_id, "rest_until": None}
    store.update_officers(tx.conn, ids, reserved)
    store.insert_commitment(tx.conn, {
        "commit_id": commit_id, "plan_id": plan["plan_id"], "request_id": plan["request_id"],
        "incident_id": plan.get("incident_id"), "county": plan["county"], "grade": plan["grade"],
        "risk": plan.get("risk"), "task_start": task.start, "task_end": task.end, "officer_ids": ids,
        "status": "committed", "at": now}, {r["officer_id"]: r["county"] for r in rows})
    changes = [status_change({**row, "status": "on_duty"}, "reserved", now, f"committed to {plan['plan_id']}",
                             request_id=plan["request_id"]) for row in rows]
    data = {"commit_id": commit_id, "plan_id": plan["plan_id"], "request_id": plan["request_id"],
            "officer_ids": ids, "at": stamp(now)}
    wages = {r["officer_id"]: r["personal"].get("base_wage_daily") for r in rows}
    if any(wages.values()):  # logistics pays the allowance on each officer's own wage
        data["base_wage_daily"] = {k: v for k, v in wages.items() if v}
    if plan.get("incident_id"):
        data["incident_id"] = plan["incident_id"]
    committed = Emit("officers.committed", data, key=plan["request_id"], subject=plan["request_id"])
    reported = sorted({r["county"] for r in rows} | {plan["county"]})
    # every event of the commit in one write: the status changes, the commit, then the counties' loads
    # (the counties' rows: those locked above, unchanged since; the receiving county's read if not among them)
    report_loads(tx, reported, now, policy.reserve_share, counts=counts.after(reserved), rows=locked,
                 after=[*changes, committed])
    return {"status": "committed", **data}
