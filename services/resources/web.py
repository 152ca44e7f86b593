"""Small helpers the route modules share: the caller's role, the clock, query-string parsing."""
from __future__ import annotations

import re
from datetime import date, datetime

from ..common import clock
from ..common.auth import current_identity
from ..common.http import BadRequest
from .domain.lifecycle import STATUSES
from .domain.roster_rows import MODULES

COUNTY = re.compile(r"^[0-9]{6}$")
CODE = re.compile(r"^[a-z][a-z0-9_:-]{0,63}$")
ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
LISTS = {"county": COUNTY, "city": COUNTY, "module": None, "tag": CODE, "certification": CODE,
         "status": None, "unit_id": ID}


def now() -> datetime:
    return clock.now()


def role() -> str:
    """The caller's role, from its token: what it may see of officers (domain/masking.py)."""
    return current_identity().role


def search_filters(args) -> dict:
    """Query string → filters; every bad parameter is named with its reason (400)."""
    errors, f = [], {}
    for name, pattern in LISTS.items():
        values = [v for raw in args.getlist(name) for v in raw.split(",") if v]
        allowed = MODULES if name == "module" else STATUSES if name == "status" else None
        for v in values:
            if (pattern and not pattern.match(v)) or (allowed and v not in allowed):
                errors.append({"field": name, "reason": f"{v!r} is not a valid {name}"
                               + (f" (one of {', '.join(allowed)})" if allowed else "")})
        f[name] = values
    f["limit"] = _int(args, "limit", 50, 1, 1000, errors)
    f["offset"] = _int(args, "offset", 0, 0, 10**9, errors)
    _point(args, f, errors)
    if args.get("valid_on"):
        try:
            f["valid_on"] = date.fromisoformat(args["valid_on"])
        except ValueError:
            errors.append({"field": "valid_on", "reason": "expected a YYYY-MM-DD date"})
    if errors:
        raise BadRequest(400, "Bad search parameters", errors)
    return f


def _int(args, name: str, default: int, low: int, high: int, errors: list) -> int:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors.append({"field": name, "reason": f"an integer from {low} to {high}"})
        return default
    return int(raw)


def _point(args, f: dict, errors: list) -> None:
    given = [k for k in ("lon", "lat", "max_travel_min") if args.get(k) not in (None, "")]
    if not given:
        return
    try:
        lon, lat = float(args["lon"]), float(args["lat"])
    except (KeyError, ValueError):
        errors.append({"field": "lon" if "lon" not in given else "lat", "reason": "lon and lat go together, as numbers"})
        return
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        errors.append({"field": "lon", "reason": "lon -180..180 and lat -90..90 (WGS84)"})
    f["point"] = (lon, lat)
    if "max_travel_min" in given:
        try:
            f["max_travel_s"] = float(args["max_travel_min"]) * 60
        except ValueError:
            errors.append({"field": "max_travel_min", "reason": "a number of minutes"})
