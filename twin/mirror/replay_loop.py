"""Replay of the support loop: requests, candidate plans (previewed on arrival), orders, positions, arrivals.

Plain handlers `(model, data) -> outcome`, idempotent like the rest of the replay: the twin rebuilds
its state by reading the whole stream again on every start.
"""
from __future__ import annotations

from datetime import datetime

from services.demand.domain.lifecycle import ORDER
from twin.sim.model import ProvinceModel

APPLIED, DUPLICATE, UNKNOWN, STALE = "applied", "duplicate", "unknown_reference", "stale"


def advance(request: dict, status: str) -> None:
    """A request's status from another service's fact (a plan approved, a deployment released): forward
    along demand's lifecycle only. demand's own status-changed events, ordered per request, say where it
    is; a fact read after them (another topic, the services' snapshot) must not move it back."""
    current = request.get("status")
    if current in ("cancelled", "closed"):
        return
    if ORDER.get(status, -1) >= ORDER.get(current, -1):
        request["status"] = status


def on_support_requested(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        if data["request_id"] in model.requests:
            return DUPLICATE
        model.requests[data["request_id"]] = dict(data, status="open")
    return APPLIED


def on_support_escalated(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        request = model.requests.get(data["request_id"])
        if request is None:
            return UNKNOWN
        if data.get("from_grade") and data["to_grade"] != request.get("grade"):
            request.setdefault("escalated_from", data["from_grade"])  # the grade first requested
            request["escalated_at"] = data.get("escalated_at")
        request.update(grade=data["to_grade"], approval_level=data["approval_level"], deadline=data["deadline"],
                       deadline_minutes=data["deadline_minutes"], rule=data["rule"])
        if data.get("launch_deadline"):
            request["launch_deadline"] = data["launch_deadline"]
        if data.get("lines"):
            request["lines"] = data["lines"]
    return APPLIED


def on_support_cancelled(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        request = model.requests.get(data["request_id"])
        if request is None:
            return UNKNOWN
        request["status"] = "cancelled"
        for plan in model.plans_for(data["request_id"]):
            if plan["status"] == "proposed":
                plan["status"] = "void"
    return APPLIED


def file_relief(model: ProvinceModel, data: dict) -> None:
    """A relief shift's plan (`relief_of`): its request is filed as the next echelon of the incident's
    request it relieves (same incident, county and grade; due when it takes over; no gap of its own)."""
    relief, request_id = data.get("relief_of"), data["request_id"]
    if not relief or request_id in model.requests:
        return
    parent = model.requests.get(relief["request_id"]) or {}
    model.requests[request_id] = {
        **{k: parent[k] for k in ("county", "grade", "approval_level", "incident_type", "location", "lines") if k in parent},
        "county": data.get("county") or parent.get("county"), "grade": data.get("grade") or parent.get("grade"),
        "request_id": request_id, "incident_id": data.get("incident_id") or parent.get("incident_id"),
        "relief_of": relief["request_id"], "shift": relief["shift"], "deadline": relief["takes_over_at"],
        "requested_at": data.get("proposed_at") or data.get("at"), "gap_ratio": 0.0, "status": "open"}


def on_plan_proposed(model: ProvinceModel, data: dict, status: str = "proposed") -> str:
    """Keeps the candidate and previews it at once, so the comparison is ready when someone looks.
    `status`: the plan's status when it is learnt later than proposed (the services' snapshot), so a
    committed plan is previewed as one (ProvinceModel.preview)."""
    with model.lock:
        if data["plan_id"] in model.plans:
            return DUPLICATE
        file_relief(model, data)
        model.plans[data["plan_id"]] = dict(data, status=status)
    model.preview(data["plan_id"])
    return APPLIED


def on_plan_approved(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        file_relief(model, data)
    return plan_status(model, data["plan_id"], "approved", approved_by=data.get("approved_by"),
                        role=data.get("role"), approval=dict(data))  # signed: the printed order carries it


def on_plan_rejected(model: ProvinceModel, data: dict) -> str:
    return plan_status(model, data["plan_id"], "rejected", reason=data.get("reason"),
                        rejected_by=data.get("rejected_by"))


def on_officers_committed(model: ProvinceModel, data: dict) -> str:
    return plan_status(model, data["plan_id"], "committed")


def on_commit_rejected(model: ProvinceModel, data: dict) -> str:
    plan_id = data.get("plan_id")
    return plan_status(model, plan_id, "commit_rejected") if plan_id else UNKNOWN


def plan_status(model: ProvinceModel, plan_id: str, status: str, **extra) -> str:
    with model.lock:
        plan = model.plans.get(plan_id)
        if plan is None:
            return UNKNOWN
        plan.update(status=status, **{k: v for k, v in extra.items() if v is not None})
        if status == "approved" and plan["request_id"] in model.requests:
            advance(model.requests[plan["request_id"]], "approved")
    return APPLIED


def on_dispatch_ordered(model: ProvinceModel, data: dict) -> str:
    """The unit starts from its donor county's seat (or where it last reported) toward the reporting point."""
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is not None and unit.order and unit.order["order_id"] == data["order_id"]:
            return DUPLICATE
        origin = unit.position if unit is not None else _origin(model, data)
        unit = model.place_unit(unit_id=data["unit_id"], position=origin, status="dispatched")
        unit.follow(data, origin)
    return APPLIED


def on_unit_position_reported(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is None:
            return UNKNOWN
        if unit.status != "arrived":
            unit.report_position((data["point"]["lon"], data["point"]["lat"]), "moving", data["at"])
    return APPLIED


def on_unit_arrived(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is None:
            return UNKNOWN
        unit.report_position((data["point"]["lon"], data["point"]["lat"]), "arrived", data["arrived_at"])
        unit.arrived_at = data["arrived_at"]
    return APPLIED


def on_deployment_released(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        for unit in model.units():
            if unit.order and unit.order["request_id"] == data["request_id"]:
                unit.status = "released"
        if data["request_id"] in model.requests:
            advance(model.requests[data["request_id"]], "released")
    return APPLIED


def on_support_status_changed(model: ProvinceModel, data: dict) -> str:
    """demand's lifecycle step of a request (requested, planning, ... on_scene, released, closed)."""
    with model.lock:
        request = model.requests.get(data["request_id"])
        if request is None:
            return UNKNOWN
        request["status"] = data["to_status"]
    return APPLIED


def on_dispatch_acknowledged(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is None:
            return UNKNOWN
        if unit.status == "dispatched":
            unit.status = "acknowledged"
    return APPLIED


def on_dispatch_escalated(model: ProvinceModel, data: dict) -> str:
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is None:
            return UNKNOWN
        unit.escalated = True
    return APPLIED


def on_unit_late(model: ProvinceModel, data: dict) -> str:
    """logistics' late alert: the unit's estimated arrival is past its deadline."""
    return _timing(model, data, {"eta": data["eta"], "late_by_s": data["late_by_s"], "at": data["at"]})


def on_unit_on_time(model: ProvinceModel, data: dict) -> str:
    """logistics withdraws the late alert: the unit made up the time and is expected before its deadline."""
    return _timing(model, data, None)


def _timing(model: ProvinceModel, data: dict, late_alert: dict | None) -> str:
    """unit.late and unit.on-time are two topics, read in no set order between them: the later verdict
    (by its `at`) stands, whichever is read last."""
    with model.lock:
        unit = model.unit(data["unit_id"])
        if unit is None:
            return UNKNOWN
        if unit.timing_at is not None and \
                datetime.fromisoformat(data["at"]) <= datetime.fromisoformat(unit.timing_at):
            return STALE
        unit.late_alert, unit.timing_at = late_alert, data["at"]
    return APPLIED


def on_duty_alert_raised(model: ProvinceModel, data: dict) -> str:
    """matching's alert to the receiving command: kept with the request; the unit carrying the officer shows it."""
    with model.lock:
        request = model.requests.get(data["request_id"])
        if request is None:
            return UNKNOWN
        alerts = request.setdefault("duty_alerts", [])
        if any(a["alert_id"] == data["alert_id"] for a in alerts):
            return DUPLICATE
        alerts.append(dict(data))
    return APPLIED


def on_officer_status_changed(model: ProvinceModel, data: dict) -> str:
    model.set_officer_status(officer_id=data["officer_id"], county=data["county"], status=data["to"],
                             module=data.get("module"))
    return APPLIED


def _origin(model: ProvinceModel, order: dict) -> tuple[float, float]:
    county = order.get("from_county")
    if county and model.has_county(county):
        return model.county(county).seat
    point = order["reporting_point"]["point"]
    return (point["lon"], point["lat"])


HANDLERS = {
    "support.requested": on_support_requested,
    "support.escalated": on_support_escalated,
    "support.cancelled": on_support_cancelled,
    "plan.proposed": on_plan_proposed,
    "plan.approved": on_plan_approved,
    "plan.rejected": on_plan_rejected,
    "officers.committed": on_officers_committed,
    "commit.rejected": on_commit_rejected,
    "dispatch.ordered": on_dispatch_ordered,
    "unit.position-reported": on_unit_position_reported,
    "unit.arrived": on_unit_arrived,
    "deployment.released": on_deployment_released,
    "officer.status-changed": on_officer_status_changed,
    "support.status-changed": on_support_status_changed,
    "dispatch.acknowledged": on_dispatch_acknowledged,
    "dispatch.escalated": on_dispatch_escalated,
    "unit.late": on_unit_late,
    "unit.on-time": on_unit_on_time,
    "duty.alert-raised": on_duty_alert_raised,
}
