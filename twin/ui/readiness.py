"""The province's 1-hour support circle on the twin, read from resources (services/resources/readiness).

- The map's "support circle" colouring: each county coloured by the modules it is covered for within
  60 min (`covered_modules`), its hover the officers who could support it per module within 30 / 60 /
  120 min (`modules.<m>.support`). Read from `GET /readiness/coverage` at most once a minute
  (`Readiness.TTL_S`), however often the map is redrawn.
- Beside each candidate plan: the counties that would leave the circle, for which modules, if the
  plan's officers were sent (`POST /readiness/what-if`), asked once per plan (and version).

Both are read as the twin's own identity (every county); what a user is shown passes twin.ui.visibility
(resources' `GET /readiness/coverage`: a city or county sees its own counties, a role without it none).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from services.common.auth import Identity
from services.common.contracts import MODULES
from twin.mirror.client import ServicesClient
from twin.ui import visibility
from twin.ui.messages import DEFAULT_LANGUAGE, maybe, text

THRESHOLDS_MIN = (30, 60, 120)


class Readiness:
    """The last coverage read (refreshed after `ttl_s`) and each plan's what-if, kept in memory."""

    TTL_S = 60.0

    def __init__(self, client: ServicesClient, *, ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client, self.ttl_s, self.clock = client, ttl_s, clock
        self.lock = threading.Lock()
        self._coverage: dict | None = None
        self._read_at: float | None = None
        self._what_if: dict[tuple[str, int], dict] = {}
        self._failed: dict[tuple[str, int], float] = {}  # when resources last did not answer, per plan

    def coverage(self) -> dict | None:
        """The coverage as last read; read again once older than `ttl_s` (a failed read is not retried
        before then either, and the last good one is kept)."""
        with self.lock:
            if self._read_at is not None and self.clock() - self._read_at < self.ttl_s:
                return self._coverage
            self._read_at = self.clock()
        body = self.client.readiness_coverage()
        with self.lock:
            if body is not None:
                self._coverage = body
            return self._coverage

    def what_if(self, plan: dict, county: str | None = None) -> dict | None:
        """resources' what-if for the plan's officers, asked once per plan and version; None while
        resources does not answer (asked again after `ttl_s`)."""
        key = (plan["plan_id"], plan.get("version", 1))
        with self.lock:
            if key in self._what_if:
                return self._what_if[key]
            if key in self._failed and self.clock() - self._failed[key] < self.ttl_s:
                return None
        officers = sorted({a["officer_id"] for a in plan.get("assignments") or [] if a.get("officer_id")})
        if not officers:
            return None
        body = self.client.readiness_what_if(officers, plan_id=plan["plan_id"], county=county)
        with self.lock:
            if body is None:
                self._failed[key] = self.clock()
            else:
                self._what_if[key] = body
                self._failed.pop(key, None)
        return body


def module_name(module: str, lang: str = DEFAULT_LANGUAGE) -> str:
    return maybe(f"module_{module}", lang, module)


def counties_with_circle(counties: list[dict], coverage: dict | None, identity: Identity | None,
                         lang: str = DEFAULT_LANGUAGE) -> list[dict]:
    """Each county with `circle` (the modules covered within 60 min; None when unknown or not the user's
    to see) and `circle_detail` (the hover: support within 30/60/120 min per module)."""
    by_code = {c["county"]: c for c in (coverage or {}).get("counties") or []}
    thresholds = (coverage or {}).get("thresholds_min") or list(THRESHOLDS_MIN)
    out = []
    for county in counties:
        found = by_code.get(county["code"])
        if found is None or not visibility.may_read(identity, visibility.READINESS, [county["code"]]):
            out.append(dict(county, circle=None, circle_detail=text("circle_unknown", lang)))
            continue
        lines = [text("circle_head", lang, minutes="/".join(str(t) for t in thresholds))]
        for module in (coverage.get("modules") or MODULES):
            counts = (found.get("modules") or {}).get(module, {}).get("support") or []
            mark = "✓" if module in found.get("covered_modules", []) else "✗"
            lines.append(f"{mark} {module_name(module, lang)}: " + " / ".join(str(n) for n in counts))
        out.append(dict(county, circle=len(found.get("covered_modules") or []), circle_detail="<br>".join(lines)))
    return out


def leaving_circle(result: dict | None, names: dict[str, str], identity: Identity | None,
                   lang: str = DEFAULT_LANGUAGE) -> str:
    """The counties the user may see that would leave the circle, each with its modules, or "none";
    "—" when resources has not answered."""
    if result is None:
        return text("unknown", lang)
    shown = [c for c in result.get("left_circle") or []
             if visibility.may_read(identity, visibility.READINESS, [c.get("county")])]
    if not shown:
        return text("leaving_none", lang)
    sep, between, (left, right) = ("、", "；", "（）") if lang != "en" else (", ", "; ", ("(", ")"))
    return between.join(f"{names.get(c['county'], c.get('name') or c['county'])}{' ' if lang == 'en' else ''}"
                        f"{left}{sep.join(module_name(m, lang) for m in c.get('modules') or [])}{right}"
                        for c in shown)
