"""How a unit under orders moves: its trip from where it was ordered to the reporting point, and where it is
at any instant of it.

A unit under a `dispatch.ordered` drives from its origin (its donor county's seat, or where it last
reported) to the reporting point along the road graph's route (the county seats the fastest path
passes through, services.geo.road_graph), taking the plan's ETA for it (or distance at 60 km/h with a
circuity of 1.3 when the plan is unknown), divided by the simulation's `speedup`. The model drives
its units only when told to (`ProvinceModel.simulate_movement`, the demo's and exercises' field
devices): each `UnitAgent.step` then puts the unit where its trip has it at the step's instant.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from services.geo.distance import bearing as heading
from services.geo.distance import km
from services.geo.road_graph import along

ROAD_KMH, CIRCUITY = 60.0, 1.3
Point = tuple[float, float]  # (lon, lat), WGS84
Route = Callable[[Point, Point], list[Point]]  # the way from origin to destination, both ends included


@dataclass(frozen=True)
class Movement:
    """The model drives its units: trips `speedup` times shorter than planned, along `route` (straight when None)."""
    speedup: float = 1.0
    route: Route | None = None


@dataclass(frozen=True)
class Trip:
    unit_id: str
    order_id: str
    incident_id: str | None
    origin: Point
    destination: Point
    start: datetime
    duration_s: float
    path: tuple[Point, ...] = ()  # the route, origin to destination; straight when empty

    def fraction(self, at: datetime) -> float:
        return min(max((at - self.start).total_seconds() / max(self.duration_s, 1.0), 0.0), 1.0)

    @property
    def route(self) -> tuple[Point, ...]:
        return self.path or (self.origin, self.destination)

    def state(self, at: datetime) -> tuple[Point, float, float]:
        """(position, speed in km/h, heading in degrees) of the unit at `at`."""
        f = self.fraction(at)
        here = along(self.route, f)
        ahead = along(self.route, min(f + 0.01, 1.0))
        moving = 0.0 < f < 1.0
        length = sum(km(a, b) for a, b in zip(self.route, self.route[1:]))
        speed = length * CIRCUITY / (self.duration_s / 3600) if moving else 0.0
        towards = ahead if ahead != here else self.destination
        return here, min(speed, 400.0), heading(here, towards) if towards != here else 0.0

    def report(self, at: datetime) -> dict:
        """The position report a device at this point of the trip sends (unit.position-reported data)."""
        return position_report(self.unit_id, self.order_id, *self.state(at), at)


def position_report(unit_id: str, order_id: str, point: Point, speed_kmh: float, bearing: float,
                    at: datetime) -> dict:
    lon, lat = point
    return {"unit_id": unit_id, "order_id": order_id, "point": {"lon": round(lon, 6), "lat": round(lat, 6)},
            "speed_kmh": round(speed_kmh, 1), "heading": round(bearing, 1), "accuracy_m": 10.0,
            "at": at.isoformat()}


def trip_of(model, unit, speedup: float = 1.0, route: Route | None = None) -> Trip | None:
    """The unit's trip while it is under orders and has not arrived (nor been released); None otherwise."""
    if not unit.order or unit.status in ("arrived", "released") or unit.origin is None:
        return None
    order = unit.order
    seconds = planned_eta(model, order) or km(unit.origin, unit.destination) * CIRCUITY / ROAD_KMH * 3600
    path = tuple(route(unit.origin, unit.destination)) if route else ()
    return Trip(unit.unit_id, order["order_id"], order.get("incident_id"), unit.origin, unit.destination,
                instant(order["ordered_at"]), seconds / max(speedup, 1e-6), path)


def trips(model, speedup: float = 1.0, route: Route | None = None) -> list[Trip]:
    """A trip for every unit under orders that has not arrived yet, along `route(origin, destination)`."""
    with model.lock:
        return [trip for unit in model.units() if (trip := trip_of(model, unit, speedup, route)) is not None]


def planned_eta(model, order: dict) -> float | None:
    """The plan's ETA for this unit (or for its officers), if the twin knows the plan."""
    plan = model.plans.get(order["plan_id"])
    if not plan:
        return None
    officers = set(order["officer_ids"])
    etas = [a["eta_s"] for a in plan["assignments"]
            if a.get("unit_id") == order["unit_id"] or a["officer_id"] in officers]
    return float(max(etas)) if etas else None


def instant(iso: str) -> datetime:
    when = datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
