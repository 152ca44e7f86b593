"""The six indicators of the plan, from facts gathered off the event stream. Pure functions.

Each follows the plan's own definition (DEFINITIONS, also the API's description of GET /indicators,
contracts/http/indicators.schema.json)."""
from __future__ import annotations

import math
from collections import defaultdict

DEFINITIONS = {
    "response_time": "From the order issued to the officers in place: each unit's dispatch order to its "
                     "arrival at the reporting point, as the platform recorded them.",
    "utilisation": "Support officers actually deployed / officers available to deploy: officers committed to "
                   "support tasks over those committed plus those free to be sent; officers busy with local "
                   "work are not counted as available to deploy. Idle rate = the free share of the same pool.",
    "cross_region_clearance": "Cross-region cases solved / cross-region cases: incidents that received officers "
                              "from another county, and of them those the receiving command recorded as solved.",
    "equipment_compatibility": "Items of the support units' equipment that worked with the receiving side's "
                               "systems / items tested, as tested on scene on arrival.",
    "satisfaction": "Ratings (1-5) of each support task by both sides, the support officers sent and the "
                    "receiving side: the mean of the two sides' means, so neither side outweighs the other; "
                    "none until both sides have answered.",
    "logistics_coverage": "Support tasks with every measure in place (lodging, food, transport and the medic who "
                          "travels with every team) / support tasks.",
}


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

    deployed = committed to support; available to deploy = committed + free (`available`); officers
    on duty but busy with local work (on_duty - available - committed) are outside the pool."""
    on_duty = sum(r["on_duty"] for r in loads)
    free = sum(r["available"] for r in loads)
    deployed = sum(r["committed"] for r in loads)
    deployable = free + deployed
    return {"utilisation": round(deployed / deployable, 4) if deployable else None,
            "idle_rate": round(free / deployable, 4) if deployable else None,
            "deployed": deployed, "available_to_deploy": deployable,
            "local_work": max(0, on_duty - deployable), "on_duty": on_duty}


def cross_region_clearance(cases: list[dict]) -> dict:
    """cases: {incident_id, solved: True / False / None (no outcome recorded)}, one per cross-region case."""
    solved = sum(1 for c in cases if c["solved"] is True)
    unsolved = sum(1 for c in cases if c["solved"] is False)
    return {"rate": round(solved / len(cases), 4) if cases else None, "cases": len(cases), "solved": solved,
            "not_solved": unsolved, "outcome_pending": len(cases) - solved - unsolved}


def equipment_compatibility(checks: list[dict]) -> dict:
    checked = sum(c["checked"] for c in checks)
    compatible = sum(c["compatible"] for c in checks)
    return {"rate": round(compatible / checked, 4) if checked else None, "items_checked": checked}


def satisfaction(ratings: list[dict], sides: tuple[str, ...] = ("officer", "receiver")) -> dict:
    """ratings: {side, rating}; the score weighs both sides alike and waits for both."""
    by_side = defaultdict(list)
    for r in ratings:
        by_side[r["side"]].append(r["rating"])
    mean = lambda xs: round(sum(xs) / len(xs), 2) if xs else None  # noqa: E731
    means = {s: mean(by_side.get(s, [])) for s in sides}
    missing = [s for s, m in means.items() if m is None]
    return {"score": None if missing else round(sum(means.values()) / len(means), 2), "responses": len(ratings),
            "by_side": means, "responses_by_side": {s: len(by_side.get(s, [])) for s in sides},
            "sides_missing": missing}


def logistics_coverage(deployments: list[dict]) -> dict:
    """deployments: {covered: bool}; coverage = support tasks with every measure in place / all of them."""
    n = len(deployments)
    done = sum(1 for d in deployments if d["covered"])
    return {"coverage": round(done / n, 4) if n else None, "deployments": n, "fully_arranged": done}
