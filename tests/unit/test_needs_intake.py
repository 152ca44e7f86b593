"""demand's needs in words: POST /needs/parse proposes lines; POST /incidents counts them only once the
reporter confirms them, records who confirmed what, and checks the caller's region; retraining reads
the recorded corrections."""
from __future__ import annotations

from sqlalchemy import select

from services.demand.needs.__main__ import main as needs_cli
from services.demand.store import needs_feedback
from tests.helpers import assert_answers
from tests.unit import test_demand_helpers as helpers
from tests.unit.test_demand_helpers import HANGZHOU, WENZHOU, XIHU, incident

demand, now = helpers.demand, helpers.now  # the demand fixtures: a service on a fixed clock

TEXT = "需要懂越南语的反诈民警5名、无人机操作员2名，今晚到东阳"


def test_parse_proposes_lines_with_confidence_and_words(demand):
    _, client = demand
    resp = client.post("/needs/parse", json={"county": "330106", "text": TEXT}, headers=XIHU)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["proposal_id"].startswith("NP-") and body["model_version"].startswith("needs-lexicon-v2+needs-model-v")
    assert [(line["line_id"], line["module"], line["headcount"]) for line in body["lines"]] == [
        ("text-1", "investigation", 5), ("text-2", "technical_support", 2)]
    assert body["lines"][0]["span"]["text"] == "需要懂越南语的反诈民警5名"


def test_parse_checks_the_callers_region_and_the_body(demand):
    _, client = demand
    assert client.post("/needs/parse", json={"county": "330106", "text": TEXT}, headers=WENZHOU).status_code == 403
    assert client.post("/needs/parse", json={"county": "330106"}, headers=XIHU).status_code == 422
    assert client.post("/needs/parse", data="not json", headers=XIHU).status_code == 415  # not labelled JSON
    assert client.post("/needs/parse", data="not json", content_type="application/json", headers=XIHU).status_code == 400


def test_bad_text_is_answered_not_refused(demand):
    _, client = demand
    for text in ("", "？？？", "lorem ipsum dolor", "啊" * 4000):
        resp = client.post("/needs/parse", json={"county": "330106", "text": text}, headers=XIHU)
        assert resp.status_code == 200
        assert all(line["confidence"] < 0.7 for line in resp.get_json()["lines"])


def test_unconfirmed_lines_do_not_count(demand):
    _, client = demand
    body = incident(type_="telecom_fraud", needs={"text": TEXT})
    resp = client.post("/incidents", json=body, headers=XIHU)
    assert resp.status_code == 201 and len(resp.get_json()["needs_proposal"]["lines"]) == 2
    assessment = client.get(f"/incidents/{body['incident_id']}/assessment").get_json()
    assert {line["line_id"] for line in assessment["requirements"]} == {"forensics", "cyber_investigation"}
    assert "overrides" not in assessment
    assert "needs" not in client.get(f"/incidents/{body['incident_id']}").get_json()


def test_confirmed_and_edited_lines_count_and_who_changed_what_is_recorded(demand):
    runtime, client = demand
    proposal = client.post("/needs/parse", json={"county": "330106", "text": TEXT}, headers=XIHU).get_json()
    investigators, pilots = proposal["lines"]
    confirmed = [{k: investigators[k] for k in ("line_id", "module", "tags", "certifications", "equipment")}
                 | {"headcount": 6},
                 {"line_id": "medic", "module": "emergency_rescue", "tags": ["first_aid"], "certifications": [],
                  "equipment": [], "headcount": 1}]
    body = incident(type_="telecom_fraud", needs={"text": TEXT, "proposal_id": proposal["proposal_id"],
                                                  "confirmed_lines": confirmed})
    resp = client.post("/incidents", json=body, headers=XIHU)
    assert resp.status_code == 201
    assert_answers("incident", resp.get_json())  # the record as needs-confirmed's $defs/record describes it
    record = resp.get_json()["needs_confirmation"]
    assert record["confirmed_by"] == "xihu-duty" and record["role"] == "county_duty_officer"
    assert record["changes"] == {"kept": [], "edited": [{"line_id": "text-1", "headcount": {"from": 5, "to": 6}}],
                                 "removed": [pilots["line_id"]], "added": ["medic"]}
    lines = {line["line_id"]: line for line in
             client.get(f"/incidents/{body['incident_id']}/assessment").get_json()["requirements"]}
    # the investigators refine the template's cyber line; the medic is added; forensics stays as the template has it
    assert lines["cyber_investigation"]["tags"] == ["cybercrime_investigation", "foreign_language:vi"]
    assert lines["cyber_investigation"]["headcount"] == 6
    assert lines["medic"]["module"] == "emergency_rescue" and "forensics" in lines
    with runtime.engine.connect() as conn:
        (row,) = conn.execute(select(needs_feedback)).all()
    assert row.proposed == proposal["lines"] and row.confirmed == confirmed and row.incident_id == body["incident_id"]


def test_confirming_is_refused_outside_the_callers_region_or_for_anothers_proposal(demand):
    _, client = demand
    proposal = client.post("/needs/parse", json={"county": "330106", "text": TEXT}, headers=XIHU).get_json()
    line = {k: proposal["lines"][0][k] for k in ("line_id", "module", "tags", "certifications", "equipment",
                                                  "headcount")}
    body = incident(type_="telecom_fraud", needs={"text": TEXT, "proposal_id": proposal["proposal_id"],
                                                  "confirmed_lines": [line]})
    assert client.post("/incidents", json=body, headers=WENZHOU).status_code == 403
    other = incident("330102", type_="telecom_fraud", needs={"text": TEXT, "proposal_id": proposal["proposal_id"],
                                                             "confirmed_lines": [line]})
    resp = client.post("/incidents", json=other, headers=HANGZHOU)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "needs.proposal_id"


def test_retrain_reads_the_recorded_corrections_and_writes_a_new_version(demand, tmp_path, monkeypatch, capsys):
    runtime, client = demand
    text = "需要搜山队员6名"
    proposal = client.post("/needs/parse", json={"county": "330106", "text": text}, headers=XIHU).get_json()
    fixed = [dict({k: proposal["lines"][0][k] for k in ("line_id", "certifications", "equipment", "headcount")},
                  module="emergency_rescue", tags=["rope_rescue"])]
    for _ in range(10):
        body = incident(type_="missing_person", needs={"text": text, "proposal_id": proposal["proposal_id"],
                                                       "confirmed_lines": fixed})
        assert client.post("/incidents", json=body, headers=XIHU).status_code == 201
    from services.demand.needs import model
    models = tmp_path / "models"
    monkeypatch.setattr(model, "MODEL_DIR", models)
    assert needs_cli(["retrain", "--database", str(runtime.engine.url)]) == 0
    out = capsys.readouterr().out
    assert "10 recorded confirmations, 10 with corrections" in out and "before (" in out and "after  (" in out
    assert (models / "needs-model-v1.json").exists()
    from services.demand.needs import Parser, lexicon
    learnt = Parser(lexicon.default(), model.load(models / "needs-model-v1.json"))
    (line,) = learnt.parse("需要搜山队员8名")
    assert (line.module, line.tags) == ("emergency_rescue", ["rope_rescue"])
