"""The after-action figures, computed from the exercise's recorded events alone (pure functions).

Inputs are CloudEvents envelopes as recorded (`recorder`) and the runner's inject log. Definitions:
- response time: `unit.arrived.response_s` (order to in place, as logistics measured it); a request
  is on time when every unit arrived before the request's deadline;
- plan chosen vs best: the best candidate is the proposed plan of the same request with the lowest
  latest ETA among those that fill the request (`decisions.best_plan`);
- reserve floor broken: a county's load report shows fewer officers at home (on duty minus committed
  elsewhere) than its reserve floor, or an approved plan left a donor below 70% (min_reserve_ratio);
- duty limit: a released deployment put an officer past 12 hours (720 minutes), and commits refused
  for the duty limit (the system stopped it);
- the six indicators as the plan defines them (logistics' GET /indicators gives each definition and
  wins where it has a figure): utilisation = officers committed to support / officers available to
  deploy (committed + free; local work left out); cross-region clearance = cross-region cases solved /
  cross-region cases (whether a case was solved is recorded in logistics, not on the stream: served
  only); satisfaction from both sides' ratings (served only);
- logistics coverage: dispatched deployments with lodging, meals, transport and the medic who travels
  with every team arranged / dispatched deployments.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime

from services.geo.regions import city_of

from .decisions import decisions

DUTY_LIMIT_MIN = 12 * 60
RESERVE_SHARE = 0.70


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def by_type(events) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for event in events:
        out[event["type"]].append(event["data"])
    return out


def requests_table(events) -> list[dict]:
    """One row per support request: grade, deadline, first order, last arrival, on time or not."""
    t = by_type(events)
    rows = {}
    for r in t["support.requested"] + t["support.escalated"]:
        row = rows.setdefault(r["request_id"], {"request_id": r["request_id"], "incident_id": r.get("incident_id"),
                                                "county": r.get("county"), "requested_at": r.get("requested_at")})
        row.update(grade=r.get("grade", row.get("grade")), deadline=r.get("deadline", row.get("deadline")))
    for r in t["support.cancelled"]:
        if r["request_id"] in rows:
            rows[r["request_id"]]["cancelled"] = True
    for d in t["dispatch.ordered"]:
        row = rows.get(d["request_id"])
        if row is not None and (row.get("ordered_at") is None or parse_time(d["ordered_at"]) < parse_time(row["ordered_at"])):
            row["ordered_at"] = d["ordered_at"]
    arrivals = defaultdict(dict)
    for a in t["unit.arrived"]:
        arrivals[a["request_id"]][a.get("order_id") or a["unit_id"]] = a
    ordered = defaultdict(set)  # a re-sent order is the same order
    for d in t["dispatch.ordered"]:
        ordered[d["request_id"]].add(d["order_id"])
    for request_id, row in rows.items():
        got = list(arrivals.get(request_id, {}).values())
        row["units_arrived"] = len(got)
        row["units_ordered"] = len(ordered[request_id])
        row["max_response_s"] = max((a["response_s"] for a in got), default=None)
        last = max((a["arrived_at"] for a in got), key=parse_time, default=None)
        row["last_arrival"] = last
        row["on_time"] = bool(got) and row.get("deadline") is not None and all(
            parse_time(a["arrived_at"]) <= parse_time(row["deadline"]) for a in got) and row["units_arrived"] >= row["units_ordered"]
    return sorted(rows.values(), key=lambda r: r.get("requested_at") or "")


def reserve_breaches(events) -> list[dict]:
    out = []
    for e in events:
        d = e["data"]
        if e["type"] == "county.load-reported" and d["on_duty"] - d["committed"] < d["reserve_floor"]:
            out.append({"county": d["county"], "at": d["at"], "at_home": d["on_duty"] - d["committed"],
                        "reserve_floor": d["reserve_floor"], "source": "load report"})
    approved = {d["plan_id"] for d in by_type(events)["plan.approved"]}
    for d in by_type(events)["plan.proposed"]:
        ratio = d.get("metrics", {}).get("min_reserve_ratio")
        if d["plan_id"] in approved and ratio is not None and ratio < RESERVE_SHARE:
            out.append({"plan_id": d["plan_id"], "request_id": d["request_id"], "min_reserve_ratio": ratio,
                        "source": "approved plan"})
    return out


def duty_limits(events) -> dict:
    t = by_type(events)
    over = []
    for d in t["deployment.released"]:
        minutes = d.get("duty_minutes_by_officer") or {o: d["duty_minutes"] for o in d["officer_ids"]}
        over += [{"officer_id": o, "duty_minutes": m, "deployment_id": d["deployment_id"]}
                 for o, m in minutes.items() if m > DUTY_LIMIT_MIN]
    refused = sum(1 for d in t["commit.rejected"] for r in d["reasons"] if "duty" in r["reason"])
    return {"exceeded": over, "commits_refused_for_duty_limit": refused}


def logistics_coverage(events) -> dict:
    t = by_type(events)
    deployments = {d["deployment_id"] for d in t["dispatch.ordered"]}
    covered = {d["deployment_id"] for d in t["logistics.arranged"] if _covered(d)}
    share = len(deployments & covered) / len(deployments) if deployments else None
    return {"deployments": len(deployments), "covered": len(deployments & covered), "coverage": share,
            "missing": sorted(deployments - covered)}


def _covered(d: dict) -> bool:
    """Lodging, meals, transport and a medic arranged: a medic travels with every team, however small."""
    return all(d.get(k, {}).get("status") == "arranged" for k in ("lodging", "meals", "transport", "medic"))


def indicators(events, served: dict | None = None) -> dict:
    """The six indicators; `served` (logistics' GET /indicators) wins where it gives a figure."""
    t = by_type(events)
    responses = [a["response_s"] for a in t["unit.arrived"]]
    loads = {}
    for d in t["county.load-reported"]:
        loads[d["county"]] = d  # the latest report of each county
    deployable = sum(d["available"] + d["committed"] for d in loads.values())
    committed = sum(d["committed"] for d in loads.values())
    computed = {
        "response_time_s": {"mean": statistics.fmean(responses) if responses else None,
                            "median": statistics.median(responses) if responses else None, "n": len(responses)},
        "utilisation": committed / deployable if deployable else None,
        "cross_region_clearance": None,  # cases solved are recorded in logistics: from its indicators when served
        "equipment_compatibility": None,  # not carried on the stream: from logistics' indicators when served
        "officer_satisfaction": None,  # ratings are not on the stream: from logistics' indicators when served
        "logistics_coverage": logistics_coverage(events)["coverage"],
    }
    for name, (key, fields) in SERVED.items():
        figure = _served_figure((served or {}).get(key), fields)
        if figure is not None:
            computed[name] = figure
    return computed


# Each indicator's definition, the plan's own (the same text logistics serves with GET /indicators)
DEFINED_AS = {"response_time_s": "response_time", "utilisation": "utilisation",
              "cross_region_clearance": "cross_region_clearance", "equipment_compatibility": "equipment_compatibility",
              "officer_satisfaction": "satisfaction", "logistics_coverage": "logistics_coverage"}


def definition(name: str) -> str:
    from services.logistics.domain.indicators import DEFINITIONS  # pure text, no service started
    return DEFINITIONS.get(DEFINED_AS.get(name, name), "")


# Where logistics' GET /indicators keeps each figure: indicator -> (its key, the fields that hold a number)
SERVED = {"utilisation": ("utilisation", ("utilisation",)), "cross_region_clearance": ("cross_region_clearance", ("rate",)),
          "equipment_compatibility": ("equipment_compatibility", ("rate",)),
          "officer_satisfaction": ("satisfaction", ("score",)),
          "logistics_coverage": ("logistics_coverage", ("coverage",))}


def _served_figure(value, fields) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, dict):
        return next((float(value[f]) for f in fields if isinstance(value.get(f), (int, float))), None)
    return None


def score(events, *, inject_log=(), targets: dict | None = None, served_indicators: dict | None = None) -> dict:
    """Everything the after-action report shows, as plain JSON-ready data."""
    reqs = requests_table(events)
    judged = decisions(events)
    result = {
        "requests": reqs,
        "on_time": sum(1 for r in reqs if r["on_time"]),
        "decisions": judged,
        "best_chosen": sum(1 for d in judged if d.get("chose_best")),
        "reserve_breaches": reserve_breaches(events),
        "duty_limits": duty_limits(events),
        "logistics": logistics_coverage(events),
        "indicators": indicators(events, served_indicators),
        "timeline": timeline(events, inject_log),
        "events": len(events),
    }
    result["targets"] = check_targets(result, events, targets or {})
    return result


def check_targets(result: dict, events, targets: dict) -> list[dict]:
    t = by_type(events)
    out = []
    if "max_response_min" in targets:
        worst = max((a["response_s"] for a in t["unit.arrived"]), default=None)
        out.append(_target("max_response_min", targets["max_response_min"], None if worst is None else worst / 60,
                           lambda got, want: got <= want))
    if "min_donor_cities" in targets:
        approved = {d["plan_id"] for d in t["plan.approved"]}
        cities = {city_of(c) for d in t["plan.proposed"] if d["plan_id"] in approved
                  for c in d.get("metrics", {}).get("per_donor", {})}
        out.append(_target("min_donor_cities", targets["min_donor_cities"], len(cities), lambda got, want: got >= want))
    if "min_officers_deployed" in targets:
        officers = {o for d in t["dispatch.ordered"] for o in d["officer_ids"]}
        out.append(_target("min_officers_deployed", targets["min_officers_deployed"], len(officers),
                           lambda got, want: got >= want))
    if "logistics_coverage" in targets:
        out.append(_target("logistics_coverage", targets["logistics_coverage"], result["logistics"]["coverage"],
                           lambda got, want: got >= want))
    return out


def _target(name: str, want, got, ok) -> dict:
    return {"target": name, "wanted": want, "achieved": got, "met": got is not None and bool(ok(got, want))}


TIMELINE_TYPES = {"incident.reported": "incident_id", "support.requested": "request_id", "support.escalated": "request_id",
                  "plan.approved": "plan_id", "plan.rejected": "plan_id", "commit.rejected": "plan_id",
                  "dispatch.ordered": "unit_id", "unit.arrived": "unit_id", "deployment.released": "deployment_id"}


def timeline(events, inject_log=()) -> list[dict]:
    """Injects and the loop's key events, in time order."""
    rows = [{"at": i["at"], "what": "inject", "detail": i["label"], "outcome": i.get("outcome", "")} for i in inject_log]
    for e in events:
        key = TIMELINE_TYPES.get(e["type"])
        if key:
            rows.append({"at": e["time"], "what": e["type"], "detail": str(e["data"].get(key, "")), "outcome": ""})
    return sorted(rows, key=lambda r: parse_time(r["at"]))
