"""The field side of an exercise: the support units' devices, on the exercise clock.

In a live deployment the units themselves acknowledge their orders and their terminals report
positions. In an exercise nobody is in the field, so `FieldSide` plays them, over logistics' HTTP
API as a unit's device would (POST /orders/<id>/ack, POST /units/<id>/positions):

- every order (`dispatch.ordered`; a re-send is the same order) is acknowledged `ack_after_s`
  simulated seconds after it was issued;
- the unit leaves once mobilised from where its officers work, the police station of the order's
  officers farthest (by travel) from the reporting point, as matching timed them (its county's seat
  when the roster gives no station), and drives to the reporting point in the time the exercise's
  travel provider gives for that trip (closures and weather in force included), in a straight line
  at that pace; it reports every `report_every_s` simulated seconds, at most once
  per `min_wall_gap_s` of wall time (at ×600 a report every simulated minute would flood
  logistics), and always once at the instant it arrives (the device stamps its own fix, so the
  arrival is recorded at its simulated time even if the report is delivered a moment later).

The receiving county plays its part too: `arrange_after_s` after a deployment's first order its duty
officer records lodging, meals, transport and the medic who travels with the team
(POST /deployments/<id>/arrangements); logistics refuses lodging beyond the county's capacity, and
then the deployment stays uncovered, as it would.

Every duration is simulated time read from the exercise clock: at ×120 or ×600 the units
acknowledge, move and arrive at the same simulated instants as at ×1.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

import requests

from services.common.auth import Identity, headers_for
from services.common.periodic import Periodic
from services.geo.distance import bearing, km

log = logging.getLogger(__name__)
Point = tuple[float, float]
MAX_REPORTED_KMH = 150.0  # what a device reports as its speed; logistics refuses above its plausible maximum


@dataclass(frozen=True)
class FieldPolicy:
    ack_after_s: float = 60.0  # source: assumed (a unit leader confirms an order within a minute)
    report_every_s: float = 300.0  # source: assumed (BeiDou terminals report at least every 5 minutes on the move)
    mobilisation_s: float = 600.0  # source: the travel provider's default (services.geo.road_graph)
    min_wall_gap_s: float = 1.0  # wall seconds between two reports of one unit (load on logistics at ×600)
    arrange_after_s: float = 900.0  # source: assumed (the receiving county arranges reception within 15 minutes)


@dataclass
class Trip:
    order_id: str
    unit_id: str
    from_county: str
    origin: Point
    destination: Point
    ordered_at: datetime
    depart_at: datetime
    arrive_at: datetime
    acked: bool = False
    arrived: bool = False
    last_report: datetime | None = None
    last_wall: float = -1e9

    def point_at(self, at: datetime) -> Point:
        span = (self.arrive_at - self.depart_at).total_seconds()
        f = 1.0 if span <= 0 else min(max((at - self.depart_at).total_seconds() / span, 0.0), 1.0)
        return (self.origin[0] + (self.destination[0] - self.origin[0]) * f,
                self.origin[1] + (self.destination[1] - self.origin[1]) * f)

    def report(self, at: datetime) -> dict:
        lon, lat = self.point_at(at)
        span_h = max((self.arrive_at - self.depart_at).total_seconds(), 1.0) / 3600
        moving = self.depart_at < at < self.arrive_at
        return {"order_id": self.order_id, "point": {"lon": round(lon, 6), "lat": round(lat, 6)},
                "speed_kmh": round(min(km(self.origin, self.destination) / span_h, MAX_REPORTED_KMH), 1) if moving else 0.0,
                "heading": round(bearing(self.origin, self.destination), 1) % 360.0, "accuracy_m": 10.0,
                "at": at.isoformat()}


def trip_for(order: dict, seat: Callable[[str], Point | None], travel_s: Callable[[Point, Point], float],
             policy: FieldPolicy, stations: Callable[[dict], list[Point]] | None = None) -> Trip | None:
    """The trip of one dispatch order to the reporting point: from the station of its officers that is
    the longest trip away (the unit is complete when they arrive), else from the donor county's seat."""
    point = (order.get("reporting_point") or {}).get("point")
    origins = (stations(order) if stations is not None else []) or [seat(order.get("from_county") or "")]
    if origins[0] is None or not point:
        return None
    destination = (float(point["lon"]), float(point["lat"]))
    ordered_at = parse(order["ordered_at"])
    total, origin = max((max(float(travel_s(o, destination)), 0.0), o) for o in origins)
    if not math.isfinite(total):
        return None  # cut off by the closures in force: the unit cannot leave (logistics raises it late)
    depart = ordered_at + timedelta(seconds=min(policy.mobilisation_s, total))
    return Trip(order["order_id"], order["unit_id"], order.get("from_county") or "", origin, destination,
                ordered_at, depart, ordered_at + timedelta(seconds=total))


@dataclass
class FieldSide:
    """Plays every dispatched unit of the exercise (see the module docstring)."""

    logistics_url: str
    events: Callable[[], list[dict]]
    now: Callable[[], datetime]
    seat: Callable[[str], Point | None]
    travel_s: Callable[[Point, Point], float]
    policy: FieldPolicy = field(default_factory=FieldPolicy)
    stations: Callable[[dict], list[Point]] | None = None  # an order's officers' stations ([]: not known)
    post: Callable[..., requests.Response] = requests.post
    trips: dict[str, Trip] = field(default_factory=dict)
    receptions: dict[str, tuple[datetime, str]] = field(default_factory=dict)  # deployment -> (due, receiving county)
    arranged: set[str] = field(default_factory=set)
    seen: int = 0
    stats: dict = field(default_factory=lambda: {"acked": 0, "reports": 0, "arrived": 0, "arranged": 0, "refused": 0})
    loop: Periodic | None = field(default=None, init=False, repr=False)  # the passes' thread, once started

    def step(self) -> None:
        """One pass: take new orders, acknowledge those due, report the units due (arrivals first)."""
        events = self.events()
        for event in events[self.seen:]:
            if event["type"] == "dispatch.ordered" and event["data"]["order_id"] not in self.trips:
                self._take(event["data"])
        self.seen = len(events)
        at = self.now()
        for deployment_id, (due, county) in list(self.receptions.items()):
            if at >= due and self._arrange(deployment_id, county):
                del self.receptions[deployment_id]
        for trip in sorted(self.trips.values(), key=lambda t: t.arrive_at):
            if not trip.acked and at >= trip.ordered_at + timedelta(seconds=self.policy.ack_after_s):
                self._ack(trip)
            if trip.acked and not trip.arrived and at >= trip.depart_at:
                self._report(trip, at)

    def _take(self, order: dict) -> None:
        trip = trip_for(order, self.seat, self.travel_s, self.policy, self.stations)
        if trip is not None:
            self.trips[trip.order_id] = trip
        deployment = order.get("deployment_id")
        if deployment and deployment not in self.receptions and deployment not in self.arranged:
            due = parse(order["ordered_at"]) + timedelta(seconds=self.policy.arrange_after_s)
            self.receptions[deployment] = (due, order["reporting_point"]["county"])

    def _arrange(self, deployment_id: str, county: str) -> bool:
        """The receiving county's duty officer records the reception (beds for the deployment's
        headcount, which logistics fills in); True once it is recorded or refused."""
        where = "（演练接待）"
        body = {"lodging": {"status": "arranged", "detail": f"属地安排住宿{where}"},
                "meals": {"status": "arranged", "detail": f"属地食堂三餐{where}"},
                "transport": {"status": "arranged", "detail": f"属地保障车辆{where}"},
                "medic": {"status": "arranged", "detail": f"随队医护{where}"}}
        duty = Identity(f"exercise-reception-{county}", "county_duty_officer", county)
        try:
            resp = self.post(f"{self.logistics_url}/deployments/{deployment_id}/arrangements", json=body,
                             headers=headers_for(duty), timeout=10)
        except requests.RequestException:
            return False
        self.arranged.add(deployment_id)
        self.stats["arranged" if resp.status_code < 400 else "refused"] += 1
        return True

    def start(self, every_s: float = 0.1, telemetry=None) -> "FieldSide":
        """Step every `every_s` wall seconds in a thread of its own until `stop()`: the loop
        `exercise-field` (a `services.common.periodic.Periodic` paced by the wall clock), its passes
        and failed passes counted in `telemetry` when given (the twin's, when the twin started the
        exercise) and in `self.loop` either way."""
        self.loop = Periodic("exercise-field", every_s, self.step, telemetry=telemetry, join_s=10.0,
                             on_error=_pass_failed, wall_clock=True).start()
        return self

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.stop()

    def _ack(self, trip: Trip) -> None:
        resp = self._call(f"/orders/{trip.order_id}/ack", trip,
                          {"unit_id": trip.unit_id, "acknowledged_by": f"{trip.unit_id} 带队民警（演练）"})
        if resp is not None:
            trip.acked = True
            self.stats["acked"] += 1

    def _report(self, trip: Trip, at: datetime) -> None:
        arriving = at >= trip.arrive_at
        due = trip.last_report is None or (at - trip.last_report).total_seconds() >= self.policy.report_every_s
        if not arriving and (not due or time.monotonic() - trip.last_wall < self.policy.min_wall_gap_s):
            return
        fix = trip.arrive_at if arriving else at
        if self._call(f"/units/{trip.unit_id}/positions", trip, trip.report(fix)) is not None:
            trip.last_report, trip.last_wall = fix, time.monotonic()
            self.stats["reports"] += 1
            if arriving:
                trip.arrived = True
                self.stats["arrived"] += 1

    def _call(self, path: str, trip: Trip, body: dict) -> requests.Response | None:
        device = Identity(f"device-{trip.unit_id}", "support_officer", trip.from_county)
        try:
            resp = self.post(self.logistics_url + path, json=body, headers=headers_for(device), timeout=10)
        except requests.RequestException:
            return None  # tried again on the next pass
        if resp.status_code >= 400:
            self.stats["refused"] += 1
            if resp.status_code in (404, 409, 422):
                trip.arrived = trip.acked = True  # refused for good (released, unknown): stop playing it
            return None
        return resp


def _pass_failed(_exc: BaseException) -> None:
    log.exception("exercise field side: step failed")  # the next pass tries again


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
