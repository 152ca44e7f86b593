"""The twin: plan previews (3 plans x 200 runs x 2 simulated hours) and a map update at province scale.

- `twin.preview_3x200.s`: three candidate plans previewed through the Mesa `PreviewModel` (agents
  carrying all 200 runs as arrays, stepped minute by minute for 2 hours); baseline: the same
  samples in closed form over numpy arrays (`twin.preview_numpy_3x200.s`), same run.
- `twin.map_update_20k.ms`: 20,000 officers (aggregated per county) and 200 moving units: snapshot,
  figure build and JSON serialisation of what the browser receives; baseline: the same map with
  counties and incidents only. `twin.map_update_20k.payload_kb` is the size of that JSON (the county
  polygons are fetched once from the app, not resent with each update).
"""
from __future__ import annotations

import copy
import statistics
import time
from datetime import datetime, timedelta, timezone

from services.common.contracts import example_event
from twin.mirror import replay
from twin.sim.model import ProvinceModel
from twin.sim.preview import preview_numpy, preview_plan
from twin.sim.uncertainty import PreviewConfig
from twin.ui import views

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
    start = datetime(2025, 9, 15, 1, 0, tzinfo=timezone.utc)
    model = ProvinceModel(seed=0, start=start)
    codes = [c.code for c in model.counties()]
    for i, code in enumerate(codes):
        model.set_county_load(code, on_duty=officers // len(codes), available=150, committed=10 + i % 40)
    for i in range(officers):
        model.set_officer_status(officer_id=f"P-{i:05d}", county=codes[i % len(codes)],
                                 status=("on_duty", "reserved", "deployed")[i % 3])
    replay.apply(model, example_event("incident.reported"))
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


def run() -> dict:
    return {**bench_preview(), **bench_map()}


if __name__ == "__main__":
    print(run())
