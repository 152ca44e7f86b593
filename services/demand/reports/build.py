"""Gathering and assembling the performance report for a period and a region (the province or a city).

Where each figure comes from:
- the six indicators, the idle rate with them: logistics owns their facts (orders and arrivals,
  equipment checks, surveys, case outcomes, arrangements, load reports), so demand calls its
  `GET /indicators?from=&to=&city=` as the demand service: for the province's report one call per
  period with `by=city` answers the province and every city at once; a city's report asks for its city;
- request → first plan: demand's own requests (support.requested) and the first `plan.proposed` of
  each (demand consumes it to move the request's lifecycle: request_transitions, cause plan.proposed);
- the reciprocity balance: `points.awarded` (resources), consumed by demand into `points_awards`; the
  officer's home county gives, the county of the request (demand's own) receives;
- equipment readiness and the volunteer share: resources' equipment register and roster, through
  `Sources.force` (resources' `GET /force/summary?region=`, as of the report's generation: the register
  keeps no history, so the figures stand beside the period they are reported with, not the trend)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from ...common.clock import stamp
from . import figures as fig
from . import store
from .periods import Period, phase_of, previous

LOGISTICS_FIGURES = ("response_time", "utilisation", "cross_region_clearance", "equipment_compatibility",
                     "satisfaction", "logistics_coverage")


class SourceUnavailable(RuntimeError):
    """A service the report reads did not answer."""


class EmptyPeriod(ValueError):
    """Nothing was recorded in the region over the period. `unanswered` names the sources of the
    period's figures that did not answer: while it is not empty, "nothing" may only mean "not told"."""

    def __init__(self, message: str, unanswered: tuple[str, ...] = ()):
        super().__init__(message)
        self.unanswered = tuple(unanswered)


@dataclass
class Sources:
    """indicators(filters) -> logistics' GET /indicators answer; force(region) -> {equipment_readiness,
    equipment_items, volunteer_share, officers} or None."""
    indicators: Callable[[dict], dict]
    force: Callable[[str], dict | None] = field(default=lambda region: None)
    force_note: str = "resources was not asked (no source of the equipment register and roster given)"


class _ServiceSource:
    """One GET on another service, called as the demand service (its token addressed to that service);
    any failure to reach it, or an answer other than 200, is SourceUnavailable."""
    service = path = ""

    def __init__(self, url: str, *, timeout_s: float = 10.0, session=None):
        import requests as http
        self.url, self.timeout_s = url.rstrip("/"), timeout_s
        self.session = session or http.Session()

    def _get(self, params: dict) -> dict:
        from ...common.auth import headers_for, service_identity
        what = f"{self.service} GET {self.path}"
        try:
            resp = self.session.get(f"{self.url}{self.path}", params=params, timeout=self.timeout_s,
                                    headers=headers_for(service_identity("demand"), audience=self.service))
        except Exception as exc:  # noqa: BLE001 - any failure to reach it is the same to the report
            raise SourceUnavailable(f"{what}: {exc.__class__.__name__}") from None
        if resp.status_code != 200:
            raise SourceUnavailable(f"{what} answered {resp.status_code}")
        return resp.json()


class LogisticsIndicators(_ServiceSource):
    """logistics' `GET /indicators` over HTTP (LOGISTICS_URL, else its loopback port)."""
    service, path = "logistics", "/indicators"

    def __call__(self, f: dict) -> dict:
        return self._get({k: (stamp(v) if isinstance(v, datetime) else v) for k, v in f.items()})


class ResourcesForce(_ServiceSource):
    """resources' `GET /force/summary?region=` over HTTP (RESOURCES_URL, else its loopback port):
    {equipment_readiness, equipment_items, volunteer_share, officers, ...}."""
    service, path = "resources", "/force/summary"

    def __call__(self, region: str) -> dict:
        return self._get({"region": region})






def build(conn, sources: Sources, policy: dict, period: Period, region: str, geography, now: datetime) -> dict:
    """The report (JSON-ready) for `period` and `region` (the province code or a city's); raises
    EmptyPeriod when nothing of the region was recorded in it."""
    province = region == geography.province_code
    cities = [c for c in geography.cities if province or c.code == region]
    scopes = ([(geography.province_code, geography.province_name, None)] if province else []) + \
        [(c.code, c.name, c.code) for c in cities]
    periods = previous(period, int(policy.get("trend_periods", 3))) + [period]
    phase = phase_of(policy["phases"], period.last_day)
    incomplete: list[str] = []
    unanswered: list[str] = []  # the indicators' source's failures: what "nothing recorded" may hide

    def ask(f: dict) -> dict | None:
        try:
            return sources.indicators(f)
        except SourceUnavailable as exc:
            for seen in (incomplete, unanswered):
                if str(exc) not in seen:
                    seen.append(str(exc))
            return None

    asked: dict[tuple[datetime, datetime], dict | None] = {}

    def indicators(p: Period, city: str | None) -> dict | None:
        if not province:
            return ask({"from": p.start, "to": p.end, **({"city": city} if city else {})})
        # the province's report: one call per period gives the province and each city (by=city); a city
        # the answer does not list (nothing recorded, or a logistics without by=city) is asked alone
        key = (p.start, p.end)
        if key not in asked:
            asked[key] = ask({"from": p.start, "to": p.end, "by": "city"})
        whole = asked[key]
        if city is None or whole is None:
            return whole
        per_city = whole.get("by_city")
        if isinstance(per_city, dict) and city in per_city:
            return per_city[city]
        return ask({"from": p.start, "to": p.end, "city": city})

    plans = store.first_plan_seconds(conn, periods[0].start, period.end)
    force_by_region = {}
    for code, _, _ in scopes:
        try:
            force_by_region[code] = sources.force(code)
        except SourceUnavailable as exc:
            force_by_region[code] = None
            if str(exc) not in incomplete:
                incomplete.append(str(exc))
    if all(v is None for v in force_by_region.values()) and not any("/force/summary" in i for i in incomplete):
        incomplete.append(f"equipment readiness, volunteer share: {sources.force_note}")
    baseline_year = policy.get("baseline_year")
    needs_baseline = phase is not None and any(
        "min_vs_baseline" in ((spec.get("phases") or {}).get(phase["name"]) or {}) for spec in policy["figures"].values())
    regions_out = []
    plans_in: dict[tuple[int, str], list[float | None]] = {}  # (period, city) -> seconds, as raised
    for c, at, s in plans:
        for i, p in enumerate(periods):
            if p.start <= at < p.end:
                plans_in.setdefault((i, c), []).append(s)
                plans_in.setdefault((i, None), []).append(s)
    for code, name, city in scopes:
        per_period = []
        for i, p in enumerate(periods):
            secs = plans_in.get((i, city), [])
            per_period.append((p.label, fig.values(indicators(p, city), fig.first_plan(secs),
                                                    force_by_region[code] if p is period else None),
                               fig.first_plan(secs)))
        baselines = {}
        if needs_baseline and baseline_year:
            from .periods import parse_period
            base = indicators(parse_period(str(baseline_year)), city)
            baselines = {"cross_region_clearance": fig.values(base, fig.first_plan([]), None)["cross_region_clearance"][0]}
        label, current, plan_summary = per_period[-1]
        regions_out.append({"region": code, "name": name, "level": "province" if city is None else "city",
                            "figures": fig.rows(policy, phase, current, [(lb, v) for lb, v, _ in per_period[:-1]],
                                                baselines),
                            "first_plan": plan_summary})
    own = regions_out[0]
    recorded = (own["first_plan"]["requests"] or 0) + sum((r["basis"] or 0) for r in own["figures"]
                                                          if r["figure"] in ("response_time_min", "logistics_coverage",
                                                                             "cross_region_clearance"))
    if recorded == 0 and not any(r["value"] is not None for r in own["figures"]
                                 if r["figure"] not in ("equipment_readiness", "volunteer_share")):
        raise EmptyPeriod(f"nothing was recorded in {own['name']} ({region}) over {period.label}"
                          + (f" as far as is known ({'; '.join(unanswered)})" if unanswered else ""), unanswered)
    return {
        "period": period.label, "kind": period.kind, "from": stamp(period.start), "to": stamp(period.end),
        "region": region, "region_name": scopes[0][1], "level": "province" if province else "city",
        "phase": None if phase is None else {"name": phase["name"], "from": phase["from"].isoformat(),
                                             "to": phase["to"].isoformat()},
        "phase_date": period.last_day.isoformat(),
        "trend_periods": [p.label for p in periods[:-1]],
        "policy_version": policy["version"],
        "regions": regions_out,
        "reciprocity": fig.reciprocity(store.awards(conn, period.start, period.end),
                                       [c.code for c in geography.cities]),
        "incomplete": incomplete,
        "generated_at": stamp(now),
    }


def digest(report: dict) -> str:
    """SHA-256 of the report's content (what was measured, not when it was generated)."""
    content = {k: v for k, v in report.items() if k not in ("generated_at", "sha256", "kept", "report_id")}
    raw = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def keep(conn, report: dict, *, trigger: str, by: str, at: datetime) -> dict:
    """Keep the report when its content differs from the last one kept for the period and region;
    the answer carries its sha256, report_id and `kept` (new | unchanged)."""
    sha = digest(report)
    last = store.last_kept(conn, report["period"], report["region"])
    if last is not None and last.sha256 == sha:
        return {**report, "sha256": sha, "report_id": last.report_id, "kept": "unchanged"}
    report_id = store.insert_report(conn, report, sha=sha, trigger=trigger, by=by, at=at)
    return {**report, "sha256": sha, "report_id": report_id, "kept": "new"}
