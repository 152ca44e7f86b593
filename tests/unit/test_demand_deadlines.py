"""Deadlines in the seed's order, from one policy file that demand and logistics both read."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
import yaml

from services.demand import policies
from services.demand.domain.grading import GRADES, SEVERITY, PolicyError
from services.demand.domain.support_policy import parse_support_policy
from services.logistics import deadlines, dispatch

T = datetime(2026, 9, 15, 1, 0, tzinfo=timezone.utc)
DOC = yaml.safe_load(policies.SUPPORT_FILE.read_text(encoding="utf-8"))


def test_a_more_severe_grade_never_gets_a_later_deadline_in_the_policy_file():
    p = policies.load_support()
    for severe in GRADES:
        for milder in GRADES:
            if SEVERITY[severe] > SEVERITY[milder]:
                assert p.deadline(severe, T)[1] <= p.deadline(milder, T)[1], (severe, milder)


def test_grade_i_is_launched_within_15_and_on_scene_within_30_minutes_both_from_the_request():
    launch, on_scene, minutes = policies.load_support().deadline("I", T)
    assert (launch, on_scene, minutes) == (T + timedelta(minutes=15), T + timedelta(minutes=30), 30)
    assert [policies.load_support().deadline(g, T)[2] for g in ("II", "III", "IV")] == [30, 45, 60]


def test_a_policy_giving_grade_i_a_later_deadline_than_ii_is_refused():
    doc = copy.deepcopy(DOC)
    doc["deadlines"]["I"] = {"launch": 15, "arrive": 45, "source": "seed"}
    with pytest.raises(PolicyError, match=r"deadlines\.I\.arrive \(45\) is later than deadlines\.II\.arrive"):
        parse_support_policy(doc)
    doc["deadlines"]["I"] = {"launch": 30, "arrive": 30, "source": "seed"}
    with pytest.raises(PolicyError, match=r"deadlines\.I\.launch \(30\) must come before arrive"):
        parse_support_policy(doc)


def test_investigation_support_has_its_own_three_hour_line_not_an_emergency_deadline():
    p = policies.load_support()
    assert p.line_for("telecom_fraud", "criminal_investigation") == "investigation"
    assert p.line_for("telecom_fraud", "public_order") == "investigation"
    assert p.line_for("hostage", "criminal_investigation") == "emergency"  # an emergency whatever its domain
    assert p.line_for("mass_gathering", "public_order") == "emergency"
    assert p.deadline("III", T, "investigation") == (None, T + timedelta(hours=3), 180)
    assert p.deadline("I", T, "investigation")[2] == 180


def test_logistics_holds_units_to_the_same_minutes_as_demand():
    p = policies.load_support()
    for g in GRADES:
        assert deadlines.arrive_minutes(g) == p.deadline(g, T)[2]
    assert deadlines.arrive_minutes("III", "investigation") == 180
    approval = {"grade": "I", "at": "2026-09-15T01:00:00Z"}
    assert dispatch._deadline(None, approval, None) == T + timedelta(minutes=30)  # no request seen: the policy's


def test_every_entry_of_the_support_policy_names_its_source():
    for key in ("triggers", "investigation", "approval", "escalation", "task_hours"):
        doc = copy.deepcopy(DOC)
        doc[key].pop("source")
        with pytest.raises(PolicyError, match="'source' must be"):
            parse_support_policy(doc)
    doc = copy.deepcopy(DOC)
    doc["deadlines"]["III"]["source"] = "guessed"
    with pytest.raises(PolicyError, match=r"deadlines\.III: 'source' must be"):
        parse_support_policy(doc)
