"""The six indicators of the plan, from facts gathered off the event stream. Pure functions."""
from __future__ import annotations

import math
from collections import defaultdict


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _summary(rows: list[tuple[int, bool]]) -> dict:
    seconds = [r[0] for r in rows]
    return {"arrivals": len(rows),
            "mean_s": round(sum(seconds) / len(seconds), 1) if seconds else None,
            "p90_s": percentile(seconds, 90),
            "within_deadline_share": round(sum(1 for r in rows if r[1]) / len(rows), 4) if rows else None}


def response_time(arrivals: list[dict]) -> dict:
    """arrivals: {grade, response_s, deadline_met}; overall and by grade."""
    by_grade = defaultdict(list)
    for a in arrivals:
        by_grade[a.get("grade") or "unknown"].append((a["response_s"], a["deadline_met"]))
    return {**_summary([(a["response_s"], a["deadline_met"]) for a in arrivals]),
            "by_grade": {g: _summary(rows) for g, rows in sorted(by_grade.items())}}


def utilisation(loads: list[dict]) -> dict:
    """loads: the latest county.load-reported per county in scope.

    deployable = officers on duty; deployed = on duty but not available (tasked locally or
    committed to support); idle = available and not drawn on."""
    on_duty = sum(r["on_duty"] for r in loads)
    available = sum(r["available"] for r in loads)
    committed = sum(r["committed"] for r in loads)
    if not on_duty:
        return {"utilisation": None, "idle_rate": None, "on_duty": 0, "committed_to_support": committed}
    return {"utilisation": round((on_duty - available) / on_duty, 4), "idle_rate": round(available / on_duty, 4),
            "on_duty": on_duty, "committed_to_support": committed}


def equipment_compatibility(checks: list[dict]) -> dict:
    checked = sum(c["checked"] for c in checks)
    compatible = sum(c["compatible"] for c in checks)
    return {"rate": round(compatible / checked, 4) if checked else None, "items_checked": checked}


def satisfaction(ratings: list[dict]) -> dict:
    by_side = defaultdict(list)
    for r in ratings:
        by_side[r["side"]].append(r["rating"])
    mean = lambda xs: round(sum(xs) / len(xs), 2) if xs else None  # noqa: E731
    return {"mean": mean([r["rating"] for r in ratings]), "responses": len(ratings),
            "by_side": {s: mean(xs) for s, xs in sorted(by_side.items())}}


def logistics_coverage(deployments: list[dict]) -> dict:
    """deployments: {covered: bool}; coverage = fully arranged deployments / all deployments."""
    n = len(deployments)
    done = sum(1 for d in deployments if d["covered"])
    return {"coverage": round(done / n, 4) if n else None, "deployments": n, "fully_arranged": done}
