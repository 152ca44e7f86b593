"""An officers_unavailable inject over a resources that reserved one of the listed officers meanwhile:
that officer is skipped (409: only a release ends a task) and the next on-duty one is taken."""
from __future__ import annotations

import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.exercise.injects import Services, officers_unavailable
from services.exercise.scenario import Inject


def test_a_reserved_officer_is_skipped_and_the_next_taken():
    app = Flask("resources-stand-in")
    patched: list[str] = []
    listed = [f"ZJ330302-{i:05d}" for i in range(1, 11)]

    @app.get("/officers")
    def officers():
        assert request.args["status"] == "on_duty" and request.args["county"] == "330302"
        return jsonify({"items": [{"officer_id": o} for o in listed[:int(request.args["limit"])]]})

    @app.patch("/officers/<officer_id>")
    def patch(officer_id):
        if officer_id == "ZJ330302-00002":  # reserved by a plan approved after the list was read
            return jsonify({"title": "Illegal status change", "status": 409}), 409
        assert request.get_json()["status"] == "unavailable"
        patched.append(officer_id)
        return jsonify({"officer_id": officer_id, "status": "unavailable"})

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        inject = Inject(index=0, at_s=60, kind="officers_unavailable",
                        body={"county": "330302", "count": 3, "reason": "演练：民警因病离岗"})
        outcome = officers_unavailable(Services(demand=url, resources=url), inject)
    finally:
        server.shutdown()
    assert sorted(patched) == ["ZJ330302-00001", "ZJ330302-00003", "ZJ330302-00004"]
    assert str(outcome).startswith("3 of 3 officers of 330302 unavailable") and "1 reserved meanwhile" in str(outcome)
    assert outcome.said == {"key": "did_unavailable", "values": {"county": "330302", "done": 3, "want": 3, "busy": 1,
                                                                "found": None}}
