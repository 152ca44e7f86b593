"""HTTP: orders (acknowledge, instruct, equipment checks) and unit positions."""
from __future__ import annotations

import uuid

from flask import Flask, abort, jsonify, request
from sqlalchemy import insert, select

from ..common import permissions
from ..common.auth import current_identity
from ..common.clock import now as clock_now
from ..common.http import Route, validated_body
from . import access, dispatch, position_policy, positions, regions, views
from .domain import scope
from .domain.times import as_utc, iso, parse
from .reception_flow import Refused
from .store import equipment_checks, instructions, orders
from .timeline import emit

ROUTES = [
    Route("GET", "/orders", "Dispatch orders and their state (?request_id=, ?deployment_id=, ?late=true)"),
    Route("GET", "/orders/{order_id}", "One order: acknowledgement, re-sends, ETA, lateness, arrival", params=("order_id",)),
    Route("POST", "/orders/{order_id}/ack", "A support unit acknowledges its order", body="order-ack",
          params=("order_id",)),
    Route("POST", "/orders/{order_id}/instructions", "The receiving command instructs a unit within its scope; "
          "anyone else (403) or outside the scope (422) is refused and recorded", body="instruction",
          params=("order_id",), status=201),
    Route("POST", "/orders/{order_id}/equipment-check", "The receiving side records how many of the unit's items "
          "its systems accepted", body="equipment-check", params=("order_id",), status=201),
    Route("POST", "/units/{unit_id}/positions", "A device reports its unit's position (published to "
          "unit.position-reported)", body="position-report", params=("unit_id",), status=202),
    Route("GET", "/units/{unit_id}/position", "A unit's position, route progress and ETA (core data: the province "
          "command; the receiving command during the task only when the province turned that on, "
          "GET /policy/positions); every read is on the access log", params=("unit_id",)),
]


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]

    @app.get("/orders")
    def list_orders():
        query = select(orders).order_by(orders.c.ordered_at, orders.c.order_id)
        for field in ("request_id", "deployment_id"):
            if request.args.get(field):
                query = query.where(getattr(orders.c, field) == request.args[field])
        if request.args.get("late") == "true":
            query = query.where(orders.c.late.is_(True))
        bound = permissions.bound_region()
        with runtime.engine.connect() as conn:
            return jsonify([views.order(dict(r)) for r in conn.execute(query).mappings()
                            if not bound or regions.concerns(bound, regions.order_counties(r))])

    @app.get("/orders/<order_id>")
    def get_order(order_id: str):
        with runtime.engine.connect() as conn:
            return jsonify(views.order(_order(conn, order_id)))

    @app.post("/orders/<order_id>/ack")
    def ack(order_id: str):
        identity = current_identity()
        access.require_unit(identity, "acknowledge an order")
        body = validated_body("order-ack")
        with runtime.outbox.transaction() as tx:
            row = _order(tx.conn, order_id)
            if row["unit_id"] != body["unit_id"]:
                raise Refused(422, "unit_id", f"order {order_id} is for unit {row['unit_id']}")
            row = dispatch.acknowledge(tx, order_id, body.get("acknowledged_by") or identity.subject)
        return jsonify(views.order(row))

    @app.post("/orders/<order_id>/instructions")
    def instruct(order_id: str):
        identity = current_identity()
        body = validated_body("instruction")
        now = clock_now()
        with runtime.outbox.transaction() as tx:
            row = _order(tx.conn, order_id)
            county = row["order"]["reporting_point"]["county"]
            status, reason = 201, None
            if not access.is_receiving_command(identity, county):
                status, reason = 403, (f"only the receiving command of county {county} may instruct this unit; "
                                       f"caller is {identity.role} of {identity.region}")
            else:
                grant = row["order"]["scope"]
                until = min(parse(grant["until"]), as_utc(row["released_at"]) or parse(grant["until"]))
                reason = scope.refusal(grant, at=now, task=body["task"], point=body.get("point"),
                                       window=(parse(grant["from"]), until))
                status = 422 if reason else 201
            record = _record_instruction(tx, row, identity, body, reason, now)
        if reason:
            raise Refused(status, "X-Role" if status == 403 else "task", reason[:200])
        return jsonify(record), 201

    @app.post("/orders/<order_id>/equipment-check")
    def equipment_check(order_id: str):
        identity = current_identity()
        body = validated_body("equipment-check")
        if body["compatible"] > body["checked"]:
            raise Refused(422, "compatible", "cannot exceed checked")
        with runtime.outbox.transaction() as tx:
            row = _order(tx.conn, order_id)
            county = row["order"]["reporting_point"]["county"]
            access.require_reception(identity, county)
            tx.conn.execute(insert(equipment_checks).values(order_id=order_id, county=county, checked=body["checked"],
                                                            compatible=body["compatible"], at=clock_now()))
        return jsonify({"order_id": order_id, **body}), 201

    @app.post("/units/<unit_id>/positions")
    def post_position(unit_id: str):
        identity = current_identity()
        access.require_unit(identity, "report a unit's position")
        body = validated_body("position-report")
        report = {"unit_id": unit_id, **body}
        with runtime.outbox.transaction() as tx:
            try:
                row = positions.find_order(tx.conn, unit_id, body["order_id"])
            except positions.UnknownUnit as exc:
                abort(404, str(exc))
            try:
                fresh = positions.check_report(row, report, policy)
            except positions.ImplausibleSpeed as exc:
                raise Refused(422, "point", str(exc)) from None
            if not fresh:
                return jsonify({"accepted": False, "reason": "older than the report already applied"}), 200
            event = tx.emit("unit.position-reported", report, key=unit_id, correlationid=row["incident_id"])
        return jsonify({"accepted": True, "event_id": event["id"]}), 202

    @app.get("/units/<unit_id>/position")
    def get_position(unit_id: str):
        identity = current_identity()
        with runtime.engine.connect() as conn:
            row = conn.execute(select(orders).where(orders.c.unit_id == unit_id)
                               .order_by(orders.c.ordered_at.desc())).mappings().first()
        if row is None:
            abort(404, f"no dispatched unit {unit_id}")
        county = row["order"]["reporting_point"]["county"]
        with runtime.engine.connect() as conn:
            sharing = position_policy.receiving_command_sees_own_units(conn, policy)
        if not access.may_read_position(identity, county, row["released_at"] is None, sharing):
            raise Refused(403, "X-Role", "positions are core data for the province command"
                                         + ("; the receiving command sees units under it during the task" if sharing
                                            else "; the province has not opened them to receiving commands"))
        return jsonify(views.position(dict(row)))


def _order(conn, order_id: str) -> dict:
    row = conn.execute(select(orders).where(orders.c.order_id == order_id)).mappings().first()
    if row is None:
        abort(404, f"no order {order_id}")
    return dict(row)


def _record_instruction(tx, row: dict, identity, body: dict, reason: str | None, now) -> dict:
    data = {"instruction_id": f"INS-{uuid.uuid4().hex[:16]}", "order_id": row["order_id"],
            "request_id": row["request_id"], "unit_id": row["unit_id"], "issued_by": identity.subject[:128],
            "role": identity.role, "region": identity.region, "task": body["task"], "accepted": reason is None,
            "at": iso(now)}
    for k in ("text", "point"):
        if k in body:
            data[k] = body[k]
    if row["incident_id"]:
        data["incident_id"] = row["incident_id"]
    if reason:
        data["reason"] = reason[:200]
    tx.conn.execute(insert(instructions).values(
        instruction_id=data["instruction_id"], order_id=row["order_id"], issued_by=data["issued_by"],
        role=identity.role, region=identity.region, task=body["task"], accepted=reason is None,
        reason=data.get("reason"), at=now))
    emit(tx, "instruction.recorded", data, key=row["request_id"])
    return data

