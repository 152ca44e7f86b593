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


# Timestamps at the edges: RFC 3339 text in contracts and events, timezone-aware UTC datetimes inside.
# One set for every service; the databases' times are aware UTC already (storage.UtcDateTime).

def as_utc(value: datetime | None) -> datetime | None:
    """`value` as an aware UTC datetime; a naive one is taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def parse_time(text: str) -> datetime:
    """RFC 3339 text ('…Z' or '…+08:00') → aware UTC datetime. Raises ValueError for text that is not a
    time, and for a time whose UTC falls outside the years 1 to 9999 (9999-12-31T23:59-14:00), so that
    callers refusing a bad time refuse that one too."""
    try:
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except OverflowError:
        raise ValueError(f"{text} is outside the years 1 to 9999 in UTC") from None


def stamp(value: datetime) -> str:
    """Aware or stored-UTC datetime → RFC 3339 UTC text to the millisecond ('2026-06-01T08:00:00.000Z')."""
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
