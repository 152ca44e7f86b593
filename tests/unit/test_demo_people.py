"""Officers' personal data: plausible, and visibly synthetic where it is personal."""
import re

import numpy as np
import pytest

from services.demo import generate
from services.demo.allocation import distance_km
from services.demo.people import valid_id_check
from services.geo import Geography


@pytest.fixture(scope="module")
def force():
    return generate("330000", officers=5000, seed=7)


def test_officer_ids_carry_the_province_prefix_and_the_county(force):
    for o in force.officers:
        assert re.fullmatch(r"ZJ\d{6}-\d{5}", o.officer_id)
        assert o.officer_id[2:8] == o.county


def test_names_are_chinese_and_varied(force):
    names = [o.name for o in force.officers]
    assert all(2 <= len(n) <= 3 and all("\u4e00" <= ch <= "\u9fff" for ch in n) for n in names)
    assert len(set(names)) > 0.5 * len(names)


def test_id_numbers_have_the_national_layout_but_never_a_valid_check_character(force):
    for o in force.officers:
        assert re.fullmatch(r"\d{17}[\dX]", o.id_number)
        assert o.id_number[:6] == o.county and int(o.id_number[6:10]) == o.birth_year
        assert not valid_id_check(o.id_number)


def test_valid_id_check_accepts_a_correct_check_character():
    assert valid_id_check("11010519491231002X")  # the published example number


def test_phone_numbers_are_masked(force):
    assert all(re.fullmatch(r"1\d{2}\*{4}\d{4}", o.phone) for o in force.officers)


def test_addresses_are_on_an_example_road(force):
    assert all("示例路" in o.home_address for o in force.officers)


def test_homes_lie_within_a_few_km_of_the_county_seat(force):
    geo = Geography.load("330000")
    for o in force.officers[::7]:
        assert distance_km(geo.county(o.county).seat, np.array([o.home]))[0] <= 8.5


def test_working_ages_and_mostly_male(force):
    ages = np.array([force.as_of.year - o.birth_year for o in force.officers])
    assert ages.min() >= 22 and ages.max() <= 59
    female = sum(o.gender == "F" for o in force.officers) / len(force.officers)
    assert 0.05 < female < 0.25


def test_about_38_percent_volunteer(force):
    share = sum(o.volunteer for o in force.officers) / len(force.officers)
    assert 0.34 < share < 0.42


def test_wages_are_plausible_daily_yuan(force):
    wages = np.array([o.base_wage_daily for o in force.officers])
    assert 250 < wages.min() and wages.max() < 1200
