"""The province's performance report asks logistics once per period (GET /indicators?by=city) instead of
once per region and period: the figures are the same as when each city is asked alone, on a seeded
history of support (the report bench's generator, four months of it)."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.common import contracts
from services.common.auth import Identity, signed_in
from tests.helpers import offline_settings

START = datetime(2026, 3, 1, tzinfo=timezone.utc)
NOW = datetime(2026, 7, 2, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    from bench.readiness_bench import recorded_history
    from services.demand import store as dstore
    from services.demand.bootstrap import build_runtime as demand_runtime
    from services.demand.reports import build
    from services.geo import Geography
    from services.logistics import store as lstore
    from services.logistics.bootstrap import build_runtime as logistics_runtime
    from services.logistics.bootstrap import create_app as logistics_app

    tmp = tmp_path_factory.mktemp("report-batch")
    geo = Geography.load("330000")
    d, lg = recorded_history(geo, START, months=4, per_day=6, seed=5)
    lg["loads"] = [r for r in lg["loads"] if r["at"].hour % 12 == 0]  # twice a day is enough here
    lrt = logistics_runtime(offline_settings("logistics", tmp))
    with lrt.engine.begin() as conn:
        for table, rows in ((lstore.deployments, lg["deployments"]), (lstore.orders, lg["orders"]),
                            (lstore.equipment_checks, lg["checks"]), (lstore.surveys, lg["surveys"]),
                            (lstore.case_outcomes, lg["outcomes"]), (lstore.loads, lg["loads"])):
            conn.execute(table.insert(), rows)
    lclient = signed_in(logistics_app(lrt).test_client(), Identity("service:demand", "integrator", "330000"))
    calls: list[dict] = []

    def indicators(f):
        calls.append(f)
        resp = lclient.get("/indicators", query_string={k: (v.isoformat() if isinstance(v, datetime) else v)
                                                         for k, v in f.items()})
        if resp.status_code != 200:
            raise build.SourceUnavailable(f"logistics GET /indicators answered {resp.status_code}")
        return resp.get_json()

    drt = demand_runtime(offline_settings("demand", tmp, extra={"report_sources": build.Sources(indicators=indicators)}))
    with drt.engine.begin() as conn:
        conn.execute(dstore.requests.insert(), d["requests"])
        conn.execute(dstore.transitions.insert(), d["transitions"])
        conn.execute(dstore.points_awards.insert(), d["awards"])
    yield drt, lclient, indicators, calls
    lrt.engine.dispose()
    drt.engine.dispose()


def test_by_city_answers_what_each_city_asked_alone_would(seeded):
    _, lclient, _, _ = seeded
    q = {"from": "2026-01-01T00:00:00+08:00", "to": "2026-07-01T00:00:00+08:00"}
    whole = lclient.get("/indicators", query_string={**q, "by": "city"}).get_json()
    assert contracts.validate_body("indicators", whole) == []
    assert whole == {**lclient.get("/indicators", query_string=q).get_json(), "by_city": whole["by_city"]}
    assert len(whole["by_city"]) == 11
    for city, answer in whole["by_city"].items():
        alone = lclient.get("/indicators", query_string={**q, "city": city}).get_json()
        assert {k: v for k, v in alone.items() if k != "filters"} == answer, city
    assert lclient.get("/indicators", query_string={**q, "by": "county"}).status_code == 400


def test_the_province_report_is_the_same_with_one_call_per_period(seeded):
    from services.demand.reports import build
    from services.demand.reports.periods import parse_period

    drt, _, indicators, calls = seeded
    reports = drt.deps.reports
    period = parse_period("2026-H1")

    def alone(f):  # a logistics that knows no by=city: every city asked alone, as before
        return indicators({k: v for k, v in f.items() if k != "by"})

    with drt.engine.connect() as conn:
        calls.clear()
        batched = build.build(conn, reports.sources, reports.policy, period, "330000", reports.geography, NOW)
        batched_calls = len(calls)
        calls.clear()
        single = build.build(conn, build.Sources(indicators=alone), reports.policy, period, "330000",
                             reports.geography, NOW)
        single_calls = len(calls)
    assert batched["incomplete"] == single["incomplete"]
    assert build.digest(batched) == build.digest(single)
    assert batched["regions"] == single["regions"] and len(batched["regions"]) == 12
    # the half-year asked once; the empty trend periods and the baseline year list no city: asked alone
    assert single_calls == 12 * 5 and batched_calls < single_calls
    assert sum(1 for f in calls if f.get("by")) == 0
    hz = next(r for r in batched["regions"] if r["region"] == "330100")
    assert next(f for f in hz["figures"] if f["figure"] == "utilisation")["value"] is not None

    with drt.engine.connect() as conn:  # a city's own report asks for its city: the same figures
        city = build.build(conn, reports.sources, reports.policy, period, "330100", reports.geography, NOW)
    assert city["regions"] == [hz]
