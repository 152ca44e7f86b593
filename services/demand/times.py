"""Timestamps at demand's edges: contract text (RFC 3339) in, aware UTC datetimes inside.

SQLite hands stored datetimes back without a zone; they were written as UTC, so `utc()` restores it.
"""
from __future__ import annotations

from datetime import datetime, timezone


def parse(text: str) -> datetime:
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def stamp(value: datetime) -> str:
    return utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")
