"""HTTP: the performance report (JSON, CSV, offline HTML) and the reports kept with their hashes.
Its own Api beside demand's (http.py), installed on the same app."""
from __future__ import annotations

import re

from flask import Response, jsonify, request

from ...common import clock, permissions
from ...common.api import Api, current_deps
from ...common.auth import current_identity, region_covers
from ...common.http import Problem
from ...geo.regions import region_prefix
from . import build, render, store
from .periods import PeriodError, parse_period, window

api = Api("demand_reports")
FORMATS = ("json", "csv", "html")


def _bad(status: int, title: str, field: str, reason: str) -> Problem:
    return Problem(status, title, [{"field": field, "reason": reason}])


def region_arg() -> str:
    geo = current_deps().reports.geography
    raw = request.args.get("region") or permissions.bound_region() or geo.province_code
    if not (len(raw) == 6 and raw.isdigit()):
        raise _bad(400, "Bad query parameter", "region", f"{raw!r} is not a 6-digit region code")
    known = {geo.province_code} | {c.code for c in geo.cities}
    if raw not in known:
        county = raw in {c.code for c in geo.counties}
        raise _bad(422, "Unknown region", "region", (
            f"{raw} is a county: the report is per city and for the province" if county else
            f"no city {raw} in province {geo.province_code} (the province or one of its cities)"))
    who = current_identity()
    if not region_covers(who.region, raw):
        raise _bad(403, "Outside your region", "region", f"{raw} lies outside your region {who.region}")
    return raw


def period_arg():
    try:
        if request.args.get("period"):
            if request.args.get("from") or request.args.get("to"):
                raise PeriodError("period", "give either period or from/to, not both")
            return parse_period(request.args["period"])
        if request.args.get("from") and request.args.get("to"):
            return window(request.args["from"], request.args["to"])
        missing = "to" if request.args.get("from") else "from" if request.args.get("to") else "period"
        raise PeriodError(missing, "required: period=2026-H1 | 2026-06 | 2026, or from= and to=")
    except PeriodError as exc:
        raise _bad(400, "Bad period", exc.field, exc.reason) from None


@api.route("GET", "/reports/performance", "The performance report of a period (?period=2026-H1 | 2026-06 | 2026, "
           "or from=&to=) for the province or a city (?region=): the six indicators, idle rate, equipment "
           "readiness, volunteer share, request → first plan and the cities' reciprocity of task points, each "
           "beside its target and the phase target of the period's last day, with the previous periods as trend; "
           "?format=json|csv|html (?lang=en|zh: the HTML page's language, Beijing dates either way). Each "
           "generation whose content changed is kept with its SHA-256",
           response="performance-report",
           query={"period": "2026-H1, 2026-06 or 2026 (or from and to)", "from": "the period's first day (with to)",
                  "to": "the period's last day (with from)",
                  "region": "the province or a city, 6 digits (default: the caller's region)",
                  "format": "json (default), csv or html", "lang": "en (default) or zh: the HTML page's language"})
def performance():
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise _bad(400, "Bad query parameter", "format", f"{fmt!r}: one of {', '.join(FORMATS)}")
    lang = request.args.get("lang", "en")
    if lang not in render.LANGUAGES:
        raise _bad(400, "Bad query parameter", "lang", f"{lang!r}: one of {', '.join(render.LANGUAGES)}")
    period, region = period_arg(), region_arg()
    now = clock.now()
    if period.start > now:
        raise _bad(422, "Empty period", "period", f"{period.label} has not begun")
    try:
        report = current_deps().reports.generate(period, region, trigger="on_demand", by=current_identity().subject,
                                                 now=now)
    except build.EmptyPeriod as exc:
        if exc.unanswered:  # not known to be empty: asking again once the source answers may find figures
            raise _bad(503, "Source unavailable", "period", str(exc)) from None
        raise _bad(422, "Empty period", "period", str(exc)) from None
    name = f"performance-{report['period']}-{region}"
    headers = {"X-Report-SHA256": report["sha256"]}
    if fmt == "csv":
        return Response(render.csv_text(report), mimetype="text/csv", headers={
            **headers, "Content-Disposition": f'attachment; filename="{name}.csv"'})
    if fmt == "html":
        reports = current_deps().reports
        labels = {name: spec.get(f"label_{lang}") or spec["label"] for name, spec in reports.policy["figures"].items()}
        cities = {c.code: c.name for c in reports.geography.cities}
        return Response(render.html_page(report, lang, labels, cities), mimetype="text/html", headers=headers)
    return jsonify(report), 200, headers


WINDOW_LABEL = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\.\.[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@api.route("GET", "/reports/performance/history", "The reports kept (?period=&region=): period, region, "
           "generated_at, trigger, sha256; the same period with another hash is a later change of its data",
           response="performance-history",
           query={"period": "only this period", "region": "only this region and those within it, 6 digits"})
def performance_history():
    region = request.args.get("region") or permissions.bound_region()
    if region and not (len(region) == 6 and region.isdigit()):
        raise _bad(400, "Bad query parameter", "region", f"{region!r} is not a 6-digit region code")
    prefix = (region_prefix(region) or region) if region else None
    period = request.args.get("period")
    if period and not WINDOW_LABEL.match(period):   # a window's label (2026-06-01..2026-06-15) as it is kept
        try:   # a period mistyped would answer "none kept", as if nothing had been reported
            period = parse_period(period).label
        except PeriodError as exc:
            raise _bad(400, "Bad query parameter", exc.field, exc.reason) from None
    with current_deps().runtime.engine.connect() as conn:
        rows = store.history(conn, prefix, period or None)
    who = current_identity()
    return jsonify({"reports": [r for r in rows if region_covers(who.region, r["region"])
                                or r["region"] == who.region]})
