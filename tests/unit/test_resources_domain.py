"""The resource pool's pure rules: lifecycle, duty and rest, reserve floor, commit checks, points,
masking, roster rows and equipment compatibility."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import yaml

from services.resources.domain import compatibility, duty, lifecycle, masking, points, reserve, roster_rows
from services.resources.domain.commit_rules import Candidate, CountyLoad, Task, check_plan
from services.resources.domain.policy import Policy

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=timezone.utc)
TASK = Task(T0, T0 + timedelta(hours=4))


def officer(officer_id="A", county="330782", status="on_duty", minutes=0, certs=None, required=()):
    return Candidate(officer_id, county, status, minutes, certs or {}, tuple(required))


def reasons(rejections):
    return [(r.officer_id, r.reason) for r in rejections]


# ---------------------------------------------------------------- lifecycle

@pytest.mark.parametrize("current,target", [("on_duty", "reserved"), ("reserved", "deployed"),
                                            ("deployed", "resting"), ("resting", "on_duty")])
def test_the_task_path_through_the_lifecycle_is_legal(current, target):
    lifecycle.check(current, target)


@pytest.mark.parametrize("current,target", [("off_duty", "reserved"), ("deployed", "reserved"),
                                            ("unavailable", "deployed"), ("resting", "reserved")])
def test_shortcuts_through_the_lifecycle_are_refused(current, target):
    with pytest.raises(lifecycle.IllegalTransition):
        lifecycle.check(current, target)


def test_a_hand_edit_cannot_free_an_officer_from_a_task_or_commit_one():
    with pytest.raises(lifecycle.IllegalTransition, match="only a release"):
        lifecycle.check_manual("deployed", "on_duty", rested=False)
    with pytest.raises(lifecycle.IllegalTransition, match="set only by a commit"):
        lifecycle.check_manual("on_duty", "reserved", rested=False)


def test_a_resting_officer_goes_back_on_duty_only_when_rested():
    with pytest.raises(lifecycle.IllegalTransition, match="rest has not ended"):
        lifecycle.check_manual("resting", "on_duty", rested=False)
    lifecycle.check_manual("resting", "on_duty", rested=True)


# ---------------------------------------------------------------- duty and rest

def test_duty_minutes_stop_counting_once_their_24_hour_window_has_passed():
    assert duty.minutes_in_window(600, T0, T0 + timedelta(hours=23)) == 600
    assert duty.minutes_in_window(600, T0, T0 + timedelta(hours=24)) == 0


def test_accrued_duty_opens_a_new_window_after_the_old_one_expired():
    assert duty.accrue(300, T0, 120, T0 + timedelta(hours=2), T0 + timedelta(hours=4)) == (420, T0)
    later = T0 + timedelta(hours=30)
    assert duty.accrue(300, T0, 120, later, later + timedelta(hours=2)) == (120, later)


def test_reaching_the_limit_sends_the_officer_to_rest_for_the_configured_time():
    assert duty.after_release(720, T0, rest_minutes=480) == ("resting", T0 + timedelta(hours=8))
    assert duty.after_release(719, T0, rest_minutes=480) == ("on_duty", None)
    assert duty.effective_status("resting", T0, T0 - timedelta(minutes=1)) == "resting"
    assert duty.effective_status("resting", T0, T0) == "on_duty"


# ---------------------------------------------------------------- reserve floor

def test_a_county_lends_only_what_keeps_it_above_70_percent_of_its_strength():
    assert reserve.floor(100) == 70 and reserve.lendable(100, 100) == 30
    assert reserve.floor(10) == 7 and reserve.lendable(9, 10) == 2
    assert reserve.lendable(100, 100, share=0.9) == 10


# ---------------------------------------------------------------- commit checks

def test_a_clean_plan_has_no_rejections():
    loads = {"330782": CountyLoad(available=100, strength=100)}
    assert check_plan([officer("A"), officer("B")], [], TASK, loads) == []


def test_every_broken_rule_is_reported_per_officer():
    loads = {"330782": CountyLoad(available=100, strength=100)}
    candidates = [
        officer("BUSY", status="reserved"), officer("OFF", status="off_duty"),
        officer("TIRED", minutes=600),   # 600 + 240 > 720
        officer("OLD", certs={"e_forensics_examiner": date(2026, 11, 27)}, required=["e_forensics_examiner"]),
        officer("NONE", required=["crisis_negotiator"]),
    ]
    got = reasons(check_plan(candidates, ["GHOST"], TASK, loads))
    assert got == [("GHOST", "unknown_officer"), ("BUSY", "already_committed"), ("OFF", "not_available"),
                   ("TIRED", "duty_limit_exceeded"), ("OLD", "certification_expired"),
                   ("NONE", "certification_missing")]


def test_a_certificate_valid_through_the_task_end_passes():
    loads = {"330782": CountyLoad(available=100, strength=100)}
    ok = officer(certs={"e_forensics_examiner": TASK.end.date()}, required=["e_forensics_examiner"])
    assert check_plan([ok], [], TASK, loads) == []


def test_officers_beyond_the_reserve_floor_are_refused_last_first():
    loads = {"330782": CountyLoad(available=10, strength=10)}   # floor 7: 3 may leave
    got = check_plan([officer(str(i)) for i in range(5)], [], TASK, loads)
    assert reasons(got) == [("3", "reserve_floor_breached"), ("4", "reserve_floor_breached")]
    assert "floor 7" in got[0].detail


def test_a_task_ending_before_it_starts_refuses_the_whole_plan():
    got = check_plan([officer()], [], Task(T0, T0), {})
    assert [(r.officer_id, r.reason) for r in got] == [(None, "other")]


# ---------------------------------------------------------------- points

def test_points_grow_with_difficulty_duration_and_risk():
    policy = points.PointsPolicy()
    assert policy.award(difficulty=3, duration_h=6, risk=2) == 15.0      # 6 × 2.0 × 1.25
    assert policy.award(difficulty=5, duration_h=6, risk=2) > policy.award(difficulty=3, duration_h=6, risk=2)
    assert policy.award(difficulty=3, duration_h=6, risk=4) > policy.award(difficulty=3, duration_h=6, risk=2)
    assert points.PointsPolicy(per_hour=1.0).award(difficulty=3, duration_h=6, risk=2) == 18.8


def test_points_configuration_is_read_from_the_environment():
    policy = Policy.from_env({"POINTS_PER_HOUR": "1", "RESERVE_SHARE": "0.8", "REST_MIN": "600"})
    assert policy.points.per_hour == 1.0 and policy.reserve_share == 0.8 and policy.rest_min == 600
    with pytest.raises(ValueError):
        Policy.from_env({"RESERVE_SHARE": "1.5"})


def test_the_grade_scales_of_points_are_the_policy_files(tmp_path):
    from services.resources.domain.policy import DEFAULT_FILE
    default = Policy.from_env({}).points
    assert [default.difficulty_of(g) for g in ("I", "II", "III", "IV")] == [5, 4, 3, 2]
    assert (default.risk_of("I"), default.risk_of("IV"), default.risk_of("IV", 3)) == (4, 1, 3)   # a plan's own risk wins
    doc = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    doc["points"]["difficulty"]["IV"] = 1
    path = tmp_path / "resources.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert Policy.from_env({"RESOURCES_POLICY": str(path)}).points.difficulty_of("IV") == 1
    del doc["points"]["risk"]["II"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="points.risk"):
        Policy.from_env({"RESOURCES_POLICY": str(path)})


def test_reciprocity_balances_support_given_against_support_received():
    flows = [("330700", "330100", 10.0), ("330700", "330100", 5.0), ("330100", "330700", 4.0),
             ("330700", "330700", 99.0)]
    pair = points.reciprocity(flows)[("330100", "330700")]
    assert (pair["given_points"], pair["received_points"], pair["balance"]) == (4.0, 15.0, -11.0)
    assert (pair["given_tasks"], pair["received_tasks"]) == (1, 2)


# ---------------------------------------------------------------- masking

RECORD = {"officer_id": "A", "phone": "13812345678", "home_address": "金华市东阳市示例路12号",
          "id_number": "330783198801011234", "position": {"lon": 120.2, "lat": 29.3}}


def test_the_least_privileged_role_sees_masked_personal_fields_and_no_position():
    seen = masking.masked(RECORD, masking.role_of(None))
    assert seen["phone"] == "138****5678" and seen["id_number"] == "330783****1234"
    assert seen["home_address"] == "金华市东阳市****" and seen["position"] is None


def test_only_the_province_sees_positions_and_only_personnel_sees_personal_data():
    assert masking.masked(RECORD, "province_commander")["position"] == RECORD["position"]
    assert masking.masked(RECORD, "province_commander")["phone"] == "138****5678"
    assert masking.masked(RECORD, "resource_manager")["phone"] == "13812345678"
    assert masking.masked(RECORD, "resource_manager")["position"] is None
    for role in ("city_commander", "county_duty_officer", "support_officer", "integrator", "auditor", "viewer"):
        seen = masking.masked(RECORD, role)
        assert seen["position"] is None and seen["phone"] == "138****5678", role


def test_an_unknown_role_is_refused():
    with pytest.raises(masking.UnknownRole):
        masking.role_of("root")


# ---------------------------------------------------------------- roster rows and compatibility

COUNTIES = {"330783": "330700"}
GOOD = {"officer_id": "X1", "name": "陈立", "county": "330783", "unit_id": "U1", "module": "patrol",
        "status": "on_duty", "certifications": "e_forensics_examiner|2024-01-01|2027-01-01", "tags": "a;b"}


def test_csv_and_json_rows_normalise_to_the_same_officer():
    from_csv = roster_rows.normalise(GOOD, COUNTIES)
    from_json = roster_rows.normalise(dict(GOOD, tags=["a", "b"], certifications=[
        {"name": "e_forensics_examiner", "issued": "2024-01-01", "expires": "2027-01-01"}]), COUNTIES)
    assert from_csv == from_json and from_csv["city"] == "330700" and from_csv["tags"] == ["a", "b"]


def test_every_bad_row_is_reported_with_where_it_is_and_why():
    rows = [("line 2", GOOD), ("line 3", dict(GOOD, officer_id="X2", county="999999")),
            ("line 4", dict(GOOD, officer_id="X3", status="deployed")), ("line 5", GOOD),
            ("line 6", dict(GOOD, officer_id="X4", certifications="x|2024-01-01|2023-01-01"))]
    officers, errors = roster_rows.check_rows(rows, COUNTIES)
    assert [e["field"] for e in errors] == ["line 3.county", "line 4.status", "line 5.officer_id",
                                            "line 6.certifications"]
    assert "duplicate of line 2" in errors[2]["reason"] and len(officers) == 1


def test_equipment_without_a_data_link_works_anywhere_and_a_foreign_standard_does_not():
    accepts = ("GA/T 1400", "GB/T 28181-2016", "PDT")
    item = {"equipment_id": "E", "type": "radio", "readiness": "ready"}
    assert compatibility.check(dict(item, interface_standard=None), accepts)["compatible"]
    tetra = compatibility.check(dict(item, interface_standard="TETRA"), accepts)
    assert not tetra["compatible"] and "not accepted" in tetra["reason"]
    faulty = compatibility.check(dict(item, interface_standard="PDT", readiness="faulty"), accepts)
    assert faulty["compatible"] and not faulty["usable"]
