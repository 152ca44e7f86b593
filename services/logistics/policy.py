"""logistics' configurable parameters: data/reception.yaml, overridable by environment.

Every value in the file names its source (`seed §...` or `assumed (...)`): a value is written
`{value: ..., source: ...}`, a group of values with one origin carries one `source`. Loading refuses
a file with a value of unnamed origin, so the table of assumptions (README.md, Assumptions) cannot fall behind.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).parent / "data" / "reception.yaml"
SOURCE_PREFIXES = ("seed §", "assumed (")


class PolicyError(ValueError):
    """The policy file is malformed or a value does not say where it comes from."""


@dataclass(frozen=True)
class Policy:
    ack_timeout_s: float = 120
    max_resends: int = 2
    task_hours: float = 12
    incident_buffer_m: float = 5000
    arrival_radius_m: float = 500
    max_speed_kmh: float = 200
    pace_evidence_s: float = 120
    still_m: float = 50
    off_route_m: float = 10_000
    max_ahead_s: float = 300
    on_time_margin_s: float = 120
    medics_per_team: int = 1
    officers_per_medic: int = 30
    allowance_factor: float = 1.2
    allowance_day_min: int = 1440
    max_extension_h: float = 24
    psychological_followup_grades: tuple = ("I", "II")
    lodging_capacity_default: int = 300
    lodging_capacity: dict = field(default_factory=dict)
    receiving_command_sees_own_units: bool = False
    tasks: dict = field(default_factory=lambda: {"default": ["support_receiving_command"]})

    def capacity(self, county: str) -> int:
        return int(self.lodging_capacity.get(county, self.lodging_capacity_default))

    def tasks_for(self, modules) -> list[str]:
        found = [t for m in modules for t in self.tasks.get(m, [])]
        return sorted(set(found)) or list(self.tasks.get("default", ["support_receiving_command"]))

    def needs_psychological_followup(self, grade: str | None) -> bool:
        return grade in self.psychological_followup_grades

    @classmethod
    def load(cls, path: str | Path = DEFAULT_FILE, env: dict | None = None) -> "Policy":
        env = os.environ if env is None else env
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        unsourced = unsourced_values(doc)
        if unsourced:
            raise PolicyError(f"{path}: values without `source: seed §...` or `source: assumed (...)`: "
                              f"{', '.join(unsourced)}")
        d, t, r = doc.get("dispatch", {}), doc.get("tracking", {}), doc.get("reception", {})
        p, lodging = doc.get("positions", {}), r.get("lodging_capacity", {})
        values = dict(
            ack_timeout_s=float(env.get("LOGISTICS_ACK_TIMEOUT_S", _value(d, "ack_timeout_s", 120))),
            max_resends=int(_value(d, "max_resends", 2)), task_hours=float(_value(d, "task_hours", 12)),
            max_extension_h=float(_value(d, "max_extension_h", 24)),
            incident_buffer_m=float(_value(d, "incident_buffer_m", 5000)),
            arrival_radius_m=float(env.get("LOGISTICS_ARRIVAL_RADIUS_M", _value(t, "arrival_radius_m", 500))),
            max_speed_kmh=float(env.get("LOGISTICS_MAX_SPEED_KMH", _value(t, "max_speed_kmh", 200))),
            pace_evidence_s=float(_value(t, "pace_evidence_s", 120)), still_m=float(_value(t, "still_m", 50)),
            off_route_m=float(_value(t, "off_route_m", 10_000)), max_ahead_s=float(_value(t, "max_ahead_s", 300)),
            on_time_margin_s=float(_value(t, "on_time_margin_s", 120)),
            medics_per_team=int(_value(r, "medics_per_team", 1)),
            officers_per_medic=int(_value(r, "officers_per_medic", 30)),
            allowance_factor=float(_value(r, "allowance_factor", 1.2)),
            allowance_day_min=int(_value(r, "allowance_day_min", 1440)),
            psychological_followup_grades=tuple(str(g) for g in _value(r, "psychological_followup_grades", ["I", "II"])),
            lodging_capacity_default=int(lodging.get("default", 300)),
            lodging_capacity={str(k): int(v) for k, v in (lodging.get("counties") or {}).items()},
            receiving_command_sees_own_units=bool(_value(p, "receiving_command_sees_own_units", False)),
            tasks={str(k): list(v) for k, v in _group(doc, "tasks").items()} or None,
        )
        if values["allowance_day_min"] < 1:
            raise PolicyError(f"{path}: reception.allowance_day_min must be at least 1 minute")
        if values["medics_per_team"] < 1:
            raise PolicyError(f"{path}: reception.medics_per_team must be at least 1 (a medic travels with every team)")
        return cls(**{k: v for k, v in values.items() if v is not None})

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Policy":
        env = os.environ if env is None else env
        return cls.load(env.get("LOGISTICS_POLICY") or DEFAULT_FILE, env)


def _value(section: dict, key: str, default):
    raw = section.get(key, default)
    return raw["value"] if isinstance(raw, dict) and "value" in raw else raw


def _group(section: dict, key: str) -> dict:
    return {k: v for k, v in (section.get(key) or {}).items() if k != "source"}


def sourced(text) -> bool:
    return isinstance(text, str) and text.startswith(SOURCE_PREFIXES) and len(text) > len("assumed (") + 3


def unsourced_values(node, path: str = "", covered: bool = False) -> list[str]:
    """The dotted paths of values with no `source` of their own nor on a mapping that holds them."""
    if isinstance(node, dict):
        covered = covered or sourced(node.get("source"))
        return [p for k, v in node.items() if k not in ("source", "version")
                for p in unsourced_values(v, f"{path}.{k}" if path else str(k), covered)]
    return [] if covered else [path]
