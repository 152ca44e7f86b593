"""The resource pool's configurable numbers, read once from the environment with DOMAIN.md defaults."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

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
        points = PointsPolicy(per_hour=float(env.get("POINTS_PER_HOUR", 0.5)),
                              per_difficulty=float(env.get("POINTS_PER_DIFFICULTY", 0.5)),
                              per_risk=float(env.get("POINTS_PER_RISK", 0.25)))
        share = float(env.get("RESERVE_SHARE", DEFAULT_SHARE))
        if not 0 <= share <= 1:
            raise ValueError(f"RESERVE_SHARE must be between 0 and 1; got {share}")
        return cls(reserve_share=share, duty_limit_min=int(env.get("DUTY_LIMIT_MIN", DUTY_LIMIT_MIN)),
                   rest_min=int(env.get("REST_MIN", 8 * 60)), points=points)
