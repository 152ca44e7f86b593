"""GET /incidents/observed, declared once (common/observed.py) for every service that consumes
incident.reported: each answers the incidents it heard of, once each, as its contract describes."""
from __future__ import annotations

import importlib

import pytest

from services.common.auth import Identity, headers_for
from tests.helpers import assert_answers, deliver, example_envelope, offline_settings

PROVINCE = headers_for(Identity("p1", "province_commander"))


@pytest.mark.parametrize("service", ["resources", "matching", "logistics"])
def test_each_consuming_service_answers_the_incidents_it_heard_of_once_each(service, tmp_path):
    bootstrap = importlib.import_module(f"services.{service}.bootstrap")
    runtime = bootstrap.build_runtime(offline_settings(service, tmp_path))
    try:
        client = bootstrap.create_app(runtime).test_client()
        assert client.get("/incidents/observed", headers=PROVINCE).get_json() == []
        first = example_envelope("incident.reported")["data"]
        second = dict(first, incident_id="INC-330106-20250915-0002", location=dict(first["location"], county="330106"))
        for data in (first, first, second):          # the first twice: a second report of it changes nothing
            deliver(runtime, "incident.reported", data, source="/mutual-deploy/demand")
        answer = client.get("/incidents/observed", headers=PROVINCE)
        assert answer.status_code == 200
        assert_answers("observed-incidents", answer.get_json())
        assert [(o["incident_id"], o["county"]) for o in answer.get_json()] == [
            (first["incident_id"], first["location"]["county"]), (second["incident_id"], "330106")]
        assert all(o["seen_at"].endswith("+00:00") for o in answer.get_json())
        assert client.get("/incidents/observed").status_code == 401
        paths = client.get("/openapi.json").get_json()["paths"]
        assert paths["/incidents/observed"]["get"]["responses"]["200"]["content"]["application/json"]["schema"][
            "$ref"].endswith("observed-incidents")
    finally:
        runtime.engine.dispose()
