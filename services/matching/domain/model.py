"""What the optimiser is asked: requests with requirement lines; and what it answers."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ...geo.regions import city_of
from .policy import POLICY

# Expected time on scene by grade when the request does not say (minutes): the matching policy.
TASK_MINUTES = POLICY.task_minutes
DUTY_LIMIT_MIN = POLICY.duty_limit_min
DUTY_LIMIT_S = POLICY.duty_limit_s
# A task longer than one shift (a grade I operation runs 24 h) is staffed shift by shift: officers are
# planned for one shift, and the next echelon (relief) is planned before it ends. Their duty check
# uses the shift; an officer without the whole shift left may still serve a stint (eligibility.within_duty).
SHIFT_MINUTES = POLICY.shift_min
STINT_MINUTES = POLICY.stint_min


@dataclass(frozen=True)
class Line:
    line_id: str
    module: str
    headcount: int
    tags: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    equipment: tuple[str, ...] = ()
    donor_cities: tuple[str, ...] = ()   # only officers of these cities (the command's designated donors); (): any

    def may_send(self, county: str) -> bool:
        """May an officer of `county` serve this line, as far as where they come from goes? A city's
        code covers its counties (services.geo.regions.city_of); a county's own code covers it."""
        return not self.donor_cities or city_of(county) in self.donor_cities or county in self.donor_cities


@dataclass(frozen=True)
class Request:
    request_id: str
    county: str                        # the receiving county
    lines: tuple[Line, ...]
    planned_at: datetime               # when officers would be ordered (the plan's start)
    deadline: datetime                 # support in place by then
    grade: str = "IV"
    task_minutes: int = 0              # expected time on scene; 0: TASK_MINUTES by grade
    incident_id: str | None = None
    approval_level: str = "city"
    exclude: frozenset[str] = field(default_factory=frozenset)   # officers this request may not use
    window_end: datetime | None = None  # the task's planned end when the request gives one
    starts_at: datetime | None = None   # a relief shift: officers take over then, not on arrival
    point: tuple[float, float] | None = None   # (lon, lat) where support is needed; None: the county's seat
    window_s: int | None = None         # the grade's whole deadline window (deadline - request), when known

    @property
    def on_scene_minutes(self) -> int:
        """Time on scene for the officers planned now: the task, at most one shift."""
        return min(self.task_minutes or TASK_MINUTES.get(self.grade, 360), SHIFT_MINUTES)

    @property
    def stint_minutes(self) -> int:
        """The shortest time on scene an officer without the whole shift left is sent for."""
        return min(self.on_scene_minutes, STINT_MINUTES)

    @property
    def stint_start_s(self) -> int:
        """Seconds from the plan's start by which its shift on scene has started: an officer with the
        whole time on scene left arrives (and a relief takes over) by the limit less that time, and an
        officer sent for a stint arrives by then too. What a stint is counted from, so that every
        officer of a plan still has their stint left when its last officer arrives."""
        return max(self.wait_s, DUTY_LIMIT_S - self.on_scene_minutes * 60)

    @property
    def wait_s(self) -> int:
        """Seconds from the plan's start until the shift on scene starts at the earliest (a relief shift)."""
        return max(0, int((self.starts_at - self.planned_at).total_seconds())) if self.starts_at else 0

    @property
    def budget_s(self) -> int:
        """Seconds from the plan's start to the deadline (never negative)."""
        return max(0, int((self.deadline - self.planned_at).total_seconds()))

    @property
    def staging_s(self) -> int:
        """Seconds within which support staged before the event must reach the scene to keep the deadline:
        the grade's whole window, whenever the plan is made (a re-plan after the deadline still learns
        where officers would have had to wait); without it, the time left."""
        return self.window_s if self.window_s is not None else self.budget_s

    @property
    def task_end(self) -> datetime:
        """When the task ends (certificates must stay valid): given, else the deadline plus the time on scene."""
        return self.window_end or self.deadline + timedelta(minutes=self.on_scene_minutes)

    @property
    def headcount(self) -> int:
        return sum(line.headcount for line in self.lines)


@dataclass(frozen=True)
class Assignment:
    request_id: str
    line_id: str
    row: int              # the officer's row in the pool
    officer_id: str
    from_county: str
    eta_s: int


@dataclass
class Certificate:
    optimal: bool
    method: str
    bound: float                       # proven lower bound on the latest arrival (s)
    gap: float = 0.0
    total_travel_s: int = 0
    arcs_total: int = 0                # officer-class to line arcs in the full model
    arcs_solved: int = 0               # arcs kept in the pruned model
    arcs_priced: int = 0               # excluded arcs, each checked slower than the threshold
    widenings: int = 0

    def as_dict(self) -> dict:
        return {"optimal": self.optimal, "method": self.method, "bound": float(self.bound), "gap": self.gap,
                "total_travel_s": int(self.total_travel_s), "arcs_total": self.arcs_total,
                "arcs_solved": self.arcs_solved, "arcs_priced": self.arcs_priced, "widenings": self.widenings}
