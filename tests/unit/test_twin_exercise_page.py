"""The twin's exercise page: its callbacks over an exercise's real files (clock, recorded stream,
urls, report) and a matching stand-in that checks tokens as every service does."""
from __future__ import annotations

import copy
import json
import threading
from datetime import datetime, timezone

import dash
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask import Flask, jsonify, request
from werkzeug.serving import make_server

from services.common.auth import Identity, current_identity, headers_for
from services.common.contracts import example_event
from services.exercise import clock as xclock
from services.exercise import store
from tests.helpers import token_for
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import exercise_page, ids
from twin.ui.app import create_app

EXERCISE = "telecom-fraud-20260101000000-abcd"
TRAINER = Identity("zj-trainer", "trainer", "330000")
PROVINCE = Identity("zj-commander", "province_commander", "330000")
PLAN_A = "PLAN-REQ-330783-20250915-0003-A"
PLAN_B = "PLAN-REQ-330783-20250915-0003-B"


@pytest.fixture
def matching():
    calls = []
    app = Flask("matching")  # the name a token is addressed to (aud)

    @app.get("/plans/<plan_id>")
    def plan(plan_id):
        current_identity()
        return jsonify({"plan_id": plan_id, "version": 2})

    @app.post("/plans/<plan_id>/<action>")
    def decide(plan_id, action):
        caller = current_identity()
        calls.append({"plan": plan_id, "action": action, "subject": caller.subject, "role": caller.role,
                      "token": request.headers["Authorization"], "body": request.get_json()})
        if caller.role != "province_commander":
            return jsonify({"title": "Forbidden", "status": 403, "detail": "province-level plan"}), 403
        return jsonify({"plan_id": plan_id, "status": action + "d"}), 200

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", calls
    server.shutdown()


@pytest.fixture
def exercise(tmp_path, monkeypatch, matching):
    """A running exercise's folder: its clock, two recorded candidates of one request, its services' URLs."""
    monkeypatch.setattr(store, "EXERCISES", tmp_path)
    folder = tmp_path / EXERCISE
    xclock.write_state(folder / "clock.json", xclock.start_state(datetime(2025, 9, 15, 1, tzinfo=timezone.utc), 60))
    slower = copy.deepcopy(example_event("plan.proposed"))
    slower["data"].update(plan_id=PLAN_B, kind="fairest")
    slower["data"]["metrics"].update(latest_eta_s=3600, deadline_met=False)  # an hour against 45 minutes
    events = [example_event("incident.reported"), example_event("support.requested"),
              example_event("plan.proposed"), slower]
    (folder / "events.jsonl").write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events))
    (folder / "urls.json").write_text(json.dumps({"matching": matching[0]}))
    return folder


@pytest.fixture
def app():
    model = ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20))
    return create_app(model, demo=False, secret="s" * 48)


def as_user(app, identity: Identity | None):
    """A Dash callback request signed in as `identity` (None: nobody)."""
    ctx = app.server.test_request_context("/_dash-update-component", method="POST",
                                          headers=headers_for(identity) if identity else {})
    ctx.push()
    app.server.preprocess_request()
    return ctx


def trigger(prop_id: str, value=1):
    context_value.set(AttributeDict(triggered_inputs=[{"prop_id": prop_id, "value": value}]))


def test_the_page_lists_the_built_in_scenarios_and_the_exercises(app, exercise):
    client = app.server.test_client()
    client.get("/?token=" + token_for(TRAINER))
    layout = client.get("/_dash-layout", headers={"Referer": "http://127.0.0.1/exercise?lang=en"}).get_data(as_text=True)
    for name in ("asian-games-hangzhou", "telecom-fraud", "rainstorm-six-cities", "mountain-gathering-night"):
        assert name in layout
    assert EXERCISE in layout and "Tabletop exercises" in layout and "zj-trainer" in layout
    # each scenario by its English title on the English page, by its Chinese one on the Chinese page
    assert "Hangzhou Asian Games security: support from five surrounding cities within two hours" in layout
    chinese = {o["value"]: o["label"] for o in exercise_page.scenario_options("zh")}
    assert chinese["asian-games-hangzhou"] == "杭州亚运会安保：周边五市两小时内完成支援 (asian-games-hangzhou)"
    assert all(not any("\u4e00" <= ch <= "\u9fff" for ch in o["label"]) for o in exercise_page.scenario_options("en"))


def test_pending_plans_with_the_optimisers_pick_and_no_report_yet(app, exercise):
    ctx = as_user(app, PROVINCE)
    options, pending, report, _log, key = app.twin_callbacks["on_ex_refresh"](1, EXERCISE, "en", None)
    assert app.twin_callbacks["on_ex_refresh"](2, EXERCISE, "en", key)[1] is dash.no_update  # unchanged
    ctx.pop()
    assert [o["value"] for o in options] == [EXERCISE] and "running" in options[0]["label"]
    cells = [str(c.children) for c in pending._traverse() if type(c).__name__ == "Td"]
    assert f"★ fastest · {PLAN_A}" in cells and f"fairest · {PLAN_B}" in cells  # A arrives first: the pick
    rows = [r for r in pending._traverse() if type(r).__name__ == "Tr"][1:]
    etas = [str(r.children[3].children) for r in rows]  # the latest arrival: late in red when it misses the deadline
    assert etas == ["['40 min']", "[Span(children='60 min · late', className='text-danger fw-bold')]"]
    # a plan made after its deadline had passed says so: its minutes are not what made it late
    assert exercise_page.eta_cell(1080, False, "zh", -12)[0].children == "18 分钟 · 编制时已过时限 12 分钟"
    assert exercise_page.eta_cell(3600, False, "en", 45)[0].children == "60 min · late"
    assert exercise_page.eta_cell(1500, False, "zh", 0)[0].children == "25 分钟 · 编制时已到时限"
    # where the request is, its grade and deadline, beside its id; in Chinese the criteria in Chinese
    assert "Dongyang City · grade III · due in 45 min" in cells[0] and "REQ-330783-20250915-0003" in cells[0]
    chinese = exercise_page.pending_table(exercise_page.events_of(EXERCISE), "zh", PROVINCE, {"330783": "东阳市"})
    cells = [str(c.children) for c in chinese._traverse() if type(c).__name__ == "Td"]
    assert "东阳市 · III级 · 时限 45 分钟" in cells[0] and f"★ 最快 · {PLAN_A}" in cells
    assert "指定派出城市" not in str(chinese)  # the example request designates none
    buttons = [c.id for c in pending._traverse() if isinstance(getattr(c, "id", None), dict)]
    assert {"type": ids.EX_DECIDE, "action": "approve", "plan": PLAN_B} in buttons
    assert "written when the exercise ends" in str(report)


def test_a_request_with_designated_donor_cities_names_them_beside_its_id():
    request = {"county": "330182", "grade": "I", "deadline_minutes": 120,
               "lines": [{"line_id": "patrol_quzhou", "module": "patrol", "tags": [], "donor_cities": ["330800"]},
                         {"line_id": "traffic_jinhua", "module": "traffic", "tags": [], "donor_cities": ["330700"]}]}
    cities = {"330803": "衢州市", "330702": "金华市"}
    zh = str(exercise_page.request_cell(request, "REQ-1", {"330182": "建德市"}, "zh", cities))
    assert "建德市 · I级 · 时限 120 分钟" in zh and "衢州市" in zh and "金华市" in zh and "指挥部指定派出城市" in zh
    en = str(exercise_page.request_cell(request, "REQ-1", {"330182": "建德市"}, "en", cities))
    assert "Donor cities designated by the command" in en and "Quzhou" in en and "Jinhua" in en


def test_an_ended_exercise_lists_its_undecided_plans_without_buttons(app, exercise):
    """Its services are gone (no urls.json): an Approve button would only fail."""
    (exercise / "urls.json").unlink()
    ctx = as_user(app, PROVINCE)
    _options, pending, *_ = app.twin_callbacks["on_ex_refresh"](1, EXERCISE, "zh", None)
    ctx.pop()
    assert not [c for c in pending._traverse() if isinstance(getattr(c, "id", None), dict)]  # no decide buttons
    closed = next(c for c in pending._traverse() if getattr(c, "id", None) == ids.EX_PENDING_CLOSED)
    assert closed.children == "演练已结束：以下 2 个方案未经审批，已不能再批"
    cells = [str(c.children) for c in pending._traverse() if type(c).__name__ == "Td"]
    assert cells.count("未审批") == 2 and f"★ 最快 · {PLAN_A}" in cells


def test_a_finished_exercise_shows_its_report_s_summary_beside_the_links(exercise):
    from services.exercise import report
    from services.exercise.scenario import load
    from services.exercise.scoring import score
    from tests.unit.test_exercise_scoring import loop

    data = report.report_data(load("telecom-fraud"), EXERCISE, score(loop()), [], lang="en")  # written in English
    report.write(data, exercise)
    shown = exercise_page.report_links(EXERCISE, "zh")  # read in the page's language
    summary = next(c for c in shown._traverse() if getattr(c, "id", None) == ids.EX_REPORT_SUMMARY)
    lines = [li.children for li in summary.children]
    assert lines[0] == "按时完成的请求：1 / 1" and lines[1] == "批准的方案中为最优方案的：1 / 1"
    assert any(line.startswith("审批用时") for line in lines)
    (exercise / "report.json").write_text("{}")  # a report the page cannot read: the links alone
    assert not [c for c in exercise_page.report_links(EXERCISE, "zh")._traverse()
                if getattr(c, "id", None) == ids.EX_REPORT_SUMMARY]


def test_a_trainee_decides_with_their_own_token_and_matching_judges_them(app, exercise, matching):
    _url, calls = matching
    callback = app.twin_callbacks["on_ex_decide"]
    button = json.dumps({"action": "approve", "plan": PLAN_A, "type": ids.EX_DECIDE}, separators=(",", ":"))
    ctx = as_user(app, PROVINCE)
    trigger(button + ".n_clicks")
    assert callback([1, 0], EXERCISE, "按最快方案", "en") == f"Plan {PLAN_A} approved"
    ctx.pop()
    assert calls[-1]["token"] == headers_for(PROVINCE)["Authorization"]
    assert calls[-1]["body"] == {"version": 2, "comment": "按最快方案"}  # the plan's current version
    ctx = as_user(app, Identity("dy-duty", "county_duty_officer", "330783"))
    trigger(button + ".n_clicks")
    assert callback([1, 0], EXERCISE, None, "en").startswith(f"Not allowed to decide plan {PLAN_A}")
    reject = json.dumps({"action": "reject", "plan": PLAN_B, "type": ids.EX_DECIDE}, separators=(",", ":"))
    trigger(reject + ".n_clicks")
    assert callback([0, 1], EXERCISE, "  ", "en") == "A rejection needs a reason"
    trigger(reject + ".n_clicks", 0)
    assert callback([0, 0], EXERCISE, None, "en") is dash.no_update  # drawn, not clicked
    ctx.pop()
    assert len(calls) == 2


def layout_for(app, identity, lang="en"):
    """The exercise page's layout as `identity` is served it (JSON, as the browser gets it)."""
    client = app.server.test_client()
    client.get("/?token=" + token_for(identity))
    return json.loads(client.get("/_dash-layout", headers={"Referer": f"http://127.0.0.1/exercise?lang={lang}"})
                      .get_data(as_text=True))


def found(node, out):
    """The props of every component with a string id in `node`, by id."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if isinstance(props.get("id"), str):
            out[props["id"]] = props
        for value in props.values():
            found(value, out)
    elif isinstance(node, list):
        for item in node:
            found(item, out)
    return out


def test_the_replay_slider_names_its_two_ends_and_offers_no_number_to_type(app, exercise):
    for lang, start, end in (("en", "start of the exercise", "latest"), ("zh", "演练开始", "最新")):
        slider = found(layout_for(app, PROVINCE, lang), {})[ids.EX_REPLAY_SLIDER]
        assert slider["marks"] == {"0": start, "1000": end}
        assert slider["value"] == 1000 and slider["allow_direct_input"] is False


def test_the_steering_controls_are_disabled_with_a_note_for_anyone_but_a_trainer(app, exercise):
    steering = (ids.EX_SCENARIO, ids.EX_SPEED, ids.EX_START, ids.EX_PAUSE, ids.EX_RESUME, ids.EX_SET_SPEED)
    trainer, commander = found(layout_for(app, TRAINER), {}), found(layout_for(app, PROVINCE), {})
    assert not any(trainer[i].get("disabled") for i in steering) and ids.EX_TRAINEE_NOTE not in trainer
    assert all(commander[i].get("disabled") is True for i in steering)
    assert "you can decide their plans below as a trainee" in commander[ids.EX_TRAINEE_NOTE]["children"]
    assert commander[ids.EX_REASON].get("disabled") is not True  # a trainee still decides plans
    assert "display" not in commander[ids.EX_REASON]["style"]
    support = found(layout_for(app, Identity("dy-support", "support_officer", "330783")), {})  # never shown plans
    assert all(support[i].get("disabled") is True for i in steering)
    assert support[ids.EX_TRAINEE_NOTE]["children"] == "A trainer starts and steers exercises."
    assert support[ids.EX_REASON]["style"]["display"] == "none"  # nothing to reject


def test_the_replay_says_there_is_nothing_to_replay_instead_of_drawing_empty_axes(app, exercise):
    (exercise / "events.jsonl").write_text("")
    ctx = as_user(app, PROVINCE)
    empty, key = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, None, "en", None)
    assert empty.layout.annotations[0].text == "No recorded events yet"
    assert empty.layout.xaxis.visible is False and not empty.data
    # the page's refresh leaves it alone while nothing is recorded, and draws the first events once
    trigger(f"{ids.EX_REFRESH}.n_intervals")
    assert app.twin_callbacks["on_ex_replay"](1000, EXERCISE, 3, "en", key) == (dash.no_update,) * 2
    (exercise / "events.jsonl").write_text(json.dumps(example_event("incident.reported"), ensure_ascii=False) + "\n")
    drawn, again = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, 4, "en", key)
    assert drawn.data and not drawn.layout.annotations
    assert app.twin_callbacks["on_ex_replay"](1000, EXERCISE, 5, "en", again) == (dash.no_update,) * 2
    ctx.pop()


def test_only_a_trainer_steers_the_clock(app, exercise):
    callback = app.twin_callbacks["on_ex_clock"]
    clock_file = exercise / "clock.json"
    ctx = as_user(app, PROVINCE)
    trigger(f"{ids.EX_PAUSE}.n_clicks")
    assert callback(1, 1, 0, 0, EXERCISE, 60, "en") == "Only a trainer may start or steer an exercise"
    ctx.pop()
    assert not xclock.read_state(clock_file).paused
    ctx = as_user(app, TRAINER)
    trigger(f"{ids.EX_PAUSE}.n_clicks")
    shown = callback(1, 1, 0, 0, EXERCISE, 60, "en")
    assert xclock.read_state(clock_file).paused and "paused" in shown and "×60" in shown
    trigger(f"{ids.EX_SET_SPEED}.n_clicks")
    callback(1, 1, 0, 1, EXERCISE, 300, "en")
    trigger(f"{ids.EX_RESUME}.n_clicks")
    shown = callback(1, 1, 1, 1, EXERCISE, 300, "en")
    state = xclock.read_state(clock_file)
    assert (state.speed, state.paused) == (300, False) and "×300" in shown and "paused" not in shown
    trigger(f"{ids.EX_SET_SPEED}.n_clicks")
    assert "speed must be" in callback(1, 1, 1, 2, EXERCISE, 5000, "en")
    ctx.pop()


def test_only_a_trainer_starts_a_scenario_with_the_runner_the_twin_was_given(app, exercise, monkeypatch):
    started = []
    monkeypatch.setattr(exercise_page, "start_exercise",
                        lambda name, speed, run: started.append((name, speed, run)) or "x-1")
    runner = object()  # infra.exercise.stack.run_exercise, given by the process that starts the twin
    runs = create_app(ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20)), demo=False, secret="s" * 48,
                      run_exercise=runner)
    callback = runs.twin_callbacks["on_ex_start"]
    ctx = as_user(runs, PROVINCE)
    trigger(f"{ids.EX_START}.n_clicks")
    assert callback(1, "telecom-fraud", 120, "en") == \
        ("Only a trainer may start or steer an exercise", dash.no_update, dash.no_update)
    ctx.pop()
    ctx = as_user(runs, TRAINER)
    trigger(f"{ids.EX_START}.n_clicks")
    message, options, picked = callback(1, "telecom-fraud", 120, "en")
    assert message.startswith("Exercise x-1 started") and picked == "x-1"  # the page follows it at once
    assert options == exercise_page.exercise_options("en")
    assert "speed must be" in callback(1, "telecom-fraud", 0, "en")[0]
    ctx.pop()
    assert started == [("telecom-fraud", 120.0, runner)]
    ctx = as_user(app, TRAINER)  # a twin given no runner starts nothing
    trigger(f"{ids.EX_START}.n_clicks")
    assert app.twin_callbacks["on_ex_start"](1, "telecom-fraud", 120, "en")[0].startswith("This twin starts no exercise")
    ctx.pop()
    assert len(started) == 1


def test_the_report_is_linked_and_served_to_signed_in_users_only(app, exercise):
    (exercise / "report.html").write_text("<html>after-action</html>")
    ctx = as_user(app, PROVINCE)
    *_, report, _log, _key = app.twin_callbacks["on_ex_refresh"](1, EXERCISE, "en", None)
    ctx.pop()
    assert f"/exercise/{EXERCISE}/report.html" in str(report)
    client = app.server.test_client()
    assert client.get(f"/exercise/{EXERCISE}/report.html").status_code == 401
    resp = client.get(f"/exercise/{EXERCISE}/report.html", headers=headers_for(PROVINCE))
    assert resp.status_code == 200 and b"after-action" in resp.data
    (exercise.parent / ".hidden").mkdir()
    assert client.get("/exercise/.hidden/report.html", headers=headers_for(PROVINCE)).status_code == 404
    assert client.get("/exercise/nope/report.json", headers=headers_for(PROVINCE)).status_code == 404


def test_the_report_is_held_to_the_region_rule_of_the_requests_it_covers(app, exercise):
    """The exercise's request and incident are Dongyang's (330783): its duty officer and the trainer read
    the report; Xihu's duty officer is neither linked to it nor served it, as with its plans."""
    (exercise / "report.html").write_text("<html>after-action</html>")
    (exercise / "report.json").write_text("{}")
    client = app.server.test_client()
    for identity, shown in ((Identity("dy-duty", "county_duty_officer", "330783"), True), (TRAINER, True),
                            (Identity("xh-duty", "county_duty_officer", "330106"), False),
                            (Identity("hz", "city_commander", "330100"), False)):
        ctx = as_user(app, identity)
        *_, report, _log, _key = app.twin_callbacks["on_ex_refresh"](1, EXERCISE, "en", None)
        ctx.pop()
        assert (f"/exercise/{EXERCISE}/report.html" in str(report)) is shown, identity
        assert ("not shown to you" in str(report)) is not shown, identity
        for name in ("report.html", "report.json"):
            resp = client.get(f"/exercise/{EXERCISE}/{name}", headers=headers_for(identity))
            assert resp.status_code == (200 if shown else 404), (identity, name)


def test_the_replay_rebuilds_the_map_at_a_moment_of_the_recording(app, exercise):
    later = copy.deepcopy(example_event("incident.reported"))
    later["data"].update(incident_id="INC-330106-20250915-0009", location={"county": "330106"})
    later["time"] = "2025-09-15T09:30:00+08:00"
    with open(exercise / "events.jsonl", "a") as out:
        out.write(json.dumps(later, ensure_ascii=False) + "\n")
    ctx = as_user(app, PROVINCE)
    start, _ = app.twin_callbacks["on_ex_replay"](0, EXERCISE, None, "en", None)
    end, _ = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, None, "en", None)
    assert app.twin_callbacks["on_ex_replay"](500, "unknown-exercise", None, "en", None) == (dash.no_update,) * 2
    ctx.pop()

    def incidents(figure) -> int:
        return sum(len(t.lon) for t in figure.data if t.type == "scattermap" and t.name.startswith("grade"))
    assert (incidents(start), incidents(end)) == (1, 2)  # the second incident is reported later


def test_a_trainee_sees_the_plans_and_the_replay_of_their_own_region_only(app, exercise):
    """The exercise's request is Dongyang's (330783): the permission table applies as to live plans."""
    def pending_plans(identity) -> str:
        ctx = as_user(app, identity)
        _options, pending, *_ = app.twin_callbacks["on_ex_refresh"](1, EXERCISE, "en", None)
        figure, _ = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, None, "en", None)
        ctx.pop()
        incidents = sum(len(t.lon) for t in figure.data if t.type == "scattermap" and t.name.startswith("grade"))
        return str(pending), incidents

    plans, incidents = pending_plans(Identity("dy-duty", "county_duty_officer", "330783"))
    assert PLAN_A in plans and incidents == 1
    for outsider in (Identity("xh-duty", "county_duty_officer", "330106"), Identity("zj-viewer", "viewer", "330000")):
        plans, incidents = pending_plans(outsider)
        assert PLAN_A not in plans and PLAN_B not in plans and incidents == 0, outsider
    # 西湖 may read plans of its own region and has none open: an honest "none"; the viewer is never shown
    # plans: told so, with the roles that are, not told there is none
    assert "No plan awaits a decision" in pending_plans(Identity("xh-duty", "county_duty_officer", "330106"))[0]
    viewer = pending_plans(Identity("zj-viewer", "viewer", "330000"))[0]
    assert "No plan awaits a decision" not in viewer and "Your role (viewer) may not read support plans" in viewer
    assert ids.EX_PLANS_WITHHELD in viewer


def test_a_started_exercise_is_listed_at_once_and_says_where_it_stands(tmp_path, monkeypatch):
    """Listed as starting while its services come up (before, it was missing from the list until then,
    and one without a report read "finished"), running, writing its report, finished; one whose thread
    ended without a report is stopped."""
    monkeypatch.setattr(store, "EXERCISES", tmp_path)
    go_on, phase = threading.Event(), threading.Event()

    def runner(played, *, speed, exercise_id, out):
        folder = store.exercise_dir(exercise_id)
        phase.wait(5)  # starting
        (folder / "urls.json").write_text("{}")
        phase.clear()
        go_on.set()
        phase.wait(5)  # running
        (folder / "urls.json").unlink()
        (folder / "events.jsonl").write_text("")
        phase.clear()
        go_on.set()
        phase.wait(5)  # writing its report

    exercise_id = exercise_page.start_exercise("telecom-fraud", 60.0, runner)

    def label():
        return {o["value"]: o["label"] for o in exercise_page.exercise_options("en")}[exercise_id]

    assert label().endswith("· starting")
    for expected in ("· running", "· writing its report"):
        phase.set()
        assert go_on.wait(5)
        go_on.clear()
        assert label().endswith(expected)
    phase.set()
    exercise_page._threads[exercise_id].join(5)
    assert label().endswith("· stopped (no report)")
    (store.exercise_dir(exercise_id) / "report.html").write_text("<html></html>")
    assert label().endswith("· finished")


def test_a_replay_rebuilt_once_is_answered_at_once_when_asked_again(app, exercise, monkeypatch):
    """A long recording takes longer to rebuild than the page's refresh, and the browser drops an answer
    a newer request has overtaken: the next request must find the figure already built."""
    built = []
    real = exercise_page.replay_figure
    monkeypatch.setattr(exercise_page, "replay_figure", lambda *a: built.append(a[2]) or real(*a))
    ctx = as_user(app, PROVINCE)
    first, key = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, None, "en", None)
    trigger(f"{ids.EX_REFRESH}.n_intervals")  # the refresh that overtook it, the browser never having drawn it
    again, _ = app.twin_callbacks["on_ex_replay"](1000, EXERCISE, 2, "en", None)
    assert again is first and built == [1000]
    moved, _ = app.twin_callbacks["on_ex_replay"](500, EXERCISE, None, "en", key)  # another point: built
    assert built == [1000, 500] and moved is not first
    ctx.pop()
    other = as_user(app, Identity("hz-commander", "city_commander", "330100"))  # another viewer: their own
    app.twin_callbacks["on_ex_replay"](1000, EXERCISE, None, "en", None)
    other.pop()
    assert built == [1000, 500, 1000]
