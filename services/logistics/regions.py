"""Which regions each logistics object concerns, for the permission table's "own" cells.

An order and a unit on its task concern the receiving county (the order's reporting point) and the
county the unit comes from; a deployment its receiving county and the counties of its units; an
incident the county that received support for it, or before any support the county it was reported
in. Where the unit itself acts (acknowledges its order, reports its position), its order and the
unit concern its home county alone: the sending side acts for its unit, the receiving county reads.
The permission hook loads the object a path names (http.py's resolvers) and refuses (403) a caller
bound to a region that covers none of them; the list routes keep the rows that concern the caller's
region, by the same rule written in SQL (store.orders_page, store.deployments_page).
"""
from __future__ import annotations

from . import store


def order_counties(row) -> list[str]:
    county = ((row["order"] or {}).get("reporting_point") or {}).get("county")
    return [c for c in (county, row["from_county"]) if c]


def home_county(row) -> list[str]:
    """The county the order's unit comes from; none when it is not known (then no region-bound caller
    acts for the unit: only an unbound one, a device's integrator)."""
    return [row["from_county"]] if row["from_county"] else []


def of_order(conn, order_id: str) -> list[str] | None:
    row = store.order_counties_row(conn, order_id)
    return None if row is None else order_counties(row)


def of_unit(conn, unit_id: str) -> list[str] | None:
    """A unit concerns the counties of its latest order (none: no such dispatched unit)."""
    row = store.unit_counties_row(conn, unit_id)
    return None if row is None else order_counties(row)


def home_of_order(conn, order_id: str) -> list[str] | None:
    """The home county of the order's unit, for the unit's own acts on it (none: no such order)."""
    row = store.order_counties_row(conn, order_id)
    return None if row is None else home_county(row)


def home_of_unit(conn, unit_id: str) -> list[str] | None:
    """The unit's home county (of its latest order), for its own acts (none: no such dispatched unit)."""
    row = store.unit_counties_row(conn, unit_id)
    return None if row is None else home_county(row)


def of_deployment(conn, deployment_id: str) -> list[str] | None:
    county = store.deployment_county(conn, deployment_id)
    if county is None:
        return None
    return [county, *(c for c in store.sending_counties(conn, deployment_id) if c)]


def of_incident(conn, incident_id: str) -> list[str] | None:
    """The counties of the incident's requests and deployments; before any, the county it was reported
    in (the timeline keeps every incident.reported, and the after-action report is built from it). An
    incident on the timeline with no county known concerns no region; None: logistics saw nothing of it."""
    counties = store.incident_counties(conn, incident_id)
    if counties:
        return sorted(counties)
    reported = store.reported_incident(conn, incident_id)
    if reported is not None:
        county = (reported.get("location") or {}).get("county")
        return [county] if county else []
    return [] if store.incident_on_timeline(conn, incident_id) else None
