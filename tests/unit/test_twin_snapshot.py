"""The twin's start: the services' current state over HTTP (as the twin's own identity), before the stream."""
from __future__ import annotations

import copy
import threading

import pytest
from flask import Flask, jsonify
from werkzeug.serving import make_server

from services.common.auth import current_identity
from services.common.contracts import example_body, example_event
from twin.mirror.client import ServicesClient
from twin.mirror.snapshot import rebuild
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig


@pytest.fixture
def services():
    """demand, resources and matching answering their snapshot reads, on one loopback port."""
    seen = []
    app = Flask("resources")  # a service name: tokens are addressed to the services (aud)
    plan = dict(copy.deepcopy(example_event("plan.proposed")["data"]), status="approved", version=1)
    incident = dict(example_body("incident-report"), incident_id="INC-330106-20250915-0002")

    @app.before_request
    def who():
        seen.append(current_identity())

    app.add_url_rule("/counties/load", "loads", lambda: jsonify([{"county": "330782", "on_duty": 240, "available": 86, "committed": 2,
                                                "reserve_floor": 168, "at": "2025-09-15T09:10:00+08:00"},
                                               {"county": "320102", "on_duty": 1, "available": 1, "committed": 0,
                                                "reserve_floor": 1, "at": "2025-09-15T09:10:00+08:00"}]))
    app.add_url_rule("/incidents", "incidents", lambda: jsonify([incident]))
    # demand's and matching's GET /requests on one port: demand's fields (matching's list reads only the id)
    wanted = dict(copy.deepcopy(example_event("support.requested")["data"]), request_id=plan["request_id"],
                  status="awaiting_approval", version=1)
    app.add_url_rule("/requests", "requests", lambda: jsonify([wanted]))
    app.add_url_rule("/requests/<request_id>/plans", "plans",
                     lambda request_id: jsonify({"request_id": request_id, "plans": [plan]}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    yield ServicesClient({"demand": url, "resources": url, "matching": url}), seen
    server.shutdown()


def test_the_snapshot_fills_loads_incidents_and_plans_with_their_status(services):
    client, seen = services
    model = ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20))
    assert rebuild(model, client) == {"county_loads": 1, "incidents": 1, "requests": 1, "plans": 1}  # 320102 is not ours
    request = model.requests[next(iter(model.plans.values()))["request_id"]]
    assert request["county"] == "330783" and request["status"] == "approved"  # its plan was approved since
    assert model.previews[next(iter(model.plans))]["deadline_s"] is not None  # the request came first
    assert model.county("330782").officers_on_duty == 240
    assert [i.incident_id for i in model.incidents()] == ["INC-330106-20250915-0002"]
    [plan] = model.plans.values()
    assert plan["status"] == "approved" and plan["plan_id"] in model.previews
    assert {(i.subject, i.role) for i in seen} == {("service:twin", "integrator")}


def test_services_that_are_down_leave_the_model_to_the_stream():
    down = ServicesClient({name: "http://127.0.0.1:9" for name in ("demand", "resources", "matching")})
    model = ProvinceModel(seed=0)
    assert rebuild(model, down) == {"county_loads": 0, "incidents": 0, "requests": 0, "plans": 0}
    assert model.incidents() == []


class Answers:
    """The services' snapshot reads as ServicesClient returns them (the HTTP path is tested above)."""

    def __init__(self, loads, plan, request):
        self.loads, self.plan, self.request = loads, plan, request

    def county_loads(self):
        return self.loads

    def incidents(self):
        return []

    def requests(self):
        return [self.request]

    def plans(self):
        return [self.plan]


def test_a_twin_started_after_a_commit_previews_the_plan_as_it_did_before_the_commit():
    """Started after the commit, the twin reads loads that count the plan's officers as committed; its
    preview must not send them from home a second time (it would show donors below what they keep)."""
    plan = copy.deepcopy(example_event("plan.proposed")["data"])
    request = dict(copy.deepcopy(example_event("support.requested")["data"]), request_id=plan["request_id"],
                   status="dispatched", version=1)
    donors = sorted({a["from_county"] for a in plan["assignments"]})

    def loads(committed):
        return [{"county": c, "on_duty": 40, "available": 40 - committed, "committed": committed,
                 "reserve_floor": 28, "at": "2025-09-15T09:10:00+08:00"} for c in donors]

    ratios = {}
    for status, committed in (("proposed", 0), ("committed", 2)):
        model = ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20))
        rebuild(model, Answers(loads(committed), dict(plan, status=status), request))
        ratios[status] = [d["end_ratio_p50"] for d in model.previews[plan["plan_id"]]["donors"]]
    assert ratios["committed"] == ratios["proposed"] == [0.95] * 3  # 38 of 40 at home, not 36
