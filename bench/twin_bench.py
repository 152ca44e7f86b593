"""The twin: plan previews (3 plans x 200 runs x 2 simulated hours) and a map update at province scale.

- `twin.preview_3x200.s`: three candidate plans previewed through the Mesa `PreviewModel` (agents
  carrying all 200 runs as arrays, stepped minute by minute for 2 hours); baseline: the same
  samples in closed form over numpy arrays (`twin.preview_numpy_3x200.s`), same run.
- `twin.map_update_20k.ms`: 20,000 officers (aggregated per county) and 200 moving units: snapshot,
  figure build and JSON serialisation of what the browser receives; baseline: the same map with
  counties and incidents only. `twin.map_update_20k.payload_kb` is the size of that JSON (the county
  polygons are fetched once from the app, not resent with each update).
- `twin.callback_p95_ms`: the map's refresh callback through the app (POST /_dash-update-component) under
  the same 20,000 officers and 200 units, a unit moved before each call so the map is redrawn; baseline:
  the same callback when nothing changed; `twin.callback_cpu_p95_ms` the same calls' CPU time (what a busy
  machine does not stretch). `twin.callback_kb` is what a redraw sends (gzipped when the twin does).
- `twin.first_map_s`: sign-in (`/?token=`) to the command map's county polygons drawn in headless Chromium
  (a fresh browser each visit, median of 3), the twin served as the browser tests serve it; baseline: the
  page's first response in the same visits. `twin.full_map_s`: until the officers and units are drawn
  over it (baseline: `first_map_s`); `twin.first_map_cpu_s` the page's renderer CPU until the polygons
  are drawn (baseline: its main thread's); `twin.first_map_plotly_kb` the Plotly bundle the page ran (Plotly's
  map bundle, twin/ui/plotly_bundle.py, when installed; else Dash's full one). Needs Chromium and
  chromedriver (tests/e2e/conftest.py).
"""
from __future__ import annotations

import copy
import gzip
import json
import statistics
import time
from datetime import datetime, timedelta, timezone

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.sim.preview import preview_numpy, preview_plan
from twin.sim.uncertainty import PreviewConfig
from twin.ui import views

START = datetime(2025, 9, 15, 1, 0, tzinfo=timezone.utc)
DONORS = [("330782", "330703", "330727", "330784"), ("330102", "330105", "330106", "330110"),
          ("330602", "330603", "330624", "330681")]


def candidate_plans(units_per_plan: int = 8, officers_per_unit: int = 4) -> list[dict]:
    """Three plans of 8 units x 4 officers from four donor counties each, ETAs 20 to 55 minutes."""
    base = example_event("plan.proposed")["data"]
    plans = []
    for p, donors in enumerate(DONORS):
        assignments = [{"officer_id": f"P-{donors[u % 4]}-{u:03d}{o}", "line_id": f"L{u % 2 + 1}",
                        "from_county": donors[u % 4], "unit_id": f"UNIT-{p}-{u:02d}", "eta_s": 1200 + 270 * u}
                       for u in range(units_per_plan) for o in range(officers_per_unit)]
        plans.append(dict(copy.deepcopy(base), plan_id=f"PLAN-BENCH-{p}", assignments=assignments))
    return plans


def fork() -> dict:
    return {code: {"officers_on_duty": 240, "officers_committed": 12, "reserve_floor": 168, "name": code}
            for donors in DONORS for code in donors}


def best_of(fn, rounds: int = 7) -> float:
    """The median of `rounds` timings, in seconds (the machine is shared and noisy)."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def bench_preview() -> dict:
    plans, state, config = candidate_plans(), fork(), PreviewConfig(runs=200, horizon_s=7200)
    mesa_s = best_of(lambda: [preview_plan(p, state, deadline_s=2700, config=config) for p in plans])
    numpy_s = best_of(lambda: [preview_numpy(p, state, deadline_s=2700, config=config) for p in plans])
    return {"twin.preview_3x200.s": {"value": round(mesa_s, 4), "unit": "s", "baseline": round(numpy_s, 4)},
            "twin.preview_numpy_3x200.s": {"value": round(numpy_s, 4), "unit": "s", "baseline": None}}


def busy_model(officers: int = 20_000, units: int = 200) -> ProvinceModel:
    model = ProvinceModel(seed=0, start=START)
    replay.apply(model, example_event("incident.reported"))
    return with_load(model, officers, units)


def with_load(model: ProvinceModel, officers: int = 20_000, units: int = 200) -> ProvinceModel:
    """`officers` on duty, reserved or deployed across every county, and `units` ordered and moving."""
    start = START
    codes = [c.code for c in model.counties()]
    for i, code in enumerate(codes):
        model.set_county_load(code, on_duty=officers // len(codes), available=150, committed=10 + i % 40)
    for i in range(officers):
        model.set_officer_status(officer_id=f"P-{i:05d}", county=codes[i % len(codes)],
                                 status=("on_duty", "reserved", "deployed")[i % 3])
    order = example_event("dispatch.ordered")
    for i in range(units):
        event = copy.deepcopy(order)
        event["data"].update(order_id=f"ORD-{i:04d}", unit_id=f"UNIT-{i:04d}", from_county=codes[i % len(codes)],
                             ordered_at=(start + timedelta(minutes=i % 30)).isoformat())
        replay.apply(model, event)
        model.place_unit(unit_id=f"UNIT-{i:04d}", position=(119.5 + i * 0.005, 29.5 + (i % 20) * 0.02),
                         status="moving")
    return model


def map_update(model: ProvinceModel, geojson: dict, *, layers: bool) -> int:
    snapshot = model.snapshot()
    if not layers:
        snapshot = dict(snapshot, units=[], requests=[], plans=[])
        figure = views.province_map(geojson, snapshot["counties"], snapshot["incidents"],
                                    geojson_url=views.GEOJSON_PATH)
    else:
        figure = views.map_figure(snapshot, geojson, colour_by="load", request_id=None)
    return len(figure.to_json())


def bench_map() -> dict:
    model = busy_model()
    geojson = model.geography.county_geojson()
    payload = map_update(model, geojson, layers=True)
    full_ms = best_of(lambda: map_update(model, geojson, layers=True)) * 1000
    bare_ms = best_of(lambda: map_update(model, geojson, layers=False)) * 1000
    return {"twin.map_update_20k.ms": {"value": round(full_ms, 1), "unit": "ms", "baseline": round(bare_ms, 1)},
            "twin.map_update_20k.payload_kb": {"value": round(payload / 1024, 1), "unit": "KiB", "baseline": None}}


# The command map as drawn: MapLibre's county fill features rendered (queried from the map itself),
# the number of traces the figure holds, and the page's own clock (ms since the sign-in navigation).
DRAWN_JS = r"""
const graph = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
const map = graph && graph._fullLayout && graph._fullLayout.map && graph._fullLayout.map._subplot
            && graph._fullLayout.map._subplot.map;
if (!map || !map.loaded() || !graph.querySelector('.main-svg')) return null;
const fills = map.getStyle().layers.filter(l => l.type === 'fill').map(l => l.id);
const drawn = map.queryRenderedFeatures({layers: fills}).length;
const nav = performance.getEntriesByType('navigation')[0];
const plotly = performance.getEntriesByType('resource').find(r => /\/plotly[^/_]*\.js(\?|$)/.test(r.name));
return {fills: drawn, traces: graph.data.map(t => t.name), now: performance.now(),
        first_response: nav.responseStart, plotly_bytes: plotly ? plotly.decodedBodySize : null};
"""


def command_model(officers: int = 20_000, units: int = 200) -> ProvinceModel:
    """The browser tests' command situation (two support requests, a plan, a unit ordered) over a
    province of `officers` and `units` moving."""
    from tests.e2e.twin_scene import scene

    return with_load(scene(), officers, units)


def province_commander_token() -> str:
    from services.common.auth import Identity, headers_for

    return headers_for(Identity("zj-commander", "province_commander", "330000"))["Authorization"].split()[1]


def first_map(origin: str, token: str) -> dict | None:
    """One cold visit in a fresh headless Chromium: sign in with `?token=` and wait for the map's county
    polygons (`first_map_s`), then for its officers and units over them (`full_map_s`), in the page's clock
    from the sign-in; `first_response_s` is the page's first byte. None without Chromium."""
    import shutil
    import tempfile

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    from tests.e2e.conftest import CHROME_FLAGS, CHROMEDRIVER, CHROMIUM
    from twin.ui import ids
    from twin.ui.messages import text

    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return None
    profile = tempfile.mkdtemp(prefix="twin-bench-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    options.page_load_strategy = "eager"  # back at DOMContentLoaded: the map is watched from then on
    for flag in CHROME_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    officers = text("officers", "zh")
    try:
        driver.execute_cdp_cmd("Performance.enable", {"timeDomain": "threadTicks"})
        driver.get(f"{origin}/?token={token}")
        deadline, out = time.monotonic() + 120, {}
        while time.monotonic() < deadline:
            state = driver.execute_script(DRAWN_JS, ids.MAP)
            if state and state["fills"] >= 50:
                if "first_map_s" not in out:  # the page's CPU so far: what a busy machine stretches
                    metrics = {m["name"]: m["value"] for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]}
                    out.update(first_map_s=state["now"] / 1000, first_response_s=state["first_response"] / 1000,
                               first_map_cpu_s=metrics.get("ProcessTime"), first_map_main_cpu_s=metrics.get("ThreadTime"),
                               plotly_kb=(state["plotly_bytes"] or 0) / 1024)
                if officers in state["traces"]:
                    return dict(out, full_map_s=state["now"] / 1000, traces=len(state["traces"]))
            time.sleep(0.05)
        raise TimeoutError("the command map did not draw within 120 s")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def serve(app) -> tuple[str, object]:
    """The app on a free loopback port in a thread, as the browser tests serve it."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, name="twin-bench-http", daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def bench_first_map(runs: int = 3) -> dict:
    """`twin.first_map_s`: sign-in to the command map drawn, median of `runs` cold browsers; baseline:
    the page's first response in the same visits."""
    import logging

    from twin.ui.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    origin, server = serve(create_app(command_model(), refresh_ms=2000))
    try:
        visits = [first_map(origin, province_commander_token()) for _ in range(runs)]
    finally:
        server.shutdown()
    if None in visits:
        return {}
    median = lambda key: statistics.median(v[key] for v in visits)  # noqa: E731
    return {"twin.first_map_s": {"value": round(median("first_map_s"), 2), "unit": "s",
                                 "baseline": round(median("first_response_s"), 3)},
            "twin.full_map_s": {"value": round(median("full_map_s"), 2), "unit": "s",
                                "baseline": round(median("first_map_s"), 2)},
            "twin.first_map_cpu_s": {"value": round(median("first_map_cpu_s"), 2), "unit": "s",
                                     "baseline": round(median("first_map_main_cpu_s"), 2)},
            "twin.first_map_plotly_kb": {"value": round(median("plotly_kb")), "unit": "KiB", "baseline": None}}


def refresh_body(model: ProvinceModel, last_key: str | None, request_id: str | None) -> dict:
    """The map's refresh callback as the page posts it (a tick of the refresh interval)."""
    from twin.ui import ids

    outputs = [(ids.MAP, "figure"), (ids.INCIDENT_TABLE_BODY, "children"), (ids.INCIDENT_COUNT, "children"),
               (ids.CLOCK, "children"), (ids.REQUEST_PICKER, "options"), (ids.STATE_KEY, "data")]
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": ids.REFRESH, "property": "n_intervals", "value": 1},
                       {"id": ids.COLOUR_BY, "property": "value", "value": "load"},
                       {"id": ids.REQUEST_PICKER, "property": "value", "value": request_id}],
            "changedPropIds": [f"{ids.REFRESH}.n_intervals"],
            "state": [{"id": ids.LANGUAGE, "property": "data", "value": "zh"},
                      {"id": ids.STATE_KEY, "property": "data", "value": last_key}]}


def bench_callback(calls: int = 40) -> dict:
    """`twin.callback_p95_ms`: the map's refresh callback (POST /_dash-update-component, through the app)
    under 20,000 officers and 200 moving units, every call with a unit moved (the map redrawn); baseline:
    the same callback with nothing changed (no figure sent). `twin.callback_kb` is what a redraw sends."""
    from tests.e2e.twin_scene import FRAUD_REQUEST
    from twin.ui import ids
    from twin.ui.app import create_app

    model = command_model()
    client = create_app(model, refresh_ms=2000).server.test_client()
    headers = {"Authorization": f"Bearer {province_commander_token()}", "Accept-Encoding": "gzip"}

    def call(last_key) -> tuple[dict, int]:
        resp = client.post("/_dash-update-component", json=refresh_body(model, last_key, FRAUD_REQUEST),
                           headers=headers)
        assert resp.status_code == 200, resp.status_code
        body = resp.get_data()
        plain = gzip.decompress(body) if resp.headers.get("Content-Encoding") == "gzip" else body
        return json.loads(plain), len(body)

    def timed(moved: bool, key: str | None) -> tuple[list[float], list[float], int]:
        wall, cpu, size = [], [], 0
        for i in range(calls):
            if moved:
                model.place_unit(unit_id="UNIT-0000", position=(119.5 + i * 0.001, 29.5), status="moving")
            start, start_cpu = time.perf_counter(), time.thread_time()
            answer, sent = call(None if moved else key)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            key, size = answer["response"][ids.STATE_KEY]["data"], max(size, sent)
        return wall, cpu, size

    call(None)  # warm: a first redraw
    redraw, redraw_cpu, size = timed(True, None)
    unchanged, unchanged_cpu, _ = timed(False, call(None)[0]["response"][ids.STATE_KEY]["data"])
    p95 = lambda samples: round(statistics.quantiles(samples, n=20)[-1], 1)  # noqa: E731
    return {"twin.callback_p95_ms": {"value": p95(redraw), "unit": "ms", "baseline": p95(unchanged)},
            "twin.callback_cpu_p95_ms": {"value": p95(redraw_cpu), "unit": "ms", "baseline": p95(unchanged_cpu)},
            "twin.callback_kb": {"value": round(size / 1024, 1), "unit": "KiB", "baseline": None}}


def run() -> dict:
    return {**bench_preview(), **bench_map(), **bench_callback(), **bench_first_map()}


if __name__ == "__main__":
    print(run())
