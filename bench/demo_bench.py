"""What a commander sees in the demo, as figures: `make run`'s stack (Zhejiang, 20,000 officers),
its three incidents, the plans matching proposes and the previews the twin draws of them.

- `demo.requests_met_share`: share of the demo's support requests whose best plan meets its deadline.
  Beside it, as the baseline, what reality allows: the share whose every line has enough qualified
  officers within the deadline's travel time anywhere in the province (matching's own shortfall
  figures), so a request no plan could meet (a mountain county at night, 30 minutes) counts against
  neither.
- `matching.distinct_alternatives_share`: share of requests whose candidate plans are pairwise
  distinct (no two plans assign the same officers; criteria that agree publish one plan).
- `twin.preview_blind_share`: share of previews with no p50 for the whole requirement (target 0).

Each figure's requests are printed with their county, deadline and outcome.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import requests as http

from infra.ports import free_ports
from infra.run import PROCESSES
from twin.sim.preview import preview_plan
from twin.sim.uncertainty import PreviewConfig

ROOT = Path(__file__).resolve().parents[1]


def _env(var: Path) -> dict:
    env = dict(os.environ, VAR_DIR=str(var), PYTHONUNBUFFERED="1", DEMO="1")
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "PROVINCE"):
        env.pop(name, None)
    names = ["kafka"] + PROCESSES
    for name, port in zip(names, free_ports(len(names))):
        env["KAFKA_PORT" if name == "kafka" else f"{name.upper()}_PORT"] = str(port)
    return env


def _get(url: str, token: str):
    resp = http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=15)
    resp.raise_for_status()
    return resp.json()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1.0)
    raise RuntimeError(f"demo bench: timed out waiting for {what}")


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def figures(urls: dict, token: str) -> tuple[dict, list[str]]:
    demo = [i for i in _get(urls["demand"] + "/incidents", token) if i["incident_id"].startswith("DEMO-")]

    def planned():
        reqs = _get(urls["matching"] + "/requests", token)
        if not reqs or any(r["status"] == "pending" for r in reqs):
            return None
        out = {r["request_id"]: dict(_get(urls["matching"] + f"/requests/{r['request_id']}/plans", token),
                                     county=r["county"], grade=r["grade"]) for r in reqs}
        return out if all(v["plans"] or v.get("infeasible") for v in out.values()) else None
    plans_by_request = _wait(planned, 300, "plans for every demo request")
    loads = {c["county"]: c for c in _get(urls["resources"] + "/counties/load", token)}
    fork = {code: {"officers_on_duty": c["on_duty"], "officers_committed": c["committed"],
                   "reserve_floor": c["reserve_floor"], "name": code} for code, c in loads.items()}
    met = possible = distinct = blind = previews = 0
    notes = [f"demo: {len(demo)} incidents, {len(plans_by_request)} support requests"]
    for request_id, doc in sorted(plans_by_request.items()):
        plans = doc["plans"]
        best = min(plans, key=lambda p: p["metrics"]["latest_eta_s"]) if plans else None
        ok = bool(best and best["metrics"]["deadline_met"])
        reachable = bool(best) and all(s["qualified_within_deadline"] >= s["needed"] for s in best["shortfall"])
        if best and not best["shortfall"] and not ok:  # filled, but late: could enough be there in time?
            reachable = not best.get("prepositioning")
        met += ok
        possible += reachable or ok
        sets = [frozenset(a["officer_id"] for a in p["assignments"]) for p in plans]
        distinct += len(set(sets)) == len(sets)
        for plan in plans:
            deadline_s = (_instant(plan["deadline"]) - _instant(plan["proposed_at"])).total_seconds()
            whole = preview_plan(plan, fork, deadline_s=deadline_s, config=PreviewConfig(runs=100))["whole"]
            previews += 1
            blind += whole["p50_s"] is None
        if best:
            notes.append(f"  {request_id} ({doc['county']}, grade {doc['grade']}, {plans[0].get('incident_id', '')}): "
                         f"{len(plans)} plan(s), best latest arrival "
                         f"{best['metrics']['latest_eta_s'] / 60:.0f} min, deadline "
                         f"{'met' if ok else 'not met'}; reachable in reality: {'yes' if reachable or ok else 'no'}")
    n = max(len(plans_by_request), 1)
    return {
        "demo.requests_met_share": {"value": met / n, "unit": "share", "baseline": possible / n},
        "matching.distinct_alternatives_share": {"value": distinct / n, "unit": "share", "baseline": 1.0},
        "twin.preview_blind_share": {"value": blind / max(previews, 1), "unit": "share", "baseline": None},
    }, notes


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as folder:
        var = Path(folder)
        proc = subprocess.Popen([sys.executable, "-m", "infra.run"], cwd=ROOT, env=_env(var),
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: (var / "urls.json").exists() or proc.poll() is not None, 300, "the demo stack")
            if proc.poll() is not None:
                raise RuntimeError(f"demo bench: make run's stack exited with {proc.returncode}")
            urls = json.loads((var / "urls.json").read_text())
            tokens = json.loads((var / "tokens.json").read_text())
            token = next(t["token"] for t in tokens.values() if t["role"] == "province_commander")
            results, notes = figures(urls, token)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                proc.wait(90)
    for line in notes:
        print(line, flush=True)
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
