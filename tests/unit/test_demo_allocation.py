"""Sharing a force among counties: exact totals and the DOMAIN.md density gradient."""
from dataclasses import dataclass

import numpy as np
import pytest

from services.demo import allocation


@dataclass(frozen=True)
class FakeCounty:
    code: str
    name: str
    seat: tuple
    population: int | None


CAPITAL = (120.0, 30.0)


def test_apportion_sums_exactly_and_follows_the_weights():
    counts = allocation.apportion(np.array([1.0, 2.0, 3.0, 0.5]), 1001)
    assert counts.sum() == 1001
    assert list(np.argsort(counts)) == [3, 0, 1, 2]


def test_apportion_gives_everyone_the_minimum():
    counts = allocation.apportion(np.array([1000.0, 1.0, 1.0]), 50, minimum=2)
    assert counts.sum() == 50 and counts.min() >= 2


def test_apportion_refuses_a_total_below_the_minimums():
    with pytest.raises(ValueError):
        allocation.apportion(np.ones(10), 5, minimum=1)


def test_rich_urban_district_gets_three_times_the_rate_of_a_remote_county():
    district = FakeCounty("330102", "上城区", CAPITAL, 100_000)
    remote = FakeCounty("331126", "庆元县", (119.0, 27.5), 100_000)  # ~290 km away
    weights = allocation.county_weights([district, remote], CAPITAL)
    assert weights[0] / weights[1] == pytest.approx(3.0)


def test_unknown_populations_fall_back_to_equal_shares():
    a = FakeCounty("1", "甲县", (119.0, 29.0), None)
    b = FakeCounty("2", "乙县", (119.0, 29.0), None)
    assert list(allocation.populations([a, b])) == [1.0, 1.0]


def test_urbanity_by_kind_of_county():
    assert [allocation.urbanity(n) for n in ("西湖区", "义乌市", "淳安县")] == [1.0, 0.5, 0.0]


def test_level_totals_add_up():
    totals = allocation.level_totals(12345)
    assert sum(totals.values()) == 12345 and totals["county"] > totals["city"] > totals["province"]
