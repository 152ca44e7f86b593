"""An exercise beside live traffic, and two exercises side by side, on one real broker.

Each side runs the real demand and resources services (their own databases, HTTP on a real port);
the exercises are played by the runner's Player on an exercise clock at ×600 and recorded by the
Recorder. Live state after = live state before + the live traffic alone; each exercise sees only its
own injects and its own events.
"""
from __future__ import annotations

import threading
import uuid
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from services.common.auth import Identity, headers_for
from services.demand.bootstrap import build_runtime as demand_runtime
from services.demand.bootstrap import create_app as demand_app
from services.exercise import clock as xclock
from services.exercise.injects import Services
from services.exercise.recorder import Recorder
from services.exercise.runner import Player
from services.exercise.scenario import parse
from services.resources.bootstrap import build_runtime as resources_runtime
from services.resources.bootstrap import create_app as resources_app
from tests.helpers import wait_for
from tests.integration.test_resources_support import squad

pytestmark = pytest.mark.integration
MANAGER = Identity("pool-admin", "resource_manager")
DUTY = Identity("duty-330782", "county_duty_officer", "330782")
PROVINCE = Identity("zj-commander", "province_commander")  # sees every county's incidents (a duty officer only its own)


def scenario(name: str, county: str, unavailable: int) -> object:
    return parse({
        "name": name, "title": "隔离测试", "province": "330000", "start": "2025-09-15T09:00:00+08:00",
        "duration_h": 0.1, "speed": 600, "force": {"seed": 7, "officers": 1000},
        "good_response": {"summary": "演练不影响实战"},
        "injects": [
            {"at": "00:01", "kind": "incident", "incident": {
                "incident_id": f"EX-{name}-1", "type": "traffic_accident", "domain": "emergency_response",
                "location": {"county": county}, "size": {"people_involved": 1}, "reported_grade": "IV",
                "description": "演练：轻微交通事故", "reported_by": "演练导调组"}},
            {"at": "00:02", "kind": "officers_unavailable", "county": county, "count": unavailable,
             "reason": "演练：民警因病离岗"},
            {"at": "00:03", "kind": "road_closure", "between": [county, "330783"], "until": "00:05",
             "reason": "演练：道路封闭"}]})


@contextmanager
def serving(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


RUN = uuid.uuid4().hex[:6].upper()
YIWU, JINDONG = f"Y{RUN}", f"J{RUN}"  # officer id prefixes no other test's plans can name


@contextmanager
def side(make_settings, tmp_path, mode="live", exercise_id=None):
    """demand + resources of one side (live, or one exercise), serving HTTP, with a small roster.

    The services keep their real names (consumers check each topic's producer); each side has its
    own database files."""
    def settings(service):
        url = f"sqlite:///{tmp_path / f'{exercise_id or mode}-{service}.db'}"
        return make_settings(service=service, database_url=url, mode=mode, exercise_id=exercise_id)
    dem = demand_runtime(settings("demand")).start()
    res = resources_runtime(settings("resources")).start()
    with serving(demand_app(dem)) as d_url, serving(resources_app(res)) as r_url:
        officers = squad("330782", 6, prefix=YIWU) + squad("330703", 4, prefix=JINDONG)
        resp = requests.post(r_url + "/roster/import", json={"officers": officers}, headers=headers_for(MANAGER), timeout=30)
        assert resp.status_code == 200, resp.text
        try:
            yield Services(demand=d_url, resources=r_url), dem
        finally:
            dem.stop()
            res.stop()


def state(services: Services) -> dict:
    """What the province commander sees: incidents, and each officer's status."""
    incidents = requests.get(services.demand + "/incidents", headers=headers_for(PROVINCE), timeout=10).json()
    officers = requests.get(services.resources + "/officers?limit=1000", headers=headers_for(MANAGER), timeout=10).json()
    return {"incidents": sorted(i["incident_id"] for i in incidents),
            "statuses": {o["officer_id"]: o["status"] for o in officers["items"]}}


def play(tmp_path, make_settings, services, exercise_id, scn) -> tuple[list[dict], Recorder]:
    clock_path = tmp_path / f"{exercise_id}-clock.json"
    xclock.write_state(clock_path, xclock.start_state(scn.start, scn.speed))
    recorder = Recorder(make_settings(mode="exercise", exercise_id=exercise_id), tmp_path / f"{exercise_id}.jsonl").start()
    log = Player(scn, services, clock_path, tmp_path / f"{exercise_id}-conditions.json", out=lambda _: None).run()
    return log, recorder


def test_an_exercise_beside_live_traffic_leaves_live_state_alone_and_two_exercises_do_not_mix(make_settings, tmp_path):
    id_a, id_b = f"ex-a-{RUN.lower()}", f"ex-b-{RUN.lower()}"
    with side(make_settings, tmp_path) as (live, live_demand), \
            side(make_settings, tmp_path, "exercise", id_a) as (ex_a, _), \
            side(make_settings, tmp_path, "exercise", id_b) as (ex_b, _):
        before = state(live)
        results = {}
        plans = ((id_a, ex_a, scenario("drill-a", "330782", 2)), (id_b, ex_b, scenario("drill-b", "330703", 3)))
        threads = [threading.Thread(target=lambda i=i, s=s, scn=scn: results.__setitem__(
            i, play(tmp_path, make_settings, s, i, scn))) for i, s, scn in plans]
        for t in threads:
            t.start()
        # live traffic while the exercises play: a county reports an incident, an officer goes off duty
        live_incident = {"incident_id": "LIVE-1", "type": "traffic_accident", "domain": "emergency_response",
                         "location": {"county": "330782"}, "size": {"people_involved": 1}, "reported_grade": "IV",
                         "description": "实战：轻微交通事故", "reported_by": "义乌市公安局指挥中心"}
        assert requests.post(live.demand + "/incidents", json=live_incident, headers=headers_for(DUTY), timeout=10).status_code == 201
        assert requests.patch(live.resources + f"/officers/{YIWU}-006", json={"status": "off_duty", "reason": "下班"},
                              headers=headers_for(MANAGER), timeout=10).status_code == 200
        for t in threads:
            t.join(60)
        (log_a, rec_a), (log_b, rec_b) = results[id_a], results[id_b]
        assert all(entry["ok"] for entry in log_a + log_b), log_a + log_b

        after = state(live)
        expected = {"incidents": ["LIVE-1"], "statuses": {**before["statuses"], f"{YIWU}-006": "off_duty"}}
        assert before["incidents"] == [] and after == expected

        a, b = state(ex_a), state(ex_b)
        assert a["incidents"] == ["EX-drill-a-1"] and b["incidents"] == ["EX-drill-b-1"]
        assert sum(s == "unavailable" for s in a["statuses"].values()) == 2
        assert sum(s == "unavailable" for s in b["statuses"].values()) == 3
        assert all(s == "on_duty" for o, s in a["statuses"].items() if o.startswith(JINDONG))  # b's county, not a's

        assert wait_for(lambda: any(e["type"] == "officer.status-changed" for e in rec_a.snapshot())
                        and any(e["type"] == "officer.status-changed" for e in rec_b.snapshot()))
        rec_a.settle(quiet_s=1.0)
        rec_b.settle(quiet_s=1.0)
        for rec, mine in ((rec_a, id_a), (rec_b, id_b)):
            events = rec.snapshot()
            rec.stop()
            assert events and {(e["mode"], e.get("exerciseid")) for e in events} == {("exercise", mine)}
            changed = [e["data"]["officer_id"] for e in events if e["type"] == "officer.status-changed"]
            assert changed and all(o.startswith(YIWU if mine == id_a else JINDONG) for o in changed)
            letters = [(e["source"], e["data"].get("original_topic"), e["data"].get("reason"))
                       for e in events if e["type"] == "deadletter"]
            assert not letters, letters
        # the live consumers saw the exercises' events go by and skipped them
        assert wait_for(lambda: live_demand.worker.stats["other_mode"] > 0)
