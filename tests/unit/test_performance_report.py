"""The performance report (demand GET /reports/performance): periods, targets by phase, trend, the
figures demand measures itself (request → first plan, reciprocity of points), CSV and offline HTML,
the kept reports with their hashes, the schedule and the bad inputs."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import insert

from services.common import contracts
from services.common.auth import Identity, signed_in
from services.demand.reports import build, periods, store
from services.demand.store import requests, transitions

UTC = timezone.utc
HZ, NB = "330100", "330200"  # Hangzhou, Ningbo


def ind(utilisation: float, idle: float, arrivals: int = 4, mean_s: float = 2400.0, clearance: float | None = 0.5):
    return {"response_time": {"arrivals": arrivals, "mean_s": mean_s, "p90_s": mean_s * 1.5,
                              "within_deadline_share": 0.75, "by_grade": {}},
            "utilisation": {"utilisation": utilisation, "idle_rate": idle, "deployed": 85, "available_to_deploy": 100,
                            "local_work": 0, "on_duty": 100},
            "cross_region_clearance": {"rate": clearance, "cases": 2, "solved": 1, "not_solved": 1, "outcome_pending": 0},
            "equipment_compatibility": {"rate": 0.93, "items_checked": 40},
            "satisfaction": {"score": 4.2, "responses": 10},
            "logistics_coverage": {"coverage": 1.0, "deployments": 3, "fully_arranged": 3}}


EMPTY = {"response_time": {"arrivals": 0, "mean_s": None, "p90_s": None, "within_deadline_share": None, "by_grade": {}},
         "utilisation": {"utilisation": None, "idle_rate": None, "deployed": 0, "available_to_deploy": 0},
         "cross_region_clearance": {"rate": None, "cases": 0}, "equipment_compatibility": {"rate": None, "items_checked": 0},
         "satisfaction": {"score": None, "responses": 0}, "logistics_coverage": {"coverage": None, "deployments": 0}}


class FakeLogistics:
    """Answers GET /indicators by the period's start month: H1 2026 has utilisation 0.9, earlier 0.6."""

    def __init__(self):
        self.calls, self.down, self.quiet = [], False, set()  # quiet: cities with nothing recorded

    def __call__(self, f):
        if self.down:
            raise build.SourceUnavailable("logistics GET /indicators: ConnectionError")
        self.calls.append(f)
        start = f["from"]
        if f.get("city") in self.quiet:
            return EMPTY
        if start.year == 2023:
            return ind(0.5, 0.5, clearance=0.4)
        if start >= datetime(2026, 1, 1, tzinfo=periods.CST):
            return ind(0.9, 0.1) if f.get("city") != NB else ind(0.7, 0.3)
        if start.year < 2024:
            return EMPTY
        return ind(0.6, 0.4)


@pytest.fixture
def demand(offline_runtime):
    from services.demand.bootstrap import create_app
    logistics = FakeLogistics()
    sources = build.Sources(indicators=logistics, force=lambda region: {"equipment_readiness": 0.985,
                                                                         "equipment_items": 1000,
                                                                         "volunteer_share": 0.41, "officers": 5000})
    runtime = offline_runtime("demand", extra={"report_sources": sources})
    return runtime, create_app(runtime), logistics


def client(app, role="province_commander", region="330000"):
    return signed_in(app.test_client(), Identity(f"t-{role}", role, region))


def add_request(runtime, request_id: str, county: str, requested_at: datetime, plan_after_min: float | None):
    with runtime.engine.begin() as conn:
        conn.execute(insert(requests).values(
            request_id=request_id, incident_id=f"inc-{request_id}", echelon="", county=county, city=county[:4] + "00",
            grade="III", severity=2, status="awaiting_approval", approval_level="city",
            deadline=requested_at + timedelta(minutes=45), requested_at=requested_at, updated_at=requested_at,
            escalation_level=0, escalated_stages=[], progress={"committed": [], "ordered": [], "arrived": []},
            request={}))
        if plan_after_min is not None:
            for extra in (0, 30):  # the first plan counts, a later version does not
                conn.execute(insert(transitions).values(
                    request_id=request_id, from_status="planning", to_status="awaiting_approval",
                    cause="plan.proposed", at=requested_at + timedelta(minutes=plan_after_min + extra)))


def seed(runtime):
    t = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    add_request(runtime, "r1", "330106", t, 10)
    add_request(runtime, "r2", "330106", t + timedelta(days=1), 20)
    add_request(runtime, "r3", "330203", t + timedelta(days=2), 12)
    add_request(runtime, "r4", "330203", t + timedelta(days=3), None)  # no plan yet
    add_request(runtime, "old", "330106", datetime(2025, 9, 1, tzinfo=UTC), 40)
    with runtime.engine.begin() as conn:
        # Ningbo's officers worked 30 points in Hangzhou's task r1, Hangzhou's 10 in Ningbo's r3
        store.record_award(conn, {"officer_id": "o1", "task_id": "d1", "county": "330203", "request_id": "r1",
                                  "points": 30.0}, t + timedelta(days=5))
        assert not store.record_award(conn, {"officer_id": "o1", "task_id": "d1", "county": "330203",
                                             "request_id": "r1", "points": 30.0}, t + timedelta(days=5))
        store.record_award(conn, {"officer_id": "o2", "task_id": "d3", "county": "330106", "request_id": "r3",
                                  "points": 10.0}, t + timedelta(days=6))
        store.record_award(conn, {"officer_id": "o3", "task_id": "d1", "county": "330108", "request_id": "r1",
                                  "points": 99.0}, t + timedelta(days=6))  # same city: not reciprocity


def figure(report, region, name):
    reg = next(r for r in report["regions"] if r["region"] == region)
    return next(f for f in reg["figures"] if f["figure"] == name)


# --- periods -----------------------------------------------------------------------------------------

def test_periods_parse_and_step_back():
    h1 = periods.parse_period("2026-H1")
    assert (h1.kind, h1.start.isoformat(), h1.end.isoformat()) == \
        ("half_year", "2026-01-01T00:00:00+08:00", "2026-07-01T00:00:00+08:00")
    assert [p.label for p in periods.previous(h1, 3)] == ["2024-H2", "2025-H1", "2025-H2"]
    assert [p.label for p in periods.previous(periods.parse_period("2026-01"), 2)] == ["2025-11", "2025-12"]
    assert [p.label for p in periods.previous(periods.parse_period("2026"), 1)] == ["2025"]
    assert periods.parse_period("2026-06").last_day == date(2026, 6, 30)
    w = periods.window("2026-01-01", "2026-01-11")
    assert periods.previous(w, 1)[0].label == "2025-12-22..2025-12-31"
    assert periods.last_complete("half_year", datetime(2026, 7, 1, 1, tzinfo=UTC)).label == "2026-H1"
    assert periods.last_complete("half_year", datetime(2026, 3, 1, tzinfo=UTC)).label == "2025-H2"
    for bad, field in (("2026-H3", "period"), ("2026-13", "period"), ("1999", "period")):
        with pytest.raises(periods.PeriodError) as exc:
            periods.parse_period(bad)
        assert exc.value.field == field
    with pytest.raises(periods.PeriodError) as exc:
        periods.window("2026-02-01", "2026-02-01")
    assert exc.value.field == "to" and "empty" in exc.value.reason


# --- the report --------------------------------------------------------------------------------------

def test_the_half_year_report_sets_each_figure_beside_its_target_phase_and_trend(demand):
    runtime, app, logistics = demand
    seed(runtime)
    resp = client(app).get("/reports/performance?period=2026-H1")
    assert resp.status_code == 200, resp.get_json()
    report = resp.get_json()
    assert contracts.validate_body("performance-report", report) == []
    assert report["phase"]["name"] == "roll_out" and report["trend_periods"] == ["2024-H2", "2025-H1", "2025-H2"]
    assert [r["region"] for r in report["regions"]][:2] == ["330000", HZ] and len(report["regions"]) == 12

    util = figure(report, "330000", "utilisation")
    assert util["value"] == 0.9 and util["target"]["value"] == 0.85 and util["phase_target"]["value"] == 0.85
    assert util["met_target"] is True and [t["value"] for t in util["trend"]] == [0.6, 0.6, 0.6]
    nb_util = figure(report, NB, "utilisation")
    assert nb_util["value"] == 0.7 and nb_util["met_phase_target"] is False
    idle = figure(report, "330000", "idle_rate")
    assert idle["value"] == 0.1 and idle["met_target"] is True
    assert figure(report, "330000", "response_time_min")["value"] == 40.0
    assert figure(report, "330000", "response_time_min")["phase_target"]["value"] == 100.8
    # +30 % of the 2023 clearance (0.4) in the roll-out phase: 0.52, 0.5 misses it
    clear = figure(report, "330000", "cross_region_clearance")
    assert clear["phase_target"]["value"] == 0.52 and clear["met_phase_target"] is False
    assert figure(report, "330000", "equipment_readiness")["met_target"] is True
    assert figure(report, "330000", "volunteer_share")["met_target"] is False

    # request → first plan, from demand's own records: 10, 20 (Hangzhou) and 12 (Ningbo) min; r4 unplanned
    assert figure(report, "330000", "first_plan_min")["value"] == 14.0
    assert figure(report, HZ, "first_plan_min")["value"] == 15.0
    assert figure(report, HZ, "first_plan_min")["met_target"] is True
    assert figure(report, "330000", "first_plan_min")["trend"][-1] == {"period": "2025-H2", "value": 40.0}
    prov = report["regions"][0]["first_plan"]
    assert (prov["requests"], prov["planned"]) == (4, 3)

    rec = {r["city"]: r for r in report["reciprocity"]}
    assert rec[NB]["given_points"] == 30.0 and rec[NB]["received_points"] == 10.0 and rec[NB]["balance"] == 20.0
    assert rec[HZ]["balance"] == -20.0
    # the six indicators come from logistics, per city and province, for the period and the trend
    asked = {(f["from"].isoformat(), f.get("city")) for f in logistics.calls}
    assert ("2026-01-01T00:00:00+08:00", None) in asked and ("2026-01-01T00:00:00+08:00", NB) in asked
    assert ("2024-07-01T00:00:00+08:00", HZ) in asked


def test_the_report_is_kept_with_its_hash_and_a_change_of_data_shows(demand):
    runtime, app, _ = demand
    seed(runtime)
    c = client(app)
    first = c.get("/reports/performance?period=2026-H1").get_json()
    again = c.get("/reports/performance?period=2026-H1").get_json()
    assert first["kept"] == "new" and again["kept"] == "unchanged" and again["sha256"] == first["sha256"]
    add_request(runtime, "r5", "330106", datetime(2026, 5, 1, tzinfo=UTC), 50)  # the data changed
    changed = c.get("/reports/performance?period=2026-H1").get_json()
    assert changed["kept"] == "new" and changed["sha256"] != first["sha256"]
    history = c.get("/reports/performance/history?period=2026-H1")
    assert history.status_code == 200 and contracts.validate_body("performance-history", history.get_json()) == []
    rows = history.get_json()["reports"]
    assert [r["sha256"] for r in rows] == [changed["sha256"], first["sha256"]]
    assert all(r["trigger"] == "on_demand" and r["region"] == "330000" for r in rows)


def test_csv_and_offline_html(demand):
    runtime, app, _ = demand
    seed(runtime)
    c = client(app)
    csv_resp = c.get(f"/reports/performance?period=2026-H1&region={HZ}&format=csv")
    assert csv_resp.status_code == 200 and csv_resp.mimetype == "text/csv"
    lines = csv_resp.get_data(as_text=True).splitlines()
    assert lines[0].startswith("period,region,region_name,figure")
    util = next(line for line in lines if ",utilisation," in line)
    assert util.startswith(f"2026-H1,{HZ},杭州市,utilisation,") and ">= 0.85,yes,roll_out" in util
    assert any(line.startswith(f"2026-H1,{NB},,reciprocity_balance,") and ",20.0," in line for line in lines)
    page = c.get("/reports/performance?period=2026-H1&format=html")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["X-Report-SHA256"] in html
    assert "<svg" in html and "<polyline" in html and "<td>Ningbo</td>" in html  # English by default: the cities in pinyin
    assert "<script" not in html and "src=" not in html and "<link" not in html and "@import" not in html


def test_the_html_page_in_chinese_speaks_the_commanders_language(demand):
    runtime, app, _ = demand
    seed(runtime)
    c = client(app)
    page = c.get(f"/reports/performance?period=2026-H1&region={HZ}&format=html&lang=zh")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html lang='zh-CN'>" in html
    assert "<title>杭州市 绩效报告 2026年上半年</title>" in html
    # the half-year in Beijing's calendar days (the report's UTC bounds are 16:00 the day before)
    assert "2026-01-01 至 2026-06-30（北京时间）" in html and "所处阶段：<b>推广</b>" in html
    assert "趋势对比：2024年下半年、2025年上半年、2025年下半年" in html
    assert "<th>指标</th><th>数值</th>" in html and "警力利用率（已调派 / 可调派）" in html
    # bounds in the figure's unit, and whether they were met
    assert "≥ 85.0 % <span class=\"ok\">达标</span>" in html
    assert "≤ 100.8 分钟" in html
    assert re.search(r"<title>2026年上半年: \d+\.\d %</title>", html)  # the trend's points, named and in their unit
    # the reciprocity table names the cities
    assert "<tr><td>宁波市</td>" in html and f"<td>{NB}</td>" not in html
    english = c.get(f"/reports/performance?period=2026-H1&region={HZ}&format=html&lang=en").get_data(as_text=True)
    assert "2026-01-01 to 2026-06-30 (Beijing time)" in english and "utilisation (deployed / deployable)" in english
    assert "≥ 85.0 % <span class=\"ok\">met</span>" in english and "≤ 100.8 min" in english
    # the places in pinyin, as the twin's English pages name them
    assert "<title>Performance report 2026-H1 — Hangzhou</title>" in english and "<h2>Hangzhou (330100)</h2>" in english
    assert "<tr><td>Ningbo</td>" in english and "杭州" not in english and "宁波" not in english
    bad = c.get("/reports/performance?period=2026-H1&format=html&lang=fr")
    assert bad.status_code == 400 and bad.get_json()["errors"] == [{"field": "lang", "reason": "'fr': one of en, zh"}]


def test_a_source_that_does_not_answer_is_named_and_the_schedule_retries(demand):
    runtime, app, logistics = demand
    seed(runtime)
    schedule = runtime.deps.report_schedule
    logistics.down = True
    made = schedule.tick(datetime(2026, 7, 2, tzinfo=UTC))
    assert {m["region"] for m in made} == {"330000", HZ, NB}  # cities with nothing recorded are skipped
    c = client(app)
    rows = c.get("/reports/performance/history").get_json()["reports"]
    assert rows and not any(r["complete"] for r in rows)
    logistics.down = False
    again = schedule.tick(datetime(2026, 7, 3, tzinfo=UTC))
    # logistics answers for every city now: each has figures of its own
    assert len(again) == 12 and {"330000", HZ, NB} <= {m["region"] for m in again}
    assert all(m["kept"] == "new" for m in again)
    assert schedule.tick(datetime(2026, 7, 4, tzinfo=UTC)) == []  # done for 2026-H1
    report = c.get("/reports/performance?period=2026-H1").get_json()
    assert report["kept"] == "unchanged" and report["incomplete"] == []


def test_a_region_with_nothing_recorded_is_asked_again_until_the_period_has_settled(demand):
    runtime, app, logistics = demand
    seed(runtime)
    schedule = runtime.deps.report_schedule
    assert schedule.settled_after == timedelta(hours=24)  # the policy's empty_settled_h
    cities = {c.code for c in runtime.deps.reports.geography.cities}
    logistics.quiet = cities - {HZ, NB}
    late = "330300"  # Wenzhou: its first figures reach logistics late
    h1_end = datetime(2026, 6, 30, 16, tzinfo=UTC)  # 2026-07-01 00:00 Beijing time

    def asked_for(quiet: set[str]) -> set[str]:
        cities_asked = {f.get("city") for f in logistics.calls} & quiet
        logistics.calls.clear()
        return cities_asked

    made = schedule.tick(h1_end + timedelta(hours=12))
    assert {m["region"] for m in made} == {"330000", HZ, NB}
    assert asked_for(logistics.quiet) == logistics.quiet
    assert schedule.tick(h1_end + timedelta(hours=18)) == []
    assert asked_for(logistics.quiet) == logistics.quiet  # within a day of the end: asked again
    logistics.quiet.discard(late)  # a late event gives Wenzhou figures
    assert [m["region"] for m in schedule.tick(h1_end + timedelta(hours=20))] == [late]
    assert asked_for(logistics.quiet) == logistics.quiet

    # a day after the end, with logistics down, nothing is known to be empty: asked again next check
    logistics.down = True
    assert schedule.tick(h1_end + timedelta(hours=30)) == []
    assert schedule.stats["settled_empty"] == 0
    logistics.down = False
    assert schedule.tick(h1_end + timedelta(hours=31)) == []
    assert asked_for(logistics.quiet) == logistics.quiet  # answered empty, a day after: settled
    assert schedule.stats["settled_empty"] == len(logistics.quiet) == len(cities) - 3
    assert schedule.tick(h1_end + timedelta(hours=32)) == []
    assert asked_for(logistics.quiet) == set() and logistics.calls == []  # nothing asked for 2026-H1

    # the next half-year starts afresh
    made = schedule.tick(datetime(2027, 1, 2, tzinfo=UTC))
    assert {m["period"] for m in made} == {"2026-H2"} and asked_for(logistics.quiet) == logistics.quiet


def test_an_empty_period_on_demand_says_whether_it_is_known_to_be_empty(demand):
    runtime, app, logistics = demand
    seed(runtime)
    c = client(app)
    wenzhou = "/reports/performance?period=2026-H1&region=330300"  # no request of Wenzhou in demand's records
    assert c.get(wenzhou).status_code == 200  # logistics has figures for it
    logistics.quiet = {"330300"}
    empty = c.get(wenzhou)
    assert empty.status_code == 422
    assert empty.get_json()["errors"] == [{"field": "period",
                                           "reason": "nothing was recorded in 温州市 (330300) over 2026-H1"}]
    logistics.down = True
    unknown = c.get(wenzhou)
    assert unknown.status_code == 503
    assert unknown.get_json()["errors"] == [{"field": "period", "reason": (
        "nothing was recorded in 温州市 (330300) over 2026-H1 as far as is known "
        "(logistics GET /indicators: ConnectionError)")}]
    # the province has demand's own records (requests and first plans): a report, with logistics named
    assert c.get("/reports/performance?period=2026-H1").get_json()["incomplete"] == [
        "logistics GET /indicators: ConnectionError"]


def test_the_report_policy_refuses_a_settling_time_that_is_not_hours(tmp_path):
    from services.demand.reports.service import POLICY_FILE, load_policy
    assert load_policy(POLICY_FILE)["empty_settled_h"]["hours"] == 24
    text = POLICY_FILE.read_text(encoding="utf-8")
    assert "empty_settled_h: {hours: 24, source: " in text
    for bad in ("{hours: -1, source: x}", "{hours: a day, source: x}", "{hours: true, source: x}", "{hours: 24}",
                "24"):
        path = tmp_path / "report.yaml"
        path.write_text(re.sub(r"empty_settled_h: .*", f"empty_settled_h: {bad}", text), encoding="utf-8")
        with pytest.raises(ValueError, match=r"empty_settled_h: \{hours: 0 or more, source: ...\}"):
            load_policy(path)


# --- bad input and regions ---------------------------------------------------------------------------

@pytest.mark.parametrize("query,status,field", [
    ("period=2026-H3", 400, "period"),
    ("period=June", 400, "period"),
    ("", 400, "period"),
    ("from=2026-01-01", 400, "to"),
    ("from=2026-02-01&to=2026-01-01", 400, "to"),
    ("from=yesterday&to=2026-01-01", 400, "from"),
    ("period=2026-H1&from=2026-01-01&to=2026-02-01", 400, "period"),
    ("period=2026-H1&region=999999", 422, "region"),
    ("period=2026-H1&region=330106", 422, "region"),
    ("period=2026-H1&region=33", 400, "region"),
    ("period=2026-H1&format=pdf", 400, "format"),
    ("period=2099-H1", 422, "period"),
    ("period=2019-H1", 422, "period"),
])
def test_bad_input_names_the_field(demand, query, status, field):
    runtime, app, _ = demand
    seed(runtime)
    resp = client(app).get(f"/reports/performance?{query}")
    assert resp.status_code == status, resp.get_json()
    assert [e["field"] for e in resp.get_json()["errors"]] == [field]


def test_a_city_commander_sees_their_city(demand):
    runtime, app, _ = demand
    seed(runtime)
    hz = client(app, "city_commander", HZ)
    own = hz.get("/reports/performance?period=2026-H1")
    assert own.status_code == 200 and own.get_json()["region"] == HZ
    assert [r["region"] for r in own.get_json()["regions"]] == [HZ]
    assert hz.get(f"/reports/performance?period=2026-H1&region={NB}").status_code == 403
    assert hz.get("/reports/performance?period=2026-H1&region=330000").status_code == 403
    client(app).get("/reports/performance?period=2026-H1&region=330200")
    assert {r["region"] for r in hz.get("/reports/performance/history").get_json()["reports"]} == {HZ}
    assert client(app, "auditor").get("/reports/performance?period=2026-H1").status_code == 200
    assert client(app, "county_duty_officer", "330106").get("/reports/performance?period=2026-H1").status_code == 403


@pytest.mark.parametrize("bound, unit, lang, shown", [
    ({"op": "<=", "value": 30}, "min", "zh", "≤ 30 分钟"),
    ({"op": ">=", "value": 0.85}, "share", "en", "≥ 85.0 %"),
    ({"op": ">=", "value": None, "relative": "1.3 × the baseline year's 0.42"}, "share", "zh", "≥ 基准年数值的 1.3 倍（42.0 %）"),
    ({"op": ">=", "value": None, "relative": "1.3 × the baseline year's (no figure)"}, "share", "en",
     "≥ 1.3 × the baseline year's figure (no data)"),
    (None, "share", "zh", ""),
])
def test_a_bound_is_shown_in_its_figures_unit(bound, unit, lang, shown):
    from services.demand.reports import render
    assert render._target(bound, unit, lang) == shown
