"""From the model's snapshot to what the page shows: plain functions the callbacks call.

Kept apart from `app.py` so each piece is tested by calling it with a snapshot, no server needed.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from services.common.approval import REPLANNED
from services.common.auth import Identity
from twin.mirror.client import Decision, ServicesClient
from twin.ui import refusals
from twin.ui.figures import assessed, province_map
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text

CLOSED_REQUESTS = frozenset({"released", "closed", "cancelled", "on_scene"})


def counties_with_gap(snapshot: dict) -> list[dict]:
    """Each county with `gap`: the largest force gap among its open support requests (0 without)."""
    gaps: dict[str, float] = {}
    for request in snapshot.get("requests", []):
        if request.get("status") not in CLOSED_REQUESTS:
            gaps[request["county"]] = max(gaps.get(request["county"], 0.0), request.get("gap_ratio", 0.0))
    return [dict(c, gap=gaps.get(c["code"], 0.0)) for c in snapshot["counties"]]


def request_of(snapshot: dict, request_id: str | None) -> dict | None:
    return next((r for r in snapshot.get("requests", []) if r["request_id"] == request_id), None)


def plans_of(snapshot: dict, request_id: str | None) -> list[dict]:
    return [p for p in snapshot.get("plans", []) if p["request_id"] == request_id]


def destination(snapshot: dict, request: dict) -> list[float]:
    """Where support reports: the request's point, else the requesting county's seat."""
    point = (request.get("location") or {}).get("point")
    if point:
        return [point["lon"], point["lat"]]
    return next(c["seat"] for c in snapshot["counties"] if c["code"] == request["county"])


def routes_for(snapshot: dict, request_id: str | None, lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """The request's candidate plans as routes from their donor counties (void or rejected plans left out)."""
    request = request_of(snapshot, request_id)
    if request is None:
        return []
    seats = {c["code"]: c for c in snapshot["counties"]}
    end = destination(snapshot, request)
    routes = []
    for plan in plans_of(snapshot, request_id):
        if plan["status"] in ("rejected", "void", "commit_rejected"):
            continue
        per_donor = plan["metrics"].get("per_donor") or {}
        donors = [{"county": code, "name": seats[code]["name"], "seat": seats[code]["seat"], "officers": n}
                  for code, n in sorted(per_donor.items()) if code in seats]
        routes.append({"plan_id": plan["plan_id"], "kind": plan.get("kind"), "destination": end, "donors": donors,
                       "label": maybe("kind_" + str(plan.get("kind")), lang, str(plan.get("kind"))),
                       "selected": plan["status"] in ("approved", "committed")})
    return routes


GEOJSON_PATH = "/geo/counties.geojson"  # served by the app: the browser fetches the polygons once


def map_figure(snapshot: dict, geojson: dict, *, colour_by: str, request_id: str | None,
               lang: str = DEFAULT_LANGUAGE, tile_url: str | None = None, geojson_url: str | None = GEOJSON_PATH):
    return province_map(geojson, counties_with_gap(snapshot), assessed(snapshot["incidents"], snapshot.get("requests")),
                        colour_by=colour_by, lang=lang, officers=True, units=snapshot.get("units", []),
                        routes=routes_for(snapshot, request_id, lang), tile_url=tile_url, geojson_url=geojson_url)


# The state key of the page's first map (`base_map_figure`): no refresh's digest equals it, so the first
# tick sends the whole map.
BASE_MAP_KEY = "base-map"


def base_map_figure(snapshot: dict, geojson: dict, *, colour_by: str, lang: str = DEFAULT_LANGUAGE,
                    tile_url: str | None = None, geojson_url: str | None = GEOJSON_PATH):
    """The map as the page first draws it: the counties coloured and the incidents, nothing that needs a
    service's answer or shows a position (officers, routes and units come with the first refresh)."""
    return province_map(geojson, counties_with_gap(snapshot), assessed(snapshot["incidents"], snapshot.get("requests")),
                        colour_by=colour_by, lang=lang, tile_url=tile_url, geojson_url=geojson_url)


def digest(*parts) -> str:
    """A short digest of what a view shows, so an unchanged state does not resend it."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def decide(client: ServicesClient, *, plan_id: str, action: str, identity: Identity | str, reason: str | None,
           version: int = 1, lang: str = DEFAULT_LANGUAGE, place: Callable[[str], str] = str) -> tuple[str, str]:
    """Calls matching as `identity` (the signed-in user's token) for the plan `version` shown;
    returns (outcome, message to show)."""
    if action == "reject" and not (reason or "").strip():
        return "invalid", text("reason_needed", lang)
    result: Decision = (client.approve(plan_id, identity, version=version) if action == "approve"
                        else client.reject(plan_id, identity, reason.strip(), version=version))
    return result.outcome, decision_message(result, plan_id, lang, place)


def decision_message(result: Decision, plan_id: str, lang: str, place: Callable[[str], str] = str) -> str:
    """What the commander is told of matching's answer: a refusal in the page's language, naming the officers
    or the rule at fault (at most 3, then how many more), and whether the request is being re-planned."""
    detail = result.detail
    if result.problem is not None:
        detail = refusals.said(result.problem, lang, place, result.status, most=3) or detail
    codes = {e.get("code") for e in (result.problem or {}).get("errors") or [] if isinstance(e, dict)}
    key = "result_replanning" if result.outcome == "conflict" and codes & REPLANNED else f"result_{result.outcome}"
    return text(key, lang, plan=plan_id, detail=detail, status=result.status)
