"""Support requests: raised, escalated, moved along their lifecycle. Every change is an event.

Plain functions of a transaction. The request row keeps the latest `support.requested`-shaped view
(`request`), the status, escalation state and the progress facts (officers committed, units ordered
and arrived) that drive the lifecycle.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import insert, select, update

from ..common.outbox import Tx
from . import policies
from .domain import escalation, lifecycle
from .domain.gap import Gap
from .domain.grading import SEVERITY
from .domain.support_policy import higher_level
from .store import incidents, requests
from .times import stamp, utc


def rule_text(grading: dict) -> str:
    return f"{grading['rule_id']} ({grading['policy_version']}): {grading['reason']}"[:200]


def raise_request(tx: Tx, incident: dict, assessment: dict, gap: Gap, reason: str, requested_at: datetime, *,
                  echelon: dict | None = None) -> dict:
    """Record a request for the incident (or one echelon of a scheduled task) and emit support.requested."""
    rules = policies.current().support
    grade = assessment["grade"]
    launch, deadline, minutes = rules.deadline(grade, requested_at)
    start, end = rules.task_window(grade, deadline)  # support works from when it must be in place
    if echelon is not None:
        deadline = echelon["deadline"]
        launch, minutes = None, max(1, round((deadline - requested_at).total_seconds() / 60))
        start, end = deadline, max(echelon["window_end"], deadline)
    data = {
        "request_id": f"REQ-{uuid.uuid4().hex[:12].upper()}", "incident_id": incident["incident_id"],
        "county": incident["location"]["county"], "grade": grade, "rule": rule_text(assessment["grading"]),
        "approval_level": rules.approval_level(grade), "deadline": stamp(deadline), "deadline_minutes": minutes,
        "lines": assessment["requirements"], "reason": reason, "gap_ratio": gap.ratio or 0.0,
        "requested_at": stamp(requested_at), "location": incident["location"], "incident_type": incident["type"],
        "need": gap.need, "gap": gap.gap if gap.ratio is not None else 0, "gap_basis": gap.basis,
        "task_window": {"start": stamp(start), "end": stamp(end)},
        "expected_duration_minutes": max(1, round((end - start).total_seconds() / 60)),
    }
    if launch is not None:
        data["launch_deadline"] = stamp(launch)
    if echelon is not None:
        data.update(echelon=echelon["echelon_id"], preposition_id=echelon["preposition_id"])
    tx.conn.execute(insert(requests).values(
        request_id=data["request_id"], incident_id=data["incident_id"], echelon=data.get("echelon", ""),
        county=data["county"], city=data["county"][:4] + "00", grade=grade, severity=SEVERITY[grade],
        status="requested", approval_level=data["approval_level"], deadline=deadline, launch_deadline=launch,
        requested_at=requested_at, updated_at=requested_at, escalation_level=0, escalated_stages=[],
        next_check=escalation.next_check("requested", launch, deadline, []),
        progress={"committed": [], "ordered": [], "arrived": []}, request=data))
    tx.conn.execute(update(incidents).where(incidents.c.incident_id == incident["incident_id"],
                                            incidents.c.status == "reported").values(status="supported"))
    tx.emit("support.requested", data, key=data["request_id"], correlationid=data["incident_id"])
    return data


def open_request_of(conn, incident_id: str):
    return conn.execute(select(requests).where(requests.c.incident_id == incident_id, requests.c.echelon == "",
                                               requests.c.status.in_(lifecycle.OPEN))).first()


def escalate_growth(tx: Tx, row, assessment: dict, gap: Gap, at: datetime, why: str) -> dict | None:
    """An incident that grew: new grade, deadline and lines for its open request (support.escalated)."""
    rules = policies.current().support
    old = row.request
    grade, lines = assessment["grade"], assessment["requirements"]
    if SEVERITY[grade] <= SEVERITY[row.grade] and lines == old["lines"]:
        return None
    grade = grade if SEVERITY[grade] > SEVERITY[row.grade] else row.grade
    launch, deadline, minutes = rules.deadline(grade, at)
    deadline = min(utc(row.deadline), deadline)
    if row.launch_deadline is not None or launch is not None:
        launch = min(d for d in (launch, row.launch_deadline and utc(row.launch_deadline)) if d is not None)
    level = higher_level(row.approval_level, rules.approval_level(grade))
    view = dict(old, grade=grade, rule=rule_text(assessment["grading"]), approval_level=level,
                deadline=stamp(deadline), deadline_minutes=minutes, lines=lines, need=gap.need,
                gap_ratio=gap.ratio or 0.0)
    if launch is not None:
        view["launch_deadline"] = stamp(launch)
    data = _escalated(row, view, to_grade=grade, reason=why, at=at, kind="growth")
    tx.conn.execute(update(requests).where(requests.c.request_id == row.request_id).values(
        grade=grade, severity=SEVERITY[grade], approval_level=level, deadline=deadline, launch_deadline=launch,
        updated_at=at, request=view,
        next_check=escalation.next_check(row.status, launch, deadline, row.escalated_stages)))
    tx.emit("support.escalated", data, key=row.request_id, correlationid=row.incident_id)
    return data


def escalate_deadline(tx: Tx, row, due: list[str], now: datetime) -> dict:
    """Missed deadlines (the stages in `due`): the request goes up one approval level (support.escalated +
    visible state). The first stage names the escalation; every stage in `due` is marked escalated."""
    level = policies.current().support.next_level(row.approval_level)
    stage = due[0]
    missed = row.launch_deadline if stage == "approval" and row.launch_deadline is not None else row.deadline
    what = " nor ".join("approved" if s == "approval" else "on scene" for s in due)
    why = (f"not {what} by the deadline {stamp(utc(missed))} (status {row.status}); "
           f"approval raised from {row.approval_level} to {level}")
    stages = [*row.escalated_stages, *due]
    view = dict(row.request, approval_level=level)
    data = _escalated(row, view, to_grade=row.grade, reason=why, at=now, kind=f"deadline_missed:{stage}",
                      level=row.escalation_level + 1, stages=stages)
    tx.conn.execute(update(requests).where(requests.c.request_id == row.request_id).values(
        approval_level=level, escalation_level=row.escalation_level + 1, escalated_stages=stages,
        updated_at=now, request=view,
        next_check=escalation.next_check(row.status, row.launch_deadline, row.deadline, stages)))
    tx.emit("support.escalated", data, key=row.request_id, correlationid=row.incident_id)
    return data


def _escalated(row, view: dict, *, to_grade: str, reason: str, at: datetime, kind: str, level: int | None = None,
               stages: list | None = None) -> dict:
    data = {k: view[k] for k in ("request_id", "incident_id", "county", "rule", "approval_level", "deadline",
                                 "deadline_minutes", "lines", "gap_ratio", "task_window") if k in view}
    data.update(from_grade=row.grade, to_grade=to_grade, reason=reason, escalated_at=stamp(at), kind=kind,
                from_approval_level=row.approval_level, status=row.status,
                escalation_level=row.escalation_level if level is None else level)
    if "launch_deadline" in view:
        data["launch_deadline"] = view["launch_deadline"]
    return data
