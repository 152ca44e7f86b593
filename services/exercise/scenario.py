"""Scenario files: load a YAML (or JSON) scenario, check it against contracts/scenario.schema.json and
the rules a schema cannot say, and turn it into plain data the runner plays.

Every problem is reported at once, each naming where it is and why, e.g.
`injects[3].incident.location.county: '33' does not match '^[0-9]{6}$'`.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from services.common.config import CONTRACTS
from services.common.contracts.formats import FORMAT_CHECKER
from services.common.contracts.loading import registry

SCENARIOS = Path(__file__).parent / "scenarios"
INCIDENT_KINDS = ("incident", "competing_incident")


class ScenarioError(ValueError):
    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source, self.problems = source, problems
        super().__init__(f"scenario {source}: " + "; ".join(f"{where}: {why}" for where, why in problems))


@dataclass(frozen=True)
class Inject:
    index: int
    at_s: float  # simulated seconds after the start
    kind: str
    body: dict  # the inject as written (without at/kind)
    until_s: float | None = None

    @property
    def label(self) -> str:
        return f"{_offset(self.at_s)} {self.kind}" + (f" {self.incident_id}" if self.incident_id else "")

    @property
    def incident_id(self) -> str | None:
        if self.kind in INCIDENT_KINDS:
            return self.body["incident"]["incident_id"]
        return self.body.get("incident_id")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    province: str
    start: datetime
    duration_s: float
    speed: float
    force: dict
    good_response: dict
    injects: tuple[Inject, ...]
    description: str = ""
    title_en: str = ""           # the title in English, where the scenario gives one
    source: Path | None = None
    raw: dict = field(default_factory=dict, compare=False)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    @property
    def seed_figures(self) -> list[dict]:
        """The reference case's figures the report sets the outcome beside (seeds.py); none for other scenarios."""
        return list(self.raw.get("seed_figures", ()))

    def roster_path(self) -> Path | None:
        roster = self.force.get("roster")
        return None if roster is None else (self.source.parent if self.source else SCENARIOS) / roster


def builtin_names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def resolve(name_or_path: str | Path) -> Path:
    """A built-in scenario's name, or a file path."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml", ".json") and path.exists():
        return path
    builtin = SCENARIOS / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    raise ScenarioError(str(name_or_path), [("(file)", "no such file and no built-in scenario of that name "
                                              f"(built-in: {', '.join(builtin_names())})")])


def load(name_or_path: str | Path) -> Scenario:
    path = resolve(name_or_path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [("(file)", f"not valid YAML: {exc}")]) from None
    return parse(raw, source=path)


def parse(raw, *, source: Path | None = None) -> Scenario:
    """A scenario from its decoded YAML/JSON; raises ScenarioError listing every problem."""
    where = str(source or "(inline)")
    raw = _normalise(raw)
    problems = schema_problems(raw)
    if not problems:
        problems = rule_problems(raw)
    if problems:
        raise ScenarioError(where, problems)
    injects = tuple(sorted((_inject(i, item) for i, item in enumerate(raw["injects"])), key=lambda j: (j.at_s, j.index)))
    return Scenario(name=raw["name"], title=raw["title"], province=raw["province"],
                    start=datetime.fromisoformat(raw["start"]), duration_s=raw["duration_h"] * 3600.0,
                    speed=float(raw.get("speed", 60)), force=raw["force"], good_response=raw["good_response"],
                    injects=injects, description=raw.get("description", ""), title_en=raw.get("title_en", ""),
                    source=source, raw=raw)


def schema_problems(raw) -> list[tuple[str, str]]:
    errors = _validator().iter_errors(raw)
    return sorted({(_path(e.absolute_path), e.message) for e in errors if e.validator not in ("if", "allOf")})


def rule_problems(raw: dict) -> list[tuple[str, str]]:
    """What the schema cannot check: times inside the exercise, names of earlier incidents, the province."""
    problems, seen = [], set()
    duration_s = raw["duration_h"] * 3600.0
    prefix = raw["province"][:2]
    ordered = sorted(enumerate(raw["injects"]), key=lambda pair: offset_s(pair[1]["at"]))
    for i, item in ordered:
        at = offset_s(item["at"])
        if at > duration_s:
            problems.append((f"injects[{i}].at", f"{item['at']} is after the end of the exercise ({raw['duration_h']} h)"))
        if "until" in item and offset_s(item["until"]) <= at:
            problems.append((f"injects[{i}].until", f"{item['until']} is not after at ({item['at']})"))
        for name, code in _codes(item):
            if code[:2] != prefix:
                problems.append((f"injects[{i}].{name}", f"{code} is not in province {raw['province']}"))
        if item["kind"] == "preposition":
            problems += [(f"injects[{i}].preposition.{where}", why)
                         for where, why in preposition_problems(item["preposition"], raw["start"], at, duration_s)]
        named = item.get("incident_id") or item.get("competes_with")
        if named is not None and named not in seen:
            key = "incident_id" if "incident_id" in item else "competes_with"
            problems.append((f"injects[{i}].{key}", f"no incident {named} is reported before {item['at']}"))
        if item["kind"] in INCIDENT_KINDS:
            incident_id = item["incident"]["incident_id"]
            if incident_id in seen:
                problems.append((f"injects[{i}].incident.incident_id", f"{incident_id} is reported twice"))
            seen.add(incident_id)
    return sorted(problems)


def preposition_problems(body: dict, start: str, at_s: float, duration_s: float) -> list[tuple[str, str]]:
    """A scheduled task's echelons fall due after the inject that schedules them and inside the exercise."""
    out, begin = [], datetime.fromisoformat(start)
    for k, echelon in enumerate(body["echelons"]):
        due = (datetime.fromisoformat(echelon["due_at"]) - begin).total_seconds()
        if not at_s <= due <= duration_s:
            out.append((f"echelons[{k}].due_at", f"{echelon['due_at']} is not between the inject and the end of the exercise"))
    return out


def offset_s(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) * 3600.0 + int(minutes) * 60.0


def _offset(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _codes(item: dict):
    if item["kind"] in INCIDENT_KINDS:
        yield "incident.location.county", item["incident"]["location"]["county"]
    if item["kind"] == "preposition":
        yield "preposition.location.county", item["preposition"]["location"]["county"]
    for key in ("county",):
        if key in item:
            yield key, item[key]
    for key in ("between", "regions"):
        for k, code in enumerate(item.get(key, ())):
            yield f"{key}[{k}]", code


def _inject(index: int, item: dict) -> Inject:
    body = {k: v for k, v in item.items() if k not in ("at", "kind", "until")}
    until = offset_s(item["until"]) if "until" in item else None
    return Inject(index=index, at_s=offset_s(item["at"]), kind=item["kind"], body=body, until_s=until)


def _normalise(raw):
    """YAML reads unquoted dates as datetime objects and an unquoted 01:30 as the base-60 number 90:
    turn both back into the text they were written as."""
    raw = json.loads(json.dumps(raw, default=_text, ensure_ascii=False))
    injects = raw.get("injects") if isinstance(raw, dict) else None
    for item in injects if isinstance(injects, list) else ():
        for key in ("at", "until"):
            value = item.get(key) if isinstance(item, dict) else None
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                item[key] = f"{value // 60:02d}:{value % 60:02d}"
    return raw


def _text(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


@functools.cache
def _validator() -> Draft202012Validator:
    schema = json.loads((CONTRACTS / "scenario.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema, registry=registry(), format_checker=FORMAT_CHECKER)
