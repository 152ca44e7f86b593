"""readiness' HTTP surface: the 1-hour support circle (coverage over the next hours), its what-if, and
pre-positioning. Each route is declared once (services.common.api) on this part's own Api; the views
parse and narrow to the caller's region, the answers are service.Readiness's (refusing with Problem)."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import jsonify, request

from ...common.api import Api, current_deps
from ...common.auth import region_covers
from ...common.clock import now
from ...common.http import Problem, validated_body
from ...common.permissions import bound_region
from ..http import COUNTY, readable_officers

api = Api("readiness")

MAX_AHEAD = timedelta(hours=24)


def _read():
    return current_deps().runtime.engine.connect()


@api.route("GET", "/readiness/coverage", "The 1-hour support circle: per county and module, the qualified "
           "officers (local, and support from other counties above their reserve floors) who can be on scene "
           "within 30 / 60 / 120 min, and which counties are outside the circle for which modules, at `at` "
           "(default now) and at each shift change within `horizon_h` hours (default 12, at most 24); "
           "?county= narrows the counties shown", response="readiness-coverage",
           query={"at": "an ISO 8601 time with its offset, from now to 24 h ahead (default now)",
                  "horizon_h": ("hours of shift changes ahead, 0 to 24 (default 12)", "number"),
                  "county": "only these counties, comma-separated or repeated"})
def get_coverage():
    readiness, current = current_deps().readiness, now()
    at, horizon, shown = _coverage_args(request.args, current, readiness)
    with _read() as conn:
        return jsonify(readiness.coverage(conn, current, at, horizon, shown))


@api.route("POST", "/readiness/what-if", "If these officers left (a candidate plan), which counties would "
           "leave the support circle for which modules; nothing is changed", body="readiness-what-if",
           response="readiness-impact")
def post_what_if():
    body, readiness = validated_body("readiness-what-if"), current_deps().readiness
    codes = {c.code for c in readiness.counties}
    if body.get("county") and body["county"] not in codes:
        raise Problem(422, "Unknown county", [{"field": "county", "reason": f"no county {body['county']}"}])
    with _read() as conn:
        _own_officers(conn, body["officer_ids"])
        out = readiness.what_if(conn, now(), body["officer_ids"], _region_counties(readiness), body.get("plan_id"))
    return jsonify({**{k: body[k] for k in ("county", "plan_id") if k in body}, **out})


@api.route("POST", "/readiness/preposition", "Where to station N teams per module to cover the most "
           "demand-weighted counties within 60 min: the optimal stationing (or the stated gap), today's "
           "stationing and the greedy one beside it, and why each station (a city or county commander: stations "
           "and demand within their region)", body="readiness-preposition",
           response="readiness-stationing")
def post_preposition():
    body, readiness = validated_body("readiness-preposition"), current_deps().readiness
    own = None
    if (region := bound_region()):
        own = [c.code for c in readiness.counties if region_covers(region, c.code)]
        outside = [{"field": f"sites.{i}", "reason": f"county {c} is outside your region {region}"}
                   for i, c in enumerate(body.get("sites") or []) if not region_covers(region, c)]
        outside += [{"field": f"weights.{c}", "reason": f"county {c} is outside your region {region}"}
                    for c in body.get("weights") or {} if not region_covers(region, c)]
        if outside:
            raise Problem(403, "Counties outside your region", outside)
        body = {**body, "sites": body.get("sites") or own}
    with _read() as conn:
        return jsonify(readiness.preposition(conn, now(), body, own))


def _own_officers(conn, ids: list[str]) -> None:
    """403 when a caller bound to a region names officers it may not read (GET /officers/{officer_id}'s
    rule): what-if answers whether they exist and are available, which is theirs to know only. Missing
    and foreign officers are refused alike, as GET /officers?ids= leaves both out."""
    region = bound_region()
    if region is None:
        return
    readable = readable_officers(conn, ids, region)
    refused = [{"field": f"officer_ids.{i}", "reason": f"no officer {o} that region {region} may read"}
               for i, o in enumerate(ids) if o not in readable]
    if refused:
        raise Problem(403, "Officers outside your region", refused)


def _region_counties(readiness) -> list[str] | None:
    region = bound_region()
    return None if region is None else [c.code for c in readiness.counties if region_covers(region, c.code)]


def _coverage_args(args, current: datetime, readiness) -> tuple[datetime, float, list[str] | None]:
    errors = []
    at = current
    if args.get("at"):
        try:
            at = datetime.fromisoformat(args["at"].replace("Z", "+00:00"))
            if at.tzinfo is None:
                raise ValueError
        except ValueError:
            errors.append({"field": "at", "reason": "an ISO 8601 time with its offset, e.g. 2025-09-15T09:00:00+08:00"})
            at = current
        else:
            if at < current - timedelta(minutes=1) or at > current + MAX_AHEAD:
                errors.append({"field": "at", "reason": "from now to 24 hours ahead (the live force is projected "
                               "by the rota; the past is not kept)"})
            at = max(at, current)
    horizon = 12.0
    if args.get("horizon_h") not in (None, ""):
        try:
            horizon = float(args["horizon_h"])
            if not 0 <= horizon <= 24:
                raise ValueError
        except ValueError:
            errors.append({"field": "horizon_h", "reason": "hours from 0 to 24"})
    codes = {c.code for c in readiness.counties}
    named = [v for raw in args.getlist("county") for v in raw.split(",") if v]
    for v in named:
        if not COUNTY.match(v) or v not in codes:
            errors.append({"field": "county", "reason": f"no county {v}"})
    if errors:
        raise Problem(400, "Bad coverage parameters", errors)
    region = _region_counties(readiness)
    shown = named or region
    if named and region is not None:
        shown = [c for c in named if c in region]
    return at, horizon, shown
