"""Force-gap monitoring: each open incident's need against what its county can spare.

Re-evaluated when a county's load report arrives and when an incident is reported or grows. An
incident that calls for support (gap above the threshold, or grade at or above III) gets one open
request for its shortfall (what the county's free officers cannot cover, line by line; nothing when
they cover it all); a later trigger never raises a second one while it is open. Growth adds the new
shortfall to the open request; officers freed later shrink a request not yet approved.

A request demand withdrew because the county's own officers covered every line hands the incident
back to the watch (status `reported`): when it grows, or the county's free force no longer covers it,
it gets a new request. An incident whose request a commander cancelled, or whose support was
released, is watched again once it grows.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update

from ..common.outbox import Tx
from . import policies, support
from .domain.gap import Gap, allocate, trigger_reason, unreported
from .domain.lifecycle import OPEN
from .domain.overrides import apply as apply_overrides
from .incidents import load_assessment
from .store import assessments, county_loads, incidents, overrides, requests
from .times import parse, utc

MONITORED = ("reported", "supported")  # incidents whose need counts against the county's free force
# An incident whose request ended (released, or cancelled by a commander): watched again when it grows.
ENDED_SUPPORT = ("supported", "support_dropped", "support_cancelled")


def latest_load(conn, county: str) -> dict | None:
    row = conn.execute(select(county_loads.c.report).where(county_loads.c.county == county)).first()
    return None if row is None else row.report


def record_load(tx: Tx, report: dict) -> bool:
    """Keep the county's latest report; False when `report` is older than the one kept."""
    at = parse(report["at"])
    row = tx.conn.execute(select(county_loads.c.at).where(county_loads.c.county == report["county"])).first()
    if row is None:
        tx.conn.execute(insert(county_loads).values(county=report["county"], report=report, at=at))
    elif utc(row.at) <= at:
        tx.conn.execute(update(county_loads).where(county_loads.c.county == report["county"])
                        .values(report=report, at=at))
    else:
        return False
    return True


def county_gaps(conn, county: str) -> tuple[list, dict[str, Gap], dict[str, dict]]:
    """The county's monitored incidents (oldest first, with their status and their open request's row
    fields `request_id`, `request_status` and `progress` when they have one), the gap of each and the
    grade and lines in force of each. An open request's recorded local share stays on its incident."""
    rows = conn.execute(
        select(incidents.c.incident_id, incidents.c.status, incidents.c.report, incidents.c.reported_at,
               assessments.c.grading, assessments.c.lines, overrides.c.changes, requests.c.request_id,
               requests.c.status.label("request_status"), requests.c.progress)
        .select_from(incidents.join(assessments, assessments.c.incident_id == incidents.c.incident_id)
                     .outerjoin(overrides, overrides.c.incident_id == incidents.c.incident_id)
                     .outerjoin(requests, (requests.c.incident_id == incidents.c.incident_id)
                                & (requests.c.echelon == "") & requests.c.status.in_(OPEN)))
        .where(incidents.c.county == county, incidents.c.status.in_(MONITORED))
        .order_by(incidents.c.reported_at, incidents.c.incident_id)).all()
    assessed = {r.incident_id: {"grade": r.grading["grade"], "grading": r.grading,
                                "requirements": apply_overrides(r.lines, r.changes) if r.changes else r.lines}
                for r in rows}
    held = {r.incident_id: (r.progress or {}).get("local") or {} for r in rows if r.request_id}
    gaps = allocate([(r.incident_id, assessed[r.incident_id]["requirements"]) for r in rows],
                    latest_load(conn, county), held)
    return rows, gaps, assessed


def evaluate(tx: Tx, county: str, at: datetime) -> list[dict]:
    """Raise a request for every monitored incident of the county that calls for one and has none, and
    shrink the open requests that the county's freed officers now partly cover.

    `at` is the time of the fact that caused the evaluation (a load report, an incident report): a
    request raised now counts its deadline from it, or from the incident's report if that is later.
    """
    rules = policies.current().support
    rows, gaps, assessed = county_gaps(tx.conn, county)
    raised = []
    for row in rows:
        gap, assessment = gaps[row.incident_id], assessed[row.incident_id]
        if row.request_id:
            support.shrink(tx, support_row(tx.conn, row.request_id), assessment, gap, utc(at))
            continue
        if row.status == "supported":  # its support was released: only growth brings it back (on_growth)
            continue
        reason = trigger_reason(rules.gap_triggers(gap.ratio), rules.grade_triggers(assessment["grade"]))
        if reason:
            requested_at = max(utc(at), _fact_time(row.report))
            data = support.raise_request(tx, row.report, assessment, gap, reason, requested_at)
            if data is not None:
                raised.append(data)
    return raised


def on_growth(tx: Tx, incident: dict, why: str) -> dict | None:
    """An incident grew: its open request asks for the new shortfall; without one (none yet, or the last
    one ended) the incident is watched again and gets a request if it now calls for one."""
    at = _fact_time(incident)
    row = support.open_request_of(tx.conn, incident["incident_id"])
    if row is None:
        tx.conn.execute(update(incidents).where(incidents.c.incident_id == incident["incident_id"],
                                                incidents.c.status.in_(ENDED_SUPPORT)).values(status="reported"))
        evaluate(tx, incident["location"]["county"], at)
        return None
    _, gaps, assessed = county_gaps(tx.conn, incident["location"]["county"])
    assessment = assessed.get(incident["incident_id"]) or load_assessment(tx.conn, incident["incident_id"])
    gap = gaps.get(incident["incident_id"]) or unreported(assessment["requirements"])
    return support.escalate_growth(tx, row, incident, assessment, gap, at, why)


def support_row(conn, request_id: str):
    return conn.execute(select(requests).where(requests.c.request_id == request_id).with_for_update()).first()


def _fact_time(incident: dict) -> datetime:
    return parse(incident.get("updated_at") or incident["reported_at"])
