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


def pace_anchor(anchor: tuple[datetime, float] | None, at: datetime, left_s: float, moved_m: float | None,
                evidence_s: float, still_m: float) -> tuple[datetime, float]:
    """Where the unit's pace is measured from: (when, the route's estimate of the seconds left then).

    The first report sets it. Until the unit has covered `evidence_s` of the estimate it moves to
    every report at which the unit stood still (moved less than `still_m` since the report before),
    so that the time a unit spends assembling at its station does not count as slow driving; once
    the unit is on its way it stays, and a hold-up on the road counts against the pace."""
    if anchor is None or (anchor[1] - left_s < evidence_s and moved_m is not None and moved_m < still_m):
        return at, left_s
    return anchor


def paced_left_s(anchor: tuple[datetime, float], at: datetime, left_s: float, evidence_s: float) -> float:
    """The seconds the unit still needs: the route's estimate of what is left, times the unit's pace
    against that estimate since `anchor` (elapsed over the estimate's seconds covered) once it has
    covered `evidence_s` of them; the estimate itself before that. A unit that keeps to the estimate
    gets the estimate, one in a jam gets a later arrival, one on blue lights an earlier one."""
    covered = anchor[1] - left_s
    elapsed = (at - anchor[0]).total_seconds()
    if covered < evidence_s or elapsed <= 0:
        return left_s
    return left_s * elapsed / covered


def left_along(route: dict, point: tuple[float, float]) -> tuple[float, float]:
    """(seconds left, metres off the route) of a unit at `point` on `route` ({points: [(lon, lat)...],
    left_s: [the seconds left at each]}): the point is put on the route's nearest segment (on a local
    flat projection, metres) and takes the seconds left there, in proportion between the segment's ends."""
    lon0, lat0 = point
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    best = (math.inf, 0.0)
    points, left = route["points"], route["left_s"]
    for (a, b), (la, lb) in zip(zip(points, points[1:]), zip(left, left[1:])):
        ax, ay = (a[0] - lon0) * kx, (a[1] - lat0) * ky
        bx, by = (b[0] - lon0) * kx, (b[1] - lat0) * ky
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
        off = math.hypot(ax + t * dx, ay + t * dy)
        if off < best[0]:
            best = (off, la + (lb - la) * t)
    return best[1], best[0]
