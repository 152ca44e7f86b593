"""The inputs of a run, fixed before it starts so that a run with faults and one without get exactly
the same: incident reports, approved plans, dispatch orders, position reports and releases.

Each county lends at most one officer over the whole stream, so whether a plan commits does not
depend on the order in which plans arrive (the reserve floor is checked per county).
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.geo.seats import curated_seats

INCIDENT_KINDS = [  # (type, domain, people involved, area km², proposed grade)
    ("mass_gathering", "public_order", 600, 0.4, "III"),
    ("telecom_fraud", "criminal_investigation", 40, 0.1, "III"),
    ("flood", "emergency_response", 3000, 12.0, "II"),
    ("major_event", "major_event_security", 20000, 2.0, "III"),
    ("violent_crime", "criminal_investigation", 15, 0.05, "IV"),
    ("missing_person", "emergency_response", 1, 30.0, "IV"),
]
OFFICERS_PER_PLAN = 3
POSITIONS_PER_UNIT = 4
APPROACH_KM = 1.0  # between a unit's position reports, a minute apart
MIN_ON_DUTY_TO_LEND = 6
MAX_DUTY_MIN = 300


def stamp(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class Case:
    """One incident's story: its report, the plan a commander approves, the unit that goes."""

    n: int
    report: dict
    plan: dict
    dispatch: dict
    positions: list[dict]
    release: dict

    @property
    def incident_id(self) -> str:
        return self.report["incident_id"]


@dataclass
class Stream:
    cases: list[Case] = field(default_factory=list)
    minor: list[dict] = field(default_factory=list)  # incidents a county handles alone: reported, graded, no plan

    @classmethod
    def build(cls, officers: list[dict], *, incidents: int, start: datetime, minor_incidents: int = 0,
              seed: int = 11) -> "Stream":
        """`officers`: the pool's on-duty officers ({officer_id, county, lon, lat}), read from resources."""
        rng = random.Random(seed)
        by_county: dict[str, list[dict]] = {}
        for o in sorted(officers, key=lambda o: o["officer_id"]):
            by_county.setdefault(o["county"], []).append(o)
        # A county lends only if it keeps its reserve floor (70 % of on-duty strength) after lending one.
        lenders = sorted(c for c, officers in by_county.items() if len(officers) >= MIN_ON_DUTY_TO_LEND)
        rng.shuffle(lenders)
        need = incidents * OFFICERS_PER_PLAN
        if len(lenders) < need:
            raise ValueError(f"{incidents} incidents need {need} lending counties; the pool has {len(lenders)}")
        seats = {code: (seat.lon, seat.lat) for code, seat in curated_seats("330000").items()}
        counties = sorted(seats)
        cases = []
        for i in range(incidents):
            team = [rng.choice(by_county[c]) for c in lenders[i * OFFICERS_PER_PLAN:(i + 1) * OFFICERS_PER_PLAN]]
            county = rng.choice(counties)
            cases.append(_case(i, county, team, seats, start + timedelta(minutes=2 * i)))
        minor = [_minor(i, rng.choice(counties), seats) for i in range(minor_incidents)]
        return cls(cases, minor)

    def __len__(self) -> int:
        return len(self.cases)


def _case(i: int, county: str, team: list[dict], seats: dict, t0: datetime) -> Case:
    kind, domain, people, area, grade = INCIDENT_KINDS[i % len(INCIDENT_KINDS)]
    incident_id, request_id = f"INC-FLT-{i:04d}", f"REQ-FLT-{i:04d}"
    plan_id, unit_id, deployment_id = f"PLAN-FLT-{i:04d}-A", f"UNIT-FLT-{i:04d}", f"DEP-FLT-{i:04d}"
    point = {"lon": seats[county][0], "lat": seats[county][1]}  # the county seat: inside the county
    report = {"incident_id": incident_id, "type": kind, "domain": domain,
              "location": {"county": county, "point": point, "address": f"{county} 现场 {i}"},
              "size": {"people_involved": people + 7 * i, "area_km2": area},
              "reported_grade": grade, "description": f"故障演练事件 {i}：需要跨区增援。",
              "reported_by": f"{county} 指挥中心"}
    ids = [o["officer_id"] for o in team]
    start, end = t0 + timedelta(minutes=10), t0 + timedelta(hours=4)
    plan = {"plan_id": plan_id, "request_id": request_id, "incident_id": incident_id, "county": county,
            "grade": grade, "risk": 2 + i % 3, "task_start": stamp(start), "task_end": stamp(end),
            "assignments": [{"officer_id": o, "line_id": "L1"} for o in ids],
            "approved_by": "U-330000-0031 省厅指挥中心值班长", "role": "province_commander",
            "signature": "MEUCIQDd2x7b4Xn0W1cQyqY8pXJm3R6f0e9pXKpQ2mZ9wq4WkAIgS3v5oV0n8r7aB6Hc2yD1k9fE4tU0mN5jL8xP2wQ7sRg=",
            "at": stamp(t0 + timedelta(minutes=5))}
    ordered = t0 + timedelta(minutes=12)
    dispatch = {"order_id": f"ORD-FLT-{i:04d}", "plan_id": plan_id, "request_id": request_id,
                "incident_id": incident_id, "deployment_id": deployment_id, "unit_id": unit_id,
                "from_county": team[0]["county"], "officer_ids": ids,
                "reporting_point": {"point": point, "county": county, "name": f"{county} 前方指挥部"},
                "receiving_commander": f"{county} 现场指挥员", "deadline": stamp(ordered + timedelta(hours=1)),
                "scope": {"area": _square(point, 0.01), "from": stamp(start), "until": stamp(end),
                          "tasks": ["现场秩序维护"]},
                "ordered_at": stamp(ordered)}
    origin = seats.get(team[0]["county"], (point["lon"] - 0.5, point["lat"] - 0.5))  # the unit comes from home
    # The last stretch of its way in, a report a minute at 60 km/h, the last at the reporting point: stamped
    # from the order (the driver moves them to logistics' own order), so logistics takes every one of
    # them, neither before the order nor ahead of its clock nor faster than a car.
    positions = []
    km = _km(origin, (point["lon"], point["lat"]))
    for k in range(1, POSITIONS_PER_UNIT + 1):
        f = min(1.0, (POSITIONS_PER_UNIT - k) * APPROACH_KM / km) if km else 0.0   # share of the way still to go
        positions.append({"unit_id": unit_id, "order_id": dispatch["order_id"],
                          "point": {"lon": round(point["lon"] + f * (origin[0] - point["lon"]), 5),
                                    "lat": round(point["lat"] + f * (origin[1] - point["lat"]), 5)},
                          "speed_kmh": 60.0, "at": stamp(ordered + timedelta(minutes=k))})
    minutes = 150 + 10 * (i % 7)
    release = {"deployment_id": deployment_id, "request_id": request_id, "incident_id": incident_id,
               "plan_id": plan_id, "officer_ids": ids, "duty_minutes": minutes, "outcome": "completed",
               "released_at": stamp(start + timedelta(minutes=minutes))}
    return Case(i, report, plan, dispatch, positions, release)


def _minor(i: int, county: str, seats: dict) -> dict:
    point = {"lon": seats[county][0], "lat": seats[county][1]}
    return {"incident_id": f"INC-FLT-M{i:04d}", "type": "traffic_accident", "domain": "emergency_response",
            "location": {"county": county, "point": point, "address": f"{county} 路口 {i}"},
            "size": {"people_involved": 2 + i % 5, "area_km2": 0.01}, "reported_grade": "IV",
            "description": f"故障演练：一般交通事故 {i}。", "reported_by": f"{county} 指挥中心"}


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def _square(point: dict, half: float) -> dict:
    x, y = point["lon"], point["lat"]
    ring = [[x - half, y - half], [x + half, y - half], [x + half, y + half], [x - half, y + half], [x - half, y - half]]
    return {"type": "Polygon", "coordinates": [[[round(a, 5), round(b, 5)] for a, b in ring]]}


def on_duty_officers(engine) -> list[dict]:
    """The pool's rested on-duty officers, read from resources' own tables (the same for every run: seeded)."""
    from services.resources.store import officers as table

    with engine.connect() as conn:
        # Far from the 12-hour duty limit, so whether a commit passes does not hinge on the minute it runs.
        rows = conn.execute(select(table.c.officer_id, table.c.county, table.c.lon, table.c.lat)
                            .where(table.c.status == "on_duty", table.c.duty_minutes_24h <= MAX_DUTY_MIN))
        return [dict(r._mapping) for r in rows]
