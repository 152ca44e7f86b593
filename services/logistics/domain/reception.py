"""Reception of a support deployment: what must be arranged, coverage and the allowance."""
from __future__ import annotations

import math

ITEMS = ("lodging", "meals", "transport", "medic")
DONE = ("arranged", "not_needed")


def initial_arrangements(headcount: int, medic_team_size: int) -> dict:
    items = {k: {"status": "pending", "quantity": headcount} for k in ("lodging", "meals", "transport")}
    items["medic"] = ({"status": "pending", "quantity": 1} if headcount >= medic_team_size
                      else {"status": "not_needed", "detail": f"team under {medic_team_size}"})
    return items


def missing(arrangements: dict) -> list[str]:
    return [k for k in ITEMS if arrangements.get(k, {}).get("status") not in DONE]


def covered(arrangements: dict) -> bool:
    return not missing(arrangements)


def duty_days(minutes: int) -> int:
    """Support duty is paid per day begun: 1 minute to 24 hours is one day."""
    return max(1, math.ceil(minutes / 1440))


def allowance(minutes: int, base_wage_per_day: float, factor: float) -> float:
    return round(duty_days(minutes) * base_wage_per_day * factor, 2)


def lodging_refusal(requested: int, capacity: int, in_use: int) -> str | None:
    free = capacity - in_use
    if requested > free:
        return f"{requested} beds requested but the county has {free} free of {capacity}"
    return None
