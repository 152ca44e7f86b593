"""Which regions each logistics object concerns, for the permission table's "own" cells.

An order and a unit on its task concern the receiving county (the order's reporting point) and the
county the unit comes from; a deployment its receiving county and the counties of its units; an
incident the county that received support for it. The permission hook loads the object a path names
(http.py's resolvers) and refuses (403) a caller bound to a region that covers none of them; the list
routes keep the rows that concern the caller's region.
"""
from __future__ import annotations

from ..common.auth import region_covers
from . import store


def order_counties(row) -> list[str]:
    county = ((row["order"] or {}).get("reporting_point") or {}).get("county")
    return [c for c in (county, row["from_county"]) if c]


def concerns(region: str, counties) -> bool:
    return any(region_covers(region, c) for c in counties)


def of_order(conn, order_id: str) -> list[str] | None:
    row = store.order_counties_row(conn, order_id)
    return None if row is None else order_counties(row)


def of_unit(conn, unit_id: str) -> list[str] | None:
    """A unit concerns the counties of its latest order (none: no such dispatched unit)."""
    row = store.unit_counties_row(conn, unit_id)
    return None if row is None else order_counties(row)


def of_deployment(conn, deployment_id: str) -> list[str] | None:
    county = store.deployment_county(conn, deployment_id)
    if county is None:
        return None
    return [county, *(c for c in store.sending_counties(conn, deployment_id) if c)]


def of_incident(conn, incident_id: str) -> list[str] | None:
    return sorted(store.incident_counties(conn, incident_id)) or None


def deployments_from(conn, region: str) -> set[str]:
    """Deployments with a unit from inside `region`."""
    return {r.deployment_id for r in store.deployment_senders(conn) if r.from_county and region_covers(region, r.from_county)}
