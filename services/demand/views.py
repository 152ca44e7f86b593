"""Read side of support requests: who sees what, filters and sorting."""
from __future__ import annotations

from sqlalchemy import select

from ..common.auth import Identity
from ..common.http import BadRequest
from .domain.grading import GRADES, SEVERITY
from .domain.lifecycle import STATUSES
from .status import history
from .store import requests
from .times import stamp

SORTS = {"deadline": requests.c.deadline, "grade": requests.c.severity.desc(),
         "requested_at": requests.c.requested_at, "updated_at": requests.c.updated_at.desc()}


def visible_to(identity: Identity):
    """The province sees every request of the province, a city its counties', a county its own."""
    level, region = identity.level, identity.region
    if level == "province":
        return requests.c.county.like(region[:2] + "%")
    if level == "city":
        return requests.c.city == region
    return requests.c.county == region


def _choices(args, name: str, allowed) -> list[str]:
    values = [v for raw in args.getlist(name) for v in raw.split(",") if v]
    bad = [v for v in values if v not in allowed]
    if bad:
        raise BadRequest(400, "Bad filter", [{"field": name, "reason": f"{bad[0]!r} is not one of {', '.join(allowed)}"}])
    return values


def _code(args, name: str) -> str | None:
    value = args.get(name)
    if value is not None and not (len(value) == 6 and value.isdigit()):
        raise BadRequest(400, "Bad filter", [{"field": name, "reason": "a 6-digit region code"}])
    return value


def query(identity: Identity, args):
    """GET /requests: filters status, grade (comma-separated or repeated), county, city;
    sort by deadline (default; most urgent first), grade (most severe first), requested_at or updated_at,
    then by deadline; limit (default 200, at most 1000)."""
    stmt = select(requests).where(visible_to(identity))
    if statuses := _choices(args, "status", STATUSES):
        stmt = stmt.where(requests.c.status.in_(statuses))
    if grades := _choices(args, "grade", GRADES):
        stmt = stmt.where(requests.c.severity.in_([SEVERITY[g] for g in grades]))
    if county := _code(args, "county"):
        stmt = stmt.where(requests.c.county == county)
    if city := _code(args, "city"):
        stmt = stmt.where(requests.c.city == city)
    sort = args.get("sort", "deadline")
    if sort not in SORTS:
        raise BadRequest(400, "Bad sort", [{"field": "sort", "reason": f"one of {', '.join(SORTS)}"}])
    try:
        limit = min(max(int(args.get("limit", 200)), 1), 1000)
    except ValueError:
        raise BadRequest(400, "Bad limit", [{"field": "limit", "reason": "an integer 1-1000"}]) from None
    stmt = stmt.order_by(SORTS[sort], requests.c.deadline, requests.c.request_id).limit(limit)
    return stmt


def view(row, conn=None) -> dict:
    """The request as the views show it: the support.requested fields plus its current state."""
    out = dict(row.request, status=row.status, grade=row.grade, approval_level=row.approval_level,
               deadline=stamp(row.deadline), city=row.city, escalation_level=row.escalation_level,
               escalated=bool(row.escalated_stages), escalated_stages=list(row.escalated_stages),
               progress=dict(row.progress), updated_at=stamp(row.updated_at))
    if conn is not None:
        out["history"] = history(conn, row.request_id)
    return out
