"""A running demand takes up a new matcher version without a restart: `retrain` writes
needs-model-v<N+1> from the recorded corrections, and the next parse (after DEMAND_NEEDS_RELOAD_S) uses
it; GET /needs/model says which version is in force, its parent and its held-out figures. A newer file
that cannot be read leaves the loaded version in force."""
from __future__ import annotations

import shutil

import pytest

from services.demand import needs
from services.demand.needs import model
from services.demand.needs.__main__ import main as needs_cli
from tests.helpers import assert_answers
from tests.unit import test_demand_helpers as helpers
from tests.unit.test_demand_helpers import VIEWER, XIHU, incident

demand, now = helpers.demand, helpers.now  # the demand fixtures: a service on a fixed clock


@pytest.fixture
def models(tmp_path, monkeypatch):
    """A model folder of its own holding the shipped v1; looked at on every parse."""
    folder = tmp_path / "models"
    folder.mkdir()
    for suffix in (".json", ".npz"):
        shutil.copy(model.MODEL_DIR / f"needs-model-v1{suffix}", folder / f"needs-model-v1{suffix}")
    monkeypatch.setattr(model, "MODEL_DIR", folder)
    monkeypatch.delenv("DEMAND_NEEDS_MODEL", raising=False)
    monkeypatch.setattr(needs, "RELOAD_S", 0.0)
    needs.current.cache_clear()
    yield folder
    needs.current.cache_clear()  # the next test loads the shipped model again


def parse(client, text):
    resp = client.post("/needs/parse", json={"county": "330106", "text": text}, headers=XIHU)
    assert resp.status_code == 200
    return resp.get_json()


def test_retrain_is_taken_up_by_the_running_service(demand, models, capsys):
    runtime, client = demand
    shown = client.get("/needs/model", headers=XIHU).get_json()
    assert shown["model"] == "needs-model-v1" and shown["version"] == "needs-lexicon-v2+needs-model-v1"
    assert shown["loaded_at"] and shown["reload_s"] == 0.0
    assert_answers("needs-model", shown)
    text = "需要搜山队员6名"  # 搜山 is no word of the lexicon: the reporter teaches it
    proposal = parse(client, text)
    assert proposal["model_version"].endswith("needs-model-v1")
    fixed = [dict({k: proposal["lines"][0][k] for k in ("line_id", "certifications", "equipment", "headcount")},
                  module="emergency_rescue", tags=["rope_rescue"])]
    for _ in range(10):
        body = incident(type_="missing_person", needs={"text": text})
        made = client.post("/incidents", json=body, headers=XIHU).get_json()["needs_proposal"]
        resp = client.post(f"/incidents/{body['incident_id']}/needs/confirm",
                           json={"proposal_id": made["proposal_id"], "confirmed_lines": fixed}, headers=XIHU)
        assert resp.status_code == 200
    before = parse(client, "需要搜山队员8名")["lines"]
    assert not before or before[0]["tags"] != ["rope_rescue"]

    assert needs_cli(["retrain", "--database", str(runtime.engine.url)]) == 0  # while the service runs
    assert "10 recorded confirmations, 10 with corrections" in capsys.readouterr().out
    after = parse(client, "需要搜山队员8名")
    assert after["model_version"] == "needs-lexicon-v2+needs-model-v2"
    assert (after["lines"][0]["module"], after["lines"][0]["tags"]) == ("emergency_rescue", ["rope_rescue"])
    shown = client.get("/needs/model", headers=XIHU).get_json()
    assert (shown["model"], shown["parent"]) == ("needs-model-v2", "needs-model-v1")
    assert shown["trained_on"]["confirmed_clauses"] >= 10
    assert shown["held_out"]["set"] == "holdout-v3.jsonl" and 0 < shown["held_out"]["after"]["tag_accuracy"] <= 1
    assert_answers("needs-model", shown)
    assert client.get("/needs/model", headers=VIEWER).status_code == 403  # not general data for a viewer


def test_a_newer_version_that_cannot_be_read_leaves_the_loaded_one_in_force(demand, models):
    _, client = demand
    assert parse(client, "特警5名")["model_version"].endswith("needs-model-v1")
    (models / "needs-model-v2.npz").write_bytes(b"not a model")
    shutil.copy(models / "needs-model-v1.json", models / "needs-model-v2.json")
    assert parse(client, "特警5名")["model_version"].endswith("needs-model-v1")
    shown = client.get("/needs/model", headers=XIHU).get_json()
    assert shown["model"] == "needs-model-v1" and shown["not_loaded"].startswith("needs-model-v2.json")
    assert_answers("needs-model", shown)


def test_within_the_reload_interval_the_loaded_version_stays(models, monkeypatch):
    first = needs.current()
    monkeypatch.setattr(needs, "RELOAD_S", 3600.0)
    for suffix in (".json", ".npz"):
        shutil.copy(models / f"needs-model-v1{suffix}", models / f"needs-model-v2{suffix}")
    assert needs.current() is first  # not looked for within the hour
    monkeypatch.setattr(needs, "RELOAD_S", 0.0)
    assert needs.current() is not first  # another file in force: loaded
