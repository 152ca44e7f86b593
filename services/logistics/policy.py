"""logistics' configurable parameters: data/reception.yaml, overridable by environment."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).parent / "data" / "reception.yaml"


@dataclass(frozen=True)
class Policy:
    ack_timeout_s: float = 120
    max_resends: int = 2
    task_hours: float = 12
    incident_buffer_m: float = 5000
    deadline_minutes: dict = field(default_factory=lambda: {"I": 30, "II": 30, "III": 45, "IV": 60})
    arrival_radius_m: float = 500
    max_speed_kmh: float = 200
    medic_team_size: int = 20
    allowance_factor: float = 1.2
    base_wage_per_day: float = 400
    lodging_capacity_default: int = 300
    lodging_capacity: dict = field(default_factory=dict)
    tasks: dict = field(default_factory=lambda: {"default": ["support_receiving_command"]})

    def capacity(self, county: str) -> int:
        return int(self.lodging_capacity.get(county, self.lodging_capacity_default))

    def tasks_for(self, modules) -> list[str]:
        found = [t for m in modules for t in self.tasks.get(m, [])]
        return sorted(set(found)) or list(self.tasks.get("default", ["support_receiving_command"]))

    @classmethod
    def load(cls, path: str | Path = DEFAULT_FILE, env: dict | None = None) -> "Policy":
        env = os.environ if env is None else env
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        d, t, r = doc.get("dispatch", {}), doc.get("tracking", {}), doc.get("reception", {})
        values = dict(
            ack_timeout_s=float(env.get("LOGISTICS_ACK_TIMEOUT_S", d.get("ack_timeout_s", 120))),
            max_resends=int(d.get("max_resends", 2)), task_hours=float(d.get("task_hours", 12)),
            incident_buffer_m=float(d.get("incident_buffer_m", 5000)),
            deadline_minutes={str(k): int(v) for k, v in (d.get("deadline_minutes") or {}).items()} or None,
            arrival_radius_m=float(env.get("LOGISTICS_ARRIVAL_RADIUS_M", t.get("arrival_radius_m", 500))),
            max_speed_kmh=float(env.get("LOGISTICS_MAX_SPEED_KMH", t.get("max_speed_kmh", 200))),
            medic_team_size=int(env.get("LOGISTICS_MEDIC_TEAM_SIZE", r.get("medic_team_size", 20))),
            allowance_factor=float(r.get("allowance_factor", 1.2)),
            base_wage_per_day=float(env.get("LOGISTICS_BASE_WAGE_PER_DAY", r.get("base_wage_per_day", 400))),
            lodging_capacity_default=int(r.get("lodging_capacity_default", 300)),
            lodging_capacity={str(k): int(v) for k, v in (r.get("lodging_capacity") or {}).items()},
            tasks={str(k): list(v) for k, v in (doc.get("tasks") or {}).items()} or None,
        )
        return cls(**{k: v for k, v in values.items() if v is not None})

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Policy":
        env = os.environ if env is None else env
        return cls.load(env.get("LOGISTICS_POLICY") or DEFAULT_FILE, env)
