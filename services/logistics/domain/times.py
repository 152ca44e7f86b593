"""Timestamps at the edges: RFC 3339 text in events, timezone-aware UTC datetimes inside."""
from __future__ import annotations

from datetime import datetime, timezone


def parse(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def iso(value: datetime) -> str:
    return as_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def seconds_between(start: datetime, end: datetime) -> int:
    return max(0, round((as_utc(end) - as_utc(start)).total_seconds()))
