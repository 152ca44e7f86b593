"""Scenario files: the built-ins load, and every mistake is named by its path and reason."""
import copy

import pytest
import yaml

from services.exercise.scenario import SCENARIOS, ScenarioError, builtin_names, load, parse

REFERENCE_CASES = {"asian-games-hangzhou", "telecom-fraud", "rainstorm-six-cities", "mountain-gathering-night",
                   "city-pool-45min"}
KINDS = {"incident", "competing_incident", "incident_growth", "officers_unavailable", "road_closure", "weather",
         "equipment_failure", "preposition"}


def raw(name="telecom-fraud") -> dict:
    return yaml.safe_load((SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8"))


def problems(doc) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as caught:
        parse(doc)
    return caught.value.problems


def test_the_four_reference_cases_are_built_in_and_load():
    assert REFERENCE_CASES <= set(builtin_names())
    for name in REFERENCE_CASES:
        s = load(name)
        assert s.name == name and s.good_response["summary"] and s.injects


def test_the_built_ins_together_use_every_kind_of_inject():
    used = {j.kind for name in builtin_names() for j in load(name).injects}
    assert used == KINDS


def test_injects_come_in_time_order_with_offsets_in_seconds():
    s = load("rainstorm-six-cities")
    times = [j.at_s for j in s.injects]
    assert times == sorted(times) and times[0] == 0 and s.duration_s == 8 * 3600
    closure = next(j for j in s.injects if j.kind == "road_closure" and j.until_s)
    assert closure.until_s > closure.at_s


def test_a_file_path_loads_like_a_name(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(raw(), allow_unicode=True), encoding="utf-8")
    assert load(path).injects == load("telecom-fraud").injects


def test_an_unknown_name_lists_the_built_ins():
    with pytest.raises(ScenarioError, match="telecom-fraud"):
        load("no-such-scenario")


def test_a_bad_county_is_named_by_its_full_path():
    doc = raw()
    doc["injects"][0]["incident"]["location"]["county"] = "33"
    assert problems(doc) == [("injects[0].incident.location.county", "'33' does not match '^[0-9]{6}$'")]


def test_a_field_of_another_kind_of_inject_is_rejected_by_name():
    doc = raw()
    doc["injects"][1]["speed_factor"] = 0.5  # an equipment failure has no speed factor
    [(where, why)] = problems(doc)
    assert where == "injects[1]" and "speed_factor" in why


def test_a_missing_field_of_the_inject_kind_is_named():
    doc = raw()
    del doc["injects"][1]["equipment_type"]
    assert problems(doc) == [("injects[1]", "'equipment_type' is a required property")]


def test_an_unknown_kind_lists_the_known_ones():
    doc = raw()
    doc["injects"][0]["kind"] = "earthquake"
    [(where, why)] = problems(doc)
    assert where == "injects[0].kind" and "road_closure" in why


def test_weather_speed_factor_must_slow_travel_not_speed_it_up():
    doc = raw("rainstorm-six-cities")
    doc["injects"][0]["speed_factor"] = 1.5
    assert problems(doc) == [("injects[0].speed_factor", "1.5 is greater than the maximum of 1")]


def test_all_problems_are_reported_at_once():
    doc = raw()
    doc["speed"] = 1000
    doc["injects"][0]["incident"]["domain"] = "parking"
    assert [w for w, _ in problems(doc)] == ["injects[0].incident.domain", "speed"]


def test_an_inject_after_the_end_is_refused():
    doc = raw()
    doc["injects"][-1]["at"] = "07:00"
    assert ("injects[5].at", "07:00 is after the end of the exercise (6 h)") in problems(doc)


def test_growth_of_an_incident_not_yet_reported_is_refused():
    doc = raw()
    doc["injects"][4]["incident_id"] = "EX-TF-999"
    assert problems(doc) == [("injects[4].incident_id", "no incident EX-TF-999 is reported before 02:00")]


def test_an_incident_reported_twice_is_refused():
    doc = raw()
    doc["injects"][3]["incident"]["incident_id"] = "EX-TF-001"
    assert ("injects[3].incident.incident_id", "EX-TF-001 is reported twice") in problems(doc)


def test_a_county_of_another_province_is_refused():
    doc = raw()
    doc["injects"][2]["county"] = "320106"
    assert problems(doc) == [("injects[2].county", "320106 is not in province 330000")]


def test_a_closure_must_end_after_it_starts():
    doc = raw()
    doc["injects"][5]["until"] = "02:00"
    assert problems(doc) == [("injects[5].until", "02:00 is not after at (02:30)")]


def test_unquoted_yaml_times_are_read_as_written():
    text = (SCENARIOS / "telecom-fraud.yaml").read_text(encoding="utf-8").replace('at: "02:30"', "at: 2:30")
    doc = yaml.safe_load(text)
    assert doc["injects"][5]["at"] == 150  # YAML 1.1 reads 2:30 as a base-60 number
    assert parse(doc).injects[-1].at_s == 2.5 * 3600


def test_force_is_a_generator_seed_or_a_roster_file_not_both():
    doc = copy.deepcopy(raw())
    doc["force"] = {"seed": 7, "officers": 20000, "roster": "x.json"}
    assert [w for w, _ in problems(doc)] == ["force"]
    doc["force"] = {"roster": "roster.json"}
    assert parse(doc).force == {"roster": "roster.json"}


def test_the_contract_example_is_a_valid_scenario():
    from services.common.config import CONTRACTS
    example = load(CONTRACTS / "scenario.example.json")
    assert example.name == "mountain-gathering-night" and len(example.injects) == 7
