"""HTTP: indicators, the after-action report (JSON and HTML), the ledger check."""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, abort, jsonify, request

from ..common.auth import current_identity
from ..common.clock import now as clock_now
from ..common.http import BadRequest, Route, validated_body
from . import access, audit, report, report_page
from .domain.indicators import DEFINITIONS
from .domain.times import parse

ROUTES = [
    Route("GET", "/indicators", "The six indicators as the plan defines them, each with its definition "
          "(?from=&to=&city=&county=&incident=; ?by=city adds `by_city`, the same six for each city with "
          "anything recorded in scope, from one pass over the same rows): " + " ".join(
              f"{name.replace('_', ' ')}: {text}" for name, text in DEFINITIONS.items()), response="indicators"),
    Route("POST", "/incidents/{incident_id}/case-outcome", "The receiving command (or the province) records whether "
          "a case supported across regions was solved: the cross-region clearance counts it", body="case-outcome",
          params=("incident_id",)),
    Route("GET", "/incidents/{incident_id}/report", "After-action report: timeline, plans, deadlines, indicators",
          params=("incident_id",)),
    Route("GET", "/incidents/{incident_id}/report.html", "The after-action report as a page with a timeline chart",
          params=("incident_id",)),
    Route("GET", "/static/plotly.min.js", "plotly.js, served locally (pages draw offline)"),
    Route("GET", "/audit/verify", "Verify every producer's hash chain on the broker; names the first broken record"),
]


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def _filters() -> dict:
    f = {}
    for name in ("from", "to"):
        if request.args.get(name):
            try:
                f[name] = parse(request.args[name])
            except ValueError:
                raise BadRequest(400, "Bad query parameter", [{"field": name, "reason": "an RFC 3339 timestamp"}]) from None
    for name, size in (("city", 6), ("county", 6)):
        value = request.args.get(name)
        if value:
            if not (len(value) == size and value.isdigit()):
                raise BadRequest(400, "Bad query parameter", [{"field": name, "reason": "a 6-digit region code"}])
            f[name] = value
    if request.args.get("incident"):
        f["incident"] = request.args["incident"]
    return f


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]

    @app.get("/indicators")
    def get_indicators():
        f = _filters()
        by = request.args.get("by")
        if by not in (None, "", "city"):
            raise BadRequest(400, "Bad query parameter", [{"field": "by", "reason": "city (or leave it out)"}])
        with runtime.engine.connect() as conn:
            return jsonify(report.indicators(conn, f, by_city=by == "city"))

    def _report(incident_id: str) -> dict:
        with runtime.engine.connect() as conn:
            found = report.incident_report(conn, incident_id, policy)
        if found is None:
            abort(404, f"no events of incident {incident_id}")
        return found

    @app.get("/incidents/<incident_id>/report")
    def get_report(incident_id: str):
        return jsonify(_report(incident_id))

    @app.get("/incidents/<incident_id>/report.html")
    def get_report_page(incident_id: str):
        return Response(report_page.render(_report(incident_id)), mimetype="text/html")

    @app.post("/incidents/<incident_id>/case-outcome")
    def post_case_outcome(incident_id: str):
        identity = current_identity()
        body = validated_body("case-outcome")
        with runtime.outbox.transaction() as tx:
            county = report.incident_county(tx.conn, incident_id)
            if county is None:
                abort(404, f"no support for incident {incident_id}")
            if identity.role != "province_commander":
                access.require_receiving_command(identity, county, "record the outcome of this case")
            return jsonify({"incident_id": incident_id, **report.record_case_outcome(
                tx.conn, incident_id, body["solved"], body.get("note"), identity, clock_now())})

    @app.get("/static/plotly.min.js")
    def plotly_js():
        return Response(_plotly_js(), mimetype="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/audit/verify")
    def verify():
        result = audit.verify_broker(runtime.bus)
        result["own_ledger"] = {"source": runtime.settings.source, "problems": runtime.outbox.verify()[:20]}
        return jsonify(result)
