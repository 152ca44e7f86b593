"""The joint model of a batch: the same objectives as the sequential planner (fill, latest arrival,
total travel) in the same priority order, each request over every plan keeping the ones before it
optimal; exact against exhaustive search, never worse for the first request, and the sequential plans
themselves when the requests do not compete."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import yaml

from services.matching.domain import joint
from services.matching.domain.classes import build_classes
from services.matching.domain.eligibility import flatten
from services.matching.domain.model import Line
from services.matching.domain.planner import CountyLoad, lendable_array, objectives, plan_batch, priority
from services.matching.domain.policy import DEFAULT_FILE, load, parse
from services.matching.domain.pool import build_pool
from tests.unit.test_matching_optimiser import ACCEPTS, COUNTIES, TRAVEL, officer, plenty, request


def _vector(plans, order):
    """The batch's objectives in priority order, as one lexicographic key (smaller is better)."""
    return [(-fill, late, travel) for fill, late, travel in (plans[r] for r in order)]


def _both(pool, reqs, loads=None, **kw):
    loads = loads or plenty()
    seq = plan_batch(pool, reqs, TRAVEL, ACCEPTS, loads=loads, kinds=("fastest",), joint=False, **kw)
    jnt = plan_batch(pool, reqs, TRAVEL, ACCEPTS, loads=loads, kinds=("fastest",), joint=True, joint_limit_s=0, **kw)
    return seq, jnt


def _objectives(batch):
    return [objectives(o["fastest"]) for o in batch.options]


def _valid(batch, pool, lendable):
    ids = [a.officer_id for o in batch.options for a in o["fastest"].assignments]
    assert len(ids) == len(set(ids))
    per = np.bincount(pool.county[[pool.row_of[i] for i in ids]].astype(np.int64), minlength=len(COUNTIES))
    assert (per <= lendable).all()
    for r, o in enumerate(batch.options):
        for a in o["fastest"].assignments:
            j = next(j for j in range(len(batch.lines.line_id))
                     if batch.lines.request[j] == r and batch.lines.line_id[j] == a.line_id)
            assert a.row in set(batch.classes.eligible[j].tolist())


def brute_force(pool, reqs, lendable):
    """The lexicographically best objectives of the batch (fill, latest, travel per request in priority
    order), by trying every assignment of every officer to a line or to none."""
    lines = flatten(reqs, COUNTIES)
    classes = build_classes(pool, reqs, lines, TRAVEL, ACCEPTS)
    choices = [[None] + [j for j in classes.eligible if row in set(classes.eligible[j].tolist())]
               for row in range(len(pool))]
    order = priority(reqs)
    best = None
    for pick in itertools.product(*choices):
        need = np.bincount([j for j in pick if j is not None], minlength=len(lines.line_id))
        if (need > lines.headcount).any():
            continue
        per = np.bincount([pool.county[row] for row, j in enumerate(pick) if j is not None], minlength=len(COUNTIES))
        if (per > lendable).any():
            continue
        plans = []
        for r in range(len(reqs)):
            eta = [int(TRAVEL[pool.county[row], lines.dest[j]]) for row, j in enumerate(pick)
                   if j is not None and lines.request[j] == r]
            plans.append((len(eta), max(eta, default=0), sum(eta)))
        key = _vector(plans, order)
        if best is None or key < best:
            best = key
    return best


# seeds 7 ... 56: batches where the joint plan differs from the sequential one; 0, 1: where it does not
@pytest.mark.parametrize("seed", [0, 1, 7, 9, 17, 24, 31, 37, 50, 55, 56])
def test_the_joint_plan_matches_exhaustive_search_of_the_batch(seed):
    rng = np.random.default_rng(seed)
    records = [officer(f"P{i}", COUNTIES[1 + rng.integers(2)] if rng.random() < 0.8 else COUNTIES[4],
                       "patrol" if rng.random() < 0.8 else "traffic", tags=("k9",) if rng.random() < 0.5 else ())
               for i in range(8)]
    reqs = [request("R1", "330101", (Line("L1", "patrol", 2),), grade="III"),
            request("R2", "330101", (Line("L1", "patrol", 1, tags=("k9",)), Line("L2", "traffic", 1))),
            request("R3", "330104", (Line("L1", "patrol", 2, tags=("k9",)),), minutes=90)]
    lendable = rng.integers(2, 5, size=len(COUNTIES))
    loads = {c: CountyLoad(10, 10, 10 - int(lendable[i])) for i, c in enumerate(COUNTIES)}
    pool = build_pool(records, COUNTIES)
    seq, jnt = _both(pool, reqs, loads)
    order = priority(reqs)
    assert _vector(_objectives(jnt), order) == brute_force(pool, reqs, lendable)
    assert _vector(_objectives(jnt), order) <= _vector(_objectives(seq), order)
    assert all(o["fastest"].certificate.optimal for o in jnt.options)
    _valid(jnt, pool, lendable)


def _random_batch(seed: int, officers: int = 120, requests: int = 10):
    rng = np.random.default_rng(seed)
    tags = ("k9", "negotiation", "")
    records = [officer(f"P{i}", COUNTIES[rng.integers(5)], str(rng.choice(["patrol", "traffic"])),
                       tags=tuple(t for t in [str(rng.choice(tags))] if t), duty=int(rng.integers(0, 400)))
               for i in range(officers)]
    reqs = [request(f"R{r:02d}", COUNTIES[rng.integers(5)],
                    tuple(Line(f"L{k}", str(rng.choice(["patrol", "traffic"])), int(rng.integers(1, 8)),
                               tags=tuple(t for t in [str(rng.choice(tags))] if t))
                          for k in range(int(rng.integers(1, 3)))),
                    minutes=int(rng.choice([30, 45, 60])), grade=str(rng.choice(["II", "III", "IV"])))
            for r in range(requests)]
    return build_pool(records, COUNTIES), reqs


@pytest.mark.parametrize("seed", range(6))
def test_the_joint_plan_is_never_worse_for_the_highest_priority_request(seed):
    pool, reqs = _random_batch(seed)
    loads = {c: CountyLoad(40, 30, 14) for c in COUNTIES}           # 16 officers to lend per county
    seq, jnt = _both(pool, reqs, loads)
    order = priority(reqs)
    top = order[0]
    assert objectives(jnt.options[top]["fastest"]) == objectives(seq.options[top]["fastest"])
    # and where a request does worse, one before it does better (the order of the objectives)
    assert _vector(_objectives(jnt), order) <= _vector(_objectives(seq), order)
    _valid(jnt, pool, lendable_array(pool, loads))


def test_where_the_sequential_plan_strands_a_later_request_the_joint_plan_does_not():
    # R1 (grade III) needs two patrol officers and four equally near ones are in 330102, two of them
    # k9 handlers; R2 (grade IV) needs two k9 handlers. The sequential plan gives R1 two of the four
    # (its travel is the same either way): taking the handlers leaves R2 one handler from 330105, 90
    # minutes away. The joint plan gives R1 the same fill, arrival and travel without the handlers.
    stranded = []
    for variant in range(2):                      # the handlers first or second: whichever the solver meets
        records = [officer(f"P{i}", "330102", tags=("k9",) if i % 2 == variant else ()) for i in range(4)]
        records.append(officer("FAR", "330105", tags=("k9",)))
        reqs = [request("R1", "330101", (Line("L1", "patrol", 2),), grade="III"),
                request("R2", "330101", (Line("L1", "patrol", 2, tags=("k9",)),), grade="IV")]
        seq, jnt = _both(build_pool(records, COUNTIES), reqs)
        assert objectives(jnt.options[0]["fastest"]) == objectives(seq.options[0]["fastest"]) == (2, 1200, 2400)
        assert objectives(jnt.options[1]["fastest"]) == (2, 1200, 2400)
        assert "joint" in jnt.options[1]["fastest"].certificate.method
        stranded.append(objectives(seq.options[1]["fastest"]) != (2, 1200, 2400))
    assert any(stranded)


def test_requests_that_do_not_compete_get_the_sequential_plans_themselves():
    records = [officer(f"A{i}", "330102") for i in range(5)] + [officer(f"B{i}", "330104", "traffic") for i in range(5)]
    reqs = [request("R1", "330101", (Line("L1", "patrol", 2),), grade="III"),
            request("R2", "330105", (Line("L1", "traffic", 3),))]
    seq, jnt = _both(build_pool(records, COUNTIES), reqs)
    for s, j in zip(seq.options, jnt.options):
        assert [(a.officer_id, a.line_id, a.eta_s) for a in s["fastest"].assignments] == \
            [(a.officer_id, a.line_id, a.eta_s) for a in j["fastest"].assignments]
        assert s["fastest"].certificate.as_dict() == j["fastest"].certificate.as_dict()
    assert jnt.fastest_by == "sequential (joint: no gain)"


def test_the_joint_model_gives_the_same_answer_with_every_request_in_it_from_the_start():
    # requests after the current one are brought in only when they could change its answer: the same
    # objectives as a model holding all of them, unpruned, from the first stage
    pool, reqs = _random_batch(11, officers=150, requests=12)
    loads = {c: CountyLoad(40, 30, 12) for c in COUNTIES}
    lines = flatten(reqs, COUNTIES)
    classes = build_classes(pool, reqs, lines, TRAVEL, ACCEPTS)
    lendable, order = lendable_array(pool, loads), priority(reqs)
    lazy = joint.solve_joint(classes, lines, lendable, order)
    net = joint._Joint(classes, lines, lendable, order)
    for r in order:
        net._activate(r)
        net._add_arcs(r, *net._arcs_of(r))
    for r in order:
        net.stage(r, prune=False, factor=2.0)
    full = net.parts()
    assert [objectives(p) for p in lazy] == [objectives(p) for p in full]


def test_a_joint_model_not_found_within_its_time_limit_leaves_the_sequential_plans():
    records = [officer(f"P{i}", "330102", tags=("k9",) if i % 2 else ()) for i in range(4)]
    reqs = [request("R1", "330101", (Line("L1", "patrol", 2),), grade="III"),
            request("R2", "330101", (Line("L1", "patrol", 2, tags=("k9",)),), grade="IV")]
    pool = build_pool(records, COUNTIES)
    seq = plan_batch(pool, reqs, TRAVEL, ACCEPTS, loads=plenty(), kinds=("fastest",), joint=False)
    late = plan_batch(pool, reqs, TRAVEL, ACCEPTS, loads=plenty(), kinds=("fastest",), joint=True, joint_limit_s=1e-9)
    assert late.fastest_by == "sequential (joint: time limit)" and seq.fastest_by == "sequential"
    assert _objectives(late) == _objectives(seq)
    _, jnt = _both(pool, reqs)
    assert jnt.fastest_by == "joint" and _objectives(jnt) != _objectives(seq)


def test_the_policy_switch_defaults_to_the_sequential_planner_and_needs_a_source():
    assert load().joint_batch is False and load().joint_limit_s == 2
    with open(DEFAULT_FILE, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    assert parse(doc | {"batch": {"joint": True, "source": "assumed (test)"}}).joint_batch is True
    assert parse({k: v for k, v in doc.items() if k != "batch"}).joint_batch is False
    with pytest.raises(ValueError):
        parse(doc | {"batch": {"joint": True}})
    with pytest.raises(ValueError):
        parse(doc | {"batch": {"joint": True, "time_limit_s": 0, "source": "assumed (test)"}})
