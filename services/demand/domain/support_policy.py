"""The support-request policy (``policy/support-v*.yaml``): triggers, deadlines by grade, approval levels.

Parsing validates everything up front and names the key that is wrong, so a broken file stops the
service at start. The methods answer the policy's questions for one grade; they do no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .grading import GRADES, SEVERITY, PolicyError

LEVELS = ("city", "province")
KEYS = {"version", "effective_from", "triggers", "deadlines", "approval", "escalation", "task_hours", "description"}


@dataclass(frozen=True)
class Deadline:
    launch_minutes: int | None  # units launched (dispatched) by then, when given
    arrive_minutes: int          # on scene this long after the launch deadline, or after the request

    @property
    def total_minutes(self) -> int:
        return (self.launch_minutes or 0) + self.arrive_minutes


@dataclass(frozen=True)
class SupportPolicy:
    version: str
    gap_share: float
    grade_at_least: str
    deadlines: dict[str, Deadline]
    approval: dict[str, str]
    escalation: dict[str, str]
    task_hours: dict[str, float]

    def grade_triggers(self, grade: str) -> bool:
        return SEVERITY[grade] >= SEVERITY[self.grade_at_least]

    def gap_triggers(self, gap_ratio: float | None) -> bool:
        return gap_ratio is not None and gap_ratio > self.gap_share

    def deadline(self, grade: str, requested_at: datetime) -> tuple[datetime | None, datetime, int]:
        """(launch deadline or None, on-scene deadline, minutes from the request to it)."""
        d = self.deadlines[grade]
        launch = requested_at + timedelta(minutes=d.launch_minutes) if d.launch_minutes else None
        return launch, requested_at + timedelta(minutes=d.total_minutes), d.total_minutes

    def approval_level(self, grade: str) -> str:
        return self.approval[grade]

    def next_level(self, level: str) -> str:
        return self.escalation[level]

    def task_window(self, grade: str, start: datetime) -> tuple[datetime, datetime]:
        return start, start + timedelta(hours=self.task_hours[grade])


def higher_level(a: str, b: str) -> str:
    return max(a, b, key=LEVELS.index)


def parse_support_policy(doc: object) -> SupportPolicy:
    if not isinstance(doc, dict):
        raise PolicyError("support policy: the document must be a mapping")
    unknown = set(doc) - KEYS
    if unknown:
        raise PolicyError(f"support policy: unknown key(s) {sorted(unknown)}")
    version = doc.get("version")
    if not isinstance(version, str) or not version.strip():
        raise PolicyError("support policy: 'version' must be a non-empty string")
    triggers = _mapping(doc, "triggers")
    share = triggers.get("gap_share")
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share < 1:
        raise PolicyError(f"support policy: triggers.gap_share must be a number in [0, 1), not {share!r}")
    at_least = triggers.get("grade_at_least")
    if at_least not in GRADES:
        raise PolicyError(f"support policy: triggers.grade_at_least must be one of {list(GRADES)}, not {at_least!r}")
    return SupportPolicy(version=version, gap_share=float(share), grade_at_least=at_least,
                         deadlines={g: _deadline(g, _per_grade(doc, "deadlines")[g]) for g in GRADES},
                         approval={g: _level(f"approval.{g}", _per_grade(doc, "approval")[g]) for g in GRADES},
                         escalation=_escalation(_mapping(doc, "escalation")),
                         task_hours={g: _positive(f"task_hours.{g}", _per_grade(doc, "task_hours")[g], 24 * 7)
                                     for g in GRADES})


def _mapping(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise PolicyError(f"support policy: '{key}' must be a mapping")
    return value


def _per_grade(doc: dict, key: str) -> dict:
    value = _mapping(doc, key)
    if set(value) != set(GRADES):
        raise PolicyError(f"support policy: '{key}' must have exactly the grades {list(GRADES)}")
    return value


def _positive(where: str, value: object, top: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= top:
        raise PolicyError(f"support policy: {where} must be a number in (0, {top}], not {value!r}")
    return value


def _deadline(grade: str, raw: object) -> Deadline:
    if not isinstance(raw, dict) or "arrive" not in raw or set(raw) - {"launch", "arrive"}:
        raise PolicyError(f"support policy: deadlines.{grade} must be {{arrive: N}} or {{launch: N, arrive: N}}")
    arrive = int(_positive(f"deadlines.{grade}.arrive", raw["arrive"], 10080))
    launch = int(_positive(f"deadlines.{grade}.launch", raw["launch"], 10080)) if "launch" in raw else None
    return Deadline(launch_minutes=launch, arrive_minutes=arrive)


def _level(where: str, value: object) -> str:
    if value not in LEVELS:
        raise PolicyError(f"support policy: {where} must be one of {list(LEVELS)}, not {value!r}")
    return value


def _escalation(raw: dict) -> dict[str, str]:
    if set(raw) != set(LEVELS):
        raise PolicyError(f"support policy: 'escalation' must map each of {list(LEVELS)} to the next level")
    out = {level: _level(f"escalation.{level}", raw[level]) for level in LEVELS}
    for level, nxt in out.items():
        if LEVELS.index(nxt) < LEVELS.index(level):
            raise PolicyError(f"support policy: escalation.{level} must not go down to {nxt!r}")
    return out
