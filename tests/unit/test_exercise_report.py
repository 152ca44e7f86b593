"""The after-action report: JSON with every figure, and an HTML page that works offline."""
import json

from services.exercise import report
from services.exercise.injects import failing_items, growth_report
from services.exercise.scenario import load
from services.exercise.scoring import score
from services.matching.relief import relief_id
from tests.unit.test_exercise_scoring import ev, loop


def test_the_report_is_written_as_json_and_self_contained_html(tmp_path):
    scenario = load("telecom-fraud")
    log = [{"at": "2025-09-15T09:05:00+08:00", "kind": "incident", "label": "00:05 incident EX-TF-001",
            "outcome": "incident EX-TF-001 reported (201)"}]
    data = report.report_data(scenario, "telecom-fraud-test", score(loop(), inject_log=log,
                                                                    targets={"max_response_min": 180}), log,
                              lang="en")
    json_path, html_path = report.write(data, tmp_path)
    saved = json.loads(json_path.read_text(encoding="utf-8"))
    assert saved["on_time"] == 1 and saved["targets"][0]["met"] and saved["injects"] == log
    page = html_path.read_text(encoding="utf-8")
    assert 'src="http' not in page and len(page) > 1_000_000  # plotly.js is inlined: opens offline
    assert "Plotly.newPlot" in page and page.count("Plotly.newPlot") == 3
    assert scenario.good_response["summary_en"][:40] in page and "EX-TF-001 reported" in page
    assert "Support officers actually deployed / officers available to deploy" in page      # the plan's definitions
    assert "Cross-region cases solved / cross-region cases" in page


def test_a_grown_incident_is_reported_again_under_its_own_id_with_its_new_size_and_overrides():
    original = load("telecom-fraud").injects[0].body["incident"]
    growth = next(j for j in load("telecom-fraud").injects if j.kind == "incident_growth")
    body = growth_report(original, growth, 1)
    # demand grows the incident it knows (its request asks only the new shortfall), not a second one
    assert body["incident_id"] == "EX-TF-001" and body["size"] == {"people_involved": 80}
    assert body["requirement_overrides"] == original["requirement_overrides"]
    assert body["location"] == original["location"] and body["type"] == "telecom_fraud"
    assert body["reported_grade"] == "II"  # kept from the first report when the growth names none


def test_equipment_failure_takes_the_items_of_that_type_off_the_first_officers_carrying_them():
    officers = [{"officer_id": "A", "equipment_ids": ["EQ330783-RAD-00001", "EQ330783-BC-00001"]},
                {"officer_id": "B", "equipment_ids": ["EQ330783-BC-00002"]},
                {"officer_id": "C", "equipment_ids": ["EQ330783-RAD-00002", "EQ330783-RAD-00003"]}]
    assert failing_items(officers, "radio", 2) == {"A": ["EQ330783-BC-00001"], "C": ["EQ330783-RAD-00003"]}
    assert failing_items(officers, "drone", 1) == {}


def test_every_instant_of_the_report_is_in_beijing_time_so_an_inject_and_what_it_caused_stand_together():
    scenario = load("telecom-fraud")
    log = [{"at": "2025-09-15T09:05:00+08:00", "kind": "incident", "label": "00:05 incident", "outcome": "reported"}]
    events = loop()
    events[0]["time"] = "2025-09-15T01:05:01Z"  # demand's request, a second after the inject, stamped in UTC
    data = report.report_data(scenario, "tz-test", score(events, inject_log=log), log)
    assert data["time_zone"] == "Asia/Shanghai"
    first_two = data["timeline"][:2]
    assert [r["at"] for r in first_two] == ["2025-09-15T09:05:00+08:00", "2025-09-15T09:05:01+08:00"]
    assert data["requests"][0]["requested_at"].endswith("+08:00") and data["requests"][0]["deadline"].endswith("+08:00")
    xs = [x for trace in report.timeline_figure(data).data for x in trace.x]
    assert (max(xs) - min(xs)).total_seconds() < 3 * 3600  # one axis, one zone: not eight hours apart


def test_the_report_zone_can_be_changed():
    scenario = load("telecom-fraud")
    data = report.report_data(scenario, "tz-test", score(loop()), [], zone=report.time_zone({"EXERCISE_REPORT_TZ": "UTC"}))
    assert data["start"] == "2025-09-15T01:00:00+00:00"


def test_the_report_words_injects_targets_and_indicators_in_its_own_language(tmp_path):
    from services.exercise.injects import Outcome, conditions_changed
    scenario = load("asian-games-hangzhou")
    closure, weather = (next(j for j in scenario.injects if j.kind == kind) for kind in ("road_closure", "weather"))
    short = Outcome("2 of 40 officers of 330108 unavailable (only 2 on duty and free there)", "did_unavailable",
                    {"county": "330108", "done": 2, "want": 40, "busy": 0, "found": 2})
    log = [{"at": "2023-09-23T15:15:00+08:00", "kind": "officers_unavailable", "outcome": str(short), "ok": True,
            "said": short.said},
           {"at": "2023-09-23T15:30:00+08:00", "kind": "road_closure", "ok": True,
            "outcome": str(conditions_changed(closure)), "said": conditions_changed(closure).said},
           {"at": "2023-09-23T18:30:00+08:00", "kind": "weather", "ok": True,
            "outcome": str(conditions_changed(weather)), "said": conditions_changed(weather).said},
           {"at": "2023-09-23T19:00:00+08:00", "kind": "equipment_failure", "ok": False,
            "outcome": "failed: PATCH -> 503", "said": {"key": "did_failed", "values": {}}}]
    for row in log:
        row["label"] = row["kind"]
    scored = score(loop(), inject_log=log, targets={"max_response_min": 120, "logistics_coverage": 1.0})
    zh = report.to_html(report.report_data(scenario, "words-zh", scored, log, lang="zh"))
    assert "警力减员" in zh and "滨江区 2 / 40 名民警转为不可用（在岗空闲的只有 2 名）" in zh
    # the closure's end is the clock time it falls at (start 14:00 + 04:00), not the scenario's offset
    assert "滨江区—萧山区 之间的桥梁封闭至 18:00：钱塘江大桥临时管制" in zh
    assert "杭州市 道路通行速度降至 70%，至 21:00" in zh
    assert "failed: PATCH -&gt; 503" in zh  # a failed inject as the runner wrote it
    targets, indicators = section(zh, "目标"), section(zh, "六项指标")
    assert "最慢单元响应时间（分钟，下令至到位）" in targets and "max_response_min" not in targets
    assert "平均响应时间（下令至到位）" in indicators and "response_time_s" not in indicators
    en = report.to_html(report.report_data(scenario, "words-en", scored, log, lang="en"))
    assert f"<title>{scenario.raw['title_en']}</title>" in en and scenario.title not in en  # the English title
    assert "the bridge between Binjiang District (330108) and Xiaoshan District (330109) closed until 18:00" in en
    assert "2 of 40 officers of Binjiang District (330108) unavailable (only 2 on duty and free there)" in en
    assert "≥ 100%" in en and "slowest unit, order to in place (min)" in en


def test_an_indicator_reads_in_minutes_and_per_cent():
    assert report.indicator_value("response_time_s", {"mean": 3282.2, "median": 2920, "n": 329}, "zh") == \
        "平均 54.7 分钟，中位 48.7 分钟（329 个单元）"
    assert report.indicator_value("utilisation", 0.2134, "en") == "21%"
    assert report.indicator_value("utilisation", 0.0031, "en") == "0.3%"  # 15 officers of thousands: not 0 %
    assert report.indicator_value("utilisation", 0.0, "en") == "0%"
    assert report.indicator_value("officer_satisfaction", 4.25, "en") == "4.2"
    assert report.indicator_value("response_time_s", {"mean": None, "median": None, "n": 0}, "en") == "n/a"


def section(page: str, heading: str) -> str:
    """The HTML under one <h2> of the report, up to the next."""
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_a_scenario_s_own_words_are_shown_in_the_report_s_language():
    scenario = load("asian-games-hangzhou")
    good = scenario.good_response
    assert report.in_language(good, "summary", "zh").startswith("批准各梯队方案")
    assert report.in_language(good, "summary", "en").startswith("Approve the echelons' plans")
    assert report.in_language(good, "points", "en")[0].startswith("The echelons are planned hours ahead")
    assert report.in_language({"summary": "演练"}, "summary", "en") == "演练"  # no English given: the Chinese
    row = {"figure": "surrounding_cities", "measure": "donor_cities", "compare": "at_least", "wanted": 5,
           "achieved": 5, "met": True, "seed": "周边 5 个城市支援", "seed_en": "support from the 5 surrounding cities"}
    data = {"seed_figures": [row], "province": "330000", "reference_case": scenario.raw["reference_case"],
            "reference_case_en": scenario.raw["reference_case_en"]}
    assert "参考案例：2023 年杭州亚运会（DOMAIN.md）" in report.seed_section(data, "zh")
    assert "Reference case: Hangzhou Asian Games 2023 (DOMAIN.md)" in report.seed_section(data, "en")
    page = report.to_html(report.report_data(scenario, "own-words", score(loop()), [], lang="zh"))
    assert good["summary"] in page and good["points"][0] in page and good["summary_en"][:30] not in page


def test_the_timeline_s_lanes_are_named_in_the_report_s_language_in_the_loop_s_order():
    scenario = load("telecom-fraud")
    log = [{"at": "2025-09-15T09:05:00+08:00", "kind": "incident", "label": "00:05 incident", "outcome": "reported"}]
    data = report.report_data(scenario, "lanes", score(loop(), inject_log=log), log, lang="zh")
    fig = report.timeline_figure(data)
    lanes = list(fig.layout.yaxis.categoryarray)[::-1]  # top to bottom
    assert lanes[0] == "注入事件" and lanes.index("支援请求") < lanes.index("调令下达") < lanes.index("单元到位")
    assert {trace.y[0] for trace in fig.data} == set(lanes) and not any("." in lane for lane in lanes)
    english = report.timeline_figure({**data, "lang": "en"})
    assert "dispatch ordered" in english.layout.yaxis.categoryarray


def test_the_charts_name_requests_and_plans_as_a_commander_does_with_the_ids_in_the_hover():
    scenario = load("telecom-fraud")
    events = loop()
    base = events[0]["data"]["request_id"]
    shift = relief_id(base, 2)  # the relief shift's request, named by matching (services/matching/relief.py)
    marker = {"request_id": base, "shift": 2, "takes_over_at": "2025-09-15T09:00:00Z"}
    relief = [dict(e, data={**e["data"], "request_id": shift, "plan_id": f"PLAN-{shift}-2A", "relief_of": marker})
              for e in (events[1], events[3])]  # its plan proposed and approved, each saying whose shift it relieves
    data = report.report_data(scenario, "labels", score(events + relief), [], lang="zh")
    [request] = data["requests"]
    response = report.response_figure(data)
    assert list(response.data[0].x) == ["东阳市<br>III级<br>09:06"]  # requested 01:06:40Z, Beijing time
    assert list(response.data[0].customdata) == [request["request_id"]]
    decided = report.decisions_figure(data)
    assert list(decided.data[0].x) == ["东阳市<br>III级<br>09:06<br>PLAN-A", "东阳市<br>III级<br>09:06<br>第 2 梯队<br>方案 2A"]
    assert "PLAN-A" in decided.data[0].customdata
    english = report.decisions_figure({**data, "lang": "en"})
    assert list(english.data[0].x)[1] == "Dongyang City<br>grade III<br>09:06<br>shift 2<br>plan 2A"
    assert report._unique(["a", "b", "a"]) == ["a", "b", "a (2)"]


def test_a_relief_shift_is_named_from_its_plan_even_when_its_request_id_was_hashed():
    """matching hashes a relief shift's id past 64 characters (R-<sha1>-S<n>): the report names the
    shift from the plan's own `relief_of`, not from the id."""
    scenario = load("telecom-fraud")
    events = loop()
    base = events[0]["data"]["request_id"]
    shift = relief_id("X" * 70, 3)
    assert shift.startswith("R-") and not shift.startswith(base)
    marker = {"request_id": base, "shift": 3, "takes_over_at": "2025-09-15T17:00:00Z"}
    proposed = dict(events[1], data={**events[1]["data"], "request_id": shift, "plan_id": f"PLAN-{shift}-3A",
                                     "relief_of": marker})
    approved = dict(events[3], data={**events[3]["data"], "request_id": shift, "plan_id": f"PLAN-{shift}-3A"})
    data = report.report_data(scenario, "hashed", score(events + [proposed, approved]), [], lang="zh")
    assert data["decisions"][1]["relief_of"] == {"request_id": base, "shift": 3}  # from the proposed plan
    assert list(report.decisions_figure(data).data[0].x)[1] == "东阳市<br>III级<br>09:06<br>第 3 梯队<br>方案 3A"


def test_the_report_lists_each_decision_with_its_wait_and_its_worth_against_the_best():
    scenario = load("telecom-fraud")
    events = loop()
    events[3] = ev("plan.approved", "2025-09-15T01:09:30Z", plan_id="PLAN-B")  # the slower of the two
    data = report.report_data(scenario, "decisions", score(events), [], lang="zh")
    page = report.to_html(data)
    table = page.split('<table id="decisions">', 1)[1].split("</table>", 1)[0]
    cells = [c.split("</td>")[0] for c in table.split("<td>")[1:]]
    assert cells[:2] == ["09:09", "东阳市 · III级 · 09:06"] and cells[2] == "批准" and "比最优方案晚 10 分钟到齐" in cells
    assert cells[5:8] == ["2", "50", "40"]  # waited 150 s; its latest arrival 3000 s, the best 2400 s
    assert "审批用时（自首个方案提出至决定）：平均 2 分钟，最长 2 分钟（1 次决定）" in page
    rejected = [{**data["decisions"][0], "verdict": "rejected", "rejected_best": True}]
    assert "rejected the best then open" in report.decisions_table({**data, "decisions": rejected}, "en")
    assert "No plan was approved or rejected" in report.decisions_table({**data, "decisions": []}, "en")


def test_the_report_lists_each_request_with_its_deadline_first_order_last_unit_and_lateness():
    scenario = load("telecom-fraud")
    on_time = report.report_data(scenario, "requests", score(loop()), [], lang="zh")
    table = report.requests_table(on_time, "zh")
    cells = [c.split("</td>")[0] for c in table.split("<td>")[1:]]
    assert cells[0] == "东阳市 · III级 · 09:06" and cells[2:] == ["09:10", "09:37", "1 / 1", "按时"]
    late = report.report_data(scenario, "requests", score(loop(arrived_at="2025-09-15T10:05:00+08:00",
                                                                  response_s=3300)), [], lang="en")
    assert "13 min late" in report.requests_table(late, "en")  # due 09:51 (the example's deadline), in at 10:05
    unfinished = report.report_data(scenario, "requests", score(loop()[:-1]), [], lang="zh")
    assert "未全部到位" in report.requests_table(unfinished, "zh") and "<h2>支援请求</h2>" in report.to_html(unfinished)


def test_equipment_failure_pages_through_the_county_until_enough_items_fail(tmp_path, monkeypatch):
    """Against the pool itself (resources' app, pages of 7): the inject reads the county's officers page
    after page by `next` and takes the first `count` radios, in id order, off the officers carrying them."""
    from services.exercise import injects
    from services.exercise.scenario import Inject
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    from tests.helpers import offline_settings

    runtime = build_runtime(offline_settings("resources", tmp_path))
    seed_demo_if_empty(runtime, officers_n=3000, seed=5)
    client, asked = create_app(runtime).test_client(), []

    class Reply:
        def __init__(self, resp):
            self.status_code, self.text, self.json = resp.status_code, resp.get_data(as_text=True), resp.get_json

    def request(method, url, headers=None, timeout=None, params=None, json=None):
        asked.append((method, dict(params or {})))
        return Reply(client.open(url.removeprefix("http://pool"), method=method, headers=headers,
                                 query_string=params, json=json))
    monkeypatch.setattr(injects.requests, "request", request)
    monkeypatch.setattr(injects, "PAGE", 7)
    manager = {"Authorization": injects.headers_for(injects.resource_manager("330783"))["Authorization"]}
    before = client.get("/officers?county=330783&limit=1000", headers=manager).get_json()["items"]
    radios = [(o["officer_id"], e) for o in before for e in o["equipment_ids"] if "-RAD-" in e]
    assert len(radios) > 12
    inject = Inject(0, 600.0, "equipment_failure", {"county": "330783", "equipment_type": "radio", "count": 12})
    outcome = injects.equipment_failure(injects.Services(demand="http://none", resources="http://pool"), inject)
    assert outcome.values["failed"] == 12
    after = {o["officer_id"]: o["equipment_ids"]
             for o in client.get("/officers?county=330783&limit=1000", headers=manager).get_json()["items"]}
    assert [(i, e) for i, e in radios if e not in after[i]] == radios[:12]
    pages = [p for m, p in asked if m == "GET"]
    assert len(pages) > 1 and "after" not in pages[0] and all("after" in p and "offset" not in p for p in pages[1:])
    runtime.engine.dispose()
