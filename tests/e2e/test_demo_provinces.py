"""`PROVINCE=<code> make run` starts a demo of that province: its own force, incidents in its own
counties, users of its own regions, and support requests planned from its own donors."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from services.geo.geography import Geography
from tests.e2e.test_walking_skeleton import ROOT, stack_env
from tests.helpers import wait_for

pytestmark = pytest.mark.e2e


def get(url: str, token: str):
    resp = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert resp.status_code == 200, (url, resp.status_code, resp.text[:300])
    return resp.json()


@pytest.mark.parametrize("province,commander", [("320000", "js-commander"), ("510000", "sc-commander"),
                                                ("440000", "gd-commander")])
def test_the_demo_of_a_province_runs_in_that_province(tmp_path: Path, province: str, commander: str):
    env = stack_env(tmp_path) | {"PROVINCE": province}
    proc = subprocess.Popen([sys.executable, "-m", "infra.run"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: (tmp_path / "urls.json").exists() or proc.poll() is not None, 240, "urls.json", interval=0.25)
        assert proc.poll() is None, proc.stdout.read()
        urls = json.loads((tmp_path / "urls.json").read_text())
        tokens = json.loads((tmp_path / "tokens.json").read_text())
        assert tokens[commander]["region"] == province
        token = tokens[commander]["token"]
        geo = Geography.load(province)
        incidents = get(urls["demand"] + "/incidents", token)
        incidents = incidents.get("items", incidents) if isinstance(incidents, dict) else incidents
        ours = [i for i in incidents if i["incident_id"].startswith("DEMO-")]
        assert len(ours) == 3
        for incident in ours:
            geo.county(incident["incident_id"].split("-")[1])  # in this province, or KeyError
        remote = ours[0]["incident_id"] if "NIGHT" in ours[0]["incident_id"] else \
            next(i["incident_id"] for i in ours if "NIGHT" in i["incident_id"])
        county = remote.split("-")[1]

        def planned():
            reqs = [r for r in get(urls["matching"] + "/requests", token) if r["county"] == county]
            if not reqs or reqs[0]["status"] == "pending":
                return None
            doc = get(urls["matching"] + f"/requests/{reqs[0]['request_id']}/plans", token)
            return doc if doc["plans"] or doc["infeasible"] else None
        doc = wait_for(planned, 120, f"plans for the night gathering in {county}", interval=0.25)
        if doc["plans"]:
            plans = doc["plans"]
            donors = {a["from_county"] for p in plans for a in p["assignments"]}
            assert donors and all(geo.county(d) for d in donors) and county not in donors
            if not plans[0]["metrics"]["deadline_met"]:  # honestly short: says where staging would have met it
                assert plans[0]["prepositioning"] and "Pre-positioning" in plans[0]["explanation"]
        else:  # nobody can reach the far county within the duty limit: said, line by line, with the staging
            [nobody] = doc["infeasible"][:1]
            assert nobody["shortfall"] and all(s["assigned"] < s["needed"] for s in nobody["shortfall"])
            assert "Missing:" in nobody["explanation"] and nobody["prepositioning"][0]["stage_at"][0]["county"] == county
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
