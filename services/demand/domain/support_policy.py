"""The support-request policy (``policy/support-v*.yaml``): triggers, deadlines by grade, approval levels.

Two deadline lines: emergencies (突发事件) by grade, both clocks counted from the request (grade I:
launched within 15 minutes and on scene within 30), never later for a more severe grade; and
investigation support (侦查办案, e.g. telecom fraud), which is not held to an emergency deadline.
Parsing validates everything up front and names the key that is wrong, so a broken file stops the
service at start. Every entry names its source (seed or assumed). The methods do no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import sources
from .grading import DOMAINS, GRADES, SEVERITY, PolicyError

LEVELS = ("city", "province")
LINES = ("emergency", "investigation")
KEYS = {"version", "effective_from", "triggers", "deadlines", "investigation", "approval", "escalation",
        "task_hours", "description"}


@dataclass(frozen=True)
class Deadline:
    launch_minutes: int | None  # units launched (dispatched) this long after the request, when given
    arrive_minutes: int          # on scene this long after the request


@dataclass(frozen=True)
class InvestigationLine:
    """Which incidents are investigation support, and their deadline (the same for every grade)."""
    types: tuple[str, ...]
    domains: tuple[str, ...]
    except_types: tuple[str, ...]  # of a listed domain but emergencies all the same (a hostage-taking)
    deadline: Deadline

    def covers(self, incident_type: str | None, domain: str | None) -> bool:
        if incident_type in self.types:
            return True
        return domain in self.domains and incident_type not in self.except_types


@dataclass(frozen=True)
class SupportPolicy:
    version: str
    gap_share: float
    grade_at_least: str
    deadlines: dict[str, Deadline]
    investigation: InvestigationLine
    approval: dict[str, str]
    escalation: dict[str, str]
    task_hours: dict[str, float]

    def grade_triggers(self, grade: str) -> bool:
        return SEVERITY[grade] >= SEVERITY[self.grade_at_least]

    def gap_triggers(self, gap_ratio: float | None) -> bool:
        """The gap exceeds the share; give the unrounded ratio (Gap.exact_ratio), since a rounded one
        hides a gap just over the share. Exactly the share does not trigger."""
        return gap_ratio is not None and gap_ratio > self.gap_share

    def line_for(self, incident_type: str | None = None, domain: str | None = None) -> str:
        """"investigation" for investigation support, else "emergency"."""
        return "investigation" if self.investigation.covers(incident_type, domain) else "emergency"

    def deadline_of(self, grade: str, line: str = "emergency") -> Deadline:
        return self.investigation.deadline if line == "investigation" else self.deadlines[grade]

    def deadline(self, grade: str, requested_at: datetime,
                 line: str = "emergency") -> tuple[datetime | None, datetime, int]:
        """(launch deadline or None, on-scene deadline, minutes from the request to it), both from the request."""
        d = self.deadline_of(grade, line)
        launch = requested_at + timedelta(minutes=d.launch_minutes) if d.launch_minutes else None
        return launch, requested_at + timedelta(minutes=d.arrive_minutes), d.arrive_minutes

    def arrive_minutes(self) -> dict[str, int]:
        """Minutes from the request to on scene, by grade (emergencies) and for "investigation"."""
        return {**{g: d.arrive_minutes for g, d in self.deadlines.items()},
                "investigation": self.investigation.deadline.arrive_minutes}

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
    sources.check("support policy: triggers", triggers.get("source"), PolicyError)
    return SupportPolicy(version=version, gap_share=float(share), grade_at_least=at_least,
                         deadlines=_deadlines(_per_grade(doc, "deadlines", sourced=False)),
                         investigation=_investigation(_mapping(doc, "investigation")),
                         approval={g: _level(f"approval.{g}", _per_grade(doc, "approval")[g]) for g in GRADES},
                         escalation=_escalation(_mapping(doc, "escalation")),
                         task_hours={g: _positive(f"task_hours.{g}", _per_grade(doc, "task_hours")[g], 24 * 7)
                                     for g in GRADES})


def _mapping(doc: dict, key: str) -> dict:
    value = doc.get(key)
    if not isinstance(value, dict):
        raise PolicyError(f"support policy: '{key}' must be a mapping")
    return value


def _per_grade(doc: dict, key: str, *, sourced: bool = True) -> dict:
    value = _mapping(doc, key)
    if sourced:
        sources.check(f"support policy: {key}", value.get("source"), PolicyError)
        value = {k: v for k, v in value.items() if k != "source"}
    if set(value) != set(GRADES):
        raise PolicyError(f"support policy: '{key}' must have exactly the grades {list(GRADES)}")
    return value


def _positive(where: str, value: object, top: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= top:
        raise PolicyError(f"support policy: {where} must be a number in (0, {top}], not {value!r}")
    return value


def _deadline(where: str, raw: object) -> Deadline:
    if not isinstance(raw, dict) or "arrive" not in raw or set(raw) - {"launch", "arrive", "source"}:
        raise PolicyError(f"support policy: {where} must be {{arrive: N, source: ...}} "
                          f"or {{launch: N, arrive: N, source: ...}}")
    sources.check(f"support policy: {where}", raw.get("source"), PolicyError)
    arrive = int(_positive(f"{where}.arrive", raw["arrive"], 10080))
    launch = int(_positive(f"{where}.launch", raw["launch"], 10080)) if "launch" in raw else None
    if launch is not None and launch >= arrive:
        raise PolicyError(f"support policy: {where}.launch ({launch}) must come before arrive ({arrive}): "
                          f"both count from the request")
    return Deadline(launch_minutes=launch, arrive_minutes=arrive)


def _deadlines(raw: dict) -> dict[str, Deadline]:
    """Deadlines by grade; a more severe grade never gets a later one (on scene, nor launched)."""
    out = {g: _deadline(f"deadlines.{g}", raw[g]) for g in GRADES}
    for severe, milder in zip(GRADES, GRADES[1:]):
        a, b = out[severe], out[milder]
        if a.arrive_minutes > b.arrive_minutes:
            raise PolicyError(f"support policy: deadlines.{severe}.arrive ({a.arrive_minutes}) is later than "
                              f"deadlines.{milder}.arrive ({b.arrive_minutes}): a more severe grade never waits longer")
        if a.launch_minutes is None and b.launch_minutes is not None:
            raise PolicyError(f"support policy: deadlines.{severe} needs a launch deadline: {milder} has one")
        if a.launch_minutes and b.launch_minutes and a.launch_minutes > b.launch_minutes:
            raise PolicyError(f"support policy: deadlines.{severe}.launch is later than deadlines.{milder}.launch")
    return out


def _investigation(raw: dict) -> InvestigationLine:
    where = "support policy: investigation"
    unknown = set(raw) - {"types", "domains", "except_types", "launch", "arrive", "source"}
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {sorted(unknown)}")
    codes = {}
    for key in ("types", "domains", "except_types"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise PolicyError(f"{where}.{key} must be a list of codes")
        codes[key] = tuple(value)
    bad = [d for d in codes["domains"] if d not in DOMAINS]
    if bad:
        raise PolicyError(f"{where}.domains: {bad[0]!r} is not one of {list(DOMAINS)}")
    if not codes["types"] and not codes["domains"]:
        raise PolicyError(f"{where}: give the 'types' or 'domains' it covers")
    deadline = _deadline("investigation", {k: v for k, v in raw.items() if k in ("launch", "arrive", "source")})
    return InvestigationLine(deadline=deadline, **codes)


def _level(where: str, value: object) -> str:
    if value not in LEVELS:
        raise PolicyError(f"support policy: {where} must be one of {list(LEVELS)}, not {value!r}")
    return value


def _escalation(raw: dict) -> dict[str, str]:
    sources.check("support policy: escalation", raw.get("source"), PolicyError)
    raw = {k: v for k, v in raw.items() if k != "source"}
    if set(raw) != set(LEVELS):
        raise PolicyError(f"support policy: 'escalation' must map each of {list(LEVELS)} to the next level")
    out = {level: _level(f"escalation.{level}", raw[level]) for level in LEVELS}
    for level, nxt in out.items():
        if LEVELS.index(nxt) < LEVELS.index(level):
            raise PolicyError(f"support policy: escalation.{level} must not go down to {nxt!r}")
    return out
