"""Durations between two instants (the timestamps themselves: services.common.clock)."""
from __future__ import annotations

from datetime import datetime


def seconds_between(start: datetime, end: datetime) -> int:
    """Whole seconds from `start` to `end` (aware datetimes), never negative."""
    return max(0, round((end - start).total_seconds()))
