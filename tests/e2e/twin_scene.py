"""A small command situation for the twin's browser tests, from the contracts' example events:
a grade III fraud request in 东阳市 (escalated to II, one plan, one unit ordered), and a grade I crowd
request in 上城区 (Hangzhou) with its two deadlines, launch in 15 and on scene in 30 minutes."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel

FRAUD_REQUEST = "REQ-330783-20250915-0003"
CROWD_REQUEST = "REQ-330102-20250915-0001"
UNIT = "UNIT-330782-TS-01"
START = datetime.fromisoformat("2025-09-15T09:00:00+08:00")  # the twin's clock before the first event


def event(kind: str, **data) -> dict:
    out = copy.deepcopy(example_event(kind))
    out["data"].update(data)
    return out


def scene(*, escalate: bool = True) -> ProvinceModel:
    model = ProvinceModel(seed=0, start=START)
    replay.apply(model, example_event("incident.reported"))
    replay.apply(model, event("county.load-reported", county="330783", on_duty=120, available=20, committed=90))
    replay.apply(model, example_event("support.requested"))
    replay.apply(model, example_event("plan.proposed"))
    if escalate:
        replay.apply(model, example_event("support.escalated"))
    replay.apply(model, example_event("dispatch.ordered"))
    requested = datetime.fromisoformat("2025-09-15T09:20:00+08:00")
    crowd = event("support.requested", request_id=CROWD_REQUEST, incident_id="INC-330102-20250915-0001",
                  county="330102", grade="I", approval_level="province", incident_type="mass_gathering",
                  requested_at=requested.isoformat(), deadline=(requested + timedelta(minutes=30)).isoformat(),
                  launch_deadline=(requested + timedelta(minutes=15)).isoformat(), deadline_minutes=30,
                  location={"county": "330102", "point": {"lon": 120.17, "lat": 30.25}})
    crowd["time"] = requested.isoformat()
    replay.apply(model, crowd)
    return model


def unit_late(model: ProvinceModel, late_by_s: int = 420) -> None:
    """logistics announces the ordered unit late."""
    replay.apply(model, event("unit.late", unit_id=UNIT, order_id="ORD-20250915-0042", late_by_s=late_by_s))


def unit_on_time(model: ProvinceModel) -> None:
    """logistics withdraws the alert: the unit made up the time (6 minutes after the alert)."""
    replay.apply(model, event("unit.on-time", unit_id=UNIT, order_id="ORD-20250915-0042"))
