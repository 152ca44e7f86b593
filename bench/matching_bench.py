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
- `matching.plan_1m_2000.s` / `.peak_mb`: 2,000 simultaneous requests over 1,000,000 officers (generated
  on the demo province's 90 counties and their stations), every fastest plan proven optimal; baseline:
  the greedy on the same instance (timed once, in a fresh process). `.peak_rss_mb`: resident memory added
  by planning in a fresh process (baseline: the process with the instance loaded);
  `matching.greedy_1m_2000.peak_rss_mb` the same for the greedy.

- `matching.joint_<size>.*`: the joint model of the batch (`planner.plan_batch(..., joint=True)`,
  domain/joint.py) beside the sequential planner in the same run, on the demo force (20,000 officers:
  what `make run` generates) and the larger synthetic instances: how many requests it plans better or
  worse (a request does worse only after one before it does better), and over the lower-priority
  requests (all but the first) the officers placed, the sum of latest arrivals and the total travel,
  sequential -> joint; time of each (the joint time includes the sequential plans it is compared with).

- `matching.status_change_lookup.ms`: an officer goes off duty: which requests' plans awaiting a commander
  name them (`store.requests_proposing`, on SQLite; 10 requests x 3 plans of 121 officers, the median of
  200 lookups; one indexed read of `proposing`, the officers each proposed plan names); baseline: reading
  and decoding every such plan. `--status-change` prints it alone.

The instances of a million officers take minutes to generate: they are kept in var/bench/
(`instance(..., cache=True)`). `python -m bench.matching_bench --scaling` prints the scaling table of
bench/README.md (10k x 20, 100k x 200, 1M x 2,000: sequential and joint), `--joint` the joint
planning table.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np

from bench.instances import instance
from services.matching.domain.classes import build_classes
from services.matching.domain.eligibility import flatten
from services.matching.domain.greedy import greedy
from services.matching.domain.planner import lendable_array, objectives, plan_batch, priority


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


def _reset_peak() -> float:
    """Reset the resident high-water mark to the current size (Linux: /proc/self/clear_refs); returns it."""
    import gc

    gc.collect()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status_mb("VmRSS")


def _rss_child(officers: int, requests: int, with_greedy: bool) -> None:
    """In a fresh process: resident memory once the instance is loaded, then the high-water mark while
    planning (OR-Tools' C++ graphs included, which tracemalloc cannot see). The mark is reset first,
    so building the instance does not hide the planner's peak. `with_greedy`: then the greedy's time
    and high-water mark, after the planner's (whose freed memory the greedy may reuse, not the reverse)."""
    big = instance(officers=officers, requests=requests, seed=1, cache=True)
    before = _reset_peak()
    plan_batch(big.pool, big.requests, big.travel, big.accepts, kinds=("fastest",))
    out = {"before": before, "after": _status_mb("VmHWM")}
    if with_greedy:
        out["greedy_before"] = _reset_peak()
        out["greedy_s"], _ = _timed(lambda: _greedy(big))
        out["greedy_after"] = _status_mb("VmHWM")
    print(json.dumps(out))


def _rss(officers: int = 100_000, requests: int = 200, with_greedy: bool = False) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.matching_bench", "--rss", str(officers), str(requests),
                          *(["--greedy"] if with_greedy else [])], capture_output=True, text=True, check=True,
                         timeout=3600)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _traced_peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def _fastest(inst):
    return plan_batch(inst.pool, inst.requests, inst.travel, inst.accepts, kinds=("fastest",))


def _in_process(officers: int, requests: int, runs: int = 3) -> tuple[float, float, object]:
    """(best time of `runs`, traced peak MB, the instance) of the fastest plans on a cached instance."""
    inst = instance(officers=officers, requests=requests, seed=1, cache=True)
    plan_batch(inst.pool, inst.requests[:5], inst.travel, inst.accepts, kinds=("fastest",))   # warm imports
    plan_s = min(_timed(lambda: _fastest(inst))[0] for _ in range(runs))
    peak_mb = _traced_peak_mb(lambda: _fastest(inst))
    return plan_s, peak_mb, inst


def million() -> dict:
    """2,000 requests over 1,000,000 officers: the exact planner's time and memory, the greedy's beside
    (timed in the fresh process that measures resident memory)."""
    plan_s, peak_mb, _ = _in_process(1_000_000, 2_000)
    rss = _rss(1_000_000, 2_000, with_greedy=True)
    return {
        "matching.plan_1m_2000.s": {"value": round(plan_s, 3), "unit": "s", "baseline": round(rss["greedy_s"], 3)},
        "matching.plan_1m_2000.peak_mb": {"value": round(peak_mb, 1), "unit": "MB", "baseline": None},
        "matching.plan_1m_2000.peak_rss_mb": {"value": round(rss["after"] - rss["before"], 1), "unit": "MB",
                                              "baseline": round(rss["before"], 1)},
        "matching.greedy_1m_2000.s": {"value": round(rss["greedy_s"], 3), "unit": "s", "baseline": None},
        "matching.greedy_1m_2000.peak_rss_mb": {"value": round(rss["greedy_after"] - rss["greedy_before"], 1),
                                                "unit": "MB", "baseline": round(rss["greedy_before"], 1)},
    }


SCALES = ((10_000, 20), (100_000, 200), (1_000_000, 2_000))


def _cpu_timed(fn) -> tuple[float, float]:
    """(wall, CPU) seconds of fn()."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _plans(inst, joint: bool):
    """The fastest plans, sequential or joint (without the policy's time limit, to time it whole)."""
    return plan_batch(inst.pool, inst.requests, inst.travel, inst.accepts, kinds=("fastest",), joint=joint,
                      joint_limit_s=0)


def _best(fn, runs: int) -> tuple[float, float, object]:
    """(least wall, least CPU) seconds of `runs` calls of fn, and the last call's result."""
    times, out = [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return min(w for w, _ in times), min(c for _, c in times), out


def _scale_row(officers: int, requests: int) -> str:
    runs = 2 if officers < 1_000_000 else 1
    inst = instance(officers=officers, requests=requests, seed=1, cache=officers >= 100_000)
    plan_batch(inst.pool, inst.requests[:5], inst.travel, inst.accepts, kinds=("fastest",))   # warm imports
    seq_s, seq_cpu, _ = _best(lambda: _plans(inst, False), runs)
    seq_mb = _traced_peak_mb(lambda: _plans(inst, False))
    joint_s, joint_cpu, batch = _best(lambda: _plans(inst, True), runs)
    joint_mb = _traced_peak_mb(lambda: _plans(inst, True))
    proven = sum(all(o.certificate.optimal for o in opts.values()) for opts in batch.options)
    return (f"| {officers:,} x {requests:,} | {seq_s:.2f} s / {seq_cpu:.2f} s | {seq_mb:.0f} MB | "
            f"{joint_s:.2f} s / {joint_cpu:.2f} s | {joint_mb:.0f} MB | {joint_s / seq_s:.1f}x | "
            f"{len(batch.classes.count):,} / {len(batch.classes.arc_class):,} | {proven:,} of {requests:,} |")


def scaling() -> str:
    """The scaling table (markdown): per size, the sequential planner's fastest plans and the joint
    model's (which plans the sequential ones too, to compare): wall and CPU time (best of 2 each, once
    at a million officers), traced peak (tracemalloc: Python and numpy, not OR-Tools' C++ graphs), the
    classes and arcs of the full model, and how many requests' plans are proven optimal."""
    return "\n".join(["| officers x requests | sequential (wall / CPU) | traced peak | joint (wall / CPU) | "
                      "traced peak | joint / sequential | classes / arcs | proven optimal |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- |", *(_scale_row(o, r) for o, r in SCALES)])


JOINT = ((20_000, 20), (20_000, 60), (100_000, 200), (1_000_000, 2_000))


def joint_gain(officers: int, requests: int, runs: int = 3) -> dict:
    """The joint model beside the sequential planner on one instance (seed 1), both timed in this run
    (best of `runs`): requests planned better / worse, over the lower-priority requests (all but the
    first in priority order) the officers placed, the sum of latest arrivals and the total travel, and
    the change in each on the requests planned better and on those planned worse."""
    inst = instance(officers=officers, requests=requests, seed=1, cache=officers >= 100_000)
    plan_batch(inst.pool, inst.requests[:5], inst.travel, inst.accepts, kinds=("fastest",))   # warm imports
    seq_s, seq_cpu, seq = _best(lambda: _plans(inst, False), runs)
    joint_s, joint_cpu, jnt = _best(lambda: _plans(inst, True), runs)
    seq = [objectives(o["fastest"]) for o in seq.options]
    jnt = [objectives(o["fastest"]) for o in jnt.options]
    order = priority(inst.requests)

    def key(v):                       # (officers, latest, travel): more officers first, then less time
        return -v[0], v[1], v[2]
    better = [r for r in order if key(jnt[r]) < key(seq[r])]
    worse = [r for r in order if key(jnt[r]) > key(seq[r])]
    rest = order[1:]

    def total(plans, i, rs=rest):
        return sum(plans[r][i] for r in rs)

    def delta(rs):                    # (officers, latest arrival min, travel h) joint - sequential over rs
        return (total(jnt, 0, rs) - total(seq, 0, rs), round((total(jnt, 1, rs) - total(seq, 1, rs)) / 60, 1),
                round((total(jnt, 2, rs) - total(seq, 2, rs)) / 3600, 2))
    name = f"matching.joint_{officers // 1000}k_{requests}" if officers < 1_000_000 else f"matching.joint_1m_{requests}"
    return {
        f"{name}.requests_better": {"value": len(better), "unit": "requests", "baseline": 0, "delta": delta(better)},
        f"{name}.requests_worse": {"value": len(worse), "unit": "requests", "baseline": 0, "delta": delta(worse)},
        f"{name}.officers_placed": {"value": total(jnt, 0), "unit": "officers", "baseline": total(seq, 0)},
        f"{name}.latest_arrival_sum_min": {"value": round(total(jnt, 1) / 60, 1), "unit": "min",
                                           "baseline": round(total(seq, 1) / 60, 1)},
        f"{name}.total_travel_h": {"value": round(total(jnt, 2) / 3600, 2), "unit": "h",
                                   "baseline": round(total(seq, 2) / 3600, 2)},
        f"{name}.s": {"value": round(joint_s, 3), "unit": "s", "baseline": round(seq_s, 3),
                      "cpu": (round(joint_cpu, 3), round(seq_cpu, 3))},
    }


def joint(sizes=JOINT) -> str:
    """The joint planning table (markdown), one row per instance."""
    rows = ["| officers x requests | sequential (wall / CPU) | joint (wall / CPU) | requests better / worse | "
            "lower-priority requests: officers placed | sum of latest arrivals | total travel | "
            "change on the better ones (officers, latest sum, travel) | on the worse ones |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def change(d):
        return f"{d[0]:+d}, {d[1]:+,.1f} min, {d[2]:+,.2f} h"
    for officers, requests in sizes:
        g = joint_gain(officers, requests, runs=3 if officers < 1_000_000 else 1)
        f = {k.rsplit(".", 1)[1]: v for k, v in g.items()}
        rows.append(
            f"| {officers:,} x {requests:,} | {f['s']['baseline']:.2f} s / {f['s']['cpu'][1]:.2f} s | "
            f"{f['s']['value']:.2f} s / {f['s']['cpu'][0]:.2f} s | {f['requests_better']['value']} / "
            f"{f['requests_worse']['value']} | {f['officers_placed']['baseline']:,} → {f['officers_placed']['value']:,} | "
            f"{f['latest_arrival_sum_min']['baseline']:,.1f} → {f['latest_arrival_sum_min']['value']:,.1f} min | "
            f"{f['total_travel_h']['baseline']:,.2f} → {f['total_travel_h']['value']:,.2f} h | "
            f"{change(f['requests_better']['delta'])} | {change(f['requests_worse']['delta'])} |")
    return "\n".join(rows)


def status_change(requests: int = 10, officers: int = 121, lookups: int = 200) -> dict:
    import tempfile
    from datetime import datetime, timezone

    from sqlalchemy import create_engine, select

    from services.matching import store
    at = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as workdir:
        engine = create_engine(f"sqlite:///{workdir}/matching.db")
        store.metadata.create_all(engine)
        with engine.begin() as conn:
            for r in range(requests):
                store.insert_request(conn, f"REQ-{r}", {"county": "330783"}, status="proposed", exclude=[],
                                     received_at=at)
                for kind in ("A", "B", "C"):
                    body = {"assignments": [{"officer_id": f"ZJ3307{r:02d}-{i:05d}", "line_id": "crowd",
                                             "from_county": "330782", "eta_s": 1800} for i in range(officers)]}
                    store.insert_plan(conn, plan_id=f"PLAN-REQ-{r}-1{kind}", request_id=f"REQ-{r}", kind=kind,
                                      status="proposed", version=1, body=body, created_at=at)
        every = (select(store.plans.c.request_id, store.plans.c.body)
                 .join(store.requests, store.requests.c.request_id == store.plans.c.request_id)
                 .where(store.plans.c.status == "proposed"))
        found, decoded = [], []
        with engine.connect() as conn:
            for i in range(lookups):
                officer = f"ZJ3307{i % requests:02d}-{i % officers:05d}"
                found.append(1000 * _timed(lambda o=officer: store.requests_proposing(conn, o))[0])
                decoded.append(1000 * _timed(lambda o=officer: [r for r in conn.execute(every).all()
                                                                if any(a["officer_id"] == o
                                                                       for a in r.body["assignments"])])[0])
        engine.dispose()
    return {"matching.status_change_lookup.ms": {"value": round(float(np.median(found)), 3), "unit": "ms",
                                                 "baseline": round(float(np.median(decoded)), 3)}}


def run() -> dict:
    small = instance(officers=20_000, requests=1, seed=1, headcount=60)
    plan_ms, greedy_ms = [], []
    for _ in range(20):
        plan_ms.append(1000 * _timed(lambda: plan_batch(small.pool, small.requests, small.travel, small.accepts))[0])
        greedy_ms.append(1000 * _timed(lambda: _greedy(small))[0])
    small_gaps = _gaps(small, plan_batch(small.pool, small.requests, small.travel, small.accepts), *_greedy(small))
    big = instance(officers=100_000, requests=200, seed=1, cache=True)
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
    return million() | joint_gain(20_000, 60) | joint_gain(100_000, 200) | status_change() | {
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
        at = sys.argv.index("--rss")
        _rss_child(int(sys.argv[at + 1]), int(sys.argv[at + 2]), "--greedy" in sys.argv)
        sys.exit(0)
    if "--scaling" in sys.argv:
        print(scaling())
        sys.exit(0)
    if "--status-change" in sys.argv:
        print(status_change())
        sys.exit(0)
    if "--joint" in sys.argv:
        print(joint())
        sys.exit(0)
    for name, figure in run().items():
        print(f"{name:45s} {figure}")
