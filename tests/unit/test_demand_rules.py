"""demand's pure rules: the lifecycle table, force-gap arithmetic, the support policy, overrides, escalation."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from services.demand import policies
from services.demand.domain import escalation, lifecycle, overrides
from services.demand.domain.gap import allocate, trigger_reason
from services.demand.domain.grading import PolicyError
from services.demand.domain.support_policy import higher_level, parse_support_policy

T = datetime(2026, 9, 15, 1, 0, tzinfo=timezone.utc)
SUPPORT_DOC = yaml.safe_load(policies.SUPPORT_FILE.read_text(encoding="utf-8"))


def line(lid, module, n):
    return {"line_id": lid, "module": module, "tags": [], "certifications": [], "equipment": [], "headcount": n}


# ----------------------------------------------------------------------------------- lifecycle

def test_every_status_is_in_the_table_and_only_closed_is_final():
    assert set(lifecycle.TRANSITIONS) == set(lifecycle.STATUSES)
    assert [s for s, nxt in lifecycle.TRANSITIONS.items() if not nxt] == ["closed"]
    assert all(nxt <= set(lifecycle.STATUSES) for nxt in lifecycle.TRANSITIONS.values())


@pytest.mark.parametrize("current,target", [("requested", "closed"), ("released", "cancelled"),
                                            ("closed", "requested"), ("on_scene", "approved")])
def test_illegal_commands_are_refused_naming_what_is_allowed(current, target):
    with pytest.raises(lifecycle.IllegalTransition, match=f"a {current} request cannot become {target}"):
        lifecycle.check(current, target)


def test_a_fact_ahead_takes_the_main_line_and_one_behind_takes_nothing():
    assert lifecycle.route("requested", "on_scene") == ["awaiting_approval", "approved", "committed",
                                                        "dispatched", "on_scene"]
    assert lifecycle.route("partially_filled", "on_scene") == ["dispatched", "on_scene"]
    assert lifecycle.route("committed", "approved") == []
    assert lifecycle.route("cancelled", "on_scene") == []
    assert lifecycle.route("approved", "planning") == ["planning"]      # a rejected commit: one legal step back
    assert lifecycle.route("dispatched", "planning") == []
    for a in lifecycle.STATUSES:
        for b in lifecycle.STATUSES:
            steps = lifecycle.route(a, b)
            for x, y in zip([a, *steps], steps):
                lifecycle.check(x, y)  # every step of every route is legal


# ------------------------------------------------------------------------------------------ gap

def test_the_county_free_force_goes_to_the_oldest_incident_first():
    gaps = allocate([("A", [line("x", "patrol", 6)]), ("B", [line("y", "patrol", 4)])], {"available": 8})
    assert (gaps["A"].need, gaps["A"].covered, gaps["A"].basis, gaps["A"].ratio) == (6, 6, "available", 0.0)
    assert (gaps["B"].gap, gaps["B"].ratio) == (2, 0.5)


def test_by_module_free_force_only_covers_lines_of_that_module():
    gaps = allocate([("A", [line("x", "patrol", 4), line("y", "riot_control", 6)])],
                    {"available": 100, "by_module": {"patrol": 10}})
    assert (gaps["A"].covered, gaps["A"].ratio, gaps["A"].basis) == (4, 0.6, "by_module")


def test_without_a_load_report_the_gap_is_unknown_not_zero():
    gap = allocate([("A", [line("x", "patrol", 4)])], None)["A"]
    assert gap.ratio is None and gap.basis == "no_load_report"


def test_the_trigger_compares_the_exact_gap_not_the_rounded_one_shown():
    rules = policies.load_support()
    at_30 = allocate([("A", [line("x", "patrol", 10)])], {"available": 7})["A"]
    over_30 = allocate([("A", [line("x", "patrol", 2003)])], {"available": 1402})["A"]  # 601 of 2003: 30.005 %
    assert (at_30.ratio, over_30.ratio) == (0.3, 0.3)
    assert not rules.gap_triggers(at_30.exact_ratio) and rules.gap_triggers(over_30.exact_ratio)
    assert allocate([("A", [line("x", "patrol", 4)])], None)["A"].exact_ratio is None


def test_the_reason_names_what_triggered():
    assert trigger_reason(True, True) == "force_gap_and_grade"
    assert trigger_reason(True, False) == "force_gap"
    assert trigger_reason(False, True) == "grade"
    assert trigger_reason(False, False) is None


# ------------------------------------------------------------------------------ support policy

def test_the_policy_file_holds_the_documented_deadlines_levels_and_threshold():
    p = policies.load_support()
    assert [p.deadline(g, T)[2] for g in ("IV", "III", "II", "I")] == [60, 45, 30, 30]
    assert p.deadline("I", T)[:2] == (T + timedelta(minutes=15), T + timedelta(minutes=30))
    assert [p.approval_level(g) for g in ("IV", "III", "II", "I")] == ["city", "city", "province", "province"]
    assert (p.gap_share, p.next_level("city"), p.next_level("province")) == (0.3, "province", "province")
    assert p.gap_triggers(0.31) and not p.gap_triggers(0.30) and not p.gap_triggers(None)
    assert p.grade_triggers("III") and p.grade_triggers("I") and not p.grade_triggers("IV")
    assert higher_level("province", "city") == "province"


@pytest.mark.parametrize("path,value,message", [
    (("triggers", "gap_share"), 1.5, "triggers.gap_share"),
    (("triggers", "grade_at_least"), "V", "triggers.grade_at_least"),
    (("deadlines", "II"), {"arrive": 0, "source": "seed"}, "deadlines.II.arrive"),
    (("approval", "I"), "county", "approval.I"),
    (("escalation", "province"), "city", "escalation.province must not go down"),
])
def test_a_broken_support_policy_names_the_key(path, value, message):
    doc = copy.deepcopy(SUPPORT_DOC)
    doc[path[0]][path[1]] = value
    with pytest.raises(PolicyError, match=message.replace(".", r"\.")):
        parse_support_policy(doc)


def test_a_changed_threshold_in_the_data_changes_the_trigger():
    doc = copy.deepcopy(SUPPORT_DOC)
    doc["triggers"]["gap_share"] = 0.5
    assert not parse_support_policy(doc).gap_triggers(0.4)


# ----------------------------------------------------------------------------------- overrides

def test_overrides_replace_fields_remove_lines_and_add_new_ones():
    lines = [line("a", "patrol", 4), line("b", "traffic", 2)]
    out = overrides.apply(lines, [{"line_id": "a", "headcount": 9, "tags": ["x"]}, {"line_id": "b", "remove": True},
                                  {"line_id": "c", "module": "investigation", "headcount": 1}])
    assert out == [dict(line("a", "patrol", 9), tags=["x"]), line("c", "investigation", 1)]
    assert lines[0]["headcount"] == 4  # the template lines are not changed


@pytest.mark.parametrize("changes,field,reason", [
    ([{"line_id": "z", "headcount": 3}], "requirement_overrides[0].line_id", "a new line needs module and headcount"),
    ([{"line_id": "a", "headcount": 3}, {"line_id": "a", "remove": True}], "requirement_overrides[1].line_id",
     "overridden twice"),
    ([{"line_id": "a", "remove": True, "headcount": 2}], "requirement_overrides[0].remove", "no other field"),
    ([{"line_id": "a"}], "requirement_overrides[0]", "changes nothing"),
    ([{"line_id": "a", "remove": True}], "requirement_overrides", "every line"),
])
def test_overrides_that_cannot_apply_name_the_field(changes, field, reason):
    with pytest.raises(overrides.OverrideError) as exc:
        overrides.check([line("a", "patrol", 4)], changes)
    assert exc.value.field == field and reason in exc.value.reason


# ---------------------------------------------------------------------------------- escalation

def test_watched_stages_follow_the_status_and_escalate_once():
    launch, deadline = T + timedelta(minutes=15), T + timedelta(minutes=30)
    assert escalation.next_check("requested", launch, deadline, []) == launch
    assert escalation.stages_due("requested", launch, deadline, [], T + timedelta(minutes=16)) == ["launch"]
    assert escalation.next_check("requested", launch, deadline, ["launch"]) == deadline
    assert escalation.stages_due("approved", launch, deadline, ["launch"], deadline) == ["on_scene"]
    assert escalation.stages_due("requested", None, deadline, [], deadline) == ["approval", "on_scene"]
    assert escalation.next_check("on_scene", launch, deadline, []) is None
    assert escalation.stages_due("released", launch, deadline, [], deadline) == []
