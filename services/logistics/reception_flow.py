"""Reception of a deployment: arrangements, arrival flags, release and extension."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from .domain import reception
from .domain.times import as_utc, iso, parse
from .policy import Policy
from .store import deployments, orders, plans, requests
from .timeline import emit


class Refused(Exception):
    """An HTTP action that the rules refuse: status and reason for the problem response."""

    def __init__(self, status: int, field: str, reason: str):
        super().__init__(reason)
        self.status, self.field, self.reason = status, field, reason


def deployment(conn, deployment_id: str) -> dict | None:
    row = conn.execute(select(deployments).where(deployments.c.deployment_id == deployment_id)).mappings().first()
    return dict(row) if row else None


def wages_of(conn, plan_ids: list[str]) -> dict[str, dict]:
    """{plan_id: {officer_id: daily base wage}} as resources committed the plans' officers."""
    if not plan_ids:
        return {}
    rows = conn.execute(select(plans.c.plan_id, plans.c.committed).where(plans.c.plan_id.in_(sorted(set(plan_ids)))))
    return {pid: dict((committed or {}).get("base_wage_daily") or {}) for pid, committed in rows}


def note_arrival(conn, deployment_id: str, unit_id: str, at: datetime) -> None:
    """Flag what was not arranged before this unit arrived; on scene once every unit is in place."""
    dep = deployment(conn, deployment_id)
    flags = list(dep["flags"]) + [{"item": item, "unit_id": unit_id, "at": iso(at)}
                                  for item in reception.missing(dep["arrangements"])]
    waiting = conn.execute(select(orders.c.order_id).where(orders.c.deployment_id == deployment_id,
                                                           orders.c.arrived_at.is_(None))).first()
    status = dep["status"] if waiting else "on_scene"
    conn.execute(update(deployments).where(deployments.c.deployment_id == deployment_id)
                 .values(flags=flags, status=status if dep["status"] != "released" else "released"))
    if not waiting:
        conn.execute(update(requests).where(requests.c.request_id == dep["request_id"],
                                            requests.c.status == "open").values(status="on_scene"))


def lodging_in_use(conn, county: str, other_than: str) -> int:
    rows = conn.execute(select(deployments.c.arrangements).where(
        deployments.c.county == county, deployments.c.status != "released",
        deployments.c.deployment_id != other_than)).scalars()
    return sum(a.get("lodging", {}).get("quantity", 0) for a in rows
               if a.get("lodging", {}).get("status") == "arranged")


def arrange(tx, dep: dict, body: dict, policy: Policy, now: datetime) -> dict:
    """Record arrangements (lodging within the county's capacity) and emit logistics.arranged."""
    items = dict(dep["arrangements"])
    if body.get("medic", {}).get("status") == "not_needed":
        raise Refused(422, "medic.status", "a medic travels with every team (随队医护): the medic is always needed")
    for item in reception.ITEMS:
        if item in body:
            items[item] = body[item]
    lodging = items["lodging"]
    if "lodging" in body and lodging["status"] == "arranged":
        beds = lodging.setdefault("quantity", dep["headcount"])
        why = reception.lodging_refusal(beds, policy.capacity(dep["county"]),
                                        lodging_in_use(tx.conn, dep["county"], dep["deployment_id"]))
        if why:
            raise Refused(409, "lodging.quantity", why)
    tx.conn.execute(update(deployments).where(deployments.c.deployment_id == dep["deployment_id"])
                    .values(arrangements=items))
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "headcount": dep["headcount"],
            **{k: items[k] for k in reception.ITEMS}, "at": iso(now)}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    emit(tx, "logistics.arranged", data, key=dep["request_id"])
    return items


def release(tx, dep: dict, now: datetime, outcome: str = "completed", policy: Policy | None = None) -> dict:
    """Release every officer; duty runs from each unit's order to now (resources closes duty time).
    After a hard task (policy: grades I-II) the release flags psychological follow-up for every officer."""
    if dep["status"] == "released":
        raise Refused(409, "deployment_id", "already released")
    rows = tx.conn.execute(select(orders).where(orders.c.deployment_id == dep["deployment_id"])).mappings().all()
    minutes = {o: max(0, round((now - as_utc(r["ordered_at"])).total_seconds() / 60))
               for r in rows for o in r["officer_ids"]}
    officers = [o for o in dep["officer_ids"] if o in minutes] or list(dep["officer_ids"])
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "plan_id": dep["plan_id"],
            "officer_ids": officers, "duty_minutes": max(minutes.values(), default=0),
            "duty_minutes_by_officer": {o: minutes.get(o, 0) for o in officers}, "outcome": outcome,
            "released_at": iso(now),
            "psychological_followup": (policy or Policy()).needs_psychological_followup(dep["grade"])}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    tx.conn.execute(update(deployments).where(deployments.c.deployment_id == dep["deployment_id"])
                    .values(status="released", released_at=now, outcome=outcome))
    tx.conn.execute(update(orders).where(orders.c.deployment_id == dep["deployment_id"]).values(released_at=now))
    emit(tx, "deployment.released", data, key=dep["request_id"])
    return data


def request_extension(conn, dep: dict, body: dict, by: str, now: datetime) -> dict:
    until = parse(body["until"])
    if until <= as_utc(dep["task_end"]):
        raise Refused(422, "until", f"must be after the current end {iso(dep['task_end'])}")
    if dep["status"] == "released":
        raise Refused(409, "deployment_id", "the deployment is released")
    pending = {"until": iso(until), "reason": body["reason"], "requested_by": by, "requested_at": iso(now)}
    conn.execute(update(deployments).where(deployments.c.deployment_id == dep["deployment_id"])
                 .values(extension=pending))
    return pending


def approve_extension(tx, dep: dict, by: str, role: str, now: datetime) -> dict:
    pending = dep["extension"]
    if not pending:
        raise Refused(409, "extension", "no extension was requested")
    data = {"deployment_id": dep["deployment_id"], "request_id": dep["request_id"], "plan_id": dep["plan_id"],
            "officer_ids": list(dep["officer_ids"]), "previous_until": iso(dep["task_end"]),
            "until": pending["until"], "reason": pending["reason"], "requested_by": pending["requested_by"],
            "approved_by": by, "role": role, "at": iso(now)}
    if dep["incident_id"]:
        data["incident_id"] = dep["incident_id"]
    until = parse(pending["until"])
    tx.conn.execute(update(deployments).where(deployments.c.deployment_id == dep["deployment_id"])
                    .values(task_end=until, extension=None))
    for row in tx.conn.execute(select(orders).where(orders.c.deployment_id == dep["deployment_id"])).mappings().all():
        order = dict(row["order"], scope=dict(row["order"]["scope"], until=pending["until"]))
        tx.conn.execute(update(orders).where(orders.c.order_id == row["order_id"]).values(order=order))
    emit(tx, "deployment.extended", data, key=dep["request_id"])
    return data
