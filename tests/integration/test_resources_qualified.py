"""The resource pool's load report says how many free officers of each module hold each skill tag or
certification (`qualified`), and demand asks for the lines the county cannot staff with them."""
from __future__ import annotations

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in
from services.demand.bootstrap import build_runtime as build_demand
from services.demand.bootstrap import create_app as create_demand
from tests.integration.test_resources_support import load, pool_fixture, squad  # noqa: F401 (the pool fixture)
from tests.unit.test_demand_helpers import PROVINCE, deliver, emitted, incident, now, settings  # noqa: F401

pytestmark = pytest.mark.integration

NO_CERTS: list = []


def riot_squad(county: str, n: int, prefix: str, tags: list[str], certs: list[str], **extra) -> list[dict]:
    return squad(county, n, prefix=prefix, module="riot_control", tags=tags,
                 certifications=[{"name": c, "issued": "2024-01-01", "expires": "2030-01-01"} for c in certs], **extra)


def test_the_load_report_counts_free_officers_per_qualification(pool):  # noqa: F811
    runtime, client = pool
    load(client, riot_squad("330782", 6, "RC", ["mass_incident_handling"], ["firearms"])
         + riot_squad("330782", 2, "NG", ["mass_incident_handling", "negotiation"], ["firearms", "crisis_negotiator"])
         + riot_squad("330782", 1, "NX", ["negotiation"], NO_CERTS)
         + squad("330782", 3, prefix="PT", module="patrol", tags=[], certifications=[])
         + riot_squad("330782", 4, "OFF", ["negotiation"], ["crisis_negotiator"], status="off_duty"))  # not free
    [report] = client.get("/counties/load?county=330782").get_json()
    assert report["by_module"] == {"riot_control": 9, "patrol": 3}
    assert report["qualified"] == {"riot_control": {"mass_incident_handling": 8, "firearms": 8, "negotiation": 3,
                                                    "crisis_negotiator": 2}, "patrol": {}}
    published = [e["data"] for e in runtime.outbox.events() if e["type"] == "county.load-reported"
                 and e["data"]["county"] == "330782"][-1]
    assert published["qualified"] == report["qualified"]
    assert contracts.validate_event("county.load-reported", dict(contracts.example_event("county.load-reported"),
                                                                 data=published)) == []


def test_demand_asks_for_the_line_no_free_officer_is_qualified_for(pool, tmp_path, now):  # noqa: F811
    _, client = pool
    load(client, riot_squad("330782", 40, "RC", ["mass_incident_handling"], ["firearms"])
         + squad("330782", 20, prefix="PT", module="patrol", tags=[], certifications=[]))
    [report] = client.get("/counties/load?county=330782").get_json()
    demand = build_demand(settings(tmp_path))
    try:
        deliver(demand, "county.load-reported", report, source="/mutual-deploy/resources")
        commander = signed_in(create_demand(demand).test_client(), Identity("zj-commander", "province_commander"))
        body = incident("330782", people=150)  # grade III: riot_control 30, negotiators 2, crowd_patrol 15
        assert commander.post("/incidents", json=body, headers=PROVINCE).status_code == 201
        [request] = emitted(demand, "support.requested", incident_id=body["incident_id"])
    finally:
        demand.engine.dispose()
    assert request["reason"] == "grade" and request["gap_basis"] == "by_module"
    assert [(x["line_id"], x["headcount"]) for x in request["lines"]] == [("negotiators", 2)]
    assert request["local_share"] == {"riot_control": 30, "patrol": 15}
    assert "lack the qualifications for negotiators (needs negotiation, crisis_negotiator)" in request["explanation"]
