"""The one source of "now" for every service and the twin.

Live, it is the wall clock (UTC). An exercise runs the same code on an exercise clock that can run
faster than real time, pause and resume; `set_clock()` installs such a clock in a process.
Code that needs the current time calls `now()`, never `datetime.now()`, so deadlines, escalation,
duty hours and arrival times all follow whichever clock the process runs on.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

Clock = Callable[[], datetime]


def wall_clock() -> datetime:
    return datetime.now(timezone.utc)


_clock: Clock = wall_clock


def now() -> datetime:
    """The current time (timezone-aware UTC) on this process's clock."""
    return _clock()


def installed() -> Clock:
    """The clock this process runs on (an exercise clock also answers `rate()`: see `pacing`)."""
    return _clock


def set_clock(clock: Clock | None) -> None:
    """Install `clock` for this process (None restores the wall clock)."""
    global _clock
    _clock = clock or wall_clock
