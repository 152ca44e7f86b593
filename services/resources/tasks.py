"""A committed task's life after the commit: dispatch, positions on the way, release."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from ..common.clock import parse_time
from ..common.outbox import Emit
from . import store
from .domain import duty
from .domain.policy import Policy
from .events import report_loads, stamp, status_change

log = logging.getLogger(__name__)


def dispatch(tx, order: dict, now: datetime) -> list[str]:
    """Reserved officers named in a dispatch order are deployed; they move with the order's unit."""
    rows = store.lock_officers(tx.conn, order["officer_ids"])
    moved = [r for r in rows.values() if r["status"] == "reserved"]
    skipped = sorted(set(order["officer_ids"]) - {r["officer_id"] for r in moved})
    if skipped:
        log.warning("dispatch %s: not reserved, left as they are: %s", order["order_id"], ", ".join(skipped))
    ids = [r["officer_id"] for r in moved]
    ordered = min(parse_time(order["ordered_at"]), now)   # duty runs from the order: the release counts from it
    store.update_officers(tx.conn, ids, {"status": "deployed", "status_since": ordered, "task_unit": order["unit_id"]})
    tx.emit_many([status_change(row, "deployed", parse_time(order["ordered_at"]), f"dispatched by {order['order_id']}",
                                request_id=order["request_id"], deployment_id=order.get("deployment_id"))
                  for row in moved])
    return ids


def report_position(tx, report: dict) -> int:
    """Move the unit's officers, unless a report at least as recent was applied already (late delivery)."""
    if not store.newer_position(tx.conn, report["unit_id"], parse_time(report["at"])):
        return 0
    return store.move_unit(tx.conn, report["unit_id"], report["point"]["lon"], report["point"]["lat"])


def release(tx, released: dict, policy: Policy, now: datetime) -> list[dict]:
    """Duty minutes accrue, points are awarded, officers go back on duty or to rest."""
    conn = tx.conn
    rows = store.lock_officers(conn, released["officer_ids"])
    task = _commitment(conn, released, rows)
    at = parse_time(released["released_at"])
    per_officer = released.get("duty_minutes_by_officer", {})
    receiving = _receiving(conn, task)
    changes, awards, emits = [], [], []
    for row in (r for r in rows.values() if r["status"] in ("reserved", "deployed")):
        since = row["status_since"] if row["status"] == "deployed" else None
        worked = duty.worked_minutes(per_officer.get(row["officer_id"], released["duty_minutes"]), since, at)
        change, award = _release_one(row, worked, at, task, receiving, released, policy, now)
        changes.append(change)
        awards.append(award)
        emits += [status_change(row, change["status"], at, f"released from {released['deployment_id']}",
                                request_id=released["request_id"], deployment_id=released["deployment_id"]),
                  _points_awarded(award)]
    store.update_each(conn, changes)
    store.insert_points(conn, awards)
    if task and _finished(conn, task, changes):
        store.set_commitment_status(conn, task["commit_id"], "released")
    # each officer's status change and points, then the counties' loads: one write (tx.emit_many)
    report_loads(tx, sorted({r["county"] for r in rows.values()}), now, policy.reserve_share, after=emits)
    return awards


def _commitment(conn, released: dict, rows: dict) -> dict | None:
    if released.get("plan_id"):
        found = store.commitment(conn, plan_id=released["plan_id"])
        if found:
            return found
    ids = {r["commit_id"] for r in rows.values() if r["commit_id"]}
    return store.commitment(conn, commit_id=ids.pop()) if len(ids) == 1 else None


def _receiving(conn, task: dict | None) -> tuple[str | None, str | None]:
    """(county, city) that received the support, for the reciprocity balance between cities."""
    if not task:
        return None, None
    row = store.county_rows(conn, [task["county"]]).get(task["county"])
    return task["county"], (row["city"] if row else None)


def _finished(conn, task: dict, changes: list[dict]) -> bool:
    released = {c["officer_id"] for c in changes}
    still = store.officers_by_id(conn, [i for i in task["officer_ids"] if i not in released])
    return not any(r["commit_id"] == task["commit_id"] for r in still.values())


def _release_one(row: dict, worked: int, at: datetime, task: dict | None, receiving: tuple, released: dict,
                 policy: Policy, now: datetime) -> tuple[dict, dict]:
    minutes, window = duty.accrue(row["duty_minutes_24h"], row["duty_window_start"], worked,
                                  at - timedelta(minutes=worked), at)
    status, rest_until = duty.after_release(minutes, at, rest_minutes=policy.rest_min, limit=policy.duty_limit_min)
    grade = task["grade"] if task else "IV"
    difficulty, risk = policy.points.difficulty_of(grade), policy.points.risk_of(grade, task["risk"] if task else None)
    earned = policy.points.award(difficulty=difficulty, duration_h=worked / 60, risk=risk)
    change = {"officer_id": row["officer_id"], "status": status, "status_since": now, "rest_until": rest_until,
              "duty_minutes_24h": minutes, "duty_window_start": window, "commit_id": None, "task_unit": None,
              "points_balance": float(row["points_balance"]) + earned}
    award = {"officer_id": row["officer_id"], "task_id": released["deployment_id"],
             "request_id": released["request_id"], "county": row["county"], "city": row["city"],
             "receiving_county": receiving[0], "receiving_city": receiving[1], "points": earned,
             "difficulty": difficulty, "risk": risk, "duration_h": round(worked / 60, 2), "at": now}
    return change, award


def _points_awarded(award: dict) -> Emit:
    data = {k: award[k] for k in ("officer_id", "task_id", "county", "request_id", "points", "difficulty",
                                  "duration_h", "risk")}
    return Emit("points.awarded", dict(data, at=stamp(award["at"])), key=award["officer_id"],
                subject=award["officer_id"])


