"""Durations between two instants (the timestamps themselves: services.common.clock)."""
from __future__ import annotations

from datetime import datetime

from ...common.clock import as_utc


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from `start` to `end`, never negative; naive datetimes are stored UTC."""
    return max(0, round((as_utc(end) - as_utc(start)).total_seconds()))
