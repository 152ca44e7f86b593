"""Eligibility by profiles of alike officers gives exactly what the rules give officer by officer.

`build_classes` runs the rules once per profile (officers alike in all a line asks but their duty
minutes) and then compares each officer's duty minutes with the line's cutoff. The reference here runs
`qualifies` on every officer for every line, as the planner did before; the two must agree on which
officers may serve which lines, on the classes and on the arcs' travel.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bench.instances import instance
from services.matching.domain.classes import build_classes
from services.matching.domain.eligibility import flatten, qualifies
from services.matching.domain.geo import trips


def reference(pool, requests, lines, travel, accepts, taken=None) -> set[tuple[int, int]]:
    """(pool row, line) for every officer who qualifies, by the rules applied row by row."""
    travel = trips(pool, requests, travel)
    free = pool.available.copy()
    if taken is not None:
        free[taken] = False
    flat = [(r, line) for r, req in enumerate(requests) for line in req.lines]
    out = set()
    for j, (r, line) in enumerate(flat):
        rows = np.flatnonzero(free & (pool.module == lines.module[j]))
        ok = qualifies(pool, rows, requests[r], line, int(lines.dest[j]), travel.of(rows, r), accepts)
        ok &= ~np.isin(rows, [pool.row_of[o] for o in requests[r].exclude if o in pool.row_of])
        out |= {(int(row), j) for row in rows[ok]}
    return out


def pairs(classes) -> set[tuple[int, int]]:
    return {(int(row), int(j)) for k, j in zip(classes.arc_class, classes.arc_line) for row in classes.members[k]}


@pytest.fixture(scope="module")
def inst():
    return instance(officers=6_000, requests=40, seed=3)


def test_profiles_give_the_rules_answer_officer_by_officer(inst):
    lines = flatten(inst.requests, inst.pool.counties)
    classes = build_classes(inst.pool, inst.requests, lines, inst.travel, inst.accepts)
    expected = reference(inst.pool, inst.requests, lines, inst.travel, inst.accepts)
    assert expected, "the instance must have qualified officers for the comparison to mean something"
    assert pairs(classes) == expected
    for j in classes.eligible:           # the explanations' and the greedy's view agrees too
        assert set(classes.eligible[j].tolist()) == {row for row, line in expected if line == j}


def test_officers_of_one_class_share_origin_county_and_lines_and_arcs_carry_their_travel(inst):
    lines = flatten(inst.requests, inst.pool.counties)
    classes = build_classes(inst.pool, inst.requests, lines, inst.travel, inst.accepts)
    travel = trips(inst.pool, inst.requests, inst.travel)
    request = np.asarray(lines.request)
    for k, rows in enumerate(classes.members):
        assert len(set(inst.pool.origin[rows].tolist())) == 1 and len(rows) == classes.count[k]
    for a in range(len(classes.arc_class)):
        k, j = classes.arc_class[a], classes.arc_line[a]
        assert classes.arc_cost[a] == travel.of(classes.members[k][:1], request[j])[0]


def test_exclusions_taken_officers_and_tired_officers_follow_the_rules(inst):
    pool = inst.pool
    lines = flatten(inst.requests, pool.counties)
    first = build_classes(pool, inst.requests, lines, inst.travel, inst.accepts)
    some = sorted(first.eligible[next(iter(j for j in first.eligible if len(first.eligible[j]) > 3))].tolist())
    excluded = frozenset(pool.ids[row] for row in some[:2])
    requests = [dataclasses.replace(r, exclude=excluded) if i % 2 == 0 else r for i, r in enumerate(inst.requests)]
    taken = np.array(some[2:4], dtype=np.int64)
    tired = pool.duty.copy()
    pool.duty[some[4:6]] = 700                      # 11 h 40 min worked: most lines are out of reach
    try:
        classes = build_classes(pool, requests, lines, inst.travel, inst.accepts, taken=taken)
        expected = reference(pool, requests, lines, inst.travel, inst.accepts, taken=taken)
    finally:
        pool.duty[:] = tired
    assert pairs(classes) == expected
    assert not {row for row, _ in pairs(classes)} & set(taken.tolist())
