"""The resources benchmark's plans: officers dealt as matching draws a plan (so many from each of the
counties with the most), each county's turn moving on, and a clear stop when the pool is too small."""
from __future__ import annotations

from collections import Counter

import pytest

from bench.resources_bench import deal


def pool() -> dict[str, list[str]]:
    return {county: [f"{county}-{i}" for i in range(n)] for county, n in
            (("330102", 12), ("330783", 9), ("330329", 7), ("330482", 2))}


def test_a_plan_takes_so_many_from_each_of_the_counties_with_the_most():
    by_county = pool()
    plan = deal(by_county, 12, 5)
    assert Counter(o.split("-")[0] for o in plan) == {"330102": 5, "330783": 5, "330329": 2}
    assert len(set(plan)) == 12
    assert sum(map(len, by_county.values())) == 30          # nothing is taken out of the pool


def test_each_county_deals_its_next_officers_in_turn():
    by_county = pool()
    first, second = deal(by_county, 3, 3), deal(by_county, 3, 3)
    assert first == ["330102-0", "330102-1", "330102-2"] and second == ["330102-3", "330102-4", "330102-5"]


def test_one_from_each_county_is_the_spread_plan_and_a_short_pool_says_so():
    assert deal(pool(), 4, 1) == ["330102-0", "330783-0", "330329-0", "330482-0"]
    with pytest.raises(RuntimeError, match="fewer than 5 lendable officers in counties of 1"):
        deal(pool(), 5, 1)
