"""The seed's reference cases in the after-action report: each built-in case scenario names its seed
figures, the report sets this run's outcome beside each (met, or not met and why), in Chinese by
default and in English on request."""
import json

import pytest

from services.exercise import lifecycle, report, seeds, store
from services.exercise.scenario import ScenarioError, load, parse
from services.exercise.scoring import score
from services.exercise.texts import language
from tests.unit.test_exercise_scoring import loop
from twin.ui import messages

INCIDENT = "INC-330783-20250915-0007"  # the contract examples' incident
CASES = {"telecom-fraud": {"officers_on_case", "donor_cities", "line_filled", "max_response_min"},
         "asian-games-hangzhou": {"donor_cities", "completion_min"},
         "rainstorm-six-cities": {"officers_deployed", "donor_cities"},
         "city-pool-45min": {"mean_response_min"}}


def figure(measure, wanted, **more):
    return {"figure": measure, "measure": measure, "seed": "参考案例", "wanted": wanted, "incidents": [INCIDENT], **more}


def case(local=2):
    """The contract examples' loop: one unit of 2 officers from 330782 (Jinhua); the county covered `local` itself."""
    events = loop()
    events[0]["data"]["local_share"] = {"investigation": local} if local else {}
    return events


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_reference_case_scenario_names_its_seed_figures(name):
    scenario = load(name)
    assert scenario.raw["reference_case"] and {f["measure"] for f in scenario.seed_figures} == CASES[name]
    assert all(f["seed"] and f["seed_en"] for f in scenario.seed_figures)


def test_the_fraud_case_asks_for_its_fifteen_investigators_with_a_vietnamese_speaker():
    incident = load("telecom-fraud").injects[0].body["incident"]
    lines = {o["line_id"]: o for o in incident["requirement_overrides"]}
    assert sum(o["headcount"] for o in lines.values()) == 15
    assert lines["interpreter_vi"]["tags"] == ["foreign_language:vi"]


def test_the_asian_games_scenario_sets_up_its_own_pre_positioned_echelons():
    scenario = load("asian-games-hangzhou")
    first = scenario.injects[0]
    assert first.kind == "preposition" and first.at_s == 0
    assert [e["echelon_id"] for e in first.body["preposition"]["echelons"]] == ["first_line", "second_line"]


def test_an_echelon_due_after_the_exercise_ends_is_named():
    raw = load("asian-games-hangzhou").raw
    raw["injects"][0]["preposition"]["echelons"][1]["due_at"] = "2023-09-24T04:00:00+08:00"
    with pytest.raises(ScenarioError) as err:
        parse(raw)
    assert err.value.problems == [("injects[0].preposition.echelons[1].due_at",
                                   "2023-09-24T04:00:00+08:00 is not between the inject and the end of the exercise")]


def test_officers_on_the_case_count_the_support_and_the_countys_own():
    [row] = seeds.compare(case(local=2), [figure("officers_on_case", 4, compare="about", within=0)])
    assert row["achieved"] == 4 and row["met"]
    [row] = seeds.compare(case(local=2), [figure("officers_deployed", 4)])
    assert row["achieved"] == 2 and not row["met"] and row["reason"] == "asked_less"


def test_a_figure_the_case_reports_exactly_is_met_only_exactly():
    """The case drew 15 investigators from 3 cities: one more or one fewer is another outcome."""
    for wanted, met, reason in ((4, True, None), (3, False, "asked_more"), (5, False, "asked_less")):
        [row] = seeds.compare(case(local=2), [figure("officers_on_case", wanted, compare="exactly")])
        assert (row["achieved"], row["met"], row.get("reason")) == (4, met, reason), row


def test_cities_count_the_receiving_city_only_when_it_covered_a_line():
    view = seeds.case_view(case(local=2), [INCIDENT])
    assert seeds.cities(view, {"with_local": True}) == ["330700"]
    assert seeds.cities(view, {"outside_only": True}) == []
    [row] = seeds.compare(case(), [figure("donor_cities", 3, outside_only=True)])
    assert not row["met"] and row["reason"] == "fewer_cities" and row["reason_values"] == {"cities": []}


def test_a_slow_unit_is_named_as_what_kept_the_case_from_its_figure():
    events = case()
    events[-1]["data"].update(response_s=4 * 3600)
    [row] = seeds.compare(events, [figure("max_response_min", 180, compare="at_most")])
    assert row["achieved"] == 240 and not row["met"]
    assert row["reason"] == "slowest_unit" and row["reason_values"] == {"unit": "UNIT-330782-TS-01", "county": "330782",
                                                                        "minutes": 240}


def test_a_unit_that_never_arrived_keeps_the_response_figure_unmet():
    [row] = seeds.compare(case()[:-1], [figure("max_response_min", 180, compare="at_most")])
    assert not row["met"] and row["achieved"] is None
    assert row["reason"] == "units_not_arrived" and row["reason_values"] == {"missing": 1, "ordered": 1}


def test_a_line_no_request_asked_for_is_named():
    [row] = seeds.compare(case(), [figure("line_filled", 1, line="interpreter_vi")])
    assert row["achieved"] == 0 and row["reason"] == "line_not_asked"


def test_completion_runs_from_the_first_order_to_the_last_unit_in_place():
    [row] = seeds.compare(case(), [figure("completion_min", 120, compare="at_most")])
    assert row["met"] and row["achieved"] == 27.0  # ordered 09:10:02, in place 09:37:02 (Beijing time)


def test_figures_of_other_incidents_see_nothing():
    [row] = seeds.compare(case(), [dict(figure("officers_deployed", 1), incidents=["EX-OTHER"])])
    assert row["achieved"] == 0 and row["reason"] == "no_request"


def report_page(tmp_path, lang, events):
    scenario = load("telecom-fraud")
    scored = score(events, targets={"max_response_min": 180})
    scored["seed_figures"] = seeds.compare(events, [dict(f, incidents=[INCIDENT]) for f in scenario.seed_figures])
    data = report.report_data(scenario, "seed-test", scored, [], lang=lang)
    _, html_path = report.write(data, tmp_path / lang)
    return data, html_path.read_text(encoding="utf-8")


def test_the_report_sets_the_outcome_beside_the_seed_in_chinese_by_default(tmp_path):
    events = case(local=2)
    events[-1]["data"].update(response_s=4 * 3600)
    data, page = report_page(tmp_path, language(env={}), events)
    assert data["lang"] == "zh" and '<html lang="zh">' in page
    assert "与参考案例对照" in page and "参考案例：浙江模块化支援：跨境电信诈骗" in page
    rows = report.seed_rows(data, "zh")
    assert [r["met"] for r in rows] == [False, False, False, False]
    assert rows[0]["figure"] == "投入案件警力（支援 + 属地，人）" and rows[0]["run"] == "4"
    assert rows[0]["seed"].startswith("= 15 — 抽调技术侦查人员 15 名")
    assert rows[1]["run"] == "1（金华市）" and rows[1]["why"] == "最近的合格警力只来自 1 个城市：金华市"
    assert rows[3]["why"] == "最慢单元 UNIT-330782-TS-01（来自义乌市）用时 240 分钟：路程本身超出目标"
    assert "最慢单元 UNIT-330782-TS-01（来自义乌市）" in page and "未达到" in page
    assert "实际派出的支援警力 / 可调派警力" in page and "After-action" not in page


def test_the_report_is_in_english_on_request(tmp_path):
    data, page = report_page(tmp_path, language("en"), case())
    assert '<html lang="en">' in page and "Against the reference case" in page
    rows = report.seed_rows(data, "en")
    assert rows[0]["figure"] == "officers on the case (support + the county's own)"
    assert rows[0]["seed"].startswith("= 15 — 15 technical investigators drawn")
    assert rows[3]["met"] and rows[3]["why"] == ""
    assert "Support officers actually deployed / officers available to deploy" in page  # logistics' definitions
    assert language(env={"EXERCISE_REPORT_LANG": "en"}) == "en"
    with pytest.raises(ValueError):
        language("fr")


def test_a_finished_exercise_is_rescored_in_either_language(tmp_path, monkeypatch):
    monkeypatch.setattr(store, "EXERCISES", tmp_path)
    folder = tmp_path / "x1"
    folder.mkdir()
    (folder / "injects.json").write_text("[]")
    (folder / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in case()))
    lifecycle.rescore("x1", "telecom-fraud")
    assert json.loads((folder / "report.json").read_text())["lang"] == "zh"
    lifecycle.rescore("x1", "telecom-fraud", lang="en")
    saved = json.loads((folder / "report.json").read_text())
    assert saved["lang"] == "en" and [r["figure"] for r in saved["seed_figures"]] == [
        "investigators_on_case", "cities", "interpreter", "on_scene_within_3h"]


def test_a_line_a_scenario_wrote_for_itself_is_named_by_the_specialty_it_asked():
    events = case()
    vi = {"line_id": "interpreter_vi", "module": "investigation", "tags": ["foreign_language:vi"],
          "certifications": [], "equipment": [], "headcount": 1}
    events[0]["data"]["lines"].append(vi)
    [row] = seeds.compare(events, [figure("line_filled", 1, line="interpreter_vi")])
    assert row["reason"] == "plans_short" and row["line_specs"]["interpreter_vi"]["tags"] == ["foreign_language:vi"]
    data = {"seed_figures": [row], "province": "330000"}
    [zh] = report.seed_rows(data, "zh")
    assert zh["figure"] == "到位的越南语（刑侦）岗位人数" and "越南语（刑侦） 1" in zh["why"]
    [en] = report.seed_rows(data, "en")
    assert en["figure"] == "officers dispatched on line Vietnamese (investigation)" and "interpreter_vi" not in en["why"]
    assert messages.request_line_name("water_rescue", "zh", None) == "水上救援"  # a template's line keeps its own name
