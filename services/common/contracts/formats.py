"""JSON semantics shared by jsonschema and the fast check: the date-time format and JSON equality."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

from jsonschema import FormatChecker

_DATE_TIME = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339 date-time (jsonschema only checks it when rfc3339-validator is installed)."""
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    utc_time(value)  # raises ValueError for a month 13, a 31 February, a time before year 1 in UTC...
    return True


def utc_time(value: str) -> datetime:
    """The RFC 3339 text as a UTC time; ValueError for a date that does not exist, and for one whose UTC
    falls outside the years 1 to 9999 (9999-12-31T23:59:59-14:00), which no service could compute with."""
    try:
        return datetime.fromisoformat(value.upper()).astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{value} is outside the years 1 to 9999 in UTC") from None


def _json_equal(a: Any, b: Any) -> bool:
    """JSON equality as jsonschema's const/enum/uniqueItems see it (True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def _unique(items: list) -> bool:
    if all(type(x) is str for x in items):
        return len(set(items)) == len(items)
    return not any(_json_equal(items[i], items[j])
                   for i in range(len(items)) for j in range(i + 1, len(items)))

