"""Dispatch: a committed plan becomes one order per unit; orders are acknowledged, re-sent, escalated.

The response clock starts at ordered_at (the process clock at dispatch). The deadline is the
support request's (raised by escalations); without a request in hand, the grade's target from demand's
support policy (`deadlines`), counted from the approval.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..common.clock import now as clock_now
from ..common.clock import parse_time, stamp
from ..common.http import Problem
from . import deadlines, store
from .domain import reception, scope, units
from .places import Places
from .policy import Policy
from .timeline import emit


def remember_plan(conn, plan_id: str, request_id: str, incident_id: str | None, **values) -> dict:
    """Upsert what one of plan.proposed / plan.approved / officers.committed says of a plan."""
    if store.plan(conn, plan_id) is None:
        store.insert_plan(conn, plan_id=plan_id, request_id=request_id, incident_id=incident_id, dispatched=False,
                          **values)
    else:
        store.update_plan(conn, plan_id, **values)
    return store.plan(conn, plan_id)


def dispatch_when_ready(tx, plan: dict, places: Places, policy: Policy) -> list[dict]:
    """Once a plan is both approved and committed (in either order), order every unit once."""
    approval, committed = plan.get("approval"), plan.get("committed")
    if not approval or not committed or plan["dispatched"]:
        return []
    conn = tx.conn
    request = store.request(conn, plan["request_id"])
    store.update_plan(conn, plan["plan_id"], dispatched=True)
    if request and request["status"] == "cancelled":
        return []
    chosen = {a["officer_id"] for a in approval["assignments"]}
    officers = [o for o in committed["officer_ids"] if o in chosen] or list(committed["officer_ids"])
    now = clock_now()
    county = approval["county"]
    deadline = _deadline(request, approval, policy)
    point = _reporting_point(request, county, places)
    until = parse_time(approval["task_end"]) if approval.get("task_end") else now + timedelta(hours=policy.task_hours)
    grant = {"area": places.county_area(county) or scope.buffer_area(*point, policy.incident_buffer_m),
             "from": stamp(now), "until": stamp(max(until, now)),
             "tasks": policy.tasks_for((request or {}).get("modules") or [])}
    dep_id = units.deployment_id(plan["plan_id"])
    teams = units.group_units(plan["plan_id"], officers, approval, plan.get("proposal"))
    store.insert_deployment(
        conn, deployment_id=dep_id, plan_id=plan["plan_id"], request_id=plan["request_id"],
        incident_id=approval.get("incident_id") or plan["incident_id"], county=county, grade=approval["grade"],
        headcount=len(officers), officer_ids=officers, task_start=now, task_end=max(until, now),
        arrangements=reception.initial_arrangements(units.contingents(teams), policy.medics_per_team,
                                                    policy.officers_per_medic), flags=[],
        status="dispatched", created_at=now)
    commander = f"{places.county_name(county)}公安局指挥中心"  # the receiving side commands on scene
    sent = []
    for unit in teams:
        order = {"order_id": units.order_id(plan["plan_id"], unit.unit_id), "plan_id": plan["plan_id"],
                 "request_id": plan["request_id"], "deployment_id": dep_id, "unit_id": unit.unit_id,
                 "officer_ids": list(unit.officer_ids),
                 "reporting_point": {"point": {"lon": point[0], "lat": point[1]}, "county": county,
                                     "name": _point_name(request, county, places)},
                 "receiving_commander": commander, "deadline": stamp(deadline), "scope": grant,
                 "ordered_at": stamp(now), "attempt": 1}
        if approval.get("incident_id"):
            order["incident_id"] = approval["incident_id"]
        if unit.from_county:
            order["from_county"] = unit.from_county
        store.insert_order(
            conn, order_id=order["order_id"], deployment_id=dep_id, request_id=plan["request_id"],
            incident_id=order.get("incident_id"), unit_id=unit.unit_id, from_county=unit.from_county,
            officer_ids=list(unit.officer_ids), order=order, ordered_at=now, deadline=deadline, attempts=1,
            last_sent_at=now, late=False)
        emit(tx, "dispatch.ordered", order, key=plan["request_id"])
        sent.append(order)
    return sent


def _deadline(request, approval: dict, policy: Policy) -> datetime:
    if request and request["deadline"]:
        return request["deadline"]
    return parse_time(approval["at"]) + timedelta(minutes=deadlines.arrive_minutes(approval["grade"]))


def _reporting_point(request, county: str, places: Places) -> tuple[float, float]:
    if request and request["lon"] is not None:
        return (request["lon"], request["lat"])
    return places.seat(county) or (120.15, 30.28)


def _point_name(request, county: str, places: Places) -> str:
    """At the incident's place, the receiving county's on-scene command post; without a place, its bureau."""
    if request and request["lon"] is not None:
        return f"{places.county_name(county)}现场指挥部"
    return f"{places.county_name(county)}公安局指挥中心"


def load_order(conn, order_id: str) -> dict:
    """The order; 404 when there is none."""
    row = store.order(conn, order_id)
    if row is None:
        raise Problem(404, "Not Found", detail=f"no order {order_id}")
    return row


def acknowledge_as(outbox, order_id: str, unit_id: str, by: str) -> dict:
    """A unit acknowledges its order over HTTP (the order as it then stands); another unit's is a 422."""
    with outbox.transaction() as tx:
        row = load_order(tx.conn, order_id)
        if row["unit_id"] != unit_id:
            raise Problem.of_field(422, "Refused", "unit_id", f"order {order_id} is for unit {row['unit_id']}")
        return acknowledge(tx, order_id, by)


def acknowledge(tx, order_id: str, by: str) -> dict | None:
    """The unit confirmed its order; None when there is no such order. A second ack changes nothing."""
    row = store.order(tx.conn, order_id)
    if row is None:
        return None
    now = clock_now()
    if row["acked_at"] is None and store.acknowledge_order(tx.conn, order_id, now):  # once, two taps at once too
        data = {"order_id": order_id, "request_id": row["request_id"], "deployment_id": row["deployment_id"],
                "unit_id": row["unit_id"], "acknowledged_by": by, "attempt": row["attempts"],
                "acknowledged_at": stamp(now)}
        if row["incident_id"]:
            data["incident_id"] = row["incident_id"]
        emit(tx, "dispatch.acknowledged", data, key=row["request_id"])
    return store.order(tx.conn, order_id)


def chase_unacknowledged(tx, policy: Policy, now: datetime | None = None) -> dict:
    """Re-send orders unacknowledged for ack_timeout_s; after max_resends, escalate once."""
    now = now or clock_now()
    due = now - timedelta(seconds=policy.ack_timeout_s)
    resent = escalated = 0
    for row in store.orders_to_chase(tx.conn, due):
        # Conditional updates: another instance of logistics running the same check changes the row
        # first, and then this one emits nothing.
        if row["attempts"] <= policy.max_resends:
            order = dict(row["order"], attempt=row["attempts"] + 1)
            if not store.resend_order(tx.conn, row["order_id"], row["attempts"], last_sent_at=now, body=order):
                continue
            emit(tx, "dispatch.ordered", order, key=row["request_id"])
            resent += 1
        else:
            if not store.escalate_order(tx.conn, row["order_id"], now):
                continue
            data = {"order_id": row["order_id"], "request_id": row["request_id"], "deployment_id": row["deployment_id"],
                    "unit_id": row["unit_id"], "attempts": row["attempts"], "ordered_at": stamp(row["ordered_at"]),
                    "escalated_to": f"{row['from_county'] or 'donor'} county command centre",
                    "escalated_at": stamp(now)}
            for k in ("incident_id", "from_county"):
                if row[k]:
                    data[k] = row[k]
            emit(tx, "dispatch.escalated", data, key=row["request_id"])
            escalated += 1
    return {"resent": resent, "escalated": escalated}
