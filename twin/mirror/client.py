"""Every HTTP call the twin makes to the services, in one place, always as a named identity.

Reads (the snapshot the mirror starts from) go out as the twin's own identity; approvals and
rejections go out with the signed-in user's own token (forwarded as is, never minted by the twin),
so matching decides by *their* role and region.
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from typing import Mapping

import requests

from services.common import paging
from services.common.auth import Identity, headers_for, service_identity
from services.common.config import port_for
from services.common.query import MAX_IDS, id_batches

log = logging.getLogger(__name__)
TWIN_IDENTITY = service_identity("twin")
TIMEOUT_S = 5.0
UNIT_IDS_PER_READ = MAX_IDS  # resources' GET /units?ids= limit
ARRIVALS_TTL_S = 5.0  # how long the panel's live arrivals are reused before logistics is asked again
ARRIVALS_PER_READ = 100  # request ids named in one GET /orders (logistics takes up to 200)
Caller = Identity | str  # a signed-in user's token (forwarded), or an identity the caller may mint for


def auth_headers(caller: Caller) -> dict[str, str]:
    """The user's own token as it came, or (tests, the twin itself) a token minted for an identity."""
    return {"Authorization": f"Bearer {caller}"} if isinstance(caller, str) else headers_for(caller)


@dataclass(frozen=True)
class Decision:
    """What matching answered to an approval or a rejection."""

    outcome: str  # approved | rejected | refused (not allowed at this level) | conflict | error
    status: int
    detail: str
    problem: dict | None = None  # the refusal's problem+json body (its errors' codes and values), when it had one


def service_urls(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`<NAME>_URL` when set, else the service's loopback port."""
    env = os.environ if env is None else env
    return {name: env.get(f"{name.upper()}_URL") or f"http://127.0.0.1:{port_for(name, env)}"
            for name in ("demand", "resources", "matching", "logistics")}


class ServicesClient:
    def __init__(self, urls: Mapping[str, str], *, session: requests.Session | None = None) -> None:
        self.urls = dict(urls)
        self.session = session or requests.Session()
        self._arrivals: dict[tuple[str, str], tuple[float, list[dict] | None]] = {}

    # --- snapshot reads -------------------------------------------------------------------------

    def county_loads(self) -> list[dict]:
        return self._get("resources", "/counties/load") or []

    def incidents(self) -> list[dict]:
        return self._rows("demand", f"/incidents?limit={paging.MOST}")

    def requests(self) -> list[dict]:
        """Every support request demand holds, with its lifecycle status."""
        return self._rows("demand", f"/requests?limit={paging.MOST}")

    def plans(self) -> list[dict]:
        """Every candidate plan matching holds (all requests), each with its status and version."""
        out = []
        for request in self._rows("matching", f"/requests?limit={paging.MOST}"):
            body = self._get("matching", f"/requests/{request['request_id']}/plans") or {}
            out += body.get("plans", [])
        return out

    def unit_names(self, unit_ids: list[str]) -> dict[str, dict[str, str]] | None:
        """Each unit's name as resources' roster keeps it (GET /units?ids=, up to 500 at a time, as many as a
        request line holds: services.common.query), {"zh": …, "en": …}
        (the English name, or the Chinese where the roster has none); a unit the roster does not know, or
        keeps without a name, is left out. None when resources does not answer."""
        if "resources" not in self.urls:
            return None
        out: dict[str, dict[str, str]] = {}
        for chunk in id_batches(unit_ids, UNIT_IDS_PER_READ):
            try:
                resp = self.session.get(self.urls["resources"] + "/units", params={"ids": ",".join(chunk)},
                                        headers=headers_for(TWIN_IDENTITY), timeout=TIMEOUT_S)
            except requests.RequestException as exc:
                log.warning("unit names: resources unreachable: %s", type(exc).__name__)
                return None
            if resp.status_code != 200:
                log.warning("unit names: resources answered %s", resp.status_code)
                return None
            out.update({u["unit_id"]: {"zh": u["name"], "en": u.get("name_en") or u["name"]}
                        for u in resp.json() if u.get("name")})
        return out

    def position_policy(self) -> dict | None:
        """logistics' switch over live positions (GET /policy/positions); None when it does not answer."""
        return self._get("logistics", "/policy/positions") if "logistics" in self.urls else None

    def readiness_coverage(self) -> dict | None:
        """resources' 1-hour support circle, every county (GET /readiness/coverage); None when it does not answer."""
        return self._get("resources", "/readiness/coverage")

    def readiness_what_if(self, officer_ids: list[str], *, plan_id: str | None = None,
                          county: str | None = None) -> dict | None:
        """Which counties would leave the support circle, for which modules, if these officers were sent
        (POST /readiness/what-if: nothing is written); None when resources does not answer."""
        if "resources" not in self.urls:  # a twin wired without resources (a stand-in loop) has no circle
            return None
        body = {"officer_ids": list(officer_ids), **({"plan_id": plan_id} if plan_id else {}),
                **({"county": county} if county else {})}
        try:
            resp = self.session.post(self.urls["resources"] + "/readiness/what-if", json=body,
                                     headers=headers_for(TWIN_IDENTITY), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("readiness what-if for %s: resources unreachable: %s", plan_id, exc)
            return None
        if resp.status_code != 200:
            log.warning("readiness what-if for %s: resources answered %s", plan_id, resp.status_code)
            return None
        return resp.json()

    def performance_report(self, period: str, caller: Caller, lang: str = "zh") -> requests.Response | None:
        """demand's performance report of `period` as HTML in `lang`, read with the user's own token (demand
        decides by *their* role and region); None when demand does not answer."""
        try:
            return self.session.get(self.urls["demand"] + "/reports/performance",
                                    params={"period": period, "format": "html", "lang": lang},
                                    headers=auth_headers(caller),
                                    timeout=TIMEOUT_S * 6)
        except requests.RequestException as exc:
            log.warning("performance report %s: demand unreachable: %s", period, exc)
            return None

    def arrivals(self, request_id: str, caller: Caller) -> list[dict] | None:
        """logistics' orders of the request (each unit's expected arrival, lateness, arrival), read with the
        user's own token so logistics decides what they may see; None when logistics is not wired, does not
        answer or refuses. Kept ARRIVALS_TTL_S per request and caller: the panel asks at every refresh."""
        return self.arrivals_of([request_id], caller)[request_id]

    def arrivals_of(self, request_ids: list[str], caller: Caller) -> dict[str, list[dict] | None]:
        """`arrivals` of several requests (request id -> orders, or None), those not kept asked for in one
        `GET /orders?request_id=…&request_id=…`: the board's requests with units on the way, one read a
        refresh whatever their number. What logistics answers is kept per request, as `arrivals` keeps it."""
        if "logistics" not in self.urls:
            return {r: None for r in request_ids}
        now, who = time.monotonic(), str(caller)
        out: dict[str, list[dict] | None] = {}
        for request_id in request_ids:
            kept = self._arrivals.get((request_id, who))
            if kept is not None and now - kept[0] < ARRIVALS_TTL_S:
                out[request_id] = kept[1]
        asked = sorted({r for r in request_ids if r not in out})
        if not asked:
            return out
        if len(self._arrivals) > 1_000:
            self._arrivals.clear()
        for start in range(0, len(asked), ARRIVALS_PER_READ):
            part = asked[start:start + ARRIVALS_PER_READ]
            grouped = self._orders_of(part, caller)
            for request_id in part:
                orders = grouped[request_id] if grouped is not None else None
                self._arrivals[request_id, who] = (now, orders)
                out[request_id] = orders
        return out

    def _orders_of(self, request_ids: list[str], caller: Caller) -> dict[str, list[dict]] | None:
        """One `GET /orders` of these requests as `caller`, grouped by request; None when refused or down."""
        try:
            _, body = paging.every_row(self.session.get, self.urls["logistics"] + "/orders",
                                       params={"request_id": request_ids, "limit": paging.MOST},
                                       headers=auth_headers(caller), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("arrivals of %s: logistics unreachable: %s", ", ".join(request_ids), exc)
            return None
        if body is None:
            return None
        grouped: dict[str, list[dict]] = {r: [] for r in request_ids}
        for order in body:
            if isinstance(order, dict) and order.get("request_id") in grouped:
                grouped[order["request_id"]].append(order)
        return grouped

    def _get(self, service: str, path: str):
        """The JSON body, or None when the service is down, not wired, or does not offer `path` (logged)."""
        if service not in self.urls:
            return None
        try:
            resp = self.session.get(self.urls[service] + path, headers=headers_for(TWIN_IDENTITY), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("snapshot: %s%s unreachable: %s", service, path, exc)
            return None
        if resp.status_code != 200:
            log.warning("snapshot: %s%s answered %s", service, path, resp.status_code)
            return None
        return resp.json()

    def _rows(self, service: str, path: str) -> list:
        """Every row of a list the service answers in pages (following Link rel="next"); [] when the
        service is down, not wired, or refuses (logged)."""
        if service not in self.urls:
            return []
        try:
            resp, rows = paging.every_row(self.session.get, self.urls[service] + path,
                                          headers=headers_for(TWIN_IDENTITY), timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            log.warning("snapshot: %s%s unreachable: %s", service, path, exc)
            return []
        if rows is None:
            log.warning("snapshot: %s%s answered %s%s", service, path, resp.status_code,
                        " with something other than a list" if resp.status_code == 200 else "")
            return []
        return rows

    # --- decisions ------------------------------------------------------------------------------

    def approve(self, plan_id: str, identity: Caller, *, version: int, comment: str | None = None) -> Decision:
        """`version` is the plan's version as shown: matching refuses (409) a plan re-planned since."""
        body = {"version": version, **({"comment": comment} if comment else {})}
        return self._decide(f"/plans/{plan_id}/approve", body, identity, success="approved")

    def reject(self, plan_id: str, identity: Caller, reason: str, *, version: int | None = None) -> Decision:
        body = {"reason": reason, **({"version": version} if version else {})}
        return self._decide(f"/plans/{plan_id}/reject", body, identity, success="rejected")

    def _decide(self, path: str, body: dict, identity: Caller, *, success: str) -> Decision:
        try:
            resp = self.session.post(self.urls["matching"] + path, json=body, headers=auth_headers(identity),
                                     timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            return Decision("error", 0, str(exc))
        return decision_of(resp, success)


def decision_of(resp: requests.Response, success: str) -> Decision:
    """matching's answer to a decision: `success` (approved, rejected) or why not, with its problem body."""
    detail = detail_of(resp)
    if resp.status_code in (200, 201, 202):
        return Decision(success, resp.status_code, detail)
    outcome = {401: "refused", 403: "refused", 409: "conflict"}.get(resp.status_code, "error")
    return Decision(outcome, resp.status_code, detail, problem_of(resp))


def problem_of(resp: requests.Response) -> dict | None:
    """The answer's problem+json body, or None when it has none."""
    try:
        body = resp.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def detail_of(resp: requests.Response) -> str:
    """A problem+json's detail (or title), else the body's status, else the raw text."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body.get("status") or "")
    return ""
