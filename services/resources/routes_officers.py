"""HTTP: search, read and edit officers. Personal fields and positions follow the caller's role."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request
from sqlalchemy import select

from ..common import permissions
from ..common.auth import region_level
from ..common.http import BadRequest, Route, problem, validated_body
from . import officers, queries
from .domain import lifecycle
from .store import officers as officers_table
from .web import now, role, search_filters

ROUTES = [
    Route("GET", "/officers", "Search officers: county, city, module, tag, certification (valid on valid_on), "
          "status, unit_id (comma-separated or repeated), lon/lat + max_travel_min, limit, offset"),
    Route("GET", "/officers/{officer_id}", "One officer (the caller's role decides what is masked)", params=("officer_id",)),
    Route("PATCH", "/officers/{officer_id}", "Edit one officer: status along the lifecycle, roster fields, "
          "personal fields (resource_manager)", body="officer-patch", params=("officer_id",)),
]


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]
    places = runtime.extras["places"]

    def officer_regions(officer_id: str):
        """An officer is of their home county (where their roster is kept)."""
        with runtime.engine.connect() as conn:
            county = conn.execute(select(officers_table.c.county)
                                  .where(officers_table.c.officer_id == officer_id)).scalar()
        return None if county is None else [county]

    permissions.objects(app, {"officer_id": officer_regions})

    @app.get("/officers")
    def search_officers():
        f, who = search_filters(request.args), role()
        if bound := permissions.bound_region():  # the region named in the query was checked; none: the caller's
            level = region_level(bound)
            if level == "county":
                f["county"] = [bound]
            elif level == "city" and not f["county"]:
                f["city"] = [bound]
        with runtime.engine.connect() as conn:
            if f.get("point"):
                return jsonify(officers.search(conn, f, now(), who, travel=places.travel, seats=places.seats))
            return jsonify(officers.search(conn, f, now(), who))

    @app.get("/officers/<officer_id>")
    def get_officer(officer_id: str):
        who = role()
        with runtime.engine.connect() as conn:
            row = queries.officer(conn, officer_id)
        if row is None:
            abort(404, f"no officer {officer_id}")
        return jsonify(officers.view(row, now(), who))

    @app.patch("/officers/<officer_id>")
    def patch_officer(officer_id: str):
        body, who = validated_body("officer-patch"), role()
        if not body:
            raise BadRequest(422, "Nothing to change", [{"field": "(body)", "reason": "name at least one field"}])
        try:
            with runtime.outbox.transaction() as tx:
                result = officers.patch(tx, officer_id, body, who, policy, now())
        except lifecycle.IllegalTransition as exc:
            return problem(409, "Illegal status change", str(exc), [{"field": "status", "reason": exc.reason}])
        except officers.Forbidden as exc:
            return problem(403, "Not allowed for this role", str(exc), [{"field": "Authorization", "reason": str(exc)}])
        if result is None:
            abort(404, f"no officer {officer_id}")
        return jsonify(result)
