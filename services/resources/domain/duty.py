"""Duty time and rest: no officer on duty more than 12 hours a day (DOMAIN.md), then mandatory rest.

A day is an officer's own: duty minutes count inside a 24-hour window that opens with the first duty
minute recorded in it; once the window has passed, the count starts again from zero. Each such day
holds at most 12 hours, and an officer who reaches them rests (`after_release`). Like a calendar day,
the window is fixed, not sliding: tasks on either side of its end count in two days, so a run of
tasks across it may last longer than 12 hours, each day's part within them.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

DUTY_LIMIT_MIN = 12 * 60
WINDOW = timedelta(hours=24)


def minutes_in_window(minutes: int, window_start: datetime | None, now: datetime) -> int:
    """Duty minutes that still count at `now`."""
    if window_start is not None and now - window_start >= WINDOW:
        return 0
    return minutes


def accrue(minutes: int, window_start: datetime | None, worked: int, started: datetime,
           now: datetime) -> tuple[int, datetime]:
    """(minutes, window start) after `worked` more minutes of duty that began at `started`."""
    current = minutes_in_window(minutes, window_start, now)
    start = window_start if current and window_start is not None else started
    return current + worked, start


def would_exceed(minutes_now: int, task_minutes: int, limit: int = DUTY_LIMIT_MIN) -> bool:
    return minutes_now + task_minutes > limit


def would_exceed_s(seconds_now: int, task_seconds: int, limit_s: int = DUTY_LIMIT_MIN * 60) -> bool:
    """The limit to the second: nothing is rounded down (travel and the task counted in seconds)."""
    return seconds_now + task_seconds > limit_s


def worked_minutes(reported: int, since: datetime | None, until: datetime) -> int:
    """Duty minutes a task adds: the reported minutes, or the seconds from `since` (the order) to `until`
    rounded up to a whole minute when that is more, so the count never falls short of the time worked."""
    if since is None or until <= since:
        return max(0, reported)
    return max(reported, math.ceil((until - since).total_seconds() / 60))


def after_release(minutes_now: int, released_at: datetime, *, rest_minutes: int,
                  limit: int = DUTY_LIMIT_MIN) -> tuple[str, datetime | None]:
    """Status after a task ends: resting until rested once the limit is reached, else back on duty."""
    if minutes_now >= limit:
        return "resting", released_at + timedelta(minutes=rest_minutes)
    return "on_duty", None


def rested(status: str, rest_until: datetime | None, now: datetime) -> bool:
    return status == "resting" and (rest_until is None or rest_until <= now)


def effective_status(status: str, rest_until: datetime | None, now: datetime) -> str:
    """A resting officer whose rest is over is on duty again, whether or not anyone wrote it yet."""
    return "on_duty" if rested(status, rest_until, now) else status
