"""The resource pool's configurable numbers: the policy file (``policy/resources-v*.yaml``, each value
with its source), overridden per deployment by the environment."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .duty import DUTY_LIMIT_MIN
from .points import PointsPolicy
from .reserve import DEFAULT_SHARE


@dataclass(frozen=True)
class Policy:
    reserve_share: float = DEFAULT_SHARE     # RESERVE_SHARE; per county: PATCH /counties/{county}
    duty_limit_min: int = DUTY_LIMIT_MIN     # DUTY_LIMIT_MIN
    rest_min: int = 8 * 60                   # REST_MIN: mandatory rest after reaching the limit (default)
    points: PointsPolicy = field(default_factory=PointsPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Policy":
        doc = load_file(env.get("RESOURCES_POLICY") or DEFAULT_FILE)
        pts = doc["points"]
        points = PointsPolicy(per_hour=float(env.get("POINTS_PER_HOUR", pts["per_hour"])),
                              per_difficulty=float(env.get("POINTS_PER_DIFFICULTY", pts["per_difficulty"])),
                              per_risk=float(env.get("POINTS_PER_RISK", pts["per_risk"])),
                              difficulty=dict(pts["difficulty"]), risk=dict(pts["risk"]))
        share = float(env.get("RESERVE_SHARE", doc["reserve"]["share"]))
        if not 0 <= share <= 1:
            raise ValueError(f"RESERVE_SHARE must be between 0 and 1; got {share}")
        return cls(reserve_share=share,
                   duty_limit_min=int(env.get("DUTY_LIMIT_MIN", doc["duty"]["limit"]["minutes"])),
                   rest_min=int(env.get("REST_MIN", doc["duty"]["rest"]["minutes"])), points=points)


DEFAULT_FILE = Path(__file__).resolve().parent.parent / "policy" / "resources-v1.yaml"
ENTRIES = (("duty", "limit"), ("duty", "rest"), ("reserve",), ("points",))


def load_file(path) -> dict:
    """The policy file, refused when an entry does not name its source (seed §... or assumed (...))."""
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    for entry in ENTRIES:
        node = doc
        for key in entry:
            node = (node or {}).get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict) or not str(node.get("source", "")).startswith(("seed §", "assumed (")):
            raise ValueError(f"resources policy {path}: {'.'.join(entry)} needs a source (seed §... or assumed (...))")
    return doc
