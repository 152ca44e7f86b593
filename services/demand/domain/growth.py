"""An incident reported again under its id: whether it grew, what it becomes, and the note that says so.

A report is growth when its size is bigger than the stored one in any measure; the grown incident keeps
each measure's maximum. The same id without growth is a retry. Pure: no I/O.
"""
from __future__ import annotations

from datetime import datetime

from ...common.clock import parse_time, stamp
from .grading import MEASURES


def grows(old: dict | None, new: dict | None) -> bool:
    """Whether a report's size is bigger than the stored one in any measure."""
    old, new = old or {}, new or {}
    return any(new.get(m) is not None and new[m] > (old.get(m) or 0) for m in MEASURES)


def grown(stored: dict, report: dict, at: datetime) -> dict:
    """The stored incident with the bigger size of `report` (each measure's maximum) and updated_at."""
    size = dict(stored.get("size") or {})
    for m in MEASURES:
        if (report.get("size") or {}).get(m) is not None:
            size[m] = max(size.get(m) or 0, report["size"][m])
    out = dict(stored, size=size, updated_at=stamp(at))
    if report.get("reported_grade"):
        out["reported_grade"] = report["reported_grade"]
    if report.get("description"):
        out["description"] = report["description"]
    return out


def note(old: dict, new: dict) -> str:
    """What grew, for the escalation's reason: 'incident grew: people_involved 150 → 400'."""
    parts = [f"{m} {(old.get('size') or {}).get(m, 0)} → {new['size'][m]}" for m in MEASURES
             if (new.get("size") or {}).get(m) is not None and new["size"][m] != (old.get("size") or {}).get(m)]
    return "incident grew: " + ", ".join(parts)


def fact_time(incident: dict) -> datetime:
    """When the incident was last reported: when it last grew, else its first report."""
    return parse_time(incident.get("updated_at") or incident["reported_at"])
