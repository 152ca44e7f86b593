"""Report periods and the targets that apply to them. Pure: no I/O, no clock.

A period is a month (`2026-06`), a half-year (`2026-H1`) or a year (`2026`), or any window given by
`from`/`to`; it runs from `start` (inclusive) to `end` (exclusive), UTC+8 calendar days (the
province's). `previous(p, n)` are the n periods of the same kind before it (a window: as long, just
before)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")


class PeriodError(ValueError):
    """A period that cannot be read: `field` names the query parameter, `reason` says why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # month | half_year | year | window
    start: datetime
    end: datetime

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(seconds=1)).astimezone(CST).date()


def _at(y: int, m: int, d: int = 1) -> datetime:
    return datetime(y, m, d, tzinfo=CST)


def _month(y: int, m: int) -> Period:
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return Period(f"{y:04d}-{m:02d}", "month", _at(y, m), _at(ny, nm))


def _half(y: int, h: int) -> Period:
    return Period(f"{y:04d}-H{h}", "half_year", _at(y, 1 if h == 1 else 7), _at(y, 7) if h == 1 else _at(y + 1, 1))


def _year(y: int) -> Period:
    return Period(f"{y:04d}", "year", _at(y, 1), _at(y + 1, 1))


def parse_period(text: str) -> Period:
    """`2026-06`, `2026-H1` or `2026` → its Period; PeriodError naming `period` otherwise."""
    text = (text or "").strip()
    for pattern, make in ((_MONTH, lambda g: _month(int(g[0]), int(g[1]))),
                          (_HALF, lambda g: _half(int(g[0]), int(g[1]))), (_YEAR, lambda g: _year(int(g[0])))):
        found = pattern.match(text)
        if found:
            if not 2000 <= int(found.group(1)) <= 2100:
                raise PeriodError("period", f"year {found.group(1)} is outside 2000-2100")
            return make(found.groups())
    raise PeriodError("period", f"{text!r} is not a month (2026-06), a half-year (2026-H1) or a year (2026)")


def _moment(field: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00")) if "T" in text else \
            datetime.combine(date.fromisoformat(text), datetime.min.time(), CST)
    except ValueError:
        raise PeriodError(field, f"{text!r} is not a date (2026-01-01) or an RFC 3339 time") from None
    return value if value.tzinfo else value.replace(tzinfo=CST)


def window(start: str, end: str) -> Period:
    """from/to (dates are UTC+8 days; `to` exclusive) → a window; PeriodError naming `from` or `to`."""
    a, b = _moment("from", start), _moment("to", end)
    if b <= a:
        raise PeriodError("to", f"{end} is not after from {start}: the period is empty")
    if b - a > timedelta(days=3 * 366):
        raise PeriodError("to", "a window of at most three years")
    label = f"{a.astimezone(CST).date().isoformat()}..{(b - timedelta(seconds=1)).astimezone(CST).date().isoformat()}"
    return Period(label, "window", a, b)


def previous(p: Period, n: int) -> list[Period]:
    """The n periods of the same kind before `p`, oldest first."""
    out, cur = [], p
    for _ in range(n):
        y, m = cur.start.year, cur.start.month
        if cur.kind == "month":
            cur = _month(y - 1, 12) if m == 1 else _month(y, m - 1)
        elif cur.kind == "half_year":
            cur = _half(y - 1, 2) if m == 1 else _half(y, 1)
        elif cur.kind == "year":
            cur = _year(y - 1)
        else:
            span = cur.end - cur.start
            cur = window((cur.start - span).isoformat(), cur.start.isoformat())
        out.append(cur)
    return out[::-1]


def last_complete(kind: str, now: datetime) -> Period:
    """The latest period of `kind` that has ended at `now` (what the schedule reports)."""
    local = now.astimezone(CST)
    if kind == "month":
        return previous(_month(local.year, local.month), 1)[0]
    if kind == "year":
        return _year(local.year - 1)
    return previous(_half(local.year, 1 if local.month <= 6 else 2), 1)[0]


def phase_of(phases: list[dict], day: date) -> dict | None:
    """The phase whose dates hold `day` (None before the pilot or after the deepening)."""
    for ph in phases:
        if ph["from"] <= day <= ph["to"]:
            return ph
    return None
