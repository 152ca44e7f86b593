"""Support requests: raised for an incident's force gap, asking for more or less as it changes, withdrawn,
escalated. Every change is an event.

The force gap is each watched incident's need against what its county can spare (domain/gap.py). It is
assessed again when a county's load report arrives, when an incident is reported, grows or has its
lines confirmed. An incident that calls for support (gap above the threshold, or grade at or above III)
gets one open request for its shortfall (what the county's free officers cannot cover, line by line;
nothing when they cover it all); a later trigger never raises a second one while it is open. Growth
adds the new shortfall to the open request; officers freed later shrink a request not yet approved.

A request demand withdrew because the county's own officers covered every line hands the incident
back to the watch (status `reported`): when it grows, or the county's free force no longer covers it,
it gets a new request. An incident whose request a commander cancelled, or whose support was
released, is watched again once it grows.

Plain functions of a transaction; the SQL is store.py's. The request row keeps the latest
`support.requested`-shaped view (`request`), the status, escalation state and the progress facts
(officers committed, units ordered and arrived) that drive the lifecycle.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from ..common.clock import stamp
from ..common.outbox import Tx
from ..geo.regions import city_of
from . import policies, status, store
from .domain import escalation, growth, lifecycle
from .domain.gap import Gap, allocate, explain, trigger_reason, unreported
from .domain.gap import need as need_of
from .domain.grading import SEVERITY
from .domain.overrides import apply as apply_overrides
from .domain.support_policy import higher_level

MONITOR = "demand force-gap monitor"  # who withdraws a request the county's own officers now cover
WATCHED = ("reported", "supported")  # incidents whose need counts against the county's free force
# An incident whose request ended (released, or cancelled by a commander): watched again when it grows.
ENDED_SUPPORT = ("supported", "support_dropped", "support_cancelled")


# --- the force gap ----------------------------------------------------------------------------------

def county_gaps(conn, county: str) -> tuple[list, dict[str, Gap], dict[str, dict]]:
    """The county's watched incidents (oldest first, with their status and their open request's row
    fields `request_id`, `request_status` and `progress` when they have one), the gap of each and the
    grade and lines in force of each. An open request's recorded local share stays on its incident.
    The county's turn is taken first (store.lock_county): what follows reads what an assessment of the
    county committed meanwhile, and the next one waits for this transaction."""
    store.lock_county(conn, county)
    rows = store.watched_incidents(conn, county, WATCHED)
    assessed = {r.incident_id: {"grade": r.grading["grade"], "grading": r.grading,
                                "requirements": apply_overrides(r.lines, r.changes) if r.changes else r.lines}
                for r in rows}
    held = {r.incident_id: (r.progress or {}).get("local") or {} for r in rows if r.request_id}
    gaps = allocate([(r.incident_id, assessed[r.incident_id]["requirements"]) for r in rows],
                    store.latest_load(conn, county), held)
    return rows, gaps, assessed


def evaluate(tx: Tx, county: str, at: datetime) -> list[dict]:
    """Raise a request for every watched incident of the county that calls for one and has none, and
    shrink the open requests that the county's freed officers now partly cover.

    `at` is the time of the fact that caused the evaluation (a load report, an incident report): a
    request raised now counts its deadline from it, or from the incident's report if that is later.
    """
    rules = policies.current().support
    rows, gaps, assessed = county_gaps(tx.conn, county)
    # Only a gap measured against a load report can shrink a request (shrink): without one the county's
    # open requests are neither read nor locked, since nothing here would change them.
    open_requests = store.requests_by_id(tx.conn, [r.request_id for r in rows if r.request_id
                                                   and gaps[r.incident_id].basis != "no_load_report"], lock=True)
    raised = []
    for row in rows:
        gap, assessment = gaps[row.incident_id], assessed[row.incident_id]
        if row.request_id:
            if row.request_id in open_requests:
                shrink(tx, open_requests[row.request_id], assessment, gap, at)
            continue
        if row.status == "supported":  # its support was released: only growth brings it back (reassess)
            continue
        reason = trigger_reason(rules.gap_triggers(gap.exact_ratio), rules.grade_triggers(assessment["grade"]))
        if reason:
            requested_at = max(at, growth.fact_time(row.report))
            data = raise_request(tx, row.report, assessment, gap, reason, requested_at)
            if data is not None:
                raised.append(data)
    return raised


def reassess(tx: Tx, incident: dict, at: datetime, why: str, *, reopen: bool = False) -> dict | None:
    """The incident's need changed (it grew, or its lines were confirmed): its open request asks for the
    new shortfall (support.escalated); without one the county is evaluated again and the incident gets a
    request if it now calls for one. `reopen`: an incident whose last request ended is watched again."""
    incident_id, county = incident["incident_id"], incident["location"]["county"]
    row = store.open_request(tx.conn, incident_id)
    if row is None:
        if reopen:
            store.set_incident_status(tx.conn, incident_id, "reported", only_from=ENDED_SUPPORT)
        evaluate(tx, county, at)
        return None
    _, gaps, assessed = county_gaps(tx.conn, county)
    assessment = assessed.get(incident_id) or store.assessment(tx.conn, incident_id)
    gap = gaps.get(incident_id) or unreported(assessment["requirements"])
    return escalate_growth(tx, row, incident, assessment, gap, at, why)


# --- a request's changes ----------------------------------------------------------------------------

def rule_text(grading: dict) -> str:
    return f"{grading['rule_id']} ({grading['policy_version']}): {grading['reason']}"[:200]


def deadline_line(incident: dict) -> str:
    """The incident's deadline line: "investigation" support or an "emergency"."""
    return policies.current().support.line_for(incident.get("type") or incident.get("incident_type"),
                                               incident.get("domain"))


def raise_request(tx: Tx, incident: dict, assessment: dict, gap: Gap, reason: str, requested_at: datetime, *,
                  echelon: dict | None = None) -> dict | None:
    """Record a request for the incident's shortfall (or one echelon of a scheduled task) and emit
    support.requested; None when the county's own officers cover every line."""
    if not gap.shortfall:
        return None
    rules = policies.current().support
    grade, line = assessment["grade"], deadline_line(incident)
    launch, deadline, minutes = rules.deadline(grade, requested_at, line)
    start, end = rules.task_window(grade, deadline)  # support works from when it must be in place
    if echelon is not None:
        deadline = echelon["deadline"]
        launch, minutes = None, max(1, round((deadline - requested_at).total_seconds() / 60))
        start, end = deadline, max(echelon["window_end"], deadline)
    lines = [dict(x) for x in gap.shortfall]
    data = {
        "request_id": f"REQ-{uuid.uuid4().hex[:12].upper()}", "incident_id": incident["incident_id"],
        "county": incident["location"]["county"], "grade": grade, "rule": rule_text(assessment["grading"]),
        "approval_level": rules.approval_level(grade), "deadline": stamp(deadline), "deadline_minutes": minutes,
        "lines": lines, "reason": reason, "gap_ratio": gap.ratio or 0.0,
        "requested_at": stamp(requested_at), "location": incident["location"], "incident_type": incident["type"],
        "need": gap.need, "gap": need_of(lines), "gap_basis": gap.basis, "local_share": dict(gap.local_share),
        "explanation": explain(gap, reason, grade, assessment["requirements"]), "deadline_line": line,
        "task_window": {"start": stamp(start), "end": stamp(end)},
        "expected_duration_minutes": max(1, round((end - start).total_seconds() / 60)),
    }
    if launch is not None:
        data["launch_deadline"] = stamp(launch)
    if echelon is not None:
        data.update(echelon=echelon["echelon_id"], preposition_id=echelon["preposition_id"])
    store.insert_request(
        tx.conn, request_id=data["request_id"], incident_id=data["incident_id"], echelon=data.get("echelon", ""),
        county=data["county"], city=city_of(data["county"]), grade=grade, severity=SEVERITY[grade],
        status="requested", approval_level=data["approval_level"], deadline=deadline, launch_deadline=launch,
        requested_at=requested_at, updated_at=requested_at, escalation_level=0, escalated_stages=[],
        next_check=escalation.next_check("requested", launch, deadline, []),
        progress={"committed": [], "ordered": [], "arrived": [], "local": dict(gap.local)}, request=data)
    store.set_incident_status(tx.conn, incident["incident_id"], "supported", only_from=("reported",))
    tx.emit("support.requested", data, key=data["request_id"], correlationid=data["incident_id"])
    return data


def escalate_growth(tx: Tx, row, incident: dict, assessment: dict, gap: Gap, at: datetime, why: str) -> dict | None:
    """An incident that grew: new grade, deadline and lines for its open request (support.escalated).

    The lines become the new shortfall: what was asked before plus only the part of the growth that the
    county's free officers cannot cover.

    Deadlines: the new grade's, counted from the growth, but never later than those already set (growth
    never gives support more time). The launch deadline counts from the same moment as the on-scene one,
    so it keeps the grade's lead on it: when the earlier on-scene deadline is the one counted from the
    request, so is the launch deadline (grade II requested at 01:00, on scene by 01:30, grows to I at
    01:20: launched by 01:15, not 01:35, which would fall after 01:30). A launch deadline already passed
    escalates at the next check, as any missed one does."""
    rules = policies.current().support
    old = row.request
    grade = assessment["grade"]
    if SEVERITY[grade] <= SEVERITY[row.grade] and [dict(x) for x in gap.shortfall] == old["lines"]:
        return None
    if not gap.shortfall:
        return withdraw(tx, row, at, f"{why}; the county's own officers now cover every line")
    grade = grade if SEVERITY[grade] > SEVERITY[row.grade] else row.grade
    launch, arrive, minutes = rules.deadline(grade, at, deadline_line(incident))
    deadline = min(row.deadline, arrive)
    if launch is not None:
        launch -= arrive - deadline  # the same clock as the on-scene deadline kept
    if row.launch_deadline is not None or launch is not None:
        launch = min(d for d in (launch, row.launch_deadline) if d is not None)
    level = higher_level(row.approval_level, rules.approval_level(grade))
    view = dict(old, grade=grade, rule=rule_text(assessment["grading"]), approval_level=level,
                deadline=stamp(deadline), deadline_minutes=minutes, **_shortfall_fields(row, gap, assessment, grade))
    if launch is not None:
        view["launch_deadline"] = stamp(launch)
    data = _escalated(row, view, to_grade=grade, reason=why, at=at, kind="growth")
    store.update_request(
        tx.conn, row.request_id, grade=grade, severity=SEVERITY[grade], approval_level=level, deadline=deadline,
        launch_deadline=launch, updated_at=at, request=view, progress=dict(row.progress, local=dict(gap.local)),
        next_check=escalation.next_check(row.status, launch, deadline, row.escalated_stages))
    tx.emit("support.escalated", data, key=row.request_id, correlationid=row.incident_id)
    return data


def shrink(tx: Tx, row, assessment: dict, gap: Gap, at: datetime) -> dict | None:
    """Local officers freed since the request: it asks for less (support.escalated, kind local_cover),
    or is withdrawn when they cover every line. Only before approval, and only ever downwards."""
    if row.status not in lifecycle.NOT_YET_APPROVED or gap.basis == "no_load_report":
        return None
    before, after = need_of(row.request["lines"]), need_of(gap.shortfall)
    if after >= before:
        return None
    why = f"local officers freed: the county now covers {gap.covered} of {gap.need} itself; asks for {after}, not {before}"
    if not after:
        return withdraw(tx, row, at, why)
    view = dict(row.request, **_shortfall_fields(row, gap, assessment, row.grade))
    data = _escalated(row, view, to_grade=row.grade, reason=why, at=at, kind="local_cover")
    store.update_request(tx.conn, row.request_id, updated_at=at, request=view,
                         progress=dict(row.progress, local=dict(gap.local)))
    tx.emit("support.escalated", data, key=row.request_id, correlationid=row.incident_id)
    return data


def withdraw(tx: Tx, row, at: datetime, why: str) -> dict:
    """The county covers every line itself: the request is cancelled (support.cancelled) by demand, and
    its incident goes back to the watch (a new request when the county can no longer cover it)."""
    status.command(tx, row, "cancelled", at=at, by=MONITOR, note=why)
    if not row.echelon:
        store.set_incident_status(tx.conn, row.incident_id, "reported")
    data = {"request_id": row.request_id, "incident_id": row.incident_id, "county": row.county,
            "reason": why[:1000], "cancelled_by": MONITOR, "cancelled_at": stamp(at)}
    tx.emit("support.cancelled", data, key=row.request_id, correlationid=row.incident_id)
    return data


def escalate_deadline(tx: Tx, row, due: list[str], now: datetime) -> dict:
    """Missed deadlines (the stages in `due`): the request goes up one approval level (support.escalated +
    visible state). The first stage names the escalation; every stage in `due` is marked escalated."""
    level = policies.current().support.next_level(row.approval_level)
    stage = due[0]
    missed = row.launch_deadline if stage == "launch" else row.deadline
    what = " nor ".join({"launch": "launched", "approval": "approved"}.get(s, "on scene") for s in due)
    why = (f"not {what} by the deadline {stamp(missed)} (status {row.status}); "
           f"approval raised from {row.approval_level} to {level}")
    stages = [*row.escalated_stages, *due]
    view = dict(row.request, approval_level=level)
    data = _escalated(row, view, to_grade=row.grade, reason=why, at=now, kind=f"deadline_missed:{stage}",
                      level=row.escalation_level + 1, stages=stages)
    store.update_request(
        tx.conn, row.request_id, approval_level=level, escalation_level=row.escalation_level + 1,
        escalated_stages=stages, updated_at=now, request=view,
        next_check=escalation.next_check(row.status, row.launch_deadline, row.deadline, stages))
    tx.emit("support.escalated", data, key=row.request_id, correlationid=row.incident_id)
    return data


def _shortfall_fields(row, gap: Gap, assessment: dict, grade: str) -> dict:
    lines = [dict(x) for x in gap.shortfall]
    reason = row.request.get("reason", "grade")
    return {"lines": lines, "need": gap.need, "gap": need_of(lines), "gap_ratio": gap.ratio or 0.0,
            "local_share": dict(gap.local_share), "explanation": explain(gap, reason, grade, assessment["requirements"])}


def _escalated(row, view: dict, *, to_grade: str, reason: str, at: datetime, kind: str, level: int | None = None,
               stages: list | None = None) -> dict:
    data = {k: view[k] for k in ("request_id", "incident_id", "county", "rule", "approval_level", "deadline",
                                 "deadline_minutes", "lines", "gap_ratio", "task_window", "local_share",
                                 "explanation") if k in view}
    data.update(from_grade=row.grade, to_grade=to_grade, reason=reason, escalated_at=stamp(at), kind=kind,
                from_approval_level=row.approval_level, status=row.status,
                escalation_level=row.escalation_level if level is None else level)
    if "launch_deadline" in view:
        data["launch_deadline"] = view["launch_deadline"]
    return data
