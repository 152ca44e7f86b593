"""When injects fall due, and which travel conditions hold at a simulated instant (pure functions).

Times are simulated seconds after the scenario's start; the runner turns them into wall waits with
the exercise clock's state (`wall_wait_s`), so a speed change or a pause takes effect at once.
"""
from __future__ import annotations

from services.geo.conditions import Conditions

from .clock import ClockState
from .scenario import Inject

CONDITION_KINDS = ("road_closure", "weather")


def due(injects: tuple[Inject, ...] | list[Inject], played: set[int], elapsed_s: float) -> list[Inject]:
    """Injects not yet played whose time has come, in scenario order."""
    return [j for j in injects if j.index not in played and j.at_s <= elapsed_s]


def next_at(injects, played: set[int]) -> float | None:
    pending = [j.at_s for j in injects if j.index not in played]
    return min(pending) if pending else None


def wall_wait_s(state: ClockState, start_s: float, target_elapsed_s: float, wall_now: float,
                cap_s: float = 0.5) -> float:
    """Wall seconds to sleep before simulated time reaches start + target (at most `cap_s`, so that
    a speed change or a pause written by another process is seen promptly)."""
    if state.paused:
        return cap_s
    wait = state.wall_at(start_s + target_elapsed_s) - wall_now
    return max(0.0, min(cap_s, wait))


def conditions_at(injects, elapsed_s: float) -> Conditions:
    """Closures and weather in force at `elapsed_s`: started at or before it, not yet over."""
    closed, slow = [], []
    for j in injects:
        if j.kind not in CONDITION_KINDS or j.at_s > elapsed_s or (j.until_s is not None and j.until_s <= elapsed_s):
            continue
        if j.kind == "road_closure":
            closed.append(tuple(sorted(j.body["between"])))
        else:
            slow.append((tuple(j.body["regions"]), float(j.body["speed_factor"])))
    return Conditions(closed=tuple(sorted(set(closed))), slowdowns=tuple(slow))


def condition_changes(injects) -> list[float]:
    """Every instant at which the conditions change (starts and ends), sorted."""
    moments = {j.at_s for j in injects if j.kind in CONDITION_KINDS}
    moments |= {j.until_s for j in injects if j.kind in CONDITION_KINDS and j.until_s is not None}
    return sorted(moments)
