"""Who may see what on the twin. Two rules, applied to every view of the mirrored state (the map, the
tables and lists, the plan panel and its previews, /state, a recording's replay):

1. The services' permission table (services/common/permissions.yaml), read as the services read it.
   Each item is shown only to a role the table lets read it from the service that serves it, and,
   where the table binds the role to its own region ("own"), only when the item concerns that region:

       incidents        demand    GET /incidents                   the incident's county
       support requests demand    GET /requests                    the requesting county
       plans (previews) matching  GET /requests/{request_id}/plans the receiving county, the donor counties
       units            logistics GET /orders                      the receiving county, the donor county
       officer counts   resources GET /officers                    the county
       county loads     resources GET /counties/load               (general data)
       support circle   resources GET /readiness/coverage          the county

   A county officer therefore sees their county's incidents and requests, the plans and units that
   serve or come from it; a viewer (general data only) sees the counties and their loads and nothing
   else; a support officer the units of their county, without the counties' figures.
2. DOMAIN.md's data rule on positions: real-time positions of moving units are core data, for the
   province command centre only. The receiving command sees the units sent to it while the task lasts
   only when the province has turned that on (logistics' GET /policy/positions, off by default).
   Everyone else sees the units' progress (ordered, moving, arrived, late) without where they are.
   twin.ui.position_access logs the reads.
"""
from __future__ import annotations

from services.common.auth import Identity, region_covers
from services.common.permissions import table

HIDDEN = ("position", "origin")  # where the unit is, and where it set out from
RECEIVING_ROLES = ("city_commander", "county_duty_officer")
LOAD_FIGURES = ("officers_on_duty", "officers_available", "officers_committed", "reserve_floor", "load")

# What each part of the snapshot is, in the permission table: (service, endpoint).
INCIDENTS = ("demand", "GET /incidents")
REQUESTS = ("demand", "GET /requests")
PLANS = ("matching", "GET /requests/{request_id}/plans")
UNITS = ("logistics", "GET /orders")
OFFICERS = ("resources", "GET /officers")
COUNTY_LOADS = ("resources", "GET /counties/load")
READINESS = ("resources", "GET /readiness/coverage")  # the support circle (twin.ui.readiness)
PERFORMANCE_REPORT = ("demand", "GET /reports/performance")
RULES = (INCIDENTS, REQUESTS, PLANS, UNITS, OFFICERS, COUNTY_LOADS, READINESS)


def may_read_anywhere(identity: Identity | None, rule: tuple[str, str]) -> bool:
    """The table lets `identity` read through `rule` at all (for all regions or its own)."""
    return identity is not None and identity.role in readers(rule)


def readers(rule: tuple[str, str]) -> list[str]:
    """The roles the table lets read through `rule` (for all regions or their own), in the table's order."""
    service, endpoint = rule
    return [role for role, scope in (table().rules(service).get(endpoint) or {}).items() if scope in ("all", "own")]


def may_read(identity: Identity | None, rule: tuple[str, str], regions=()) -> bool:
    """The table lets `identity` read, through `rule`, an item concerning `regions` (the counties it
    concerns; for a region-bound role one of them must lie in its region, and an item concerning no
    known county is not theirs)."""
    if identity is None:
        return False
    service, endpoint = rule
    scope = (table().rules(service).get(endpoint) or {}).get(identity.role)
    if scope == "all":
        return True
    if scope == "own":
        return any(region and region_covers(identity.region, region) for region in regions)
    return False


def plan_regions(plan: dict, receiving: str | None) -> list[str]:
    return [receiving, *(a.get("from_county") for a in plan.get("assignments") or [])]


def permitted(snapshot: dict, identity: Identity | None) -> dict:
    """A copy of the snapshot holding only what the permission table lets `identity` read."""
    counties = {r["request_id"]: r.get("county") for r in snapshot.get("requests", [])}
    out = dict(snapshot)
    out["incidents"] = [i for i in snapshot.get("incidents", []) if may_read(identity, INCIDENTS, [i.get("county")])]
    out["requests"] = [r for r in snapshot.get("requests", []) if may_read(identity, REQUESTS, [r.get("county")])]
    out["plans"] = [p for p in snapshot.get("plans", [])
                    if may_read(identity, PLANS, plan_regions(p, counties.get(p.get("request_id"))))]
    out["units"] = [u for u in snapshot.get("units", [])
                    if may_read(identity, UNITS, [counties.get(u.get("request_id")), u.get("from_county")])]
    if "officers" in snapshot:
        out["officers"] = {county: counts for county, counts in snapshot["officers"].items()
                           if may_read(identity, OFFICERS, [county])}
    if "counties" in snapshot and not may_read(identity, COUNTY_LOADS):
        out["counties"] = [{**c, **dict.fromkeys(LOAD_FIGURES, 0), "load_hidden": True} for c in snapshot["counties"]]
    return out


def switch_matters(identity: Identity | None) -> bool:
    """Whether logistics' switch over positions changes what `identity` sees (a receiving command's)."""
    return identity is not None and identity.role != "province_commander" and identity.role in RECEIVING_ROLES


def may_see_position(identity: Identity | None, unit: dict, receiving_county: str | None,
                     receiving_command_sees: bool = False) -> bool:
    if identity is None:
        return False
    if identity.role == "province_commander":
        return True
    return (receiving_command_sees and identity.role in RECEIVING_ROLES and receiving_county is not None
            and identity.covers(receiving_county) and unit.get("status") != "released")


def visible(snapshot: dict, identity: Identity | None, receiving_command_sees: bool = False) -> dict:
    """A copy of the snapshot with what `identity` may read (`permitted`), positions it may not see removed."""
    counties = {r["request_id"]: r.get("county") for r in snapshot.get("requests", [])}
    snapshot = permitted(snapshot, identity)
    units = []
    for unit in snapshot.get("units", []):
        if may_see_position(identity, unit, counties.get(unit.get("request_id")), receiving_command_sees):
            units.append(unit)
        else:
            units.append({**unit, **dict.fromkeys(HIDDEN), "position_hidden": True})
    return {**snapshot, "units": units}


def shown_positions(snapshot: dict) -> list[str]:
    """The units whose position a (filtered) snapshot shows."""
    return [u["unit_id"] for u in snapshot.get("units", []) if u.get("position") is not None]
