"""Position reports: distance, plausibility, progress and arrival. Pure functions of numbers."""
from __future__ import annotations

import math
from datetime import datetime

from ...geo.distance import km


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two (lon, lat) points in metres."""
    return km(a, b) * 1000.0


def speed_kmh(a: tuple[float, float], a_at: datetime, b: tuple[float, float], b_at: datetime) -> float:
    """The speed needed to get from a to b in the time between the reports (inf if no time passed)."""
    metres = distance_m(a, b)
    seconds = (b_at - a_at).total_seconds()
    if seconds <= 0:
        return math.inf if metres > 1 else 0.0
    return metres / seconds * 3.6


def implausible_speed(previous: tuple[tuple[float, float], datetime] | None, point: tuple[float, float],
                      at: datetime, reported_kmh: float | None, max_kmh: float) -> float | None:
    """The implausible speed (km/h) this report implies, or None when it is plausible."""
    if reported_kmh is not None and reported_kmh > max_kmh:
        return reported_kmh
    if previous is None:
        return None
    implied = speed_kmh(previous[0], previous[1], point, at)
    return implied if implied > max_kmh else None


def progress(start_m: float | None, remaining_m: float) -> float:
    """Share of the way done, 0..1, from the distance at the first report to the distance now."""
    if not start_m:
        return 1.0 if remaining_m == 0 else 0.0
    return max(0.0, min(1.0, 1 - remaining_m / start_m))
