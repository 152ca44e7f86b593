"""An instruction to a unit: the receiving command instructs a unit within the scope its order grants.
Every attempt is recorded and on the timeline (instruction.recorded), a refused one too: from anyone
else (403) or outside the scope (422), the refusal is committed with its reason and then raised."""
from __future__ import annotations

import uuid
from datetime import datetime

from ..common.auth import Identity
from ..common.clock import parse_time, stamp
from ..common.http import Problem
from . import access, dispatch, store
from .domain import scope
from .timeline import emit


def instruct_as(outbox, order_id: str, who: Identity, body: dict, now: datetime) -> dict:
    """The instruction as recorded (accepted), or the refusal raised once it is recorded. A role that is
    never a receiving command gets one and the same 403 for any order id, naming no county, so that
    the answer does not tell whether or where the order exists (recorded when there is such an order)."""
    if who.role not in access.RECEIVING_ROLES:
        reason = (f"only a receiving command (county duty officer or city commander) may instruct a unit; "
                  f"caller is {who.role}")
        with outbox.transaction() as tx:
            row = store.order(tx.conn, order_id)
            if row is not None:
                _record(tx, row, who, body, reason, now)
        raise Problem.of_field(403, "Refused", "X-Role", reason)
    with outbox.transaction() as tx:
        row = dispatch.load_order(tx.conn, order_id)
        county = row["order"]["reporting_point"]["county"]
        status, field, reason = 201, None, None
        if not access.is_receiving_command(who, county):
            status, field, reason = 403, "X-Role", (f"only the receiving command of county {county} may instruct "
                                                    f"this unit; caller is {who.role} of {who.region}")
        else:
            grant = row["order"]["scope"]
            until = min(parse_time(grant["until"]), row["released_at"] or parse_time(grant["until"]))
            found = scope.refused(grant, at=now, task=body["task"], point=body.get("point"),
                                  window=(parse_time(grant["from"]), until))
            if found:
                status, (field, reason) = 422, found
        record = _record(tx, row, who, body, reason, now)
    if reason:
        raise Problem.of_field(status, "Refused", field, reason[:200])
    return record


def _record(tx, row: dict, who: Identity, body: dict, reason: str | None, now: datetime) -> dict:
    data = {"instruction_id": f"INS-{uuid.uuid4().hex[:16]}", "order_id": row["order_id"],
            "request_id": row["request_id"], "unit_id": row["unit_id"], "issued_by": who.subject[:128],
            "role": who.role, "region": who.region, "task": body["task"], "accepted": reason is None,
            "at": stamp(now)}
    for k in ("text", "point"):
        if k in body:
            data[k] = body[k]
    if row["incident_id"]:
        data["incident_id"] = row["incident_id"]
    if reason:
        data["reason"] = reason[:200]
    store.add_instruction(tx.conn, instruction_id=data["instruction_id"], order_id=row["order_id"],
                          issued_by=data["issued_by"], role=who.role, region=who.region, task=body["task"],
                          accepted=reason is None, reason=data.get("reason"), at=now)
    emit(tx, "instruction.recorded", data, key=row["request_id"])
    return data
