"""An exercise of 8 simulated hours with 50 injects at ×600, played on the real services.

- `exercise.8h_50_injects_x600.s`: wall seconds from the clock's start to the end of the 8
  simulated hours, with the four services running in exercise mode (their own processes, on the
  exercise clock), every inject applied over HTTP, the best plan of each request approved by the
  unattended trainee and the stream recorded; the target is under
  60 s. Baseline: the ideal 48 s (8 h / 600), the floor no run can beat.
- `exercise.inject_lag.p95_min`: simulated minutes between an inject's time and its application
  (injects are applied one at a time beside the schedule; at ×600 one wall second is ten simulated
  minutes); no baseline.
- `exercise.stack_start.s`: starting the exercise's broker and services and loading the force
  (20,000 officers), before the clock runs; no baseline.
- `exercise.8h_x600.on_time_share` and `exercise.8h_x60.on_time_share`: share of the exercise's
  support requests whose every unit arrived before the deadline, the same scenario played at ×600
  and at ×60 (the field side, planning windows, re-sends and escalation all on the exercise clock,
  which stands still while a step of the loop is in hand). The two should agree: the share reflects
  the plans, not the speed. The ×60 run takes 8 wall minutes; BENCH_EXERCISE_X60=0 leaves it out.

- `exercise.case.<scenario>.<figure>`: each reference case of the seed (the built-in scenarios that
  name `seed_figures`: telecom fraud, the Asian Games, the six-city rainstorm, the city pool) played at
  ×600 with the unattended trainee; the value is this run's outcome, the baseline the seed's figure,
  and `met` / `reason` say whether it was met and, if not, what prevented it (services/exercise/seeds.py).
  About a minute and a half each; BENCH_EXERCISE_CASES=0 leaves them out.

The 50 injects cycle through every kind (incidents, growth, competing incidents, officers
unavailable, equipment failures, road closures, weather) across Zhejiang's cities.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from infra.exercise.stack import run_exercise
from services.exercise.scenario import builtin_names, load, parse

COUNTIES = ("330782", "330106", "330302", "331082", "331126", "330683", "330481", "330522", "330881", "330902")
CITIES = ("330700", "330100", "330300", "331000", "331100", "330600", "330400", "330500", "330800", "330900")
HOURS, INJECTS, SPEED = 8, 50, 600.0


def _inject(k: int, reported: list[str]) -> dict:
    county, city = COUNTIES[k % len(COUNTIES)], CITIES[k % len(CITIES)]
    minutes = 5 + k * (HOURS * 60 - 20) // INJECTS
    at = f"{minutes // 60:02d}:{minutes % 60:02d}"
    kind = ("incident", "officers_unavailable", "incident_growth", "road_closure", "weather",
            "equipment_failure", "competing_incident")[k % 7]
    if kind in ("incident_growth", "competing_incident") and not reported:
        kind = "incident"
    if kind in ("incident", "competing_incident"):
        incident_id = f"BENCH-{k:03d}"
        body = {"at": at, "kind": kind, "incident": {
            "incident_id": incident_id, "type": ("mass_gathering", "flood", "traffic_accident")[k % 3],
            "domain": "public_order", "location": {"county": county}, "size": {"people_involved": 40 + 20 * k},
            "description": "基准演练事件", "reported_by": "演练导调组"}}
        if kind == "competing_incident":
            body["competes_with"] = reported[-1]
        reported.append(incident_id)
        return body
    if kind == "incident_growth":
        return {"at": at, "kind": kind, "incident_id": reported[-1], "size": {"people_involved": 500 + 10 * k}}
    if kind == "officers_unavailable":
        return {"at": at, "kind": kind, "county": county, "count": 5, "reason": "基准演练：民警离岗"}
    if kind == "equipment_failure":
        return {"at": at, "kind": kind, "county": county, "equipment_type": "radio", "count": 3, "reason": "基准演练"}
    if kind == "road_closure":
        return {"at": at, "kind": kind, "between": [county, COUNTIES[(k + 1) % len(COUNTIES)]], "reason": "基准演练"}
    return {"at": at, "kind": kind, "regions": [city], "speed_factor": 0.6, "reason": "基准演练：降雨"}


def bench_scenario():
    reported: list[str] = []
    return parse({"name": "bench-8h-50", "title": "基准演练：8 小时 50 个注入", "province": "330000",
                  "start": "2026-07-20T08:00:00+08:00", "duration_h": HOURS, "speed": SPEED,
                  "force": {"seed": 7, "officers": 20000}, "good_response": {"summary": "基准"},
                  "injects": [_inject(k, reported) for k in range(INJECTS)]})


def on_time_share(result: dict) -> float:
    """Requests on time / requests (cancelled ones left out), from the run's after-action report."""
    report = json.loads(Path(result["report"]).with_suffix(".json").read_text(encoding="utf-8"))
    rows = [r for r in report["requests"] if not r.get("cancelled")]
    return sum(1 for r in rows if r["on_time"]) / len(rows) if rows else 0.0


def reference_cases(speed: float = SPEED) -> dict:
    """Each reference case's outcome beside its seed figure, from its after-action report."""
    out = {}
    for name in builtin_names():
        scenario = load(name)
        if not scenario.seed_figures:
            continue
        result = run_exercise(scenario, speed=speed, auto_trainee=True, out=lambda line: None, lang="en")
        report = json.loads(Path(result["report"]).with_suffix(".json").read_text(encoding="utf-8"))
        for row in report["seed_figures"]:
            got = row["achieved"]
            print(f"exercise case {name}: {row['figure']} {got} against the seed's {row['compare']} {row['wanted']:g}: "
                  + ("met" if row["met"] else f"not met ({row['reason']}: {row.get('reason_values')})"))
            out[f"exercise.case.{name}.{row['figure']}"] = {
                "value": float("nan") if got is None else float(got), "unit": UNITS.get(row["measure"], ""),
                "baseline": float(row["wanted"]), "met": row["met"], "compare": row["compare"],
                "reason": row.get("reason"), "seed": row.get("seed_en") or row["seed"]}
    return out


UNITS = {"officers_deployed": "officers", "officers_on_case": "officers", "donor_cities": "cities",
         "max_response_min": "min", "mean_response_min": "min", "completion_min": "min", "line_filled": "officers"}


def run() -> dict:
    lines: list[str] = []
    began = time.monotonic()
    result = run_exercise(bench_scenario(), speed=SPEED, auto_trainee=True, out=lines.append)
    total = time.monotonic() - began
    shares = {SPEED: on_time_share(result)}
    if os.environ.get("BENCH_EXERCISE_X60", "1") != "0":
        shares[60.0] = on_time_share(run_exercise(bench_scenario(), speed=60.0, auto_trainee=True,
                                                            out=lines.append))
    failed = [e for e in result["injects"] if not e["ok"]]
    if failed:
        print(f"exercise bench: {len(failed)} injects failed, first: {failed[0]['outcome'][:200]}")
    played, lags = result["played_s"], [e["lag_min"] for e in result["injects"]]
    print(f"exercise: 8 simulated hours, {INJECTS} injects at ×{SPEED:g} played in {played:.1f} s wall "
          f"(ideal {HOURS * 3600 / SPEED:.0f} s; whole run with start-up and report {total:.1f} s)")
    return {
        "exercise.8h_50_injects_x600.s": {"value": played, "unit": "s", "baseline": HOURS * 3600 / SPEED},
        "exercise.inject_lag.p95_min": {"value": float(np.percentile(lags, 95)), "unit": "min", "baseline": None},
        "exercise.stack_start.s": {"value": result["start_s"], "unit": "s", "baseline": None},
        "exercise.8h_x600.on_time_share": {"value": shares[SPEED], "unit": "share", "baseline": shares.get(60.0)},
        **({"exercise.8h_x60.on_time_share": {"value": shares[60.0], "unit": "share", "baseline": None}}
           if 60.0 in shares else {}),
        **(reference_cases() if os.environ.get("BENCH_EXERCISE_CASES", "1") != "0" else {}),
    }


if __name__ == "__main__":
    print(run())
