"""Relief shifts: the next echelon of a task longer than one shift, planned by matching.

demand raises the incident's request; matching plans each relief shift as a request of its own
(`<request>-S<n>`) whose plans say `relief_of` (the incident's request, the shift's number, when it
takes over). logistics files such a request under the same incident, copied from the request it
relieves: same county, grade, reporting point and tasks; its officers are due in place when it takes
over. Its orders, arrivals and reception then count for that incident, as one more deployment.
"""
from __future__ import annotations

from ..common.clock import parse_time
from . import store


def file(conn, plan: dict) -> bool:
    """Record the relief shift's request from a plan that names one; False when there is nothing to file."""
    mark = plan.get("relief_of")
    if not mark or store.request_exists(conn, plan["request_id"]):
        return False
    parent = store.request(conn, mark["request_id"]) or {}
    store.insert_request(
        conn, request_id=plan["request_id"], incident_id=plan.get("incident_id") or parent.get("incident_id"),
        county=plan.get("county") or parent.get("county"), grade=plan.get("grade") or parent.get("grade"),
        approval_level=parent.get("approval_level"), deadline=parse_time(mark["takes_over_at"]),
        lon=parent.get("lon"), lat=parent.get("lat"), requested_at=parse_time(plan.get("proposed_at") or plan["at"]),
        modules=parent.get("modules"), status="cancelled" if parent.get("status") == "cancelled" else "open")
    return True


def shifts_of(conn, request_id: str) -> list[str]:
    """The relief shifts filed under the incident's request `request_id`."""
    incident = store.incident_of_request(conn, request_id)
    if incident is None:
        return []
    return sorted({r["request_id"] for r in store.other_plans_of_incident(conn, incident, request_id)
                   if marker(r).get("request_id") == request_id})


def marker(plan_row) -> dict:
    """A stored plan's `relief_of` ({} for the incident's own request)."""
    return (plan_row["approval"] or {}).get("relief_of") or (plan_row["proposal"] or {}).get("relief_of") or {}
