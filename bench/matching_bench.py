"""Matching: exact plans (bottleneck max-flow + min-cost flow on officer classes, pruned with proof)
against a nearest-first greedy over every eligible officer -> line arc, on instances from
bench/instances.py (the demo province's generated force, random requests; seeded).

- `matching.plan_20k_60.p95_ms`: one request of 60 officers over 20,000 officers (all three
  alternatives, eligibility included); baseline: greedy on the same instance.
- `matching.plan_100k_200.s` / `.peak_mb`: 200 simultaneous requests over 100,000 officers, the
  fastest plans (eligibility, classes, flows, naming officers); peak traced memory; baseline greedy.
- `matching.plan_100k_200.peak_rss_mb`: how far resident memory rose above the built instance while
  planning them (everything, OR-Tools included; a fresh process); baseline: the instance's resident size.
- `matching.greedy_100k_200.s`: the greedy baseline alone.
- `matching.gap_vs_greedy.*_pct`: how much later the greedy's latest arrival is, and how much more
  total travel it needs, than the exact plans (mean over requests filled alike, %; baseline 0);
  `matching.gap_vs_greedy_20k_60.*` the same on the single 60-officer request.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from bench.instances import instance
from services.matching.domain.eligibility import build_classes, flatten
from services.matching.domain.greedy import greedy
from services.matching.domain.planner import lendable_array, plan_batch


def _greedy(inst):
    lines = flatten(inst.requests, inst.pool.counties)
    classes = build_classes(inst.pool, inst.requests, lines, inst.travel, inst.accepts)
    return lines, greedy(classes.eligible, inst.pool.county, lines, inst.travel, lendable_array(inst.pool, {}))


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _gaps(inst, batch, lines, picks) -> tuple[float, float]:
    """Mean over requests filled alike by both of greedy/exact - 1 for latest arrival and total travel."""
    late, total = [], []
    for r, opts in enumerate(batch.options):
        exact = [a.eta_s for a in opts["fastest"].assignments]
        mine = [c for _, j, c in picks if lines.request[j] == r]
        if exact and len(mine) == len(exact):
            late.append(max(mine) / max(exact) - 1)
            total.append(sum(mine) / sum(exact) - 1)
    return round(100 * float(np.mean(late)), 2), round(100 * float(np.mean(total)), 2)


def _status_mb(field: str) -> float:
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise KeyError(field)


def _rss_child() -> None:
    """In a fresh process: resident memory once the instance is built, then the high-water mark while
    planning (OR-Tools' C++ graphs included, which tracemalloc cannot see). The mark is reset first
    (Linux: /proc/self/clear_refs), so building the instance does not hide the planner's peak."""
    import gc

    big = instance(officers=100_000, requests=200, seed=1)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    before = _status_mb("VmRSS")
    plan_batch(big.pool, big.requests, big.travel, big.accepts, kinds=("fastest",))
    print(json.dumps({"before": before, "after": _status_mb("VmHWM")}))


def _rss() -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.matching_bench", "--rss"], capture_output=True, text=True,
                         check=True, timeout=600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> dict:
    small = instance(officers=20_000, requests=1, seed=1, headcount=60)
    plan_ms, greedy_ms = [], []
    for _ in range(20):
        plan_ms.append(1000 * _timed(lambda: plan_batch(small.pool, small.requests, small.travel, small.accepts))[0])
        greedy_ms.append(1000 * _timed(lambda: _greedy(small))[0])
    small_gaps = _gaps(small, plan_batch(small.pool, small.requests, small.travel, small.accepts), *_greedy(small))
    big = instance(officers=100_000, requests=200, seed=1)
    plan_batch(big.pool, big.requests[:5], big.travel, big.accepts, kinds=("fastest",))   # warm imports
    plan_s = min(_timed(lambda: plan_batch(big.pool, big.requests, big.travel, big.accepts, kinds=("fastest",)))[0]
                 for _ in range(3))
    greedy_s, (lines, picks) = min((_timed(lambda: _greedy(big)) for _ in range(3)), key=lambda x: x[0])
    batch = plan_batch(big.pool, big.requests, big.travel, big.accepts, kinds=("fastest",))
    tracemalloc.start()
    plan_batch(big.pool, big.requests, big.travel, big.accepts, kinds=("fastest",))
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    tracemalloc.start()
    _greedy(big)
    greedy_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    late, travel = _gaps(big, batch, lines, picks)
    rss = _rss()
    return {
        "matching.plan_100k_200.peak_rss_mb": {"value": round(rss["after"] - rss["before"], 1), "unit": "MB",
                                               "baseline": round(rss["before"], 1)},
        "matching.plan_20k_60.p95_ms": {"value": round(float(np.percentile(plan_ms, 95)), 1), "unit": "ms",
                                        "baseline": round(float(np.percentile(greedy_ms, 95)), 1)},
        "matching.plan_100k_200.s": {"value": round(plan_s, 3), "unit": "s", "baseline": round(greedy_s, 3)},
        "matching.plan_100k_200.peak_mb": {"value": round(peak_mb, 1), "unit": "MB", "baseline": round(greedy_mb, 1)},
        "matching.greedy_100k_200.s": {"value": round(greedy_s, 3), "unit": "s", "baseline": None},
        "matching.gap_vs_greedy.latest_eta_pct": {"value": late, "unit": "%", "baseline": 0.0},
        "matching.gap_vs_greedy.total_travel_pct": {"value": travel, "unit": "%", "baseline": 0.0},
        "matching.gap_vs_greedy_20k_60.latest_eta_pct": {"value": small_gaps[0], "unit": "%", "baseline": 0.0},
        "matching.gap_vs_greedy_20k_60.total_travel_pct": {"value": small_gaps[1], "unit": "%", "baseline": 0.0},
    }


if __name__ == "__main__":
    if "--rss" in sys.argv:
        _rss_child()
        sys.exit(0)
    for name, figure in run().items():
        print(f"{name:45s} {figure}")
