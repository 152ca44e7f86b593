"""The report's figures: each value beside its target and its phase target, met or not, with trend.
Pure: no I/O, no clock. `figures(...)` takes what the sources answered for one region and period."""
from __future__ import annotations

import math

# figure -> where its value comes from (stated on every row of the report)
SOURCES = {
    "response_time_min": "logistics GET /indicators (response_time.mean_s)",
    "response_within_deadline": "logistics GET /indicators (response_time.within_deadline_share)",
    "utilisation": "logistics GET /indicators (utilisation.utilisation)",
    "idle_rate": "logistics GET /indicators (utilisation.idle_rate)",
    "cross_region_clearance": "logistics GET /indicators (cross_region_clearance.rate)",
    "equipment_compatibility": "logistics GET /indicators (equipment_compatibility.rate)",
    "satisfaction": "logistics GET /indicators (satisfaction.score)",
    "logistics_coverage": "logistics GET /indicators (logistics_coverage.coverage)",
    "equipment_readiness": "resources GET /force/summary (the equipment register: ready / items, at generation)",
    "volunteer_share": "resources GET /force/summary (the roster's volunteer flag: volunteers / officers, at generation)",
    "first_plan_min": "demand (support.requested → the first plan.proposed, both consumed here)",
}


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


def first_plan(rows: list[tuple[float | None]]) -> dict:
    """rows: seconds from each request to its first plan (None: no plan yet)."""
    planned = [r for r in rows if r is not None]
    return {"requests": len(rows), "planned": len(planned),
            "mean_s": round(sum(planned) / len(planned), 1) if planned else None,
            "p90_s": percentile(planned, 90),
            "within_15_min_share": round(sum(1 for s in planned if s <= 900) / len(planned), 4) if planned else None}


def _dig(doc: dict | None, *keys):
    for k in keys:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(k)
    return doc


def values(ind: dict | None, plans: dict, force: dict | None) -> dict[str, tuple[float | None, int | None]]:
    """figure -> (value, basis: how many observations it rests on)."""
    mean_s = _dig(ind, "response_time", "mean_s")
    return {
        "response_time_min": (None if mean_s is None else round(mean_s / 60, 1), _dig(ind, "response_time", "arrivals")),
        "response_within_deadline": (_dig(ind, "response_time", "within_deadline_share"),
                                     _dig(ind, "response_time", "arrivals")),
        "utilisation": (_dig(ind, "utilisation", "utilisation"), _dig(ind, "utilisation", "available_to_deploy")),
        "idle_rate": (_dig(ind, "utilisation", "idle_rate"), _dig(ind, "utilisation", "available_to_deploy")),
        "cross_region_clearance": (_dig(ind, "cross_region_clearance", "rate"),
                                   _dig(ind, "cross_region_clearance", "cases")),
        "equipment_compatibility": (_dig(ind, "equipment_compatibility", "rate"),
                                    _dig(ind, "equipment_compatibility", "items_checked")),
        "satisfaction": (_dig(ind, "satisfaction", "score"), _dig(ind, "satisfaction", "responses")),
        "logistics_coverage": (_dig(ind, "logistics_coverage", "coverage"),
                               _dig(ind, "logistics_coverage", "deployments")),
        "equipment_readiness": (_dig(force, "equipment_readiness"), _dig(force, "equipment_items")),
        "volunteer_share": (_dig(force, "volunteer_share"), _dig(force, "officers")),
        "first_plan_min": (None if plans["mean_s"] is None else round(plans["mean_s"] / 60, 1), plans["planned"]),
    }


def bound(spec: dict | None, baseline: float | None = None) -> dict | None:
    """{'max'|'min': x, source} → {'op', 'value', 'source'}; a bound relative to the baseline year needs
    its figure (value None when there is none)."""
    if not spec:
        return None
    if "min_vs_baseline" in spec:
        ratio = spec["min_vs_baseline"]
        return {"op": ">=", "value": None if baseline is None else round(min(1.0, baseline * ratio), 4),
                "relative": f"{ratio} × the baseline year's {baseline if baseline is not None else '(no figure)'}",
                "source": spec["source"]}
    op = ">=" if "min" in spec else "<="
    return {"op": op, "value": spec["min"] if "min" in spec else spec["max"], "source": spec["source"]}


def met(value: float | None, b: dict | None) -> bool | None:
    if value is None or b is None or b["value"] is None:
        return None
    return value >= b["value"] if b["op"] == ">=" else value <= b["value"]


def rows(policy: dict, phase: dict | None, current: dict, trend: list[tuple[str, dict]],
         baselines: dict[str, float | None]) -> list[dict]:
    """One row per figure of the policy: value, basis, target, phase target, met, trend (oldest first)."""
    out = []
    for name, spec in policy["figures"].items():
        value, basis = current[name]
        target = bound(spec.get("target"))
        ph = bound((spec.get("phases") or {}).get(phase["name"]), baselines.get(name)) if phase else None
        out.append({"figure": name, "label": spec["label"], "unit": spec["unit"], "value": value, "basis": basis,
                    "target": target, "met_target": met(value, target),
                    "phase_target": ph, "met_phase_target": met(value, ph),
                    "trend": [{"period": label, "value": vals[name][0]} for label, vals in trend],
                    "source": SOURCES[name]})
    return out


def reciprocity(awards: list[tuple[str, str, float]], cities: list[str]) -> list[dict]:
    """awards: (donor city, receiving city, points) of support across cities; per city what its officers
    earned supporting other cities (given), what other cities' officers earned in its tasks (received),
    and the balance given - received (positive: it gives more than it gets)."""
    given = {c: 0.0 for c in cities}
    received = {c: 0.0 for c in cities}
    tasks_given = {c: 0 for c in cities}
    tasks_received = {c: 0 for c in cities}
    for donor, receiver, points in awards:
        if donor == receiver:
            continue
        given[donor] = given.get(donor, 0.0) + points
        received[receiver] = received.get(receiver, 0.0) + points
        tasks_given[donor] = tasks_given.get(donor, 0) + 1
        tasks_received[receiver] = tasks_received.get(receiver, 0) + 1
    return [{"city": c, "given_points": round(given[c], 1), "received_points": round(received[c], 1),
             "balance": round(given[c] - received[c], 1), "awards_given": tasks_given[c],
             "awards_received": tasks_received[c]} for c in sorted(given)]
