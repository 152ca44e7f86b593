"""HTTP: regions and units, county load and reserve settings, roster import, equipment, task points, the
force's equipment readiness and volunteers."""
from __future__ import annotations

from flask import Flask, abort, jsonify, request

from ..common import permissions
from ..common.http import BadRequest, Route, validated_body
from . import pool_views, queries, roster, updates
from .domain import roster_rows
from .events import county_loads, report_loads
from .web import now

ROUTES = [
    Route("GET", "/regions", "Province → cities → counties"),
    Route("GET", "/units", "Units and teams (?county=)"),
    Route("GET", "/counties/load", "Every county's load: on duty, available, committed, reserve floor (?county=)"),
    Route("PATCH", "/counties/{county}", "Set a county's reserve share (null: the default)", body="county-patch",
          params=("county",)),
    Route("POST", "/roster/import", "Import officers from JSON (this body) or CSV (text/csv); every bad row is "
          "reported (officers.<i>.<column> or line <n>.<column>) and nothing is imported", body="roster-import",
          media=("application/json", "text/csv")),
    Route("GET", "/equipment/{equipment_id}", "One item of equipment", params=("equipment_id",)),
    Route("POST", "/equipment/compatibility", "Which items work with a receiving county's systems",
          body="equipment-compatibility"),
    Route("GET", "/commitments", "Committed plans (?status=committed|released)"),
    Route("GET", "/points/officers/{officer_id}", "An officer's points balance and awards", params=("officer_id",)),
    Route("GET", "/points/counties", "Points balance per county"),
    Route("GET", "/points/cities", "Points balance per city"),
    Route("GET", "/points/reciprocity", "Support given and received between cities, in points (?city=)"),
    Route("GET", "/summary", "Officers per county and status"),
    Route("GET", "/force/summary", "Equipment readiness and volunteers of a region as of now (?region= the "
          "province, a city or a county): items in the equipment register and those ready, officers on the "
          "roster and those willing to volunteer, the two shares, and each county of the region",
          response="force-summary"),
    Route("GET", "/incidents/observed", "Incidents this service has consumed, once each"),
]


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]
    read = runtime.engine.connect
    permissions.objects(app, {}, general=("equipment_id",))  # an item's description is general data

    @app.get("/regions")
    def get_regions():
        with read() as conn:
            return jsonify(pool_views.region_tree(queries.region_rows(conn)))

    @app.get("/units")
    def get_units():
        with read() as conn:
            return jsonify(queries.unit_rows(conn, request.args.get("county")))

    @app.get("/counties/load")
    def get_loads():
        codes = [c for c in request.args.get("county", "").split(",") if c] or None
        with read() as conn:
            return jsonify(county_loads(conn, codes, now(), policy.reserve_share))

    @app.patch("/counties/<county>")
    def patch_county(county: str):
        body = validated_body("county-patch")
        with runtime.outbox.transaction() as tx:
            if not updates.set_reserve_share(tx.conn, county, body["reserve_share"]):
                abort(404, f"no county {county}")
            loads = report_loads(tx, [county], now(), policy.reserve_share)
        return jsonify(loads[0])

    @app.post("/roster/import")
    def import_roster():
        rows = _roster_rows()
        try:
            with runtime.outbox.transaction() as tx:
                return jsonify(roster.import_roster(tx, rows, policy, now(), region=permissions.bound_region()))
        except roster.OutsideRegion as exc:
            raise BadRequest(403, "Rows outside your region: nothing was imported", exc.errors) from None
        except roster.RosterRejected as exc:
            raise BadRequest(422, f"{len(exc.errors)} bad rows: nothing was imported", exc.errors) from None

    @app.get("/equipment/<equipment_id>")
    def get_equipment(equipment_id: str):
        with read() as conn:
            item = queries.equipment_items(conn, [equipment_id]).get(equipment_id)
        return jsonify(item) if item else abort(404, f"no equipment {equipment_id}")

    @app.post("/equipment/compatibility")
    def check_compatibility():
        body = validated_body("equipment-compatibility")
        with read() as conn:
            county = queries.county_rows(conn, [body["county"]]).get(body["county"])
            if county is None:
                raise BadRequest(422, "Unknown county", [{"field": "county", "reason": f"no county {body['county']}"}])
            items = queries.equipment_items(conn, body["equipment_ids"])
        return jsonify(pool_views.compatibility_report(body, county, items))

    @app.get("/commitments")
    def get_commitments():
        with read() as conn:
            return jsonify(queries.commitment_rows(conn, request.args.get("status")))

    @app.get("/points/officers/<officer_id>")
    def officer_points(officer_id: str):
        with read() as conn:
            row = queries.officer(conn, officer_id)
            if row is None:
                abort(404, f"no officer {officer_id}")
            awards = queries.ledger(conn, officer_id=officer_id)
        return jsonify(pool_views.officer_points(row, awards))

    @app.get("/points/counties")
    def county_points():
        with read() as conn:
            return jsonify(queries.points_by(conn, "county"))

    @app.get("/points/cities")
    def city_points():
        with read() as conn:
            return jsonify(queries.points_by(conn, "city"))

    @app.get("/points/reciprocity")
    def reciprocity():
        with read() as conn:
            return jsonify(pool_views.reciprocity(queries.city_flows(conn), request.args.get("city")))

    @app.get("/summary")
    def summary():
        with read() as conn:
            return jsonify(pool_views.summary(queries.status_counts(conn)))

    @app.get("/force/summary")
    def force_summary():
        region = request.args.get("region", "")
        if not (len(region) == 6 and region.isdigit()):
            raise BadRequest(400, "Bad query parameter", [{"field": "region", "reason": "a 6-digit region code"}])
        with read() as conn:
            return jsonify(pool_views.force_summary(queries.force_counts(conn), region))


def _roster_rows() -> list[tuple[str, dict]]:
    if request.mimetype == "text/csv":
        text = request.get_data(as_text=True)
        return [(f"line {n}", row) for n, row in roster_rows.csv_rows(text)]
    body = validated_body("roster-import")
    return [(f"officers.{i}", row) for i, row in enumerate(body["officers"])]
