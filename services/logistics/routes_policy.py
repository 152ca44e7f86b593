"""HTTP: the province's switch over live positions (position_policy)."""
from __future__ import annotations

from flask import Flask, jsonify

from ..common.auth import current_identity
from ..common.clock import now as clock_now
from ..common.http import Route, validated_body
from . import position_policy

ROUTES = [
    Route("GET", "/policy/positions", "Whether receiving commands see the live positions of the units sent to "
          "them (off by default: positions are core data for the province command), with every change"),
    Route("PUT", "/policy/positions", "The province command turns the receiving commands' view of their own "
          "units on or off, with a reason; kept with who and when", body="position-policy"),
]


def install(app: Flask, runtime) -> None:
    policy = runtime.settings.extra["policy"]

    @app.get("/policy/positions")
    def get_position_policy():
        with runtime.engine.connect() as conn:
            return jsonify(position_policy.view(conn, policy))

    @app.put("/policy/positions")
    def put_position_policy():
        identity = current_identity()  # the permission table lets only the province command here
        body = validated_body("position-policy")
        with runtime.outbox.transaction() as tx:
            position_policy.change(tx.conn, body["receiving_command_sees_own_units"], body["reason"], identity,
                                   clock_now())
            return jsonify(position_policy.view(tx.conn, policy))
