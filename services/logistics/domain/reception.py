"""Reception of a support deployment: what must be arranged (a medic with every team), coverage and the
allowance on each officer's own wage."""
from __future__ import annotations

import math

ITEMS = ("lodging", "meals", "transport", "medic")
DONE = ("arranged", "not_needed")


def medics_needed(team_sizes, medics_per_team: int = 1, officers_per_medic: int = 30) -> int:
    """A medic travels with every team (随队医护), however small; a large team takes one more per
    `officers_per_medic` officers beyond the first."""
    return sum(max(medics_per_team, math.ceil(n / officers_per_medic)) for n in team_sizes if n > 0)


def initial_arrangements(team_sizes, medics_per_team: int = 1, officers_per_medic: int = 30) -> dict:
    """What the receiving side must arrange for teams of these sizes (one team per donor county's
    contingent: units.contingents)."""
    sizes = [n for n in team_sizes if n > 0]
    headcount = sum(sizes)
    items = {k: {"status": "pending", "quantity": headcount} for k in ("lodging", "meals", "transport")}
    # the quantity says how many: one per team, one more per officers_per_medic (the detail is the receiver's)
    items["medic"] = {"status": "pending", "quantity": medics_needed(sizes, medics_per_team, officers_per_medic)}
    return items


def missing(arrangements: dict) -> list[str]:
    return [k for k in ITEMS if arrangements.get(k, {}).get("status") not in DONE]


def covered(arrangements: dict) -> bool:
    return not missing(arrangements)


DAY_MIN = 1440


def duty_days(minutes: int, day_min: int = DAY_MIN) -> int:
    """Support duty is paid per day begun (the policy's `reception.allowance_day_min`): with days of
    24 hours, 1 minute to 24 hours is one day."""
    return max(1, math.ceil(minutes / day_min))


def allowance(minutes: int, base_wage_per_day: float, factor: float, day_min: int = DAY_MIN) -> float:
    return round(duty_days(minutes, day_min) * base_wage_per_day * factor, 2)


def allowances(minutes_by_officer: dict, wages: dict, factor: float, day_min: int = DAY_MIN) -> dict:
    """Each officer's support allowance: `factor` times their OWN daily base wage per duty day begun.

    {officer_id: {base_wage_daily, duty_days, amount}}; an officer whose wage resources did not send
    gets amounts of None (paid once the wage is known), never someone else's rate."""
    out = {}
    for officer, minutes in sorted(minutes_by_officer.items()):
        wage = wages.get(officer)
        days = duty_days(minutes, day_min)
        out[officer] = {"base_wage_daily": wage, "duty_days": days,
                        "per_day": round(wage * factor, 2) if wage else None,
                        "amount": allowance(minutes, wage, factor, day_min) if wage else None}
    return out


def lodging_refusal(requested: int, capacity: int, in_use: int) -> str | None:
    free = capacity - in_use
    if requested > free:
        return f"{requested} beds requested but the county has {free} free of {capacity}"
    return None
