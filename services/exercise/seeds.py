"""The seed's reference cases, measured: each built-in scenario that replays a case names the case's
figures (`seed_figures` in the scenario file), and the after-action report sets this run's outcome
beside each one: met, or not met and why (pure functions over the recorded events).

A figure is scoped to the incidents that stand for the case (`incidents`; a growth follow-up
`<id>-G<n>` belongs to its incident, and a pre-positioned task's id names its echelons' requests)
and measured one of these ways:

    officers_deployed   distinct officers in the dispatch orders of the case's requests
    officers_on_case    those, plus the officers the receiving county covered itself (the requests'
                        local share): what the case drew, wherever each officer came from
    donor_cities        distinct cities the dispatched units came from; `outside_only` leaves out the
                        receiving county's own city, `with_local` counts it when it covered a line
    max_response_min    the slowest unit, order to in place (every ordered unit must have arrived)
    mean_response_min   the mean of every unit's response, order to in place
    completion_min      per request, first order to the last unit in place; the longest request
    line_filled         dispatched officers on the plan line `line` (e.g. the interpreter)

`compare` is at_least, at_most, about (within `within` of `wanted`) or exactly (a count the case reports exactly). When a figure is not met, the
row says why with a stable `reason` code (what a test asserts) and a sentence with the numbers.
"""
from __future__ import annotations

import statistics
from collections import defaultdict

from services.geo.regions import city_of

from .scoring import by_type, parse_time

MEASURES = ("officers_deployed", "officers_on_case", "donor_cities", "max_response_min", "mean_response_min",
            "completion_min", "line_filled")


def in_scope(incident_id: str | None, scope) -> bool:
    if not scope:
        return True
    return incident_id is not None and any(incident_id == i or incident_id.startswith(i + "-G") for i in scope)


def case_view(events, scope=None) -> dict:
    """What the case's requests asked, were planned, ordered and got, from the recorded stream."""
    t = by_type(events)
    requests: dict[str, dict] = {}
    for r in t["support.requested"] + t["support.escalated"]:
        if in_scope(r.get("incident_id"), scope) or (scope and r.get("preposition_id") in scope):
            row = requests.setdefault(r["request_id"], {"county": r.get("county"), "incident_id": r.get("incident_id")})
            if "lines" in r:
                row["lines"] = {x["line_id"]: x["headcount"] for x in r["lines"]}
                row["specs"] = {x["line_id"]: {"module": x.get("module"), "tags": list(x.get("tags") or [])}
                                for x in r["lines"]}
            if "local_share" in r:
                row["local"] = sum(r.get("local_share", {}).values())
    approved = {d["plan_id"] for d in t["plan.approved"] if d["request_id"] in requests}
    plans = {d["plan_id"]: d for d in t["plan.proposed"] if d["plan_id"] in approved}
    orders = [d for d in t["dispatch.ordered"] if d["request_id"] in requests]
    order_ids = {d["order_id"] for d in orders}
    arrivals = {}
    for a in t["unit.arrived"]:
        if a["request_id"] in requests:
            arrivals[a.get("order_id") or a["unit_id"]] = a
    return {"requests": requests, "plans": plans, "orders": orders, "order_ids": order_ids, "arrivals": arrivals}


def measure(view: dict, figure: dict) -> float | None:
    kind = figure["measure"]
    officers = {o for d in view["orders"] for o in d["officer_ids"]}
    if kind == "officers_deployed":
        return len(officers)
    if kind == "officers_on_case":
        return len(officers) + sum(r.get("local", 0) for r in view["requests"].values())
    if kind == "donor_cities":
        return len(cities(view, figure))
    responses = [a["response_s"] / 60 for a in view["arrivals"].values()]
    if kind == "max_response_min":
        return max(responses) if responses else None
    if kind == "mean_response_min":
        return statistics.fmean(responses) if responses else None
    if kind == "completion_min":
        spans = completion(view)
        return max(spans.values()) if spans else None
    if kind == "line_filled":
        dispatched = officers
        return len({a["officer_id"] for p in view["plans"].values() for a in p.get("assignments", [])
                    if a.get("line_id") == figure.get("line") and a["officer_id"] in dispatched})
    raise ValueError(f"unknown measure {kind!r}")


def cities(view: dict, figure: dict) -> list[str]:
    receiving = {city_of(r["county"]) for r in view["requests"].values() if r.get("county")}
    out = {city_of(d["from_county"]) for d in view["orders"] if d.get("from_county")}
    if figure.get("outside_only"):
        out -= receiving
    if figure.get("with_local"):
        out |= {city_of(r["county"]) for r in view["requests"].values() if r.get("local") and r.get("county")}
    return sorted(out)


def completion(view: dict) -> dict[str, float]:
    """Per request: minutes from its first order to its last unit in place (requests with an arrival)."""
    first: dict[str, str] = {}
    for d in view["orders"]:
        if d["request_id"] not in first or parse_time(d["ordered_at"]) < parse_time(first[d["request_id"]]):
            first[d["request_id"]] = d["ordered_at"]
    last: dict[str, str] = {}
    for a in view["arrivals"].values():
        if a["request_id"] not in last or parse_time(a["arrived_at"]) > parse_time(last[a["request_id"]]):
            last[a["request_id"]] = a["arrived_at"]
    return {r: (parse_time(last[r]) - parse_time(first[r])).total_seconds() / 60 for r in last if r in first}


def met(figure: dict, got: float | None) -> bool:
    if got is None:
        return False
    want, compare = figure["wanted"], figure.get("compare", "at_least")
    if compare == "at_most":
        return got <= want
    if compare == "about":
        return abs(got - want) <= figure.get("within", 0)
    if compare == "exactly":   # a count the case reports exactly (15 investigators, from 3 cities)
        return got == want
    return got >= want


def why(view: dict, figure: dict, got: float | None) -> tuple[str, dict]:
    """The reason a figure is not met: a stable code and the numbers a sentence is built from."""
    kind = figure["measure"]
    if not view["requests"]:
        return "no_request", {}
    if not view["orders"]:
        return "nothing_dispatched", {"requests": len(view["requests"])}
    missing = len(view["order_ids"] - set(view["arrivals"]))
    if kind in ("max_response_min", "mean_response_min", "completion_min") and (got is None or missing):
        if missing:
            return "units_not_arrived", {"missing": missing, "ordered": len(view["order_ids"])}
    if kind in ("max_response_min", "mean_response_min", "completion_min"):
        slowest = max(view["arrivals"].values(), key=lambda a: a["response_s"])
        return "slowest_unit", {"unit": slowest["unit_id"], "county": county_of(view, slowest),
                                "minutes": round(slowest["response_s"] / 60)}
    asked = sum(sum(r.get("lines", {}).values()) for r in view["requests"].values())
    local = sum(r.get("local", 0) for r in view["requests"].values())
    planned = sum(len(p.get("assignments", [])) for p in view["plans"].values())
    if kind == "line_filled" and not any(figure.get("line") in r.get("lines", {}) for r in view["requests"].values()):
        return "line_not_asked", {"line": figure.get("line")}
    if kind in ("officers_deployed", "officers_on_case", "line_filled"):
        if got is not None and got > figure["wanted"]:
            return "asked_more", {"asked": asked, "local": local}
        if planned < asked:
            return "plans_short", {"planned": planned, "asked": asked, "short": short_lines(view)}
        return "asked_less", {"asked": asked, "local": local}
    found = cities(view, figure)
    return ("fewer_cities" if got is not None and got < figure["wanted"] else "more_cities"), {"cities": found}


def county_of(view: dict, arrival: dict) -> str:
    order = next((d for d in view["orders"] if d["order_id"] == arrival.get("order_id")), None)
    return (order or {}).get("from_county") or ""


def short_lines(view: dict) -> dict[str, int]:
    """Line -> places the approved plans left open, over the case's requests."""
    asked: dict[str, int] = defaultdict(int)
    for r in view["requests"].values():
        for line, n in r.get("lines", {}).items():
            asked[line] += n
    for p in view["plans"].values():
        for a in p.get("assignments", []):
            asked[a["line_id"]] -= 1
    return {k: v for k, v in asked.items() if v > 0}


def compare(events, figures) -> list[dict]:
    """One row per seed figure: the seed's value, this run's, met or not and why."""
    rows = []
    for figure in figures or ():
        view = case_view(events, figure.get("incidents"))
        got = measure(view, figure)
        row = {"figure": figure["figure"], "measure": figure["measure"], "seed": figure["seed"],
               "wanted": figure["wanted"], "compare": figure.get("compare", "at_least"),
               "within": figure.get("within"), "incidents": figure.get("incidents", []), "line": figure.get("line"),
               "seed_en": figure.get("seed_en"),
               "achieved": None if got is None else round(float(got), 1), "met": met(figure, got)}
        if figure["measure"] == "donor_cities":
            row["cities"] = cities(view, figure)
        if not row["met"]:
            row["reason"], row["reason_values"] = why(view, figure, got)
        named = {figure.get("line"), *(row.get("reason_values") or {}).get("short", {})} - {None}
        specs = {k: v for r in view["requests"].values() for k, v in r.get("specs", {}).items() if k in named}
        if specs:
            row["line_specs"] = specs  # what each named line asked (module, tags), for the report to name it
        rows.append(row)
    return rows
