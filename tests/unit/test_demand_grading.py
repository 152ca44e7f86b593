"""The provincial grading policy: one table, the same grade for the same facts in every county."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from services.demand import policies
from services.demand.domain.grading import GRADES, PolicyError, grade, parse_policy

POLICY_DOC = yaml.safe_load(policies.GRADING_FILE.read_text(encoding="utf-8"))
DEFS = Path(__file__).resolve().parents[2] / "contracts" / "defs.schema.json"


@pytest.fixture(scope="module")
def policy():
    return policies.load_grading()


def incident(type_="mass_gathering", domain="public_order", county="330106", **size):
    return {"type": type_, "domain": domain, "location": {"county": county}, "size": size,
            "description": "x", "reported_by": "test"}


def test_the_policy_file_is_versioned_and_valid(policy):
    assert policy.version == "grading-v1"
    assert str(policy.effective_from) == "2025-01-01"
    assert sum(r.default for r in policy.rules) == 1


def test_every_contract_example_type_has_its_own_rule(policy):
    defs = json.loads(DEFS.read_text(encoding="utf-8"))
    for t in defs["$defs"]["incident_type"]["examples"]:
        assert policy.rule_for(t, None).id == t, t


@pytest.mark.parametrize("county", ["330106", "330783", "330329", "330102", "331081"])
def test_the_same_facts_give_the_same_grade_in_every_county(policy, county):
    reference = grade(incident(people_involved=260, area_km2=0.3, county="330106"), policy)
    here = grade(incident(people_involved=260, area_km2=0.3, county=county), policy)
    assert here == reference and here.grade == "III" and here.rule_id == "mass_gathering"


@pytest.mark.parametrize("people,expected", [
    (0, "IV"), (99, "IV"), (100, "III"), (299, "III"), (300, "II"), (999, "II"), (1000, "I"), (50000, "I")])
def test_mass_gathering_thresholds_at_the_boundaries(policy, people, expected):
    g = grade(incident(people_involved=people), policy)
    assert (g.grade, g.rule_id, g.policy_version) == (expected, "mass_gathering", "grading-v1")


@pytest.mark.parametrize("people,expected", [(9, "IV"), (10, "III"), (49, "III"), (50, "II"), (99, "II"), (100, "I")])
def test_telecom_fraud_thresholds_at_the_boundaries(policy, people, expected):
    g = grade(incident("telecom_fraud", "criminal_investigation", people_involved=people), policy)
    assert (g.grade, g.rule_id) == (expected, "telecom_fraud")


def test_the_most_severe_measure_wins_and_the_reason_names_it(policy):
    g = grade(incident(people_involved=50, area_km2=2.0), policy)
    assert g.grade == "II" and "area_km2 2 ≥ 2 → II" in g.reason
    g = grade(incident(people_involved=1000, area_km2=1.0), policy)
    assert g.grade == "I" and "people_involved 1000 ≥ 1000 → I" in g.reason


def test_no_size_gives_the_rules_floor(policy):
    assert grade(incident(), policy).grade == "IV"
    hostage = grade(incident("hostage", "criminal_investigation"), policy)
    assert hostage.grade == "III" and "no size measure given" in hostage.reason


def test_an_unknown_type_falls_to_the_default_rule(policy):
    g = grade(incident("illegal_fishing", "public_order", people_involved=300), policy)
    assert (g.rule_id, g.grade) == ("default", "II")


def test_an_unknown_type_in_a_graded_domain_takes_the_domain_rule(policy):
    g = grade(incident("marathon", "major_event_security", people_involved=10000), policy)
    assert (g.rule_id, g.grade) == ("major_event_security", "II")


def test_a_higher_reported_grade_is_kept_with_the_reason(policy):
    g = grade(dict(incident(people_involved=120), reported_grade="I"), policy)
    assert (g.grade, g.computed_grade, g.reported_grade) == ("I", "III", "I")
    assert "reported grade I kept over computed III" in g.reason


def test_a_lower_reported_grade_is_overruled(policy):
    g = grade(dict(incident(people_involved=260), reported_grade="IV"), policy)
    assert (g.grade, g.computed_grade) == ("III", "III")
    assert "reported grade IV overruled by computed III" in g.reason


def test_a_policy_that_ignores_reported_grades(policy):
    doc = dict(copy.deepcopy(POLICY_DOC), reported_grade="ignore")
    g = grade(dict(incident(people_involved=120), reported_grade="I"), parse_policy(doc))
    assert g.grade == "III"


def test_grading_is_pure_and_deterministic(policy):
    facts = incident("flood", "emergency_response", people_involved=40, area_km2=25)
    before = copy.deepcopy(facts)
    assert {grade(facts, policy) for _ in range(5)} == {grade(before, policy)}
    assert facts == before and grade(facts, policy).grade == "II"


def broken(mutate) -> dict:
    doc = copy.deepcopy(POLICY_DOC)
    mutate(doc)
    return doc


def rule(doc, rid):
    return next(r for r in doc["rules"] if r["id"] == rid)


@pytest.mark.parametrize("mutate,message", [
    (lambda d: rule(d, "telecom_fraud")["criteria"]["people_involved"][0].update(grade="V"),
     "grading rule 'telecom_fraud': criteria.people_involved[0].grade: must be one of"),
    (lambda d: rule(d, "mass_gathering")["criteria"]["people_involved"].reverse(),
     "grading rule 'mass_gathering': criteria.people_involved[1]: thresholds must go from the most severe"),
    (lambda d: rule(d, "flood")["criteria"].update(victims=[{"at_least": 1, "grade": "I"}]),
     "grading rule 'flood': criteria: unknown measure 'victims'"),
    (lambda d: rule(d, "hostage").update(otherwise="X"), "grading rule 'hostage': 'otherwise' must be one of"),
    (lambda d: rule(d, "hostage").update(types=["flood"]), "grading rule 'hostage': type 'flood' is already graded"),
    (lambda d: d["rules"].remove(rule(d, "default")), "exactly one rule must be 'default: true' (found none)"),
    (lambda d: rule(d, "default").update(default=False), "grading rule 'default': matches nothing"),
    (lambda d: d.pop("version"), "'version' must be a non-empty string"),
    (lambda d: d.update(effective_from="soon"), "'effective_from' 'soon' is not a date"),
])
def test_a_broken_policy_is_refused_naming_the_rule(mutate, message):
    with pytest.raises(PolicyError) as err:
        parse_policy(broken(mutate))
    assert message in str(err.value)


def test_a_broken_policy_file_stops_the_loader_naming_the_file(tmp_path):
    bad = tmp_path / "grading-v2.yaml"
    bad.write_text(yaml.safe_dump(broken(lambda d: rule(d, "traffic_accident").update(otherwise=None))))
    with pytest.raises(PolicyError, match=r"^grading-v2.yaml: grading rule 'traffic_accident': 'otherwise'"):
        policies.load_grading(bad)
    (tmp_path / "bad.yaml").write_text("rules: [unclosed")
    with pytest.raises(PolicyError, match="not valid YAML"):
        policies.load_grading(tmp_path / "bad.yaml")


def test_grades_are_ordered_most_severe_first():
    assert GRADES == ("I", "II", "III", "IV")
