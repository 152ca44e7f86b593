"""The generated force: deterministic, exact in size, and shaped like DOMAIN.md says a force is."""
import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from services.common.contracts import MODULES, defined
from services.demo import generate
from services.demo.allocation import distance_km
from services.demo.force import STRUCTURE_TARGETS
from services.demo.roster import to_records
from services.geo import Geography


@pytest.fixture(scope="module")
def force():
    return generate("330000", officers=20000, seed=7)


@pytest.fixture(scope="module")
def geo():
    return Geography.load("330000")


def level_of(force):
    return {u.unit_id: u.level for u in force.units}


def test_same_seed_gives_an_identical_force():
    assert to_records(generate(officers=3000, seed=11)) == to_records(generate(officers=3000, seed=11))


def test_different_seeds_give_different_forces():
    a, b = generate(officers=3000, seed=11), generate(officers=3000, seed=12)
    assert [o.name for o in a.officers] != [o.name for o in b.officers]
    assert [o.unit_id for o in a.officers] != [o.unit_id for o in b.officers]


def test_output_does_not_depend_on_python_string_hashing():
    script = ("import hashlib, json; from services.demo import generate; from services.demo.roster import "
              "to_records; print(hashlib.sha256(json.dumps(to_records(generate(officers=1500, seed=3)), "
              "ensure_ascii=False).encode()).hexdigest())")
    root = Path(__file__).resolve().parents[2]
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=root, env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(digests) == 1


@pytest.mark.parametrize("size", [1000, 4321, 20000])
def test_the_force_has_exactly_the_requested_number_of_officers(size):
    force = generate(officers=size, seed=5)
    assert len(force.officers) == size
    assert len({o.officer_id for o in force.officers}) == size


def test_a_force_too_small_to_staff_every_county_is_refused():
    with pytest.raises(ValueError, match="cannot staff 90 counties"):
        generate(officers=100)


def test_structure_shares_are_within_the_domain_targets(force):
    shares = force.summary()["shares"]
    for role, (low, high) in STRUCTURE_TARGETS.items():
        assert low <= shares[role] <= high, role


def test_every_county_of_zhejiang_has_officers(force, geo):
    by_county = force.summary()["by_county"]
    assert len(geo.counties) == 90
    assert all(by_county.get(c.code, 0) > 0 for c in geo.counties)


def test_urban_districts_have_more_county_officers_per_capita_than_remote_counties(force, geo):
    levels = level_of(force)
    local = Counter(o.county for o in force.officers if levels[o.unit_id] == "county")
    capital = geo.county("330106").seat
    urban, remote = [], []
    for c in geo.counties:
        per_capita = local[c.code] / c.population
        far = distance_km(capital, np.array([c.seat]))[0] > 150
        if c.name.endswith("区"):
            urban.append(per_capita)
        elif c.name.endswith("县") and far:
            remote.append(per_capita)
    assert np.mean(urban) > 2 * np.mean(remote)


def test_every_officer_belongs_to_one_of_the_six_modules_and_patrol_is_largest(force):
    modules = Counter(o.module for o in force.officers)
    assert set(modules) == set(MODULES)
    assert modules.most_common(1)[0][0] == "patrol"


def test_every_unit_is_of_a_kind_and_level_the_contract_names(force):
    from services.demo.structure import KIND_CODE, LEVEL_CODE
    from services.resources.domain.units import UNIT_KIND
    assert set(KIND_CODE) == set(defined("unit_kind")) and set(UNIT_KIND.values()) <= set(KIND_CODE)
    assert set(UNIT_KIND) == set(MODULES)        # every module has a default kind (a roster's new unit)
    assert set(LEVEL_CODE) == set(defined("unit_level"))
    assert {u.kind for u in force.units} == set(KIND_CODE) and {u.level for u in force.units} == set(LEVEL_CODE)


def test_specialists_are_concentrated_above_the_counties(force):
    levels = level_of(force)
    county = [o for o in force.officers if levels[o.unit_id] == "county"]
    above = [o for o in force.officers if levels[o.unit_id] != "county"]
    county_share = sum(o.role_class == "specialist" for o in county) / len(county)
    above_share = sum(o.role_class == "specialist" for o in above) / len(above)
    assert county_share < 0.15 < above_share


def test_province_reserve_sits_in_the_capital_district_and_holds_mobile_officers(force):
    reserve = [u for u in force.units if u.level == "province"]
    assert reserve and {u.county for u in reserve} == {"330106"}
    members = {m for u in reserve for m in u.member_ids}
    roles = Counter(o.role_class for o in force.officers if o.officer_id in members)
    assert roles["mobile"] > 0 and roles["specialist"] > 0


def test_each_city_has_a_pool_with_swat_and_forensic_teams(force, geo):
    pools = [u for u in force.units if u.level == "city"]
    assert {u.city for u in pools} == {c.code for c in geo.cities}
    kinds = Counter(u.kind for u in pools)
    assert kinds["swat"] > 0 and kinds["forensic_team"] > 0


def test_on_duty_share_follows_the_rotations_and_a_few_percent_are_unavailable(force):
    status = Counter(o.status for o in force.officers)
    # four watches (1/4 on shift) for most, day/night/rest (1/3) for specialists, 4 % away
    assert 0.23 < status["on_duty"] / len(force.officers) < 0.30
    assert 0.02 < status["unavailable"] / len(force.officers) < 0.06
    by_watch = Counter(o.watch for o in force.officers if o.status == "on_duty")
    assert {w.split("/")[0] for w in by_watch} == {"four_watch", "mobile_watch", "day_night_rest"}


def test_at_any_hour_on_shift_officers_worked_since_their_shift_began():
    from services.demo.generate import CST
    from services.demo.shifts import ROTATIONS
    for hour in (2, 7, 19, 23):
        f = generate(officers=3000, seed=3, as_of=datetime(2026, 11, 2, hour, 30, tzinfo=CST))
        on = [o for o in f.officers if o.status == "on_duty"]
        for o in on:
            rota = ROTATIONS[o.watch.split("/")[0]]
            since_start = ((hour - rota.first_h) % rota.shift_h) * 60 + 30
            assert o.duty_minutes_24h == since_start, (hour, o.watch)
        # never most of them within 2 h of the 12-hour limit (only a specialists' night watch ends so)
        assert sum(o.duty_minutes_24h > 600 for o in on) / len(on) < 0.5, hour


def test_officers_start_from_their_stations_not_only_the_county_seat(force, geo):
    county = "330329"
    mine = [o for o in force.officers if o.county == county]
    stations = {o.station_id for o in mine}
    assert len(stations) >= 3
    shape = geo.county_shape(county)
    from shapely.geometry import Point
    assert all(shape.contains(Point(*o.station)) or o.station_id.endswith("-S00") for o in mine)
    assert {o.station for o in mine} != {geo.county(county).seat}


def test_riot_officers_in_hundreds_per_big_city_and_negotiators_scarce(force):
    crowd = Counter(o.city for o in force.officers if "mass_incident_handling" in o.tags)
    assert crowd["330100"] >= 500 and sum(n >= 100 for n in crowd.values()) >= 8
    negotiators = sum("negotiation" in o.tags for o in force.officers)
    vietnamese = sum("foreign_language:vi" in o.tags for o in force.officers)
    assert negotiators < 0.02 * len(force.officers) < crowd["330100"]
    assert 0 < vietnamese < 60


def test_nobody_has_worked_past_the_twelve_hour_limit(force):
    on_duty = [o.duty_minutes_24h for o in force.officers if o.status == "on_duty"]
    assert max(on_duty) <= 660 and min(on_duty) >= 0
    assert all(o.duty_minutes_24h <= 720 for o in force.officers)


def test_summary_counts_add_up_and_serialise(force):
    summary = force.summary()
    assert sum(summary["by_county"].values()) == summary["officers"] == 20000
    assert sum(summary["by_role_class"].values()) == 20000
    json.dumps(summary)


def test_each_module_with_specialists_has_its_own_specialty_pool_and_only_those(force):
    """A pool for a module without specialists is never drawn (a trade the demand policy might ask of it
    would find nobody); a module with specialists and no pool would fail the draw."""
    from services.demo.skills import SPECIALTY_TAGS
    with_specialists = {o.module for o in force.officers if o.role_class == "specialist"}
    assert with_specialists == set(SPECIALTY_TAGS)
