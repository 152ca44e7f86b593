"""HTTP: deployments: reception arrangements, release, extension, satisfaction surveys."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from sqlalchemy import insert, select

from ..common import permissions
from ..common.auth import current_identity, region_covers
from ..common.clock import now as clock_now
from ..common.http import Route, validated_body
from . import access, reception_flow, regions, views
from .domain.times import as_utc
from .reception_flow import Refused
from .store import deployments, requests, surveys

ROUTES = [
    Route("GET", "/deployments", "Deployments and their reception (?request_id=, ?incident_id=)"),
    Route("GET", "/deployments/{deployment_id}", "One deployment: arrangements, flags, allowance, extension",
          params=("deployment_id",)),
    Route("POST", "/deployments/{deployment_id}/arrangements", "The receiving side records lodging, meals, transport "
          "and medic (lodging within the county's capacity)", body="arrangements", params=("deployment_id",)),
    Route("POST", "/deployments/{deployment_id}/release", "The receiving command releases the deployment",
          body="release", params=("deployment_id",)),
    Route("POST", "/deployments/{deployment_id}/extension", "The receiving command requests an extension",
          body="extension-request", params=("deployment_id",), status=202),
    Route("POST", "/deployments/{deployment_id}/extension/approve", "A commander of the request's approval level "
          "approves the pending extension", body="extension-approval", params=("deployment_id",)),
    Route("POST", "/deployments/{deployment_id}/surveys", "A support officer or the receiving side rates the "
          "deployment 1-5", body="survey", params=("deployment_id",), status=201),
]


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]

    @app.get("/deployments")
    def list_deployments():
        query = select(deployments).order_by(deployments.c.created_at)
        for field in ("request_id", "incident_id"):
            if request.args.get(field):
                query = query.where(getattr(deployments.c, field) == request.args[field])
        bound = permissions.bound_region()
        with runtime.engine.connect() as conn:
            rows = [_utc(r) for r in conn.execute(query).mappings()]
            if bound:  # the deployments received in the caller's region or with a unit from it
                sent = regions.deployments_from(conn, bound)
                rows = [r for r in rows if region_covers(bound, r["county"]) or r["deployment_id"] in sent]
            wages = reception_flow.wages_of(conn, [r["plan_id"] for r in rows])
            return jsonify([views.deployment(r, policy, wages.get(r["plan_id"])) for r in rows])

    @app.get("/deployments/<deployment_id>")
    def get_deployment(deployment_id: str):
        with runtime.engine.connect() as conn:
            return jsonify(_view(conn, _found(conn, deployment_id)))

    @app.post("/deployments/<deployment_id>/arrangements")
    def arrange(deployment_id: str):
        identity = current_identity()
        body = validated_body("arrangements")
        if not body:
            raise Refused(422, "(body)", "name at least one of lodging, meals, transport, medic")
        with runtime.outbox.transaction() as tx:
            dep = _found(tx.conn, deployment_id)
            access.require_reception(identity, dep["county"])
            reception_flow.arrange(tx, dep, body, policy, clock_now())
            dep = _view(tx.conn, _found(tx.conn, deployment_id))
        return jsonify(dep)

    @app.post("/deployments/<deployment_id>/release")
    def release(deployment_id: str):
        identity = current_identity()
        body = validated_body("release")
        with runtime.outbox.transaction() as tx:
            dep = _found(tx.conn, deployment_id)
            access.require_receiving_command(identity, dep["county"], "release this deployment")
            released = reception_flow.release(tx, dep, clock_now(), body.get("outcome", "completed"), policy)
        return jsonify(released)

    @app.post("/deployments/<deployment_id>/extension")
    def request_extension(deployment_id: str):
        identity = current_identity()
        body = validated_body("extension-request")
        with runtime.outbox.transaction() as tx:
            dep = _found(tx.conn, deployment_id)
            access.require_receiving_command(identity, dep["county"], "request an extension")
            pending = reception_flow.request_extension(tx.conn, dep, body, identity.subject, clock_now())
        return jsonify(pending), 202

    @app.post("/deployments/<deployment_id>/extension/approve")
    def approve_extension(deployment_id: str):
        identity = current_identity()
        validated_body("extension-approval")
        with runtime.outbox.transaction() as tx:
            dep = _found(tx.conn, deployment_id)
            level = tx.conn.execute(select(requests.c.approval_level)
                                    .where(requests.c.request_id == dep["request_id"])).scalar()
            access.require_approver(identity, dep["county"], level or "province")
            data = reception_flow.approve_extension(tx, dep, identity.subject, identity.role, clock_now())
        return jsonify(data)

    @app.post("/deployments/<deployment_id>/surveys")
    def survey(deployment_id: str):
        identity = current_identity()
        body = validated_body("survey")
        with runtime.outbox.transaction() as tx:
            dep = _found(tx.conn, deployment_id)
            if body["side"] == "officer" and identity.role != "support_officer":
                raise Refused(403, "side", "officer ratings come from support officers")
            if body["side"] == "receiver" and not (identity.role in access.RECEPTION_ROLES
                                                   and identity.covers(dep["county"])):
                raise Refused(403, "side", f"receiver ratings come from the receiving side of {dep['county']}")
            tx.conn.execute(insert(surveys).values(
                deployment_id=deployment_id, incident_id=dep["incident_id"], county=dep["county"],
                rater=identity.subject[:128], side=body["side"], rating=body["rating"],
                comment=body.get("comment"), at=clock_now()))
        return jsonify({"deployment_id": deployment_id, **body}), 201

    def _view(conn, dep: dict) -> dict:
        return views.deployment(dep, policy, reception_flow.wages_of(conn, [dep["plan_id"]]).get(dep["plan_id"]))


def _utc(row) -> dict:
    row = dict(row)
    for k in ("task_start", "task_end", "released_at", "created_at"):
        row[k] = as_utc(row[k])
    return row


def _found(conn, deployment_id: str) -> dict:
    row = conn.execute(select(deployments).where(deployments.c.deployment_id == deployment_id)).mappings().first()
    if row is None:
        abort(404, f"no deployment {deployment_id}")
    return _utc(row)
