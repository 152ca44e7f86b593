"""Skills, certificates and equipment: what matching and compatibility checks will rely on."""
from collections import Counter
from datetime import timedelta

import pytest

from services.demo import generate


@pytest.fixture(scope="module")
def force():
    return generate("330000", officers=20000, seed=7)


def tagged_share(force, role):
    group = [o for o in force.officers if o.role_class == role]
    return sum(bool(o.tags) for o in group) / len(group)


def test_specialists_carry_specialty_tags(force):
    assert tagged_share(force, "specialist") == 1.0


def test_regular_officers_mostly_carry_none(force):
    assert tagged_share(force, "regular") < 0.15


def test_the_tags_matching_needs_exist(force):
    tags = Counter(t for o in force.officers for t in o.tags)
    for tag in ("cybercrime_investigation", "e_forensics", "negotiation", "mass_incident_handling",
                "foreign_language:en", "foreign_language:vi", "eod", "drone_pilot", "swimming_rescue"):
        assert tags[tag] > 0, tag


def test_some_certifications_have_expired_and_some_expire_soon(force):
    today = force.as_of.date()
    certs = [c for o in force.officers for c in o.certifications]
    expired = sum(c.expired(today) for c in certs) / len(certs)
    soon = sum(today <= c.expires < today + timedelta(days=90) for c in certs)
    assert 0.03 < expired < 0.25 and soon > 0
    assert all(c.issued <= today and c.issued < c.expires for c in certs)


def test_about_98_percent_of_equipment_is_ready(force):
    ready = sum(e.readiness == "ready" for e in force.equipment) / len(force.equipment)
    assert 0.97 <= ready <= 0.99


def test_every_officers_equipment_exists_and_belongs_to_their_unit_and_county(force):
    items = {e.equipment_id: e for e in force.equipment}
    assert len(items) == len(force.equipment)
    for o in force.officers:
        assert o.equipment_ids
        for eid in o.equipment_ids:
            assert items[eid].owner_unit == o.unit_id and items[eid].county == o.county


def test_every_unit_member_exists_and_points_back_to_the_unit(force):
    officers = {o.officer_id: o for o in force.officers}
    assert sum(len(u.member_ids) for u in force.units) == len(officers)
    for u in force.units:
        assert all(officers[m].unit_id == u.unit_id and officers[m].county == u.county for m in u.member_ids)


def test_the_province_reserve_holds_the_special_equipment(force):
    reserve = {u.unit_id for u in force.units if u.level == "province"}
    kinds = Counter(e.type for e in force.equipment if e.owner_unit in reserve)
    for kind in ("eod_robot", "drone_swarm", "mobile_command_vehicle", "life_detector"):
        assert kinds[kind] > 0, kind


def test_most_counties_accept_only_national_standards_and_a_few_a_vendor_one_too(force):
    vendor = [s for s in force.standards if "vendor-A" in s.accepts]
    national = [s for s in force.standards if not s.legacy]
    assert len(force.standards) == 90
    assert 0 < len(vendor) < 15 and len(national) > 60
    assert all({"GB/T 28181-2016", "GA/T 1400", "PDT"} <= set(s.accepts) for s in force.standards)


def test_legacy_kit_is_only_issued_where_it_works_at_home(force):
    for e in force.equipment:
        assert force.standards_of(e.county).accepts_equipment(e), e


def test_some_kit_would_not_work_in_a_national_only_county(force):
    national_only = next(s for s in force.standards if not s.legacy)
    refused = [e for e in force.equipment if not national_only.accepts_equipment(e)]
    types = Counter(e.type for e in refused)
    assert types["body_camera"] > 0 and types["radio"] > 0
    assert len(refused) < 0.1 * len(force.equipment)
