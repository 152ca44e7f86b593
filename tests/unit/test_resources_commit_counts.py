"""A commit counts its counties once: the county counts are read per county, status and module, and the
loads it reports after the commit are the counts before it with the plan's officers counted again. The
same figures, to the officer, as counting everyone afresh the way it was done before."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import and_, case, func, or_, select, update

from services.resources import events, store
from services.resources.bootstrap import build_runtime, seed_demo_if_empty
from services.resources.commit import commit_plan
from services.resources.store import officers as officers_table
from tests.helpers import offline_settings

NOW = datetime.now(timezone.utc)


def reference_county_counts(conn, codes, now) -> dict:
    """county_counts as it was: both sums in SQL per county and module."""
    avail = or_(officers_table.c.status == "on_duty",
                and_(officers_table.c.status == "resting",
                     or_(officers_table.c.rest_until.is_(None), officers_table.c.rest_until <= now)))
    stmt = (select(officers_table.c.county, officers_table.c.module, func.sum(case((avail, 1), else_=0)),
                   func.sum(case((officers_table.c.status.in_(("reserved", "deployed")), 1), else_=0)))
            .group_by(officers_table.c.county, officers_table.c.module))
    if codes is not None:
        stmt = stmt.where(officers_table.c.county.in_(codes))
    out: dict = {}
    for county, module, available, committed in conn.execute(stmt):
        c = out.setdefault(county, {"available": 0, "committed": 0, "by_module": {}})
        c["available"] += int(available or 0)
        c["committed"] += int(committed or 0)
        c["by_module"][module] = int(available or 0)
    return out


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    runtime = build_runtime(offline_settings("resources", tmp_path_factory.mktemp("counts")))
    seed_demo_if_empty(runtime, officers_n=3000, seed=17)
    with runtime.engine.begin() as conn:  # every status a count tells apart, rests over and not
        ids = [r.officer_id for r in conn.execute(select(officers_table.c.officer_id).order_by(officers_table.c.officer_id))]
        for part, values in (
                (ids[0::2], {"status": "on_duty", "rest_until": None, "duty_minutes_24h": 0}),
                (ids[1::30], {"status": "resting", "rest_until": NOW - timedelta(minutes=5)}),
                (ids[3::30], {"status": "resting", "rest_until": NOW + timedelta(hours=3)}),
                (ids[5::30], {"status": "resting", "rest_until": None}),
                (ids[7::30], {"status": "reserved", "rest_until": None}),
                (ids[9::30], {"status": "deployed", "rest_until": None})):
            conn.execute(update(officers_table).where(officers_table.c.officer_id.in_(part)).values(**values))
    yield runtime
    runtime.engine.dispose()


@pytest.mark.parametrize("codes", [None, ["330102"], ["330102", "330782", "331002", "999999"]])
def test_county_counts_answer_as_the_sums_per_county_and_module_did(pool, codes):
    with pool.engine.connect() as conn:
        assert store.county_counts(conn, codes, NOW) == reference_county_counts(conn, codes, NOW)


def test_the_counts_of_some_officers_are_theirs_alone(pool):
    with pool.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(select(officers_table.c.officer_id).where(officers_table.c.county == "330102"))]
        mine = store.county_counts(conn, None, NOW, only=ids[:7])
        whole = store.county_counts(conn, ["330102"], NOW)
    assert sum(c["available"] + c["committed"] for c in mine.values()) <= 7
    assert set(mine) == {"330102"} and set(mine["330102"]["by_module"]) <= set(whole["330102"]["by_module"])


def lendable(conn, share: float) -> dict[str, list[str]]:
    """Per county with officers to spare above its reserve floor: its on-duty officers with no duty yet."""
    spare = {load["county"] for load in events.county_loads(conn, None, NOW, share)
             if load["available"] - load["reserve_floor"] >= 2}
    rows = conn.execute(select(officers_table.c.officer_id, officers_table.c.county).where(
        officers_table.c.status == "on_duty", officers_table.c.duty_minutes_24h == 0).order_by(officers_table.c.officer_id))
    out: dict[str, list[str]] = {}
    for officer_id, county in rows:
        if county in spare:
            out.setdefault(county, []).append(officer_id)
    return out


def plan_of(plan_id: str, ids: list[str]) -> dict:
    start = NOW + timedelta(minutes=1)
    return {"plan_id": plan_id, "request_id": f"REQ-{plan_id}", "county": "330783", "grade": "III",
            "at": start.isoformat(), "task_start": start.isoformat(),
            "task_end": (start + timedelta(hours=2)).isoformat(), "assignments": [{"officer_id": i} for i in ids]}


def test_a_plan_beyond_a_reserve_floor_is_refused_on_the_counts_of_the_whole_county(pool):
    policy = pool.settings.extra["policy"]
    with pool.engine.connect() as conn:
        county, ids = next(iter(lendable(conn, policy.reserve_share).items()))
        whole = reference_county_counts(conn, [county], NOW)[county]
    with pool.outbox.transaction() as tx:
        result = commit_plan(tx, plan_of("PLAN-FLOOR", ids), policy, NOW)
    assert result["status"] == "rejected"
    breached = [r for r in result["reasons"] if r["reason"] == "reserve_floor_breached"]
    strength = whole["available"] + whole["committed"]
    assert breached and all(f"would keep {whole['available'] - len(ids)} of {strength} on duty" in r["detail"]
                            for r in breached)


def test_the_loads_a_commit_reports_are_those_counted_afresh_after_it(pool):
    policy = pool.settings.extra["policy"]
    with pool.engine.connect() as conn:
        ids = [officers[0] for officers in lendable(conn, policy.reserve_share).values()][:40]
    assert len(ids) >= 10
    with pool.outbox.transaction() as tx:
        result = commit_plan(tx, plan_of("PLAN-COUNTS", ids), policy, NOW)
        emitted = list(tx.emitted)
    assert result["status"] == "committed", result
    reported = [e["data"] for e in emitted if e["type"] == "county.load-reported"]
    with pool.engine.connect() as conn:
        homes = sorted({r.county for r in conn.execute(select(officers_table.c.county).where(officers_table.c.officer_id.in_(ids)))})
        codes = sorted(set(homes) | {"330783"})
        afresh = [{k: v for k, v in load.items() if k != "reserve_share"}
                  for load in events.county_loads(conn, codes, NOW, policy.reserve_share,
                                                  counts=reference_county_counts(conn, codes, NOW))]
    assert [r["county"] for r in reported] == codes
    assert reported == afresh
    assert [e["type"] for e in emitted] == (["officer.status-changed"] * len(ids) + ["officers.committed"]
                                            + ["county.load-reported"] * len(codes))
