"""The readiness policy file (``policy/readiness-v*.yaml``): every entry names its source."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent.parent / "policy" / "readiness-v1.yaml"
ENTRIES = ("thresholds", "team", "on_scene", "pools", "rotations", "demand")


@dataclass(frozen=True)
class Rotation:
    name: str
    shift_h: int      # length of one shift
    first_h: int      # hour of the day the first shift starts
    watches: int      # watches taking the shifts in turn
    utc_offset_min: int = 480   # the rota's local time (the province's: Beijing time)


@dataclass(frozen=True)
class ReadinessPolicy:
    thresholds_min: tuple[int, ...] = (30, 60, 120)
    circle_min: int = 60
    team: int = 4
    on_scene_min: int = 60
    deployable: tuple[str, ...] = ("mobile", "specialist", "rotating")
    province_reserve: bool = True
    rotations: tuple[Rotation, ...] = ()
    by_role: tuple[tuple[str, str], ...] = ()
    min_incidents: int = 30

    def rotation_of(self, role_class: str) -> Rotation:
        name = dict(self.by_role).get(role_class) or dict(self.by_role).get("regular")
        return next(r for r in self.rotations if r.name == name)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "ReadinessPolicy":
        return cls.from_file(env.get("READINESS_POLICY") or DEFAULT_FILE)

    @classmethod
    def from_file(cls, path) -> "ReadinessPolicy":
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
        for entry in ENTRIES:
            node = doc.get(entry)
            if not isinstance(node, dict) or not str(node.get("source", "")).startswith(("seed §", "assumed (")):
                raise ValueError(f"readiness policy {path}: {entry} needs a source (seed §... or assumed (...))")
        rot = doc["rotations"]
        offset = int(rot.get("utc_offset_min", 480))
        rotations = tuple(Rotation(name, int(v["shift_h"]), int(v["first_h"]), int(v["watches"]), offset)
                          for name, v in rot.items() if isinstance(v, dict) and name != "by_role")
        thresholds = tuple(sorted(int(m) for m in doc["thresholds"]["minutes"]))
        circle = int(doc["thresholds"]["circle"])
        if circle not in thresholds:
            raise ValueError(f"readiness policy {path}: the circle ({circle} min) must be one of the thresholds")
        return cls(thresholds_min=thresholds, circle_min=circle, team=int(doc["team"]["officers"]),
                   on_scene_min=int(doc["on_scene"]["minutes"]),
                   deployable=tuple(doc["pools"]["deployable"]), province_reserve=bool(doc["pools"]["province_reserve"]),
                   rotations=rotations, by_role=tuple(rot["by_role"].items()),
                   min_incidents=int(doc["demand"]["min_incidents"]))
