"""Equipment readiness and volunteers: resources' GET /force/summary over the demo province (the register's
readiness, the roster's volunteer flag), and demand's performance report reading it as its source."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in
from tests.helpers import offline_settings

NOW = datetime(2026, 7, 2, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("force")))
    assert seed_demo_if_empty(runtime, officers_n=2000, seed=7) == 2000
    yield runtime, signed_in(create_app(runtime).test_client(), Identity("service:demand", "integrator", "330000"))
    runtime.engine.dispose()


def test_the_summary_counts_the_register_and_the_roster(resources):
    from sqlalchemy import select

    from services.resources.store import equipment, officers
    runtime, client = resources
    with runtime.engine.connect() as conn:
        items = conn.execute(select(equipment.c.county, equipment.c.readiness)).all()
        people = conn.execute(select(officers.c.county, officers.c.personal)).all()
    prov = client.get("/force/summary?region=330000").get_json()
    assert contracts.validate_body("force-summary", prov) == []
    assert prov["level"] == "province" and prov["equipment_items"] == len(items) and prov["officers"] == 2000
    assert prov["ready_items"] == sum(1 for _, r in items if r == "ready")
    assert prov["volunteers"] == sum(1 for _, p in people if p.get("volunteer") is True)
    # the demo draws 98 % of items ready and 38 % of officers willing (services/demo/BASIS.md)
    assert 0.96 <= prov["equipment_readiness"] <= 1.0 and 0.33 <= prov["volunteer_share"] <= 0.43
    assert sum(c["officers"] for c in prov["counties"]) == 2000

    city = client.get("/force/summary?region=330100").get_json()
    assert contracts.validate_body("force-summary", city) == []
    assert city["level"] == "city" and city["counties"] and all(c["county"][:4] == "3301" for c in city["counties"])
    assert city["officers"] == sum(1 for c, _ in people if c[:4] == "3301")
    county = client.get(f"/force/summary?region={city['counties'][0]['county']}").get_json()
    assert county["level"] == "county" and [c["county"] for c in county["counties"]] == [city["counties"][0]["county"]]
    nothing = client.get("/force/summary?region=320000").get_json()
    assert nothing["officers"] == 0 and nothing["volunteer_share"] is None and nothing["counties"] == []
    bad = client.get("/force/summary?region=33")
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "region"


class ClientSession:
    """requests.Session's get() onto a Flask test client (the URL's path and query)."""

    def __init__(self, client, down: bool = False):
        self.client, self.down = client, down

    def get(self, url, params=None, timeout=None, headers=None):
        if self.down:
            raise ConnectionError("refused")
        resp = self.client.get("/" + url.split("/", 3)[3], query_string=params)
        return type("Answer", (), {"status_code": resp.status_code, "json": staticmethod(resp.get_json)})()


def test_the_performance_report_reads_readiness_and_volunteers_from_resources(resources, tmp_path):
    from services.demand.bootstrap import build_runtime
    from services.demand.reports import build
    from services.demand.reports.periods import parse_period
    from services.demand.reports.service import default_sources

    _, client = resources
    force = build.ResourcesForce("http://resources.test", session=ClientSession(client))
    assert isinstance(default_sources(None).force, build.ResourcesForce)  # wired by default (RESOURCES_URL)
    answers = {"response_time": {"arrivals": 1, "mean_s": 600.0}, "utilisation": {"utilisation": 0.9}}
    demand = build_runtime(offline_settings("demand", tmp_path, extra={
        "report_sources": build.Sources(indicators=lambda f: answers, force=force)}))
    reports = demand.deps.reports
    with demand.engine.connect() as conn:
        report = build.build(conn, reports.sources, reports.policy, parse_period("2026-H1"), "330000",
                             reports.geography, NOW)
        down = build.build(conn, build.Sources(indicators=lambda f: answers, force=build.ResourcesForce(
            "http://resources.test", session=ClientSession(client, down=True))), reports.policy,
            parse_period("2026-H1"), "330100", reports.geography, NOW)
    demand.engine.dispose()
    kept = {**report, "sha256": build.digest(report), "report_id": 1, "kept": "new"}
    assert contracts.validate_body("performance-report", kept) == []
    assert not any("force" in i or "volunteer" in i for i in report["incomplete"])
    prov = client.get("/force/summary?region=330000").get_json()
    hz = client.get("/force/summary?region=330100").get_json()
    rows = {(r["region"], f["figure"]): f for r in report["regions"] for f in r["figures"]}
    ready, willing = rows[("330000", "equipment_readiness")], rows[("330000", "volunteer_share")]
    assert (ready["value"], ready["basis"]) == (prov["equipment_readiness"], prov["equipment_items"])
    assert (willing["value"], willing["basis"]) == (prov["volunteer_share"], prov["officers"])
    assert willing["met_target"] is False and "GET /force/summary" in willing["source"]
    assert rows[("330100", "volunteer_share")]["value"] == hz["volunteer_share"]
    assert [t["value"] for t in willing["trend"]] == [None, None, None]  # the register keeps no history
    assert "resources GET /force/summary: ConnectionError" in down["incomplete"]
    assert next(f for f in down["regions"][0]["figures"] if f["figure"] == "volunteer_share")["value"] is None
