"""The twin's agents: counties, incidents, units and officers of the province.

Agents know nothing of Kafka or of the map. Each has `as_dict()`, the JSON-ready view the model's
snapshot is built from. Units act: `UnitAgent.step` moves a unit along its trip (twin.sim.movement) when
the model drives its units (the demo's and exercises' field devices); the stream sets the rest.
"""
from __future__ import annotations

import mesa

from twin.sim.movement import Point, Trip, instant

CLOSED_STATUSES = frozenset({"resolved", "closed", "cancelled"})


class CountyAgent(mesa.Agent):
    """A county (district) with the force it has on duty and how much of it is committed elsewhere."""

    def __init__(self, model: mesa.Model, *, code: str, name: str, city: str, seat: Point,
                 officers_on_duty: int = 0, officers_available: int = 0, officers_committed: int = 0,
                 reserve_floor: int = 0) -> None:
        super().__init__(model)
        self.code, self.name, self.city, self.seat = code, name, city, tuple(seat)
        self.officers_on_duty, self.officers_available = officers_on_duty, officers_available
        self.officers_committed, self.reserve_floor = officers_committed, reserve_floor

    @property
    def load(self) -> float:
        """Share of the on-duty force committed to support tasks: 0 is none, 1 is all of it."""
        return min(self.officers_committed / self.officers_on_duty, 1.0) if self.officers_on_duty else 0.0

    def report_force(self, *, on_duty: int, available: int, committed: int | None = None,
                     reserve_floor: int | None = None) -> None:
        """A load report replaces the county's figures; committed defaults to on duty minus available."""
        self.officers_on_duty, self.officers_available = on_duty, available
        self.officers_committed = max(on_duty - available, 0) if committed is None else committed
        if reserve_floor is not None:
            self.reserve_floor = reserve_floor

    def as_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "city_name": self.city, "seat": list(self.seat),
                "officers_on_duty": self.officers_on_duty, "officers_available": self.officers_available,
                "officers_committed": self.officers_committed, "reserve_floor": self.reserve_floor,
                "load": round(self.load, 4)}


class IncidentAgent(mesa.Agent):
    """An incident as the stream reported it; `grade` is I (most severe) to IV, or None."""

    def __init__(self, model: mesa.Model, *, incident_id: str, county: str, point: Point,
                 grade: str | None, type: str, status: str = "reported",
                 reported_at: str | None = None, description: str = "") -> None:
        super().__init__(model)
        self.incident_id, self.county, self.point = incident_id, county, tuple(point)
        self.grade, self.type, self.status = grade, type, status
        self.reported_at, self.description = reported_at, description

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    def as_dict(self) -> dict:
        return {"incident_id": self.incident_id, "county": self.county, "point": list(self.point),
                "grade": self.grade, "type": self.type, "status": self.status,
                "reported_at": self.reported_at, "description": self.description}


class UnitAgent(mesa.Agent):
    """A deployable unit (a team of officers with its vehicle), where it is and the order it follows."""

    def __init__(self, model: mesa.Model, *, unit_id: str, position: Point,
                 status: str = "available") -> None:
        super().__init__(model)
        self.unit_id, self.position, self.status = unit_id, tuple(position), status
        self.order: dict | None = None  # the dispatch.ordered data the unit is following
        self.origin: Point | None = None
        self.arrived_at: str | None = None
        self.reported_at: str | None = None
        self.late_alert: dict | None = None  # logistics' unit.late: estimated arrival past the deadline
        self.timing_at: str | None = None  # the instant of logistics' latest verdict (unit.late / unit.on-time)
        self.escalated = False  # the order went unacknowledged and was escalated
        self.trip: Trip | None = None  # the way the model drives it, while it does (twin.sim.movement)
        self.speed_kmh, self.heading = 0.0, 0.0

    def step(self) -> None:
        """Moves the unit to where its trip has it at the model's step instant. A unit the model does not
        drive (live mode: its own device reports it) stays where its last report put it."""
        self.trip = self.model.trip_of(self)
        at = self.model.stepped_at
        if self.trip is not None and at >= self.trip.start:
            self.position, self.speed_kmh, self.heading = self.trip.state(at)

    def report_position(self, position: Point, status: str | None = None, at: str | None = None) -> None:
        self.position = tuple(position)
        if status:
            self.status = status
        if at:
            self.reported_at = at

    def follow(self, order: dict, origin: Point) -> None:
        self.order, self.origin, self.status, self.arrived_at = order, tuple(origin), "dispatched", None
        self.late_alert, self.timing_at, self.escalated = None, None, False

    @property
    def destination(self) -> Point | None:
        point = self.order and self.order["reporting_point"]["point"]
        return (point["lon"], point["lat"]) if point else None

    def is_late(self, clock_iso: str) -> bool:
        """Past its deadline without having arrived, arrived after it, or announced late by logistics."""
        if not self.order:
            return False
        if self.late_alert and not self.arrived_at:
            return True
        deadline = instant(self.order["deadline"])
        reference = instant(self.arrived_at) if self.arrived_at else instant(clock_iso)
        return reference > deadline

    def as_dict(self) -> dict:
        order = self.order or {}
        named = self.model.unit_names.get(self.unit_id) or {}
        return {"unit_id": self.unit_id, "name": named.get("zh"), "name_en": named.get("en"),
                "position": list(self.position), "status": self.status,
                "order_id": order.get("order_id"), "request_id": order.get("request_id"),
                "plan_id": order.get("plan_id"), "from_county": order.get("from_county"),
                "origin": list(self.origin) if self.origin else None,
                "destination": list(self.destination) if self.destination else None,
                "officers": len(order.get("officer_ids", [])), "deadline": order.get("deadline"),
                "ordered_at": order.get("ordered_at"), "arrived_at": self.arrived_at,
                "late": self.is_late(self.model.current_time().isoformat()), "escalated": self.escalated,
                "late_by_s": (self.late_alert or {}).get("late_by_s"), "duty_alerts": self.duty_alerts()}

    def duty_alerts(self) -> int:
        """How many of the unit's officers the receiving command was alerted about (near 12 hours on duty)."""
        order = self.order or {}
        request = self.model.requests.get(order.get("request_id")) or {}
        mine = set(order.get("officer_ids", []))
        return sum(1 for a in request.get("duty_alerts", []) if a["officer_id"] in mine)


class OfficerAgent(mesa.Agent):
    """One officer as their status changes reach the stream (on_duty, reserved, deployed, resting...)."""

    def __init__(self, model: mesa.Model, *, officer_id: str, county: str, status: str, module: str | None = None):
        super().__init__(model)
        self.officer_id, self.county, self.status, self.module = officer_id, county, status, module

