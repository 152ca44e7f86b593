"""The unattended trainee: approves each request's best plan once, through matching's API, with the
plan's current version and a commander's identity."""
import threading

from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.common.auth import Identity
from services.exercise.decisions import AutoTrainee, decide
from tests.unit.test_exercise_scoring import ev, plan


def matching_double():
    """A stand-in for matching's two decision routes that records what it was sent."""
    app, seen = Flask("matching-double"), []

    @app.get("/plans/<plan_id>")
    def get_plan(plan_id):
        return jsonify({"plan_id": plan_id, "version": 3})

    @app.post("/plans/<plan_id>/<verdict>")
    def post_decision(plan_id, verdict):
        seen.append((plan_id, verdict, request.get_json(), request.headers.get("Authorization", "")[:7]))
        return jsonify({"status": verdict}), 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}", seen


def test_the_auto_trainee_approves_the_best_candidate_once_per_request():
    server, url, seen = matching_double()
    try:
        events = [ev("support.requested"), plan("SLOW", 3000), plan("FAST", 2400)]
        trainee = AutoTrainee(url)
        assert trainee.step(events) == ["REQ-330783-20250915-0003: approved PLAN-FAST (200)"]
        assert trainee.step(events) == []  # decided already
        assert seen == [("PLAN-FAST", "approve", {"version": 3, "comment": "按最优方案执行（自动受训人）"}, "Bearer ")]
        # the pool refused the commit; matching voids the plans and proposes again: a new decision
        voided = [ev("plan.rejected", "2025-09-15T01:10:00Z", plan_id=p, rejected_by="matching")
                  for p in ("PLAN-FAST", "PLAN-SLOW")]
        assert trainee.step(events + voided + [plan("FAST2", 2500, time="2025-09-15T01:11:00Z")]) == [
            "REQ-330783-20250915-0003: approved PLAN-FAST2 (200)"]
    finally:
        server.shutdown()


def test_a_rejection_carries_the_reason_and_the_version():
    server, url, seen = matching_double()
    try:
        commander = Identity("trainee-1", "city_commander", "330700")
        assert decide(url, "PLAN-A", approve=False, trainee=commander, comment="储备不足").status_code == 200
        assert seen[0][:3] == ("PLAN-A", "reject", {"version": 3, "reason": "储备不足"})
    finally:
        server.shutdown()
