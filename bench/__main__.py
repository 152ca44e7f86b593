"""`make bench`: run every benchmark in bench/, print the figures, write bench/results.json.

Figures are compared against a baseline measured in the same run (ratios), since a shared
2-core machine is noisy: the kit's outbox → broker → inbox path beside raw kafka-python.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import traceback
from pathlib import Path

from . import (
    bus_throughput,
    demand_bench,
    demo_bench,
    deploy_bench,
    exercise_bench,
    intake_bench,
    load_bench,
    logistics_bench,
    matching_bench,
    pages_bench,
    readiness_bench,
    resources_bench,
    security_bench,
    twin_bench,
)

BENCHMARKS = [bus_throughput, demand_bench, demo_bench, intake_bench, resources_bench, readiness_bench, twin_bench, exercise_bench, deploy_bench, logistics_bench,
              pages_bench, load_bench, matching_bench, security_bench]


def main() -> int:
    results: dict = {}
    failed: list[str] = []
    for bench in BENCHMARKS:
        try:
            results.update(bench.run())
        except Exception:  # one benchmark that fails does not take the others' figures with it
            failed.append(bench.__name__.rsplit(".", 1)[-1])
            traceback.print_exc()
    out = Path(__file__).parent / "results.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"{'benchmark':45s} {'value':>12s} {'unit':8s} {'baseline':>10s} {'ratio':>7s}")
    for name, r in results.items():
        base = "-" if r["baseline"] is None else f"{r['baseline']:.{1 if r['baseline'] >= 10 else 4}f}"
        ratio = f"{r['value'] / r['baseline']:.2f}x" if r["baseline"] else "-"
        print(f"{name:45s} {r['value']:12.{1 if r['value'] >= 10 else 4}f} {r['unit']:8s} {base:>10s} {ratio:>7s}")
    print(f"\nwritten to {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    if failed:
        print(f"failed (no figures, traceback above): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
