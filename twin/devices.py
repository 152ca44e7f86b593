"""Simulated field devices: in the demo and in exercises the twin moves dispatched units and reports them.

Each unit under a `dispatch.ordered` drives from where it was (its donor county's seat) to the
reporting point along the road graph's route (the county seats the fastest path passes through,
services.geo.road_graph), taking the plan's ETA for it (or distance at 60 km/h with a
circuity of 1.3 when the plan is unknown), divided by `speedup`. Every `interval_s` of wall time
it publishes `unit.position-reported` (source `/mutual-deploy/twin`) through the kit's outbox; the
last report is at the reporting point, and logistics decides the arrival from there. The twin sees
its own reports come back on the stream like any others. Live mode has real devices: this is off.

    TWIN_DEVICES=0            off even in the demo (they are never on in live mode: DEMO=0 or unset, not an exercise)
    TWIN_DEVICE_INTERVAL_S=5  seconds between reports
    TWIN_DEVICE_SPEEDUP=10    demo default (1 in an exercise, whose own clock sets the pace)
"""
from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Mapping

from services.common.clock import now
from services.geo.road_graph import RoadGraphTravel, along
from twin.model import ProvinceModel
from twin.recording import instant
from twin.signin import demo_enabled

log = logging.getLogger(__name__)
ROAD_KMH, CIRCUITY = 60.0, 1.3
Publish = Callable[[dict, str | None], None]  # (unit.position-reported data, correlation id)


def enabled(mode: str, env: Mapping[str, str]) -> bool:
    """On in exercises and in the demo (DEMO=1) only, never in live mode; TWIN_DEVICES=0 turns them off."""
    if env.get("TWIN_DEVICES") == "0":
        return False
    return demo_enabled(mode, env)


@dataclass(frozen=True)
class Trip:
    unit_id: str
    order_id: str
    incident_id: str | None
    origin: tuple[float, float]
    destination: tuple[float, float]
    start: datetime
    duration_s: float
    path: tuple[tuple[float, float], ...] = ()  # the route, origin to destination; straight when empty

    def fraction(self, at: datetime) -> float:
        return min(max((at - self.start).total_seconds() / max(self.duration_s, 1.0), 0.0), 1.0)

    @property
    def route(self) -> tuple[tuple[float, float], ...]:
        return self.path or (self.origin, self.destination)

    def report(self, at: datetime) -> dict:
        f = self.fraction(at)
        lon, lat = along(self.route, f)
        ahead = along(self.route, min(f + 0.01, 1.0))
        moving = 0.0 < f < 1.0
        length = sum(km(a, b) for a, b in zip(self.route, self.route[1:]))
        speed = length * CIRCUITY / (self.duration_s / 3600) if moving else 0.0
        towards = ahead if ahead != (lon, lat) else self.destination
        return {"unit_id": self.unit_id, "order_id": self.order_id,
                "point": {"lon": round(lon, 6), "lat": round(lat, 6)}, "speed_kmh": round(min(speed, 400.0), 1),
                "heading": round(heading((lon, lat), towards), 1) if towards != (lon, lat) else 0.0,
                "accuracy_m": 10.0, "at": at.isoformat()}


def trips(model: ProvinceModel, speedup: float = 1.0, route: Callable | None = None) -> list[Trip]:
    """A trip for every unit under orders that has not arrived yet, along `route(origin, destination)`."""
    out = []
    with model.lock:
        for unit in model.units():
            if not unit.order or unit.status in ("arrived", "released") or unit.origin is None:
                continue
            order = unit.order
            seconds = planned_eta(model, order) or km(unit.origin, unit.destination) * CIRCUITY / ROAD_KMH * 3600
            path = tuple(route(unit.origin, unit.destination)) if route else ()
            out.append(Trip(unit.unit_id, order["order_id"], order.get("incident_id"), unit.origin,
                            unit.destination, instant(order["ordered_at"]), seconds / max(speedup, 1e-6), path))
    return out


def planned_eta(model: ProvinceModel, order: dict) -> float | None:
    """The plan's ETA for this unit (or for its officers), if the twin knows the plan."""
    plan = model.plans.get(order["plan_id"])
    if not plan:
        return None
    officers = set(order["officer_ids"])
    etas = [a["eta_s"] for a in plan["assignments"]
            if a.get("unit_id") == order["unit_id"] or a["officer_id"] in officers]
    return float(max(etas)) if etas else None


class FieldDevices:
    """Reports every travelling unit's position each `interval_s`, until it reaches its reporting point."""

    def __init__(self, model: ProvinceModel, publish: Publish, *, interval_s: float = 5.0, speedup: float = 1.0):
        self.model, self.publish, self.interval_s, self.speedup = model, publish, interval_s, speedup
        self.finished: set[str] = set()  # orders whose unit was reported at its reporting point
        self._roads: RoadGraphTravel | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, at: datetime | None = None) -> list[dict]:
        at = at or now()
        sent = []
        for trip in trips(self.model, self.speedup, self.route):
            if trip.order_id in self.finished or at < trip.start:
                continue
            report = trip.report(at)
            self.publish(report, trip.incident_id)
            sent.append(report)
            if trip.fraction(at) >= 1.0:
                self.finished.add(trip.order_id)
        return sent

    def route(self, origin, destination) -> list[tuple[float, float]]:
        """The road graph's route (built once, on the first trip)."""
        if self._roads is None:
            self._roads = RoadGraphTravel(self.model.geography)
        return self._roads.route(origin, destination)

    def start(self) -> "FieldDevices":
        self._thread = threading.Thread(target=self._run, name="twin-devices", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # a failed publish is retried on the next tick, with a fresh position
                log.exception("field devices: tick failed")


def outbox_publisher(runtime) -> Publish:
    """Publishes through the kit: the outbox (hash-chained, validated) and its relay."""
    def publish(data: dict, correlationid: str | None) -> None:
        with runtime.outbox.transaction() as tx:
            tx.emit("unit.position-reported", data, key=data["unit_id"], subject=data["unit_id"],
                    correlationid=correlationid)
    return publish


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def heading(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Initial bearing from a to b, degrees clockwise from north, in [0, 360)."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    y = math.sin(lon2 - lon1) * math.cos(lat2)
    x = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(lon2 - lon1)
    return math.degrees(math.atan2(y, x)) % 360.0

