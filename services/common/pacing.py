"""How long a background loop waits, on the process clock.

Loops (matching's planning window, demand's deadline watch, logistics' re-sends and escalation)
state their period in simulated seconds. Live, a simulated second is a wall second and nothing
changes. On an exercise clock running ×600, a 2-second planning window is 1/300 s of wall time:
waiting 2 wall seconds would let 20 simulated minutes pass between two planning rounds, so every
plan would land late for reasons that have nothing to do with the plan. `wall_s` turns the period
into wall seconds at the clock's current rate, never below `floor_s` (the loop must not spin) and
never above the live period; while the exercise clock is paused (rate 0) loops keep their floor,
so work in hand (a request waiting for its plan) is done while simulated time stands still.
"""
from __future__ import annotations

from . import clock


def rate() -> float:
    """Simulated seconds per wall second: 1 on the wall clock; an exercise clock's speed (0 while paused)."""
    own_rate = getattr(clock.installed(), "rate", None)
    return 1.0 if own_rate is None else max(float(own_rate()), 0.0)


def wall_s(sim_s: float, *, floor_s: float = 0.1) -> float:
    """Wall seconds to wait for `sim_s` simulated seconds to pass (see the module docstring)."""
    r = rate()
    if r == 1.0:
        return sim_s
    if r == 0.0:
        return min(sim_s, floor_s)
    return min(sim_s, max(floor_s, sim_s / r))
