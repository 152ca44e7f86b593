"""Versioned event contracts: the compatibility check a schema registry would make, against the
previous release (contracts/releases/), and the checker itself, change by change."""
from __future__ import annotations

import copy
import json

import pytest

from services.common.config import CONTRACTS
from services.common.contracts import compat, main

ARRIVED = "events/unit.arrived.schema.json"
REQUESTED = "events/support.requested.schema.json"
ESCALATED = "events/support.escalated.schema.json"


@pytest.fixture(scope="module")
def current():
    return compat.contract_files(CONTRACTS)


@pytest.fixture
def new(current):
    return copy.deepcopy(current)


def kinds(found):
    return {(b.field, b.kind) for b in found}


# ------------------------------------------------------------------ the project's contracts


def test_every_payload_schema_carries_a_semantic_version(current):
    events = [p for p in current if p.startswith("events/")]
    assert len(events) >= 20
    for path in events:
        assert compat.version_of(current[path]) is not None, f"{path}: x-version MAJOR.MINOR.PATCH"


def test_the_contracts_are_backward_compatible_with_the_previous_release(current):
    previous = compat.releases(CONTRACTS)[-1]
    assert compat.release_problems(compat.load_release(CONTRACTS, previous), current, compat.LEVEL) == []


def test_the_optional_fields_added_since_the_first_release_pass_backward_but_not_forward(current):
    first = compat.load_release(CONTRACTS, "1.0.0")
    backward = compat.breaks(first, current, REQUESTED, compat.BACKWARD)
    # since then, the one kind of break: an upper bound on the counts (a tighter limit, a new major version)
    assert kinds(backward) == {("need", "tightened-constraint"), ("gap", "tightened-constraint")}
    assert all(b.detail.startswith("maximum none -> ") for b in backward)
    assert compat.version_of(current[REQUESTED])[0] > compat.version_of(first[REQUESTED])[0]
    forward = kinds(compat.breaks(first, current, REQUESTED, compat.FORWARD))
    assert ("local_share", "added-field") in forward and ("explanation", "added-field") in forward
    assert ("kind", "widened-enum") in kinds(compat.breaks(first, current, ESCALATED, compat.FORWARD))
    assert compat.version_of(current[REQUESTED]) > compat.version_of(first[REQUESTED])  # the changes raised it


def test_a_schema_is_compatible_with_itself_in_every_mode(current):
    for path in current:
        for mode in compat.MODES:
            assert compat.breaks(current, current, path, mode) == [], (path, mode)


# ------------------------------------------------------------------ each breaking change is caught


def test_a_removed_field_is_caught(current, new):
    del new[ARRIVED]["properties"]["point"]
    assert kinds(compat.breaks(current, new, ARRIVED)) == {("point", "removed-field")}


def test_a_removed_required_field_breaks_old_consumers_too(current, new):
    del new[ARRIVED]["properties"]["deadline_met"]
    new[ARRIVED]["required"].remove("deadline_met")
    assert ("deadline_met", "removed-field") in kinds(compat.breaks(current, new, ARRIVED, compat.BACKWARD))
    assert ("deadline_met", "field-no-longer-guaranteed") in kinds(compat.breaks(current, new, ARRIVED, compat.FORWARD))


def test_a_new_required_field_is_caught(current, new):
    new[ARRIVED]["properties"]["escort"] = {"type": "string"}
    new[ARRIVED]["required"].append("escort")
    assert kinds(compat.breaks(current, new, ARRIVED)) == {("escort", "new-required-field")}


def test_an_existing_field_made_required_is_caught(current, new):
    new[ARRIVED]["required"].append("incident_id")
    assert kinds(compat.breaks(current, new, ARRIVED)) == {("incident_id", "new-required-field")}


@pytest.mark.parametrize("old_type, new_type", [
    ({"type": "number"}, {"type": "integer"}),
    ({"type": ["string", "null"]}, {"type": "string"}),
    ({"type": "boolean"}, {"type": "string"}),
    ({}, {"type": "string"}),
])
def test_a_narrowed_type_is_caught(current, new, old_type, new_type):
    old = copy.deepcopy(current)
    old[ARRIVED]["properties"]["deadline_met"] = old_type
    new[ARRIVED]["properties"]["deadline_met"] = new_type
    assert kinds(compat.breaks(old, new, ARRIVED)) == {("deadline_met", "narrowed-type")}


def test_a_widened_type_is_backward_compatible(current, new):
    old = copy.deepcopy(current)
    old[ARRIVED]["properties"]["deadline_met"] = {"type": "integer"}
    new[ARRIVED]["properties"]["deadline_met"] = {"type": ["number", "null"]}
    assert compat.breaks(old, new, ARRIVED) == []
    assert ("deadline_met", "widened-type") in kinds(compat.breaks(old, new, ARRIVED, compat.FORWARD))


def test_a_narrowed_enum_is_caught(current, new):
    new[ESCALATED]["properties"]["kind"]["enum"].remove("growth")
    found = compat.breaks(current, new, ESCALATED)
    assert kinds(found) == {("kind", "narrowed-enum")} and "growth" in found[0].detail


def test_a_tightened_constraint_is_caught(current, new):
    new[ARRIVED]["properties"]["response_s"] = {"type": "integer", "minimum": 0, "maximum": 3600}
    found = kinds(compat.breaks(current, new, ARRIVED))
    assert ("response_s", "tightened-constraint") in found


def test_a_tightened_map_value_is_caught(current, new):
    new[REQUESTED]["properties"]["local_share"]["additionalProperties"] = {"type": "integer", "minimum": 1}
    assert kinds(compat.breaks(current, new, REQUESTED)) == {("local_share.*", "tightened-constraint")}


def test_a_narrowed_map_key_is_caught(current, new):
    new[REQUESTED]["properties"]["local_share"]["propertyNames"] = {"enum": ["patrol"]}
    assert ("keys of local_share", "narrowed-enum") in kinds(compat.breaks(current, new, REQUESTED))


def test_a_change_in_a_shared_definition_is_caught_where_it_is_used(current, new):
    new["defs.schema.json"]["$defs"]["id"]["maxLength"] = 8
    found = kinds(compat.breaks(current, new, ARRIVED))
    assert {("unit_id", "tightened-constraint"), ("order_id", "tightened-constraint")} <= found


def test_a_change_inside_array_items_is_caught(current, new):
    path = "events/officers.committed.schema.json"
    new[path]["properties"]["officer_ids"] = {"type": "array", "items": {"type": "integer"}, "minItems": 1,
                                              "uniqueItems": True}
    assert kinds(compat.breaks(current, new, path)) == {("officer_ids[]", "narrowed-type")}


# ------------------------------------------------------------------ additive changes pass


def test_an_added_optional_field_passes_backward_and_full_names_it(current, new):
    new[ARRIVED]["properties"]["escort"] = {"type": "string", "description": "who escorted the unit"}
    assert compat.breaks(current, new, ARRIVED, compat.BACKWARD) == []
    assert kinds(compat.breaks(current, new, ARRIVED, compat.FULL)) == {("escort", "added-field")}


def test_a_widened_enum_and_a_relaxed_constraint_pass_backward(current, new):
    new[ESCALATED]["properties"]["kind"]["enum"].append("merged")
    assert compat.breaks(current, new, ESCALATED) == []
    new[ARRIVED]["properties"]["response_s"] = {"type": "integer"}
    assert compat.breaks(current, new, ARRIVED) == []


def test_descriptions_and_versions_are_not_changes(current, new):
    new[ARRIVED]["description"] = "reworded"
    new[ARRIVED]["x-version"] = "1.0.1"
    assert compat.breaks(current, new, ARRIVED, compat.FULL) == []


# ------------------------------------------------------------------ the release rule


def test_a_break_without_a_new_major_version_is_a_problem_and_with_one_it_is_not(current, new):
    major = compat.version_of(current[ARRIVED])[0]
    del new[ARRIVED]["properties"]["point"]
    new[ARRIVED]["x-version"] = f"{major}.1.0"
    problems = compat.release_problems(current, new)
    assert len(problems) == 1 and "point: removed-field" in problems[0] and "new major version" in problems[0]
    new[ARRIVED]["x-version"] = f"{major + 1}.0.0"
    assert compat.release_problems(current, new) == []


def test_a_change_must_raise_the_version(current, new):
    new[ARRIVED]["properties"]["escort"] = {"type": "string"}
    assert compat.release_problems(current, new) == [
        f"{ARRIVED}: changed since the release but x-version is still {current[ARRIVED]['x-version']}"]
    new[ARRIVED]["x-version"] = f"{compat.version_of(current[ARRIVED])[0]}.1.0"
    assert compat.release_problems(current, new) == []


def test_a_removed_topic_a_lowered_or_missing_version_are_problems(current, new):
    del new[ARRIVED]
    new[REQUESTED]["x-version"] = "0.9.0"
    del new[ESCALATED]["x-version"]
    problems = "\n".join(compat.release_problems(current, new))
    assert f"{ARRIVED}: removed" in problems
    assert f"{REQUESTED}: x-version 0.9.0 is lower" in problems
    assert f"{ESCALATED}: x-version must be MAJOR.MINOR.PATCH" in problems


def test_a_breaking_envelope_change_is_a_problem(current, new):
    new["envelope.schema.json"]["required"].append("causationid")
    assert any("causationid: new-required-field" in p for p in compat.release_problems(current, new))


def test_a_release_snapshot_is_written_once_and_reads_back(tmp_path, current):
    root = tmp_path / "contracts"
    (root / "events").mkdir(parents=True)
    for path, schema in current.items():
        (root / path).write_text(json.dumps(schema), encoding="utf-8")
    compat.write_release(root, "1.2.0", "test")
    assert compat.releases(root) == ["1.2.0"] and compat.load_release(root, "1.2.0") == current
    with pytest.raises(FileExistsError):
        compat.write_release(root, "1.2.0")
    with pytest.raises(ValueError):
        compat.write_release(root, "v2")


def test_the_command_line_reports_the_release_check(capsys):
    assert main(["compat"]) == 0
    assert "against release 2.0.0 (BACKWARD): 0 problem(s)" in capsys.readouterr().out   # the newest
    assert main(["compat", "--mode", "FORWARD", "--against", "1.0.0"]) == 1  # fields were added since 1.0.0
    assert "added-field" in capsys.readouterr().out
    # since 1.0.0 the counts gained a maximum at a new major version: breaking, and released as 2.0.0
    assert main(["compat", "--against", "1.0.0"]) == 0
