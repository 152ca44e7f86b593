"""Which regions each logistics object concerns, for the permission table's "own" cells.

An order and a unit on its task concern the receiving county (the order's reporting point) and the
county the unit comes from; a deployment its receiving county and the counties of its units; an
incident the county that received support for it. The permission hook loads the object a path names
(http.py's resolvers) and refuses (403) a caller bound to a region that covers none of them; the list
routes keep the rows that concern the caller's region.
"""
from __future__ import annotations

from sqlalchemy import select

from ..common.auth import region_covers
from .store import deployments, orders, requests


def order_counties(row) -> list[str]:
    county = ((row["order"] or {}).get("reporting_point") or {}).get("county")
    return [c for c in (county, row["from_county"]) if c]


def concerns(region: str, counties) -> bool:
    return any(region_covers(region, c) for c in counties)


def of_order(conn, order_id: str) -> list[str] | None:
    row = conn.execute(select(orders.c.order, orders.c.from_county)
                       .where(orders.c.order_id == order_id)).mappings().first()
    return None if row is None else order_counties(row)


def of_unit(conn, unit_id: str) -> list[str] | None:
    """A unit concerns the counties of its latest order (none: no such dispatched unit)."""
    row = conn.execute(select(orders.c.order, orders.c.from_county).where(orders.c.unit_id == unit_id)
                       .order_by(orders.c.ordered_at.desc())).mappings().first()
    return None if row is None else order_counties(row)


def of_deployment(conn, deployment_id: str) -> list[str] | None:
    county = conn.execute(select(deployments.c.county)
                          .where(deployments.c.deployment_id == deployment_id)).scalar()
    if county is None:
        return None
    sending = conn.execute(select(orders.c.from_county).distinct()
                           .where(orders.c.deployment_id == deployment_id)).scalars()
    return [county, *(c for c in sending if c)]


def of_incident(conn, incident_id: str) -> list[str] | None:
    counties = set(conn.execute(select(requests.c.county).where(requests.c.incident_id == incident_id)).scalars())
    counties |= set(conn.execute(select(deployments.c.county)
                                 .where(deployments.c.incident_id == incident_id)).scalars())
    return sorted(counties) or None


def deployments_from(conn, region: str) -> set[str]:
    """Deployments with a unit from inside `region`."""
    rows = conn.execute(select(orders.c.deployment_id, orders.c.from_county).distinct())
    return {r.deployment_id for r in rows if r.from_county and region_covers(region, r.from_county)}
