"""The after-action report: JSON with every figure, and an HTML page that works offline."""
import json

from services.exercise import report
from services.exercise.injects import failing_items, growth_report
from services.exercise.scenario import load
from services.exercise.scoring import score
from tests.unit.test_exercise_scoring import loop


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
    assert scenario.good_response["summary"][:40] in page and "EX-TF-001 reported" in page
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
