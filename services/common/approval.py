"""Tiered approval of support plans, from the permission table's `approval` section (permissions.yaml).

The province approves major incidents (grade I/II); a city commander approves general ones (III/IV)
for receiving counties inside their city; a county officer never approves. A request demand marked
for province-level approval needs the province whatever its grade. matching asks `may_approve`
before it signs and publishes plan.approved (and before a commander rejects a plan).
"""
from __future__ import annotations

from .auth import Identity, region_covers
from .permissions import Decision, table

# matching's refusals of an approval whose plan no longer matches the state (409, contracts/http/problem.schema.json
# codes). After those in REPLANNED the request is re-planned against the current state at once: matching decides
# so by them (approvals.Conflict), and the twin says so by them.
REPLANNED = frozenset(("plan.expired", "plan.officer_held", "plan.officer_refused", "plan.officer_off_duty",
                       "plan.duty_limit"))


def may_approve(identity: Identity, *, grade: str, county: str, approval_level: str | None = None) -> Decision:
    roles = table().approval.get(grade)
    if roles is None:
        return Decision(False, f"unknown grade {grade!r}", "approval.grade", {"grade": str(grade)})
    if identity.role not in roles:
        return Decision(False, f"role {identity.role} may not approve a grade {grade} plan "
                               f"(approved by: {', '.join(roles)})",
                        "approval.role", {"role": identity.role, "grade": grade, "roles": ",".join(roles)})
    if approval_level == "province" and identity.role != "province_commander":
        return Decision(False, "this request is approved at province level", "approval.province",
                        {"role": identity.role})
    if not region_covers(identity.region, county):
        return Decision(False, f"receiving county {county} lies outside {identity.role}'s region {identity.region}",
                        "approval.region", {"role": identity.role, "region": identity.region, "county": county})
    return Decision(True, f"{identity.role} of {identity.region} may approve a grade {grade} plan for {county}")
