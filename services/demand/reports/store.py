"""The performance reports' SQL: the facts demand keeps for them (requests and their first plan, the
points awarded) and the reports kept (one row per report whose content changed, with its SHA-256)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, insert, select

from ...common.clock import stamp
from ...geo.regions import city_of
from ..store import performance_reports, points_awards, requests, transitions


def first_plan_seconds(conn, start: datetime, end: datetime) -> list[tuple[str, datetime, float | None]]:
    """(city, requested_at, seconds to the first plan or None) of every request raised in [start, end)."""
    first = (select(transitions.c.request_id, func.min(transitions.c.at).label("at"))
             .where(transitions.c.cause == "plan.proposed").group_by(transitions.c.request_id).subquery())
    rows = conn.execute(select(requests.c.city, requests.c.requested_at, first.c.at)
                        .select_from(requests.outerjoin(first, first.c.request_id == requests.c.request_id))
                        .where(requests.c.requested_at >= start, requests.c.requested_at < end))
    return [(city, at, None if planned is None else max(0.0, (planned - at).total_seconds()))
            for city, at, planned in rows]


def awards(conn, start: datetime, end: datetime) -> list[tuple[str, str, float]]:
    """(donor city, receiving city, points) of the awards in [start, end) whose request demand knows."""
    rows = conn.execute(select(points_awards.c.county, requests.c.county, points_awards.c.points)
                        .join(requests, requests.c.request_id == points_awards.c.request_id)
                        .where(points_awards.c.at >= start, points_awards.c.at < end,
                               points_awards.c.county.is_not(None)))
    return [(city_of(donor), city_of(receiver), float(points)) for donor, receiver, points in rows]


def record_award(conn, data: dict, at: datetime) -> bool:
    """points.awarded kept once per officer and task (a redelivery changes nothing)."""
    found = conn.execute(select(points_awards.c.officer_id).where(
        points_awards.c.officer_id == data["officer_id"], points_awards.c.task_id == data["task_id"])).first()
    if found:
        return False
    conn.execute(insert(points_awards).values(officer_id=data["officer_id"], task_id=data["task_id"],
                                              county=data.get("county"), request_id=data.get("request_id"),
                                              points=data["points"], at=at))
    return True


def last_kept(conn, period: str, region: str):
    """(report_id, sha256) of the last report kept for the period and region, or None."""
    return conn.execute(select(performance_reports.c.report_id, performance_reports.c.sha256)
                        .where(and_(performance_reports.c.period == period,
                                    performance_reports.c.region == region))
                        .order_by(performance_reports.c.report_id.desc()).limit(1)).first()


def insert_report(conn, report: dict, *, sha: str, trigger: str, by: str, at: datetime) -> int:
    """Keeps a report; its report_id."""
    done = conn.execute(insert(performance_reports).values(
        period=report["period"], region=report["region"], generated_at=at, trigger=trigger,
        generated_by=by[:128], sha256=sha, complete=0 if report["incomplete"] else 1, body=report))
    return done.inserted_primary_key[0]


def history(conn, region_prefix: str | None, period: str | None = None, limit: int = 500) -> list[dict]:
    stmt = select(performance_reports.c.report_id, performance_reports.c.period, performance_reports.c.region,
                  performance_reports.c.generated_at, performance_reports.c.trigger,
                  performance_reports.c.generated_by, performance_reports.c.sha256, performance_reports.c.complete)
    if region_prefix:
        stmt = stmt.where(performance_reports.c.region.like(region_prefix + "%"))
    if period:
        stmt = stmt.where(performance_reports.c.period == period)
    rows = conn.execute(stmt.order_by(performance_reports.c.report_id.desc()).limit(limit)).mappings()
    return [{**dict(r), "generated_at": stamp(r["generated_at"]), "complete": bool(r["complete"])} for r in rows]


def scheduled_done(conn, period: str, region: str) -> bool:
    return conn.execute(select(performance_reports.c.report_id).where(
        performance_reports.c.period == period, performance_reports.c.region == region,
        performance_reports.c.trigger == "schedule", performance_reports.c.complete == 1)).first() is not None
