"""Duty limits through the whole task: each approved shift ends before any of its officers passes
the limit, a task longer than the shift gets its relief shift (the next echelon) planned and
proposed before the shift ends, for the same approval, and the receiving command is alerted when
its support officers come close to the limit, or an extension would take them past it (they are
then re-staffed by a relief shift).

A relief shift is a request of its own (`<request>-S<n>`), kept `scheduled` until its lead time
before the shift ends, then planned like any other request: its officers are ordered when it is
approved, so their duty runs from then, through the wait and the travel, to the end of their shift.
Its plans say so (`relief_of`: the incident's request it relieves, the shift's number, when it takes
over), so logistics and the twin file it under the same incident as its next echelon.

Alerts are kept for GET /alerts and published once as duty.alert-raised when they are raised.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from datetime import datetime, timedelta

from . import store
from .approvals import task_minutes
from .domain.policy import POLICY
from .readmodel import parse_time


def reaches_limit(at: datetime, minutes: int) -> datetime:
    """When an officer ordered out at `at` with `minutes` already on duty reaches the limit."""
    return at + timedelta(seconds=POLICY.duty_limit_s - minutes * 60)


def shift_window(conn, data: dict, assignments: list[dict], at: datetime) -> tuple[datetime, datetime, datetime]:
    """(start, end, task end) of the shift an approval at `at` orders out: it starts at the last arrival
    (a relief shift: not before it takes over), runs one shift at most, and ends before any of its
    officers passes the limit, counted from the order; the task may run on past it."""
    start = at + timedelta(seconds=max(a["eta_s"] for a in assignments))
    if data.get("relief_from"):
        start = max(start, parse_time(data["relief_from"]))
    planned = start + timedelta(minutes=min(task_minutes(data), POLICY.shift_min))
    worked = store.duty_minutes(conn, [a["officer_id"] for a in assignments])
    cap = min((reaches_limit(at, m) for m in worked.values()), default=planned)
    window = data.get("task_window") or {}
    task_end = parse_time(window["end"]) if window.get("end") else start + timedelta(minutes=task_minutes(data))
    return start, min(planned, cap), max(task_end, min(planned, cap))


def relief_id(request_id: str, shift: int) -> str:
    rid = f"{request_id}-S{shift}"
    return rid if len(rid) <= 64 else f"R-{hashlib.sha1(rid.encode()).hexdigest()[:20]}-S{shift}"


def schedule(conn, data: dict, plan_id: str, assignments: list[dict], frm: datetime, until: datetime,
             at: datetime, exclude: list[str]) -> str | None:
    """A relief shift for `assignments`' places from `frm` to `until`: kept until its lead time, then planned."""
    if (until - frm).total_seconds() < 60:
        return None
    shift = int(data.get("shift", 1)) + 1
    base = data.get("relief_base") or data["request_id"]
    rid = relief_id(base, shift)
    while store.request_exists(conn, rid):
        shift += 1
        rid = relief_id(base, shift)
    places = Counter(a["line_id"] for a in assignments)
    lines = [dict(line, headcount=places[line["line_id"]]) for line in data["lines"] if places[line["line_id"]]]
    due = frm - timedelta(minutes=POLICY.relief_lead_min)
    relief = dict(data, request_id=rid, lines=lines, deadline=frm.isoformat(), relief_of=plan_id, relief_base=base,
                  relief_from=frm.isoformat(), shift=shift, not_before=due.isoformat(),
                  task_window={"start": frm.isoformat(), "end": until.isoformat()})
    relief.pop("expected_duration_minutes", None)
    store.insert_request(conn, rid, relief, status="pending" if due <= at else "scheduled", exclude=sorted(set(exclude)),
                         received_at=at)
    return rid


def marker(data: dict) -> dict | None:
    """`relief_of` of a relief shift's plans; None for the incident's own request."""
    if not data.get("relief_base"):
        return None
    return {"request_id": data["relief_base"], "shift": int(data["shift"]), "takes_over_at": data["relief_from"]}


def promote_due(conn, at: datetime) -> int:
    """Scheduled relief shifts whose lead time has come are planned from now on."""
    due = [r.request_id for r in store.scheduled_requests(conn) if parse_time(r.data["not_before"]) <= at]
    if due:
        store.set_requests_status(conn, due, "pending")
    return len(due)


def alert(conn, kind: str, data: dict, plan_id: str, officer_id: str, reaches: datetime, raise_at: datetime,
          text: str, at: datetime, relief: str | None) -> None:
    key = f"{kind}:{plan_id}:{officer_id}"
    if len(key) > 96:
        key = f"{kind}:{hashlib.sha1(key.encode()).hexdigest()[:40]}"
    if store.alert_exists(conn, key):
        return
    store.insert_alert(conn, alert_id=key, kind=kind, county=data["county"], request_id=data["request_id"],
                       plan_id=plan_id, officer_id=officer_id, reaches_limit_at=reaches, raise_at=raise_at,
                       relief_request_id=relief, text=text, created_at=at)


def on_approved(conn, data: dict, plan_id: str, assignments: list[dict], at: datetime, end: datetime,
                task_end: datetime) -> str | None:
    """After an approval: the relief shift when the task outlasts this one, and the alerts of officers
    who will come within the warning margin of the limit before the shift ends."""
    ids = [a["officer_id"] for a in assignments]
    relief = None
    if task_end > end:
        relief = schedule(conn, data, plan_id, assignments, end, task_end, at, ids)
    warn = timedelta(minutes=POLICY.warn_min)
    for officer_id, minutes in sorted(store.duty_minutes(conn, ids).items()):
        reaches = reaches_limit(at, minutes)
        if reaches - warn <= end:
            text = (f"{officer_id} reaches {POLICY.duty_limit_min // 60} h on duty at {reaches.isoformat()}; the shift "
                    f"ends {end.isoformat()}" + (f"; relief {relief} is planned" if relief else ""))
            alert(conn, "approaching_limit", data, plan_id, officer_id, reaches, max(at, reaches - warn), text, at, relief)
    return relief


def on_extended(conn, ext: dict, at: datetime) -> str | None:
    """An extension approved by the receiving side: officers who would pass the limit before the new
    end are re-staffed by a relief shift from the moment the first of them reaches it, and the
    receiving command is alerted for each."""
    plan = store.plan(conn, ext.get("plan_id"))
    req = store.request(conn, ext["request_id"])
    if plan is None or plan.approval is None or req is None:
        return None
    ordered = parse_time(plan.approval["at"])
    until = parse_time(ext["until"])
    ids = ext.get("officer_ids") or [a["officer_id"] for a in plan.approval["assignments"]]
    over = {o: reaches_limit(ordered, m) for o, m in store.duty_minutes(conn, ids).items()
            if reaches_limit(ordered, m) < until}
    if not over:
        return None
    lines = {o: r.line_id for o, r in store.holds_of_officers(conn, list(over)).items()}
    lines |= {a["officer_id"]: a["line_id"] for a in plan.approval["assignments"] if a["officer_id"] in over}
    first = min(over.values())
    relief = schedule(conn, req.data, plan.plan_id, [{"officer_id": o, "line_id": lines[o]} for o in over if o in lines],
                      max(first, at), until, at, list(ids))
    for officer_id, reaches in sorted(over.items()):
        text = (f"{officer_id} may not serve the extension to {until.isoformat()}: {POLICY.duty_limit_min // 60} h on "
                f"duty at {reaches.isoformat()}" + (f"; re-staffed by {relief}" if relief else "; re-staff by hand"))
        alert(conn, "extension_past_limit", req.data, plan.plan_id, officer_id, reaches, at, text, at, relief)
    return relief


def publish_due(tx, at: datetime) -> int:
    """Publish every alert whose time has come and that was not published yet (duty.alert-raised)."""
    rows = store.unpublished_alerts(tx.conn, at)
    for r in rows:
        data = _view(r)
        incident = (r.data or {}).get("incident_id")
        if incident:
            data["incident_id"] = incident
        store.mark_published(tx.conn, r.alert_id, at)
        tx.emit("duty.alert-raised", {k: v for k, v in data.items() if v is not None}, key=r.request_id,
                correlationid=incident or r.request_id)
    return len(rows)


def raised(conn, at: datetime, counties: set[str] | None = None) -> list[dict]:
    out = []
    for r in store.raised_alerts(conn, at):
        if counties is not None and r.county not in counties:
            continue
        out.append(_view(r))
    return out


def _view(r) -> dict:
    return {"alert_id": r.alert_id, "kind": r.kind, "county": r.county, "request_id": r.request_id,
            "plan_id": r.plan_id, "officer_id": r.officer_id, "reaches_limit_at": r.reaches_limit_at.isoformat(),
            "raised_at": r.raise_at.isoformat(), "relief_request_id": r.relief_request_id, "text": r.text}

