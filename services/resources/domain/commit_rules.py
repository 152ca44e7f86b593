"""Whether an approved plan's officers can be committed: every officer is checked, every reason kept.

A plan is committed whole or not at all, so the caller commits only when `check_plan` returns [].
The reasons are the codes of the commit.rejected contract, one per officer and rule broken.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from . import duty, reserve


@dataclass(frozen=True)
class Task:
    start: datetime
    end: datetime
    ordered: datetime | None = None    # when the officers are ordered out: duty runs from then (travel included)

    @property
    def minutes(self) -> int:
        return max(0, int((self.end - self.start).total_seconds() // 60))

    @property
    def duty_seconds(self) -> int:
        """Seconds of duty the task adds, to the second: from the order (else the start) to the end."""
        begin = min(self.ordered or self.start, self.start)
        return max(0, int((self.end - begin).total_seconds()))


@dataclass(frozen=True)
class Candidate:
    officer_id: str
    county: str
    status: str                    # effective status now
    duty_minutes: int              # duty minutes that still count in the 24-hour window
    certifications: dict[str, date] = field(default_factory=dict)   # name -> expiry
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class CountyLoad:
    available: int
    strength: int
    share: float = reserve.DEFAULT_SHARE


@dataclass(frozen=True)
class Rejection:
    reason: str
    detail: str
    officer_id: str | None = None

    def as_dict(self) -> dict:
        out = {"reason": self.reason, "detail": self.detail[:200]}
        return out | ({"officer_id": self.officer_id} if self.officer_id else {})


def check_officer(c: Candidate, task: Task, *, limit: int = duty.DUTY_LIMIT_MIN) -> list[Rejection]:
    out = []
    if c.status in ("reserved", "deployed"):
        out.append(Rejection("already_committed", f"already {c.status} for another task", c.officer_id))
    elif c.status != "on_duty":
        out.append(Rejection("not_available", f"status is {c.status}", c.officer_id))
    if duty.would_exceed_s(c.duty_minutes * 60, task.duty_seconds, limit * 60):
        out.append(Rejection("duty_limit_exceeded", f"{c.duty_minutes} min on duty in 24 h + {task.duty_seconds} s "
                             f"from the order to the task's end > {limit} min", c.officer_id))
    for name in c.required:
        if name not in c.certifications:
            out.append(Rejection("certification_missing", f"holds no {name} certificate", c.officer_id))
        elif c.certifications[name] < task.end.date():
            out.append(Rejection("certification_expired", f"{name} expires {c.certifications[name].isoformat()}, "
                                 f"before the task ends {task.end.date().isoformat()}", c.officer_id))
    return out


def check_reserve(candidates: list[Candidate], loads: dict[str, CountyLoad]) -> list[Rejection]:
    """Officers beyond what each donor county may lend, in plan order (the last ones are refused)."""
    by_county: dict[str, list[str]] = defaultdict(list)
    for c in candidates:
        if c.status == "on_duty":
            by_county[c.county].append(c.officer_id)
    out = []
    for county, ids in by_county.items():
        load = loads[county]
        allowed = reserve.lendable(load.available, load.strength, load.share)
        floor = reserve.floor(load.strength, load.share)
        for officer_id in ids[allowed:]:
            out.append(Rejection("reserve_floor_breached", f"county {county} would keep "
                                 f"{load.available - len(ids)} of {load.strength} on duty at home, floor {floor}",
                                 officer_id))
    return out


def check_plan(candidates: list[Candidate], unknown: list[str], task: Task, loads: dict[str, CountyLoad],
               *, limit: int = duty.DUTY_LIMIT_MIN) -> list[Rejection]:
    if task.end <= task.start:
        return [Rejection("other", "the task ends before it starts")]
    out = [Rejection("unknown_officer", "no such officer in the pool", o) for o in unknown]
    for c in candidates:
        out += check_officer(c, task, limit=limit)
    return out + check_reserve(candidates, loads)
