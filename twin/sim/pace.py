"""How fast the simulated field devices drive the units, and what logistics must then accept.

In the demo the devices drive each unit along its route in the plan's ETA divided by the speedup, so a
commander sees units arrive within minutes; their reports then imply speeds that many times real ones.
logistics refuses a report implying more than its plausibility bound (`tracking.max_speed_kmh`,
200 km/h), so `make run` scales that bound by the same factor for the demo (`logistics_max_speed`);
an exercise runs its own clock at speedup 1, and live mode has no simulated devices.

    TWIN_DEVICE_SPEEDUP=10    the demo's default; 1 drives in real time (and leaves the bound as it is)
"""
from __future__ import annotations

from typing import Mapping

DEMO_SPEEDUP = 10.0


def enabled(mode: str, env: Mapping[str, str]) -> bool:
    """The devices run in exercises and in the demo (DEMO=1, which `make run` sets) only, never in live mode
    (DEMO unset is live, as for the demo users); TWIN_DEVICES=0 turns them off."""
    if env.get("TWIN_DEVICES") == "0":
        return False
    return mode == "exercise" or env.get("DEMO", "0") == "1"


def device_speedup(mode: str, env: Mapping[str, str]) -> float:
    """The devices' speedup: TWIN_DEVICE_SPEEDUP, else 1 in an exercise and DEMO_SPEEDUP in the demo."""
    raw = env.get("TWIN_DEVICE_SPEEDUP")
    if raw:
        value = float(raw)
        if value < 1:
            raise ValueError(f"TWIN_DEVICE_SPEEDUP must be at least 1, not {raw}")
        return value
    return 1.0 if mode == "exercise" else DEMO_SPEEDUP


def shown_speedup(mode: str, env: Mapping[str, str]) -> float:
    """How much faster than the plans the units move on the twin's pages: the devices' speedup where they
    run, 1 where none do (live mode: real devices, real time)."""
    return device_speedup(mode, env) if enabled(mode, env) else 1.0


def logistics_max_speed(base_kmh: float, env: Mapping[str, str]) -> float | None:
    """logistics' plausibility bound for the demo's simulated reports: `base_kmh` times the devices'
    speedup; None when the devices do not run faster than real time or the bound is set explicitly."""
    mode = env.get("MODE", "live")
    if env.get("LOGISTICS_MAX_SPEED_KMH") or not enabled(mode, env):
        return None
    speedup = device_speedup(mode, env)
    return base_kmh * speedup if speedup > 1 else None
