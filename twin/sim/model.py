"""The province as a seeded Mesa 3 model: a county agent per county, incidents as the stream reports them.

The model knows nothing about Kafka or the UI. The replay (`twin.mirror.replay`) writes to it from the
stream's thread while the Dash callbacks read `snapshot()` from the web server's threads, so every
public method takes `self.lock` (re-entrant, so a caller may hold it across several calls).

Time passes by `step()`, on the twin clock: the live twin steps its model every few seconds
(`Stepping`), each unit agent moves in its own `step` (when the model drives its units: the demo's
and exercises' field devices, `simulate_movement`), and the reporters are collected. A plan's
preview (`preview`) simulates the plan on a fork of this same model.
"""
from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Callable

import mesa

from services.common.clock import now
from services.common.periodic import Periodic
from services.geo import Geography
from twin.sim.agents import CountyAgent, IncidentAgent, OfficerAgent, Point, UnitAgent
from twin.sim.movement import Movement, Route, Trip, trip_of
from twin.sim.preview import preview_plan
from twin.sim.uncertainty import PreviewConfig

log = logging.getLogger(__name__)


def open_incidents(model: "ProvinceModel") -> int:
    return sum(1 for incident in model.agents_by_type_or_empty(IncidentAgent) if incident.is_open)


def mean_county_load(model: "ProvinceModel") -> float:
    counties = model.agents_by_type_or_empty(CountyAgent)
    return sum(c.load for c in counties) / len(counties) if counties else 0.0


class ProvinceModel(mesa.Model):
    def __init__(self, province: str = "330000", seed: int | None = 0, *, geography: Geography | None = None,
                 start: datetime | None = None, minutes_per_step: float = 1.0,
                 preview_config: PreviewConfig | None = None, follow_clock: bool = False) -> None:
        super().__init__(seed=seed)
        self.lock = threading.RLock()
        self.province = province
        self.geography = geography or Geography.load(province=province)
        self.clock = (start or now()).astimezone(timezone.utc)
        self.tick = timedelta(minutes=minutes_per_step)
        self.follow_clock = follow_clock  # live: time also passes between events (services.common.clock)
        self.stepped_at = self.clock  # the instant of the latest step: where the units were moved to
        self.movement: Movement | None = None  # set when the model drives its units (simulate_movement)
        self.event_counts: Counter[str] = Counter()
        self.parked: dict[tuple[str, str], list[dict]] = {}  # events naming what has not arrived yet (replay)
        self._counties = {c.code: self._county_agent(c) for c in self.geography.counties}
        self._incidents: dict[str, IncidentAgent] = {}
        self._units: dict[str, UnitAgent] = {}
        self._officers: dict[str, OfficerAgent] = {}
        self._officer_counts: dict[str, Counter[str]] = {}
        self.requests: dict[str, dict] = {}  # request_id -> support.requested data, with "status"
        self.plans: dict[str, dict] = {}  # plan_id -> plan.proposed data, with "status"
        self.previews: dict[str, dict] = {}  # plan_id -> the plan's latest preview
        self.unit_names: dict[str, dict] = {}  # unit_id -> its roster names, {"zh", "en"} (twin.mirror.names)
        self.preview_config = preview_config or PreviewConfig()
        self.datacollector = mesa.DataCollector(
            model_reporters={"open_incidents": open_incidents, "mean_county_load": mean_county_load})
        self.datacollector.collect(self)

    def _county_agent(self, county) -> CountyAgent:
        return CountyAgent(self, code=county.code, name=county.name, city=county.city_name, seat=county.seat)

    def agents_by_type_or_empty(self, kind: type) -> list:
        # agents_by_type has no key for a kind until the first agent of that kind exists
        return list(self.agents_by_type[kind]) if kind in self.agents_by_type else []

    # --- writes (from the replay) ---------------------------------------------------------------

    def add_incident(self, *, incident_id: str, county: str, point: Point | None = None,
                     grade: str | None = None, type: str = "", status: str = "reported",
                     reported_at: str | None = None, description: str = "") -> IncidentAgent:
        """The incident with this id, created on first sight; a second report of it changes nothing."""
        with self.lock:
            if incident_id in self._incidents:
                return self._incidents[incident_id]
            seat = self.county(county).seat  # a county outside the province raises KeyError
            incident = IncidentAgent(self, incident_id=incident_id, county=county, point=point or seat,
                                     grade=grade, type=type, status=status, reported_at=reported_at,
                                     description=description)
            self._incidents[incident_id] = incident
            return incident

    def set_county_load(self, county: str, *, on_duty: int, available: int, committed: int | None = None,
                        reserve_floor: int | None = None) -> CountyAgent:
        with self.lock:
            agent = self.county(county)
            agent.report_force(on_duty=on_duty, available=available, committed=committed,
                               reserve_floor=reserve_floor)
            return agent

    def place_unit(self, *, unit_id: str, position: Point, status: str = "available") -> UnitAgent:
        with self.lock:
            if unit_id in self._units:
                self._units[unit_id].report_position(position, status)
            else:
                self._units[unit_id] = UnitAgent(self, unit_id=unit_id, position=position, status=status)
            return self._units[unit_id]

    def unit(self, unit_id: str) -> UnitAgent | None:
        with self.lock:
            return self._units.get(unit_id)

    def unnamed_units(self) -> list[str]:
        """The units on the map whose roster name the twin has not read yet."""
        with self.lock:
            return [u for u in self._units if u not in self.unit_names]

    def units(self) -> list[UnitAgent]:
        with self.lock:
            return list(self._units.values())

    def set_officer_status(self, *, officer_id: str, county: str, status: str, module: str | None = None) -> None:
        with self.lock:
            officer = self._officers.get(officer_id)
            if officer is None:
                officer = self._officers[officer_id] = OfficerAgent(self, officer_id=officer_id, county=county,
                                                                    status=status, module=module)
            else:
                self._officer_counts[officer.county][officer.status] -= 1
                officer.county, officer.status = county, status
            self._officer_counts.setdefault(county, Counter())[status] += 1

    def officers_by_county(self) -> dict[str, dict[str, int]]:
        """{county: {status: count}} of the officers the stream has told about (kept as they change,
        so a map refresh does not walk 20,000 agents)."""
        with self.lock:
            return {county: {s: n for s, n in c.items() if n} for county, c in self._officer_counts.items()
                    if any(c.values())}

    # --- plans and their previews ---------------------------------------------------------------

    def fork(self) -> dict[str, dict]:
        """A copy of every county's force figures: what a preview simulates on, away from the live state."""
        with self.lock:
            return {code: c.as_dict() for code, c in self._counties.items()}

    def deadline_s(self, plan: dict) -> float | None:
        """Seconds from the plan's proposal to its request's deadline (None while the request is unknown)."""
        request = self.requests.get(plan["request_id"])
        if not request:
            return None
        return (_instant(request["deadline"]) - _instant(plan["proposed_at"])).total_seconds()

    def preview(self, plan_id: str, config: PreviewConfig | None = None) -> dict:
        """Simulates the plan on a fork of the current state and keeps the result. A plan already
        committed is simulated on the state before its own commit: its officers leave home in the
        simulation, so the donors' figures must not count them as committed already as well."""
        with self.lock:
            plan, fork = self.plans[plan_id], self.fork()
            for county, n in self.own_commitment(plan).items():
                if county in fork:
                    fork[county]["officers_committed"] = max(0, fork[county]["officers_committed"] - n)
            deadline_s = self.deadline_s(plan)
        result = preview_plan(plan, fork, deadline_s=deadline_s, config=config or self.preview_config)
        with self.lock:
            self.previews[plan_id] = result
        return result

    def own_commitment(self, plan: dict) -> Counter:
        """Per donor county, the plan's officers its own commit holds now (reserved or deployed for it):
        those an officer's status says so, or, for an officer the stream has not told about yet (a twin
        started from the services' snapshot), all of a committed plan's while its request is not over."""
        out: Counter = Counter()
        if plan.get("status") not in ("approved", "committed"):
            return out
        if (self.requests.get(plan["request_id"]) or {}).get("status") in ("released", "closed", "cancelled"):
            return out
        for a in plan.get("assignments", []):
            officer = self._officers.get(a["officer_id"])
            held = officer.status in ("reserved", "deployed") if officer is not None else plan["status"] == "committed"
            county = a.get("from_county") or (officer.county if officer is not None else None)
            if held and county:
                out[county] += 1
        return out

    def plans_for(self, request_id: str) -> list[dict]:
        with self.lock:
            return [p for p in self.plans.values() if p["request_id"] == request_id]

    def simulate_movement(self, *, speedup: float = 1.0, route: Route | None = None) -> None:
        """From now on each step moves every unit under orders along its trip (the demo's and exercises'
        field devices report where the agents are); without this, units are where the stream puts them."""
        with self.lock:
            self.movement = Movement(speedup, route)

    def trip_of(self, unit: UnitAgent) -> Trip | None:
        """The trip the model drives `unit` along now (None when it drives no unit, or not this one)."""
        if self.movement is None:
            return None
        return trip_of(self, unit, self.movement.speedup, self.movement.route)

    def current_time(self) -> datetime:
        """The model's time: the latest event's, or the process clock's when following it and later."""
        return max(self.clock, now()) if self.follow_clock else self.clock

    def observe_time(self, when: datetime) -> None:
        """Moves the clock forward to an event's time; the stream never moves it back."""
        with self.lock:
            self.clock = max(self.clock, when.astimezone(timezone.utc))

    # --- reads ----------------------------------------------------------------------------------

    def county(self, code: str) -> CountyAgent:
        try:
            return self._counties[code]
        except KeyError:
            raise KeyError(f"county {code} is not in province {self.province}") from None

    def has_county(self, code: str) -> bool:
        return code in self._counties

    def counties(self) -> list[CountyAgent]:
        with self.lock:
            return list(self._counties.values())

    def incidents(self) -> list[IncidentAgent]:
        with self.lock:
            return list(self._incidents.values())

    def incident(self, incident_id: str) -> IncidentAgent | None:
        with self.lock:
            return self._incidents.get(incident_id)

    def snapshot(self) -> dict:
        """A JSON-ready copy of the state: safe to hand to another thread or to the UI."""
        with self.lock:
            return {"province": self.province, "clock": self.current_time().isoformat(), "steps": self.steps,
                    "counties": [c.as_dict() for c in self._counties.values()],
                    "incidents": [i.as_dict() for i in self._incidents.values()],
                    "units": [u.as_dict() for u in self._units.values()],
                    "officers": self.officers_by_county(),
                    "requests": [dict(r) for r in self.requests.values()],
                    "plans": [dict(p, preview=self.previews.get(p["plan_id"])) for p in self.plans.values()],
                    "events": dict(self.event_counts)}

    # --- time -----------------------------------------------------------------------------------

    def step(self, at: datetime | None = None) -> None:
        """Time passes to `at` (default: the twin clock when following it, else one tick on); each unit
        agent steps (moves along its trip when the model drives it), then the reporters are collected."""
        with self.lock:
            if at is None:
                at = max(self.clock, now()) if self.follow_clock else self.clock + self.tick
            self.stepped_at = at.astimezone(timezone.utc)
            self.clock = max(self.clock, self.stepped_at)
            if UnitAgent in self.agents_by_type:
                self.agents_by_type[UnitAgent].shuffle_do("step")
            self.datacollector.collect(self)


class Stepping(Periodic):
    """Steps the live model on the twin clock every `interval_s` of wall time, on a thread of its own:
    the twin's loop `steps` (a `services.common.periodic.Periodic` paced by the wall clock), its rounds,
    failed rounds and last good round counted in `telemetry` (the twin's /metrics).

    `step(at)` is the model's `step`, or the field devices' `tick` (a step, then the units' reports)."""

    def __init__(self, step: Callable[[datetime], object], interval_s: float, *, telemetry=None):
        super().__init__("steps", interval_s, lambda: step(now()), telemetry=telemetry, service="twin",
                         join_s=5.0, on_error=_step_failed, wall_clock=True)
        self.interval_s = interval_s


def _step_failed(_exc: BaseException) -> None:
    # a failed step (a report not published) is done again on the next, afresh
    log.exception("twin: step failed")


def _instant(iso: str) -> datetime:
    when = datetime.fromisoformat(iso)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
