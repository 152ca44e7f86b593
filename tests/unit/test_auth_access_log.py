"""Every authenticated request is logged (who, what, when, outcome), refused ones included, and only
the auditor reads the log (GET /audit/access)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, headers_for

COMMANDER = Identity("hz-commander", "city_commander", "330100")
AUDITOR = headers_for(Identity("zj-audit", "auditor"))


@pytest.fixture
def resources(offline_runtime):
    from services.resources.bootstrap import create_app
    return create_app(offline_runtime("resources")).test_client()


def test_reads_and_refusals_are_logged_with_who_what_when_and_the_outcome(resources):
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    as_commander = headers_for(COMMANDER)
    assert resources.get("/officers?county=330106", headers=as_commander).status_code == 200
    assert resources.get("/officers?county=330783", headers=as_commander).status_code == 403
    assert resources.get("/officers/ZJ-1", headers=as_commander).status_code == 404
    resources.get("/officers")                              # no token: nobody to record
    log = resources.get("/audit/access?subject=hz-commander", headers=AUDITOR).get_json()
    assert contracts.validate_body("access-log", log) == []
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("GET", "/officers/ZJ-1", "", 404), ("GET", "/officers", "county=330783", 403),
        ("GET", "/officers", "county=330106", 200)]
    assert {(e["role"], e["region"]) for e in log} == {("city_commander", "330100")}
    assert all(datetime.fromisoformat(e["at"].replace("Z", "+00:00")) >= before for e in log)


def test_the_log_filters_by_path_prefix_time_and_limit(resources):
    as_commander = headers_for(COMMANDER)
    for path in ("/regions", "/summary", "/officers", "/officers"):
        resources.get(path, headers=as_commander)
    officers = resources.get("/audit/access?path=/officers&subject=hz-commander", headers=AUDITOR).get_json()
    assert [e["path"] for e in officers] == ["/officers", "/officers"]
    assert len(resources.get("/audit/access?limit=2", headers=AUDITOR).get_json()) == 2
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    assert resources.get(f"/audit/access?since={future}", headers=AUDITOR).get_json() == []
    bad = resources.get("/audit/access?limit=0&since=yesterday", headers=AUDITOR)
    assert bad.status_code == 400 and {e["field"] for e in bad.get_json()["errors"]} == {"limit", "since"}


def test_only_the_auditor_reads_the_log_and_the_auditor_changes_nothing(resources):
    for role in ("province_commander", "resource_manager", "integrator", "viewer"):
        assert resources.get("/audit/access", headers=headers_for(Identity("x", role))).status_code == 403
    assert resources.patch("/counties/330106", json={"reserve_share": 0.8}, headers=AUDITOR).status_code == 403
    log = resources.get("/audit/access?subject=zj-audit", headers=AUDITOR).get_json()
    assert ("PATCH", "/counties/330106", 403) in {(e["method"], e["path"], e["status"]) for e in log}
