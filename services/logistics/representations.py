"""The JSON representations of logistics' rows (positions only in `position`: they are core data)."""
from __future__ import annotations

from ..common.clock import stamp
from .domain import reception


def _t(value):
    return stamp(value) if value is not None else None


def order(row: dict) -> dict:
    return {
        "order_id": row["order_id"], "deployment_id": row["deployment_id"], "request_id": row["request_id"],
        "incident_id": row["incident_id"], "unit_id": row["unit_id"], "from_county": row["from_county"],
        "officer_ids": row["officer_ids"], "order": row["order"], "ordered_at": _t(row["ordered_at"]),
        "deadline": _t(row["deadline"]), "attempts": row["attempts"], "acknowledged_at": _t(row["acked_at"]),
        "escalated_at": _t(row["escalated_at"]), "status": order_status(row), "progress": row["progress"],
        "eta": _t(row["eta"]), "late": bool(row["late"]), "arrived_at": _t(row["arrived_at"]),
        "response_s": row["response_s"], "released_at": _t(row["released_at"]),
    }


def order_status(row: dict) -> str:
    if row["released_at"] is not None:
        return "released"
    if row["arrived_at"] is not None:
        return "arrived"
    if row["escalated_at"] is not None:
        return "escalated"
    if row["position_at"] is not None:
        return "en_route"
    return "acknowledged" if row["acked_at"] is not None else "ordered"


def position(row: dict) -> dict:
    point = {"lon": row["lon"], "lat": row["lat"]} if row["lon"] is not None else None
    return {"unit_id": row["unit_id"], "order_id": row["order_id"], "classification": "core", "point": point,
            "at": _t(row["position_at"]), "progress": row["progress"], "eta": _t(row["eta"]),
            "deadline": _t(row["deadline"]), "late": bool(row["late"]), "arrived_at": _t(row["arrived_at"]),
            "reporting_point": row["order"]["reporting_point"]}


def deployment(row: dict, policy, wages: dict | None = None) -> dict:
    """`wages`: each officer's own daily base wage, as resources committed them (officers.committed)."""
    minutes = None
    if row["released_at"] is not None:
        minutes = round((row["released_at"] - row["task_start"]).total_seconds() / 60)
    return {
        "deployment_id": row["deployment_id"], "plan_id": row["plan_id"], "request_id": row["request_id"],
        "incident_id": row["incident_id"], "county": row["county"], "grade": row["grade"],
        "headcount": row["headcount"], "officer_ids": row["officer_ids"], "status": row["status"],
        "task_start": _t(row["task_start"]), "task_end": _t(row["task_end"]), "released_at": _t(row["released_at"]),
        "arrangements": row["arrangements"], "missing": reception.missing(row["arrangements"]),
        "covered": reception.covered(row["arrangements"]), "flags": row["flags"], "extension": row["extension"],
        "allowance": allowance(row, policy, wages or {}, minutes),
        "care": care(row, policy),
    }


def allowance(row: dict, policy, wages: dict, minutes: int | None) -> dict:
    """factor x each officer's own base wage per duty day begun; amounts once the deployment is released."""
    officers = list(row["officer_ids"])
    per_officer = reception.allowances({o: minutes if minutes is not None else 0 for o in officers}, wages,
                                       policy.allowance_factor, policy.allowance_day_min)
    if minutes is None:
        for item in per_officer.values():
            item["duty_days"] = item["amount"] = None
    known = [v["amount"] for v in per_officer.values() if v["amount"] is not None]
    return {"factor": policy.allowance_factor, "basis": "each officer's own daily base wage",
            "per_officer": per_officer, "total": round(sum(known), 2) if minutes is not None else None,
            "wage_unknown": [o for o, v in per_officer.items() if v["base_wage_daily"] is None]}


def care(row: dict, policy) -> dict:
    """Care for the people sent: the medic with every team, psychological follow-up after hard tasks."""
    followup = policy.needs_psychological_followup(row["grade"])
    return {"medic": row["arrangements"].get("medic"),
            "psychological_followup": followup,
            "followup_due": followup and row["released_at"] is not None}
