"""Simulated field devices: in the demo and in exercises the twin drives dispatched units and reports them.

The model drives the units (`ProvinceModel.simulate_movement`): each unit under a `dispatch.ordered`
moves in its agent's `step` along its trip (twin.sim.movement: the road graph's route, in the plan's ETA
divided by `speedup`). The devices only report: after each step, every travelling unit publishes
`unit.position-reported` (source `/mutual-deploy/twin`) with its agent's position, speed and heading,
through the kit's outbox; the last report is at the reporting point, and logistics decides the
arrival from there. The twin sees its own reports come back on the stream like any others. Live mode
has real devices: this is off.

    TWIN_DEVICES=0            off even in the demo (they are never on in live mode: DEMO=0 or unset, not an exercise)
    TWIN_DEVICE_INTERVAL_S=5  seconds between steps, so between reports
    TWIN_DEVICE_SPEEDUP=10    demo default (1 in an exercise, whose own clock sets the pace; twin.sim.pace,
                              which also scales logistics' plausibility bound for the demo)
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from services.common.clock import now
from services.geo.road_graph import RoadGraphTravel
from twin.sim.model import ProvinceModel
from twin.sim.movement import position_report

Publish = Callable[[dict, str | None], None]  # (unit.position-reported data, correlation id)


class FieldDevices:
    """Has the model drive its units and reports every travelling unit where its agent is, after each step,
    until it reaches its reporting point. `tick` is one step; `twin.sim.model.Stepping` calls it every interval."""

    def __init__(self, model: ProvinceModel, publish: Publish, *, speedup: float = 1.0):
        self.model, self.publish, self.speedup = model, publish, speedup
        self.finished: set[str] = set()  # orders whose unit was reported at its reporting point
        self._roads: RoadGraphTravel | None = None
        model.simulate_movement(speedup=speedup, route=self.route)

    def tick(self, at: datetime | None = None) -> list[dict]:
        """Steps the model to `at` (default: now) and publishes the travelling units' positions."""
        at = at or now()
        with self.model.lock:  # the step and what it moved, together: no report of the stream's in between
            self.model.step(at)
            moving = [(unit.trip, position_report(unit.unit_id, unit.trip.order_id, unit.position, unit.speed_kmh,
                                                  unit.heading, at))
                      for unit in self.model.units()
                      if unit.trip is not None and unit.trip.order_id not in self.finished and at >= unit.trip.start]
        for trip, report in moving:
            self.publish(report, trip.incident_id)
            if trip.fraction(at) >= 1.0:
                self.finished.add(trip.order_id)
        return [report for _trip, report in moving]

    def route(self, origin, destination) -> list[tuple[float, float]]:
        """The road graph's route (built once, on the first trip)."""
        if self._roads is None:
            self._roads = RoadGraphTravel(self.model.geography)
        return self._roads.route(origin, destination)


def outbox_publisher(runtime) -> Publish:
    """Publishes through the kit: the outbox (hash-chained, validated) and its relay."""
    def publish(data: dict, correlationid: str | None) -> None:
        with runtime.outbox.transaction() as tx:
            tx.emit("unit.position-reported", data, key=data["unit_id"], subject=data["unit_id"],
                    correlationid=correlationid)
    return publish
