"""Which units a committed plan dispatches, and the stable ids of its orders and deployment.

Officers travel as units: the units the approval names (plan.approved carries each officer's unit
and donor county since contract 1.2.0, so dispatch needs no other event), else those of the plan's
proposal when logistics has read it, otherwise one unit per donor county (read from the officer id:
`ZJ<county>-<n>` as the resource pool issues them, the province's ISO 3166-2 letters before the
county code, or `P-<county>-<n>`). The last two are for approvals of release 1.0.0: plan.proposed,
plan.approved and officers.committed are three topics read in no set order between them, so under load
a plan may be approved and committed before logistics has read its proposal. Ids derive from the plan,
so handling the same plan twice gives the same orders.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_COUNTY_IN_ID = re.compile(r"(?:^|\D)(\d{6})-")  # the county code before the serial number


@dataclass(frozen=True)
class Unit:
    unit_id: str
    from_county: str | None
    officer_ids: tuple[str, ...]


def digest(*parts: str, n: int = 12) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n].upper()


def county_of(officer_id: str) -> str | None:
    found = _COUNTY_IN_ID.search(officer_id)
    return found.group(1) if found else None


def group_units(plan_id: str, officer_ids, *plans: dict | None) -> list[Unit]:
    """The units to order, in a stable order; every officer in exactly one unit. `plans` are the
    events that may say an officer's unit and county (the approval, then the proposal): the first that
    says it decides."""
    known: dict[str, dict] = {}
    for plan in reversed(plans):
        for a in (plan or {}).get("assignments", []):
            known[a["officer_id"]] = {**known.get(a["officer_id"], {}),
                                      **{k: v for k, v in a.items() if k in ("from_county", "unit_id") and v}}
    groups: dict[str, list[str]] = {}
    counties: dict[str, str | None] = {}
    for officer in officer_ids:
        a = known.get(officer, {})
        county = a.get("from_county") or county_of(officer)
        unit = a.get("unit_id") or f"SU-{county or 'X'}-{digest(plan_id, n=8)}"
        groups.setdefault(unit, []).append(officer)
        counties.setdefault(unit, county)
    return [Unit(u, counties[u], tuple(sorted(ids))) for u, ids in sorted(groups.items())]


def contingents(teams: list[Unit]) -> list[int]:
    """The officers each donor county sends (its units leave from the same county together): the teams a
    medic travels with. A unit whose county is unknown is a contingent of its own."""
    sizes: dict[str, int] = {}
    for unit in teams:
        key = unit.from_county or unit.unit_id
        sizes[key] = sizes.get(key, 0) + len(unit.officer_ids)
    return [sizes[k] for k in sorted(sizes)]


def order_id(plan_id: str, unit_id: str) -> str:
    return f"ORD-{digest(plan_id, unit_id, n=16)}"


def deployment_id(plan_id: str) -> str:
    return f"DEP-{digest(plan_id, n=16)}"
