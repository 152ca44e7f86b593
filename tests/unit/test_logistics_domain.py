"""logistics' pure rules: units, scope, tracking, reception, indicators."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from shapely.geometry import MultiPolygon, Polygon

from services.common import contracts
from services.common.bus import Record
from services.common.envelope import GENESIS, new_event, seal
from services.logistics import audit
from services.logistics.domain import indicators, reception, scope, tracking, units
from services.logistics.policy import DEFAULT_FILE, Policy, PolicyError, unsourced_values

T0 = datetime(2025, 9, 15, 1, 10, tzinfo=timezone.utc)
GRANT = {"area": {"type": "Polygon", "coordinates": [[[120.0, 29.0], [120.5, 29.0], [120.5, 29.5], [120.0, 29.5],
                                                       [120.0, 29.0]]]},
         "from": "2025-09-15T01:10:00Z", "until": "2025-09-15T13:10:00Z", "tasks": ["e_forensics", "patrol"]}
WINDOW = (T0, T0 + timedelta(hours=12))


def test_officers_travel_in_the_units_the_proposal_names_else_one_unit_per_donor_county():
    proposal = {"assignments": [{"officer_id": "P-330782-00001", "line_id": "L1", "from_county": "330782",
                                 "unit_id": "UNIT-A", "eta_s": 60}]}
    found = units.group_units("PLAN-1", ["P-330782-00001", "P-330703-00002", "P-330703-00003"], proposal)
    assert [(u.unit_id.startswith("SU-330703-"), u.from_county, u.officer_ids) for u in found] == [
        (True, "330703", ("P-330703-00002", "P-330703-00003")), (False, "330782", ("P-330782-00001",))]


def test_the_approvals_units_decide_before_the_proposals_and_need_no_county_in_the_id():
    # plan.approved names each officer's unit and county (contract 1.2.0): an id with no county in it
    # still travels with its unit, and where the two events disagree the approval, which was signed, decides
    approval = {"assignments": [{"officer_id": "OFFICER-7", "line_id": "L1", "from_county": "330782",
                                 "unit_id": "UNIT-A"},
                                {"officer_id": "OFFICER-8", "line_id": "L1", "from_county": "330703",
                                 "unit_id": "UNIT-B"}]}
    proposal = {"assignments": [{"officer_id": "OFFICER-8", "line_id": "L1", "from_county": "330727",
                                 "unit_id": "UNIT-C", "eta_s": 60}]}
    found = units.group_units("PLAN-1", ["OFFICER-7", "OFFICER-8"], approval, proposal)
    assert [(u.unit_id, u.from_county, u.officer_ids) for u in found] == [
        ("UNIT-A", "330782", ("OFFICER-7",)), ("UNIT-B", "330703", ("OFFICER-8",))]
    # an approval of release 1.0.0 (no unit, no county) leaves them to the proposal
    old = {"assignments": [{"officer_id": "OFFICER-8", "line_id": "L1"}]}
    assert [(u.unit_id, u.from_county) for u in units.group_units("PLAN-1", ["OFFICER-8"], old, proposal)] == [
        ("UNIT-C", "330727")]


def test_without_the_proposal_the_pools_officer_ids_still_give_one_unit_per_donor_county():
    # the demo pool's ids (the province's ISO 3166-2 letters, then the county): read before the proposal
    # (another topic), a plan of 330102's and 330481's officers travels as two units, each from its county
    found = units.group_units("PLAN-1", ["ZJ330102-00447", "ZJ330481-00225", "ZJ330102-00451"])
    assert [(u.unit_id.startswith(f"SU-{u.from_county}-"), u.from_county, u.officer_ids) for u in found] == [
        (True, "330102", ("ZJ330102-00447", "ZJ330102-00451")), (True, "330481", ("ZJ330481-00225",))]
    assert units.county_of("P-330782-00001") == "330782" and units.county_of("OFFICER-7") is None


def test_order_and_deployment_ids_are_stable_per_plan_and_unit():
    assert units.order_id("PLAN-1", "U1") == units.order_id("PLAN-1", "U1") != units.order_id("PLAN-1", "U2")
    assert units.deployment_id("PLAN-1") != units.deployment_id("PLAN-2")


def test_an_island_county_in_several_parts_is_granted_the_hull_of_its_parts():
    islands = MultiPolygon([Polygon([(0, 0), (1, 0), (1, 1), (0, 1)]), Polygon([(3, 3), (4, 3), (4, 4), (3, 4)])])
    area = scope.county_area(islands)
    assert area["type"] == "Polygon" and scope.contains(area, 2, 2) and not scope.contains(area, 0, 4)


def test_a_buffer_area_reaches_the_radius_and_no_further():
    area = scope.buffer_area(120.24, 29.29, 5000)
    assert scope.contains(area, 120.24 + 0.045, 29.29)          # ~4.4 km east
    assert not scope.contains(area, 120.24 + 0.06, 29.29)       # ~5.8 km east


@pytest.mark.parametrize("at,task,point,expected", [
    (T0 + timedelta(hours=1), "e_forensics", {"lon": 120.2, "lat": 29.2}, None),
    (T0 - timedelta(minutes=1), "e_forensics", None, "before the granted window"),
    (T0 + timedelta(hours=13), "e_forensics", None, "after the granted window"),
    (T0 + timedelta(hours=1), "arrest", None, "task 'arrest' is not granted"),
    (T0 + timedelta(hours=1), "patrol", {"lon": 121.0, "lat": 29.2}, "outside the granted area"),
])
def test_an_instruction_is_refused_outside_the_grant_with_the_reason(at, task, point, expected):
    reason = scope.refusal(GRANT, at=at, task=task, point=point, window=WINDOW)
    assert (reason is None) if expected is None else (expected in reason)


def test_distance_and_speed_between_reports():
    assert tracking.distance_m((120.0, 30.0), (120.0, 30.1)) == pytest.approx(11_120, rel=0.01)
    assert tracking.speed_kmh((120.0, 30.0), T0, (120.0, 30.1), T0 + timedelta(minutes=10)) == pytest.approx(66.7, rel=0.01)


def test_a_jump_faster_than_plausible_is_named_with_its_speed():
    previous = ((120.0, 30.0), T0)
    assert tracking.implausible_speed(previous, (120.0, 30.1), T0 + timedelta(minutes=10), None, 200) is None
    assert tracking.implausible_speed(previous, (120.0, 31.0), T0 + timedelta(minutes=10), None, 200) > 600
    assert tracking.implausible_speed(None, (120.0, 31.0), T0, 350, 200) == 350


def test_progress_runs_from_the_first_report_to_the_reporting_point():
    assert tracking.progress(10_000, 2_500) == 0.75
    assert tracking.progress(10_000, 12_000) == 0.0


def test_the_pace_is_measured_from_when_the_unit_set_off_and_trusted_after_two_minutes_of_route():
    minute = timedelta(minutes=1)
    anchor = tracking.pace_anchor(None, T0, 1800, None, 120, 50)
    assert anchor == (T0, 1800)                                         # the first report
    anchor = tracking.pace_anchor(anchor, T0 + 10 * minute, 1800, 3, 120, 50)
    assert anchor == (T0 + 10 * minute, 1800)                           # still assembling: the clock starts later
    moving = tracking.pace_anchor(anchor, T0 + 11 * minute, 1740, 900, 120, 50)
    assert moving == anchor                                             # on its way: the anchor stays
    # a minute of the estimate covered: not yet evidence, the estimate stands
    assert tracking.paced_left_s(anchor, T0 + 11 * minute, 1740, 120) == 1740
    # 10 minutes of the estimate in 5: half the estimate's time is left to go
    assert tracking.paced_left_s(anchor, T0 + 15 * minute, 1200, 120) == pytest.approx(600)
    # 5 minutes of the estimate in 10 (a jam): twice
    assert tracking.paced_left_s(anchor, T0 + 20 * minute, 1500, 120) == pytest.approx(3000)
    # stopped on the road after covering 5 minutes: the anchor stays and the wait counts
    held = tracking.pace_anchor(anchor, T0 + 30 * minute, 1500, 2, 120, 50)
    assert held == anchor and tracking.paced_left_s(held, T0 + 30 * minute, 1500, 120) == pytest.approx(6000)


def test_a_point_on_a_route_takes_the_seconds_left_there_and_how_far_off_it_is():
    route = {"points": [[120.0, 30.0], [120.0, 30.1], [120.2, 30.1]], "left_s": [1500, 900, 0]}
    assert tracking.left_along(route, (120.0, 30.0)) == (1500, 0)
    left, off = tracking.left_along(route, (120.0, 30.05))             # half way along the first leg
    assert left == pytest.approx(1200) and off == pytest.approx(0, abs=1e-6)
    left, off = tracking.left_along(route, (120.15, 30.11))            # 3/4 of the second, 1.1 km north of it
    assert left == pytest.approx(225) and off == pytest.approx(1105, rel=0.01)
    assert tracking.left_along(route, (121.0, 30.1)) == (0, pytest.approx(77_000, rel=0.01))  # past the end: there


def test_a_medic_travels_with_every_team_however_small():
    small = reception.initial_arrangements([3])
    assert small["medic"]["status"] == "pending" and small["medic"]["quantity"] == 1
    assert reception.missing(small) == ["lodging", "meals", "transport", "medic"]
    teams = reception.initial_arrangements([2, 4, 19])                 # three units: three medics
    assert teams["medic"]["quantity"] == 3 and teams["lodging"]["quantity"] == 25
    assert reception.medics_needed([45, 5], 1, 30) == 3                  # a team of 45 takes two


def test_a_team_is_a_donor_countys_contingent_however_many_units_it_travels_in():
    # 12 officers in 11 units from 5 counties (the demo's 东阳 plan had this shape): 5 medics, not 11
    teams = [units.Unit(f"U{i}", county, tuple(f"P-{county}-{i}-{k}" for k in range(n)))
             for i, (county, n) in enumerate([("330782", 2), ("330782", 1), ("330782", 1), ("330703", 1),
                                               ("330703", 1), ("330727", 1), ("330727", 1), ("330702", 1),
                                               ("330702", 1), ("330602", 1), ("330602", 1)])]
    assert sorted(units.contingents(teams)) == [2, 2, 2, 2, 4]
    assert reception.initial_arrangements(units.contingents(teams))["medic"]["quantity"] == 5
    # a county sending 45 officers in 3 units takes two medics; a unit of no known county is its own team
    big = [units.Unit(f"B{i}", "330302", tuple(f"P-330302-{i}-{k}" for k in range(15))) for i in range(3)]
    stray = [units.Unit("SU-X-1", None, ("OFFICER-1",))]
    assert sorted(units.contingents(big + stray)) == [1, 45]
    assert reception.initial_arrangements(units.contingents(big + stray))["medic"]["quantity"] == 3


def test_allowance_is_1_2_times_the_base_wage_per_duty_day_begun():
    assert reception.allowance(30, 400, 1.2) == 480.0
    assert reception.allowance(1441, 400, 1.2) == 960.0


def test_the_length_of_a_paid_day_is_the_policys(tmp_path):
    doc = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    assert Policy.load(DEFAULT_FILE, env={}).allowance_day_min == 1440
    doc["reception"]["allowance_day_min"]["value"] = 720   # a province paying per half day begun
    path = tmp_path / "reception.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    policy = Policy.load(path, env={})
    out = reception.allowances({"A": 800}, {"A": 400}, policy.allowance_factor, policy.allowance_day_min)["A"]
    assert (out["duty_days"], out["amount"]) == (2, 960.0)
    doc["reception"]["allowance_day_min"]["value"] = 0
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError, match="allowance_day_min"):
        Policy.load(path, env={})


def test_each_officer_is_paid_on_their_own_base_wage_not_a_common_rate():
    out = reception.allowances({"A": 300, "B": 300, "C": 1500}, {"A": 350, "B": 610, "C": 500}, 1.2)
    assert (out["A"]["amount"], out["B"]["amount"], out["C"]["amount"]) == (420.0, 732.0, 1200.0)
    assert out["C"]["duty_days"] == 2 and out["B"]["per_day"] == 732.0
    unknown = reception.allowances({"D": 60}, {}, 1.2)["D"]
    assert unknown["base_wage_daily"] is None and unknown["amount"] is None   # never someone else's rate


def test_lodging_beyond_the_free_beds_is_refused():
    assert reception.lodging_refusal(10, 80, 70) is None
    assert "11 beds requested but the county has 10 free of 80" == reception.lodging_refusal(11, 80, 70)


def test_response_time_mean_p90_and_share_within_deadline_by_grade():
    arrivals = [{"grade": "III", "response_s": s, "deadline_met": s <= 2700} for s in (600, 1200, 1800, 2400, 3000)]
    arrivals.append({"grade": "II", "response_s": 1000, "deadline_met": True})
    out = indicators.response_time(arrivals)
    assert out["arrivals"] == 6 and out["by_grade"]["III"]["mean_s"] == 1800.0
    assert out["by_grade"]["III"]["p90_s"] == 3000 and out["by_grade"]["III"]["within_deadline_share"] == 0.8
    assert out["by_grade"]["II"]["within_deadline_share"] == 1.0


def test_utilisation_is_support_deployed_over_officers_available_to_deploy_not_local_work():
    # 100 on duty: 20 free, 5 out on support, 75 busy with local work; 100 more: 10 free, none sent
    loads = [{"on_duty": 100, "available": 20, "committed": 5}, {"on_duty": 100, "available": 10, "committed": 0}]
    out = indicators.utilisation(loads)
    assert (out["utilisation"], out["idle_rate"]) == (round(5 / 35, 4), round(30 / 35, 4))
    assert (out["deployed"], out["available_to_deploy"], out["local_work"]) == (5, 35, 165)
    assert indicators.utilisation([])["utilisation"] is None


def test_satisfaction_weighs_both_sides_alike_and_waits_for_both():
    many_officers = [{"side": "officer", "rating": 5}] * 4 + [{"side": "receiver", "rating": 1}]
    out = indicators.satisfaction(many_officers)
    assert out["score"] == 3.0 and out["by_side"] == {"officer": 5.0, "receiver": 1.0}   # not 4.2 per rating
    one_side = indicators.satisfaction([{"side": "officer", "rating": 5}])
    assert one_side["score"] is None and one_side["sides_missing"] == ["receiver"]


def test_cross_region_clearance_counts_solved_cases_over_all_cross_region_cases():
    out = indicators.cross_region_clearance([{"incident_id": "A", "solved": True}, {"incident_id": "B", "solved": False},
                                             {"incident_id": "C", "solved": None}, {"incident_id": "D", "solved": True}])
    assert out == {"rate": 0.5, "cases": 4, "solved": 2, "not_solved": 1, "outcome_pending": 1}
    assert indicators.cross_region_clearance([])["rate"] is None


def test_coverage_and_compatibility():
    assert indicators.logistics_coverage([{"covered": True}, {"covered": False}])["coverage"] == 0.5
    assert indicators.equipment_compatibility([{"checked": 10, "compatible": 9}])["rate"] == 0.9


def test_every_indicator_has_its_definition_in_the_api_description():
    schema = json.loads((Path(__file__).parents[2] / "contracts/http/indicators.schema.json").read_text())
    for name, definition in indicators.DEFINITIONS.items():
        assert definition in schema["properties"][name]["description"], name
    assert "officers available to deploy" in indicators.DEFINITIONS["utilisation"]
    assert "order issued to the officers in place" in indicators.DEFINITIONS["response_time"]


def test_the_policy_file_sets_capacities_and_tasks():
    policy = Policy.from_env({})
    assert policy.capacity("330329") == 80 and policy.capacity("330102") == 300
    assert "e_forensics" in policy.tasks_for(["technical_support"])
    assert policy.tasks_for([]) == ["support_receiving_command"]


def test_every_value_of_the_policy_file_names_its_source():
    doc = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    assert unsourced_values(doc) == []
    policy = Policy.from_env({})
    assert (policy.medics_per_team, policy.allowance_factor, policy.psychological_followup_grades) == (1, 1.2, ("I", "II"))
    assert policy.receiving_command_sees_own_units is False
    doc["reception"]["medics_per_team"] = 1                                  # a bare value: origin unknown
    doc["tracking"]["arrival_radius_m"]["source"] = "assumed"               # no reason given
    assert unsourced_values(doc) == ["tracking.arrival_radius_m.value", "reception.medics_per_team"]


def test_a_policy_file_with_a_value_of_unnamed_origin_is_refused(tmp_path):
    doc = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    doc["dispatch"]["max_resends"] = 5
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(PolicyError, match="dispatch.max_resends"):
        Policy.load(path, {})


def _chain(source: str, n: int) -> list:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        event = seal(new_event(topic="deadletter", source=source, data={"n": seq}, subject="s", correlationid="c"),
                     seq=seq, prevhash=prev)
        prev = event["hash"]
        events.append(event)
    return [Record("deadletter", 0, i, "k", json.dumps(e).encode()) for i, e in enumerate(events)]


def test_the_ledger_check_passes_intact_chains_and_redeliveries_and_names_the_first_altered_record():
    records = _chain("/mutual-deploy/a", 3) + _chain("/mutual-deploy/b", 2)
    replayed = records + records[:2]                              # a relay re-publishing after a broker restart
    result = audit.verify_records(replayed)
    assert result["ok"] and result["producers"]["/mutual-deploy/a"]["events"] == 3
    event = json.loads(records[1].value)
    event["data"]["n"] = 99                                       # altered after sealing
    forged = Record("deadletter", 2, 7, "k", json.dumps(event).encode())
    result = audit.verify_records([records[0], forged, records[2]])
    broken = result["producers"]["/mutual-deploy/a"]["first_broken"]
    assert not result["ok"] and (broken["seq"], broken["partition"], broken["offset"]) == (2, 2, 7)
    assert "altered" in broken["problem"]
    assert contracts.validate_body("chain-audit", {**result, "own_ledger": {"source": "/mutual-deploy/logistics",
                                                                              "problems": []}}) == []


def test_the_ledger_check_names_a_deleted_record_and_two_events_claiming_one_place():
    records = _chain("/mutual-deploy/a", 4)
    gap = audit.verify_records([records[0], records[1], records[3]])["producers"]["/mutual-deploy/a"]
    assert gap["first_broken"]["seq"] == 3 and "deleted" in gap["first_broken"]["problem"]
    assert (gap["first_broken"]["partition"], gap["first_broken"]["offset"]) == (0, 3), "where the gap shows: seq 4"
    other = _chain("/mutual-deploy/a", 1)[0]                     # another event sealed as seq 1
    clash = audit.verify_records(records + [Record("deadletter", 1, 9, "k", other.value)])
    assert not clash["ok"] and "two different events" in clash["producers"]["/mutual-deploy/a"]["problems"][-1]
    assert contracts.validate_body("chain-audit", {**clash, "own_ledger": {"source": "/mutual-deploy/logistics",
                                                                             "problems": []}}) == []


def test_the_ledger_check_refuses_a_sub_source_instead_of_verifying_it_as_a_chain_of_its_own():
    events, prev = [], GENESIS
    for seq in (1, 2):
        event = seal(new_event(topic="plan.approved", source="/mutual-deploy/matching/relay-2", data={"n": seq},
                               subject="s", correlationid="c"), seq=seq, prevhash=prev)
        prev = event["hash"]
        events.append(Record("plan.approved", 0, seq, "k", json.dumps(event).encode()))
    result = audit.verify_records(_chain("/mutual-deploy/a", 2) + events)
    assert not result["ok"] and "/mutual-deploy/matching/relay-2" not in result["producers"]
    assert len(result["refused"]) == 2 and "does not produce plan.approved" in result["refused"][0]["problem"]
    assert contracts.validate_body("chain-audit", {**result, "own_ledger": {"source": "/mutual-deploy/logistics",
                                                                              "problems": []}}) == []
