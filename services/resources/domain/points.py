"""Task points (DOMAIN.md fairness rule): earned from a task's difficulty, duration and risk.

    points = duration_h × (per_hour + per_difficulty × difficulty) × (1 + per_risk × (risk − 1))

rounded to 0.1. Difficulty and risk run from 1 to 5. Difficulty comes from the incident grade
(the policy's `points.difficulty`: I → 5, II → 4, III → 3, IV → 2); risk is given by the approved
plan, else derived from the grade (`points.risk`: I → 4 … IV → 1).
With the defaults (0.5, 0.5, 0.25) a grade III task of 6 hours at risk 2 earns 6 × 2.0 × 1.25 = 15.
Every coefficient is configurable (POINTS_PER_HOUR, POINTS_PER_DIFFICULTY, POINTS_PER_RISK).
"""
from __future__ import annotations

from dataclasses import dataclass, field

GRADES = ("I", "II", "III", "IV")


@dataclass(frozen=True)
class PointsPolicy:
    per_hour: float = 0.5
    per_difficulty: float = 0.5
    per_risk: float = 0.25
    difficulty: dict = field(default_factory=lambda: {"I": 5, "II": 4, "III": 3, "IV": 2}, hash=False)  # per grade
    risk: dict = field(default_factory=lambda: {"I": 4, "II": 3, "III": 2, "IV": 1}, hash=False)  # unless given

    def __post_init__(self):
        for name in ("difficulty", "risk"):
            scale = getattr(self, name)
            if set(scale) != set(GRADES) or not all(isinstance(v, int) and 1 <= v <= 5 for v in scale.values()):
                raise ValueError(f"points.{name} gives each grade (I-IV) a whole number from 1 to 5; got {scale}")

    def difficulty_of(self, grade: str) -> int:
        return self.difficulty[grade]

    def risk_of(self, grade: str, given: int | None = None) -> int:
        return given if given is not None else self.risk[grade]

    def award(self, *, difficulty: int, duration_h: float, risk: int) -> float:
        if not (1 <= difficulty <= 5 and 1 <= risk <= 5):
            raise ValueError("difficulty and risk run from 1 to 5")
        hours = max(0.0, duration_h)
        raw = hours * (self.per_hour + self.per_difficulty * difficulty) * (1 + self.per_risk * (risk - 1))
        return round(max(0.0, raw), 1)


def reciprocity(rows: list[tuple[str, str, float]]) -> dict[tuple[str, str], dict]:
    """Support between cities from (donor city, receiving city, points) rows: for each pair (a, b)
    with a < b, what a gave b, what a received from b, and a's balance (given − received)."""
    out: dict[tuple[str, str], dict] = {}
    for donor, receiver, pts in rows:
        if donor == receiver:
            continue
        a, b = sorted((donor, receiver))
        pair = out.setdefault((a, b), {"city": a, "other_city": b, "given_points": 0.0, "received_points": 0.0,
                                       "given_tasks": 0, "received_tasks": 0})
        side = "given" if donor == a else "received"
        pair[f"{side}_points"] = round(pair[f"{side}_points"] + pts, 1)
        pair[f"{side}_tasks"] += 1
    for pair in out.values():
        pair["balance"] = round(pair["given_points"] - pair["received_points"], 1)
    return out
