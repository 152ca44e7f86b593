"""demand's needs-in-words endpoints beside the incident's: confirming proposed lines after the report,
and which matcher version is in force (POST /needs/parse stays with the incident routes)."""
from __future__ import annotations

from flask import Flask, abort, jsonify

from ..common import clock
from ..common.auth import current_identity
from ..common.http import BadRequest, Route, validated_body
from . import needs, needs_intake
from .domain.overrides import OverrideError
from .incidents import load_assessment, stored
from .routes_incidents import _allowed

ROUTES = [
    Route("POST", "/incidents/{incident_id}/needs/confirm",
          "Confirm or edit, after the report, the lines proposed from the incident's words: they then count as "
          "confirmed lines sent with the report do (they refine or join the template's lines, the force gap is "
          "assessed again and an open request asks for the new shortfall), and who changed what is recorded",
          body="needs-confirmation", params=("incident_id",)),
    Route("GET", "/needs/model", "The needs matcher in force: lexicon and model version, its training card and "
          "held-out figures, when this process loaded it (a newer version is picked up without a restart)"),
]


def install(app: Flask, runtime) -> None:
    @app.post("/incidents/<incident_id>/needs/confirm")
    def confirm_needs(incident_id: str):
        body = validated_body("needs-confirmation")
        with runtime.engine.connect() as conn:
            incident = stored(conn, incident_id)
        if incident is None:
            abort(404, f"no incident {incident_id}")
        _allowed(incident["location"]["county"], "confirm requirement lines")
        try:
            with runtime.outbox.transaction() as tx:
                record = needs_intake.confirm_later(tx, incident, body, current_identity(), clock.now())
        except OverrideError as exc:
            raise BadRequest(422, "Confirmed lines do not apply", [{"field": exc.field, "reason": exc.reason}]) \
                from None
        except ValueError as exc:
            field, _, reason = str(exc).partition(": ")
            raise BadRequest(422, "No such proposal", [{"field": field.removeprefix("needs."), "reason": reason}]) \
                from None
        with runtime.engine.connect() as conn:
            assessment = load_assessment(conn, incident_id)
        return jsonify({"incident_id": incident_id, "needs_confirmation": record, "assessment": assessment})

    @app.get("/needs/model")
    def needs_model():
        return jsonify(needs.in_force())
