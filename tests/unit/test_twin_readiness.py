"""The support circle on the twin: the map's colouring from resources' coverage (read at most once a
minute), each plan's counties leaving the circle (resources' what-if, once per plan), and the navbar's
link to demand's performance report (read with the user's own token), each shown per role and region."""
from __future__ import annotations

import copy
import threading
from datetime import datetime, timezone

import pytest
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from services.common.auth import Identity, current_identity, headers_for, signed_in
from services.common.contracts import example_event
from services.common.permissions import table
from twin.mirror import replay
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel
from twin.sim.uncertainty import PreviewConfig
from twin.ui import ids
from twin.ui.app import create_app, panel_view, refresh_view, report_period
from twin.ui.readiness import Readiness

REQUEST = "REQ-330783-20250915-0003"
PLAN = "PLAN-REQ-330783-20250915-0003-A"
PROVINCE = Identity("zj-commander", "province_commander", "330000")
JINHUA = Identity("jh-commander", "city_commander", "330700")  # 东阳 330783 lies in 金华
DONGYANG_DUTY = Identity("dy-duty", "county_duty_officer", "330783")
AUDITOR = Identity("zj-auditor", "auditor", "330000")
VIEWER = Identity("zj-viewer", "viewer", "330000")
MODULES = ["riot_control", "investigation", "technical_support", "patrol", "traffic", "emergency_rescue"]


def county(code: str, name: str, covered: list[str], support: list[int]) -> dict:
    return {"county": code, "name": name, "city": code[:4] + "00", "lendable": 10, "covered_modules": covered,
            "outside_modules": [m for m in MODULES if m not in covered],
            "modules": {m: {"local": [1, 2, 3], "support": support if m == "patrol" else [0, 4, 9],
                            "covered": m in covered} for m in MODULES}}


COVERAGE = {"at": "2025-09-15T01:00:00Z", "computed_at": "2025-09-15T01:00:00Z", "horizon_h": 12,
            "thresholds_min": [30, 60, 120], "circle_min": 60, "team": 4, "modules": MODULES,
            "counties": [county("330783", "东阳市", MODULES[:4], [3, 11, 27]),
                         county("330106", "西湖区", ["patrol"], [2, 5, 8])],
            "outside": {}, "timeline": []}


def serve(app: Flask):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def services():
    """Stand-ins for resources' readiness and demand's performance report, each checking the caller's token."""
    calls: list[dict] = []
    resources, demand = Flask("resources"), Flask("demand")  # the names tokens are addressed to (aud)

    @resources.get("/readiness/coverage")
    def coverage():
        calls.append({"path": request.path, "caller": current_identity()})
        return jsonify(COVERAGE)

    @resources.post("/readiness/what-if")
    def what_if():
        body = request.get_json()
        calls.append({"path": request.path, "caller": current_identity(), "body": body})
        left = ([{"county": "330782", "name": "义乌市", "city": "330700", "modules": ["riot_control", "patrol"]},
                 {"county": "330106", "name": "西湖区", "city": "330100", "modules": ["traffic"]}]
                if body["plan_id"] == PLAN else [])
        return jsonify({"plan_id": body["plan_id"], "county": body.get("county"), "left_circle": left,
                        "changes": [], "removed": len(body["officer_ids"])})

    @demand.get("/reports/performance")
    def report():
        caller = current_identity()
        calls.append({"path": request.path, "caller": caller, "args": dict(request.args)})
        if caller.role not in table().rules("demand")["GET /reports/performance"]:
            return jsonify({"title": "Forbidden", "status": 403, "detail": "not yours"}), 403
        return Response(f"<html><body><h1>绩效报告 {request.args['period']} {caller.region}</h1></body></html>",
                        mimetype="text/html")

    (r_server, r_url), (d_server, d_url) = serve(resources), serve(demand)
    yield ServicesClient({"resources": r_url, "demand": d_url}), calls
    r_server.shutdown()
    d_server.shutdown()


@pytest.fixture
def loop() -> ProvinceModel:
    """The Dongyang request with two candidate plans (the second without officers from Yiwu)."""
    model = ProvinceModel(seed=0, preview_config=PreviewConfig(runs=20),
                          start=datetime(2025, 9, 15, tzinfo=timezone.utc))
    replay.apply(model, example_event("support.requested"))
    replay.apply(model, example_event("plan.proposed"))
    other = copy.deepcopy(example_event("plan.proposed"))
    other["data"].update(plan_id=PLAN[:-1] + "B", kind="fairest")
    other["data"]["assignments"] = other["data"]["assignments"][2:]
    replay.apply(model, other)
    return model


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def leaving_cells(comparison) -> list[str]:
    """The row of counties leaving the circle, one cell per plan shown."""
    return [c.children for c in comparison._traverse() if getattr(c, "className", None) == "leaving-circle"]


def circle_trace(figure):
    return next(t for t in figure.data if t.type == "choroplethmap")


def test_the_integrator_the_twin_calls_as_may_read_the_support_circle():
    rules = table().rules("resources")
    assert rules["GET /readiness/coverage"]["integrator"] == "all"
    assert rules["POST /readiness/what-if"]["integrator"] == "all"


def test_the_coverage_is_read_as_the_twin_at_most_once_a_minute(services):
    client, calls = services
    clock = Clock()
    circle = Readiness(client, clock=clock)
    assert circle.coverage() == COVERAGE and circle.coverage() == COVERAGE
    clock.t += 59
    circle.coverage()
    assert len(calls) == 1 and (calls[0]["caller"].subject, calls[0]["caller"].role) == ("service:twin", "integrator")
    clock.t += 2
    circle.coverage()
    assert len(calls) == 2


def test_a_failed_read_keeps_the_last_coverage_and_waits_a_minute():
    clock = Clock()
    circle = Readiness(ServicesClient({"resources": "http://127.0.0.1:9"}), clock=clock)
    assert circle.coverage() is None
    circle._coverage = COVERAGE  # read earlier, resources down since
    clock.t += 61
    assert circle.coverage() == COVERAGE


def test_the_map_colours_each_county_by_the_modules_covered_with_the_support_counts_on_hover(services, loop):
    client, calls = services
    circle = Readiness(client)
    geojson = loop.geography.county_geojson()
    figure, *_, key = refresh_view(loop, geojson, "circle", None, "zh", None, PROVINCE, circle=circle)
    trace = circle_trace(figure)
    z = dict(zip(trace.locations, trace.z))
    assert (z["330783"], z["330106"]) == (4, 1) and (trace.zmin, trace.zmax) == (0, 6)
    hover = dict(zip(trace.locations, (row[5] for row in trace.customdata)))
    assert "✓ 巡逻: 3 / 11 / 27" in hover["330783"] and "✗ 交通: 0 / 4 / 9" in hover["330783"]
    assert "%{customdata[5]}" in trace.hovertemplate
    # redrawn with another colouring and back: resources is not asked again within the minute
    refresh_view(loop, geojson, "load", None, "zh", key, PROVINCE, circle=circle)
    refresh_view(loop, geojson, "circle", None, "zh", None, PROVINCE, circle=circle)
    assert [c["path"] for c in calls] == ["/readiness/coverage"]
    load = circle_trace(refresh_view(loop, geojson, "load", None, "zh", None, PROVINCE, circle=circle)[0])
    assert "%{customdata[5]}" not in load.hovertemplate


def test_the_circle_shows_a_role_only_its_counties(services, loop):
    client, _calls = services
    circle = Readiness(client)
    geojson = loop.geography.county_geojson()
    for identity, shown in ((DONGYANG_DUTY, {"330783"}), (JINHUA, {"330783"}), (VIEWER, set())):
        trace = circle_trace(refresh_view(loop, geojson, "circle", None, "en", None, identity, circle=circle)[0])
        assert {code for code, z in zip(trace.locations, trace.z) if z is not None} == shown, identity
        hover = dict(zip(trace.locations, (row[5] for row in trace.customdata)))
        assert "11" not in hover["330106"] and hover["330106"] == "support circle: —"


def test_each_plan_shows_the_counties_leaving_the_circle_asked_once_per_plan(services, loop):
    client, calls = services
    circle = Readiness(client)
    comparison, _strength, key = panel_view(loop, REQUEST, "zh", None, PROVINCE, circle)
    assert "出动后离开支援圈的县区" in str(comparison)
    assert leaving_cells(comparison) == ["义乌市（处突、巡逻）；西湖区（交通）", "无"]
    posted = {c["body"]["plan_id"]: c["body"] for c in calls if c["path"] == "/readiness/what-if"}
    assert posted[PLAN]["officer_ids"] == sorted(a["officer_id"] for a in loop.plans[PLAN]["assignments"])
    assert posted[PLAN]["county"] == "330783" and len(posted[PLAN[:-1] + "B"]["officer_ids"]) == 4
    assert all(c["caller"].subject == "service:twin" for c in calls)
    panel_view(loop, REQUEST, "en", None, PROVINCE, circle)
    panel_view(loop, REQUEST, "zh", key, DONGYANG_DUTY, circle)
    assert len([c for c in calls if c["path"] == "/readiness/what-if"]) == 2  # once per plan
    english = panel_view(loop, REQUEST, "en", None, PROVINCE, circle)[0]
    assert "counties leaving the 1-hour circle if sent" in str(english)
    assert leaving_cells(english) == ["Yiwu City (riot control, patrol); Xihu District (traffic)", "none"]
    # a county duty officer of Dongyang sees no other county leaving; the city of Jinhua sees Yiwu only
    assert leaving_cells(panel_view(loop, REQUEST, "zh", None, DONGYANG_DUTY, circle)[0]) == ["无", "无"]
    assert leaving_cells(panel_view(loop, REQUEST, "zh", None, JINHUA, circle)[0]) == ["义乌市（处突、巡逻）", "无"]


def test_resources_down_leaves_a_dash_and_is_asked_again_later(loop):
    clock = Clock()
    circle = Readiness(ServicesClient({"resources": "http://127.0.0.1:9"}), clock=clock)
    assert leaving_cells(panel_view(loop, REQUEST, "zh", None, PROVINCE, circle)[0]) == ["—", "—"]
    assert circle._failed and not circle._what_if


def test_the_report_link_is_in_the_navbar_only_for_roles_that_may_read_it(loop):
    app = create_app(loop, client=ServicesClient({}))
    for identity, shown in ((PROVINCE, True), (AUDITOR, True), (JINHUA, True), (DONGYANG_DUTY, False),
                            (VIEWER, False)):
        with app.server.test_request_context("/?lang=zh", headers=headers_for(identity)):
            app.server.preprocess_request()
            layout = app.layout()
        links = [c for c in layout._traverse() if getattr(c, "id", None) == ids.REPORT_LINK]
        assert bool(links) == shown, identity
        if links:
            assert links[0].children == "绩效报告" and links[0].href == "/reports/performance?lang=zh"


def test_the_report_is_demands_for_the_current_half_year_read_with_the_users_token(services, loop):
    client, calls = services
    app = create_app(loop, client=client)
    assert report_period(datetime(2025, 12, 31, 17, tzinfo=timezone.utc)) == "2026-H1"  # Beijing's new year
    resp = signed_in(app.server.test_client(), JINHUA).get("/reports/performance")
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "绩效报告 2025-H2 330700" in page
    assert "<body><p style='margin:0 0 .5em'><a id='report-back' href='/?lang=zh'>返回指挥地图</a></p><h1>" in page
    assert calls[-1]["args"] == {"period": "2025-H2", "format": "html", "lang": "zh"}
    english = signed_in(app.server.test_client(), JINHUA).get("/reports/performance?lang=en&period=2026-H1")
    assert "href='/?lang=en'>Back to the command map</a>" in english.get_data(as_text=True)
    assert calls[-1]["args"] == {"period": "2026-H1", "format": "html", "lang": "en"}
    assert (calls[-1]["caller"].subject, calls[-1]["caller"].role) == ("jh-commander", "city_commander")
    before = len(calls)
    refused = signed_in(app.server.test_client(), DONGYANG_DUTY).get("/reports/performance")
    assert refused.status_code == 403 and len(calls) == before  # demand is not asked
    reason = refused.get_data(as_text=True)
    assert "您的角色（县级值班员）无权查看绩效报告" in reason and "省级指挥长" in reason and "市级指挥长" in reason
    assert "审计员" in reason and "href='/?lang=zh'" in reason
    assert "report-sped-up" not in page  # devices at the plans' pace: nothing to say
    english = signed_in(app.server.test_client(), DONGYANG_DUTY).get("/reports/performance?lang=en")
    assert "Your role (county duty officer) may not read" in english.get_data(as_text=True)
    assert signed_in(app.server.test_client(), AUDITOR).get("/reports/performance?period=2025-H1").status_code == 200
    assert calls[-1]["args"]["period"] == "2025-H1"


def test_the_demo_s_report_says_its_response_times_come_from_devices_driving_faster_than_the_plans(services, loop):
    """The demo's simulated devices drive 10x faster than the plans: the report's response times are a
    tenth of a real journey's, and the page says so above the figures, in its language."""
    client, _calls = services
    app = create_app(loop, client=client, device_speedup=10)
    page = signed_in(app.server.test_client(), JINHUA).get("/reports/performance").get_data(as_text=True)
    note = page.split("<p id='report-sped-up'", 1)[1].split("</p>", 1)[0]
    assert "10 倍速" in note and "1/10" in note and page.index("report-sped-up") < page.index("<h1>")
    english = signed_in(app.server.test_client(), JINHUA).get("/reports/performance?lang=en").get_data(as_text=True)
    assert "drive 10× faster than the plans&#x27; journeys" in english
