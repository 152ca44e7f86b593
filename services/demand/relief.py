"""Relief shifts: the next echelon of a task longer than one shift, planned by matching.

matching plans each relief shift as a request of its own (`<request>-S<n>`) whose plans say
`relief_of` (the incident's request it relieves, the shift's number, when it takes over). demand
files it beside that request, as echelon `shift-<n>` of the same incident: same county, grade and
approval level, its lines the places the plan fills, due in place when it takes over. From then on it
moves along its lifecycle on the same facts as any request, and the deadline watch escalates it when
it is not approved, or not on scene, by the time it takes over. It never counts against the county's
free force (only an incident's own request does).
"""
from __future__ import annotations

from collections import Counter

from ..common.clock import parse_time, stamp
from ..common.outbox import Tx
from . import store
from .domain import escalation, lifecycle


def file(tx: Tx, plan: dict) -> bool:
    """Record the relief shift a plan names, once; False when there is nothing to file (no `relief_of`,
    known already, or relieving a request demand does not hold or that has ended)."""
    mark = plan.get("relief_of")
    if not mark or store.request(tx.conn, plan["request_id"]) is not None:
        return False
    parent = store.request(tx.conn, mark["request_id"])
    if parent is None or parent.status not in lifecycle.OPEN:
        return False
    at = parse_time(plan.get("proposed_at") or plan["at"])
    deadline = parse_time(mark["takes_over_at"])
    places = Counter(a["line_id"] for a in plan["assignments"])
    lines = [dict(line, headcount=places[line["line_id"]]) for line in parent.request["lines"] if places[line["line_id"]]]
    echelon = f"shift-{mark['shift']}"
    view = dict(parent.request, request_id=plan["request_id"], lines=lines, deadline=stamp(deadline),
                deadline_minutes=max(1, round((deadline - at).total_seconds() / 60)), requested_at=stamp(at),
                gap=sum(places.values()), echelon=echelon, relief_of=mark["request_id"], shift=mark["shift"],
                explanation=f"relief shift {mark['shift']} of {mark['request_id']}: takes over at {stamp(deadline)}")
    view.pop("launch_deadline", None)
    store.insert_request(
        tx.conn, request_id=plan["request_id"], incident_id=parent.incident_id, echelon=echelon, county=parent.county,
        city=parent.city, grade=parent.grade, severity=parent.severity, status="requested",
        approval_level=parent.approval_level, deadline=deadline, launch_deadline=None, requested_at=at,
        updated_at=at, escalation_level=0, escalated_stages=[],
        next_check=escalation.next_check("requested", None, deadline, []),
        progress={"committed": [], "ordered": [], "arrived": [], "local": {}}, request=view)
    return True
