"""resources' use cases: load a roster, and report each county's load (what demand watches)."""
from __future__ import annotations

import dataclasses
import math
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import func, insert, select

from ..common.outbox import Tx
from .store import officers

RESERVE_SHARE = 0.70  # DOMAIN.md: a donor keeps at least 70% of its on-duty strength (default)


def load_force(tx: Tx, force) -> int:
    """Insert every officer of a generated or imported force; returns how many."""
    rows = []
    for o in force.officers:
        record = dataclasses.asdict(o)
        rows.append({"officer_id": o.officer_id, "county": o.county, "module": o.module, "status": o.status,
                     "duty_minutes_24h": o.duty_minutes_24h, "record": _jsonable(record)})
    for i in range(0, len(rows), 2000):
        tx.conn.execute(insert(officers), rows[i:i + 2000])
    return len(rows)


def report_county_loads(tx: Tx, counties: list[str], *, reserve_share: float = RESERVE_SHARE) -> int:
    """Emit one `county.load-reported` snapshot per county from the roster as it stands."""
    counts = Counter()
    for county, status, n in tx.conn.execute(
            select(officers.c.county, officers.c.status, func.count()).group_by(officers.c.county, officers.c.status)):
        counts[(county, status)] = n
    at = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for county in counties:
        on_duty = counts[(county, "on_duty")]
        committed = counts[(county, "reserved")] + counts[(county, "deployed")]
        tx.emit("county.load-reported", {
            "county": county, "on_duty": on_duty + committed, "available": on_duty,
            "committed": committed, "reserve_floor": math.ceil(reserve_share * (on_duty + committed)), "at": at,
        }, key=county, subject=county, correlationid=f"load-{county}")
    return len(counties)


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
