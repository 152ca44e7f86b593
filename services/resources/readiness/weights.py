"""Counties' expected demand for pre-positioning: given in the request, else the incidents recorded
by county (on a weekday and in an hour window when asked), else the population (policy `demand`)."""
from __future__ import annotations

from datetime import datetime

import numpy as np


def from_history(reports: list[tuple[str, dict]], codes: tuple[str, ...], weekday: int | None = None,
                 hours: tuple[int, int] | None = None) -> tuple[np.ndarray, int]:
    """(incidents per county, incidents counted) reported on `weekday` (0 Monday, local time of the
    report) and in `hours` [from, to) when given (a window past midnight wraps: [22, 6))."""
    at = {c: i for i, c in enumerate(codes)}
    counts, used = np.zeros(len(codes)), 0
    for county, report in reports:
        if county not in at:
            continue
        when = _reported_at(report)
        if when is None and (weekday is not None or hours is not None):
            continue
        if weekday is not None and when.weekday() != weekday:
            continue
        if hours is not None and not _in_window(when.hour, hours):
            continue
        counts[at[county]] += 1
        used += 1
    return counts, used


def from_population(counties) -> np.ndarray:
    return np.array([float(c.population or 0) for c in counties])


def _reported_at(report: dict) -> datetime | None:
    raw = report.get("reported_at") if isinstance(report, dict) else None
    try:
        return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None


def _in_window(hour: int, hours: tuple[int, int]) -> bool:
    start, end = hours
    return start <= hour < end if start < end else (hour >= start or hour < end)
