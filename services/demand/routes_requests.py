"""demand's support-request endpoints: the views by region, and the close and cancel commands."""
from __future__ import annotations

from flask import Flask, jsonify, request
from sqlalchemy import select

from ..common import clock, permissions
from ..common.auth import current_identity
from ..common.http import BadRequest, Route, problem, validated_body
from . import status, views
from .domain.lifecycle import IllegalTransition
from .store import requests
from .times import stamp

COMMAND_ROLES = ("county_duty_officer", "city_commander", "province_commander", "integrator")

ROUTES = [
    Route("GET", "/requests", "Support requests the caller's region covers (province: all; city: its counties; "
          "county: its own); filters status, grade, county, city; sort deadline|grade|requested_at|updated_at"),
    Route("GET", "/requests/{request_id}", "One support request with its status history", params=("request_id",)),
    Route("POST", "/requests/{request_id}/cancel", "Withdraw a request (emits support.cancelled); 409 when its "
          "status does not allow it", body="request-cancel", params=("request_id",)),
    Route("POST", "/requests/{request_id}/close", "Close a released (or cancelled) request; 409 otherwise",
          body="request-close", params=("request_id",)),
]


def install(app: Flask, runtime) -> None:

    def request_regions(request_id: str):
        with runtime.engine.connect() as conn:
            county = conn.execute(select(requests.c.county).where(requests.c.request_id == request_id)).scalar()
        return None if county is None else [county]

    permissions.objects(app, {"request_id": request_regions})

    def visible(conn, request_id: str, *, lock: bool = False):
        row = status.load(conn, request_id, lock=lock)
        if row is None:
            raise BadRequest(404, "No such request", [{"field": "request_id", "reason": f"no request {request_id}"}])
        who = current_identity()
        if not who.covers(row.county):
            raise BadRequest(403, "Outside your region", [{"field": "request_id", "reason": (
                f"request {request_id} is for county {row.county}, outside {who.region}")}])
        return row

    def commander(row) -> str:
        who = current_identity()
        if who.role not in COMMAND_ROLES:
            raise BadRequest(403, "Not allowed for this role", [{"field": "X-Role", "reason": (
                f"{who.role} may not change a request (needs one of {', '.join(COMMAND_ROLES)})")}])
        return who.subject

    @app.get("/requests")
    def list_requests():
        stmt = views.query(current_identity(), request.args)
        with runtime.engine.connect() as conn:
            return jsonify([views.view(row) for row in conn.execute(stmt)])

    @app.get("/requests/<request_id>")
    def get_request(request_id: str):
        with runtime.engine.connect() as conn:
            return jsonify(views.view(visible(conn, request_id), conn))

    def run(request_id: str, target: str, body: dict, note: str | None):
        now = clock.now()
        try:
            with runtime.outbox.transaction() as tx:
                row = visible(tx.conn, request_id, lock=True)
                by = commander(row)
                status.command(tx, row, target, at=now, by=by, note=note)
                if target == "cancelled":
                    tx.emit("support.cancelled", {
                        "request_id": row.request_id, "incident_id": row.incident_id, "county": row.county,
                        "reason": body["reason"], "cancelled_by": by, "cancelled_at": stamp(now)},
                        key=row.request_id, correlationid=row.incident_id)
                row = status.load(tx.conn, request_id)
                return jsonify(views.view(row, tx.conn))
        except IllegalTransition as exc:
            return problem(409, "Illegal transition", str(exc), [{"field": "status", "reason": str(exc)}])

    @app.post("/requests/<request_id>/cancel")
    def cancel_request(request_id: str):
        body = validated_body("request-cancel")
        return run(request_id, "cancelled", body, body["reason"])

    @app.post("/requests/<request_id>/close")
    def close_request(request_id: str):
        body = validated_body("request-close")
        return run(request_id, "closed", body, body.get("comment"))
