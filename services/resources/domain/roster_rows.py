"""Roster rows (CSV or JSON) checked one by one: every bad row is reported with its line and reason.

CSV columns are those of `services.demo.roster.write_officers_csv` (lists joined with ';', a
certificate as name|issued|expires, home_lon/home_lat, station_lon/station_lat); JSON rows are the
demo roster's officer records (lists as arrays, `home` and `station` as [lon, lat]). Both normalise
to the same officer dict. The police station an officer works from (station_id and its point) is
optional: without it the officer counts as leaving from the county's seat.

A row may also describe the officer's unit (optional, for a unit the pool does not hold yet or to
rename one): unit_name as the force writes it (平湖市公安局交警大队二中队), unit_name_en, unit_level
(county, city or province: a province unit is the province reserve) and unit_kind (patrol_squad,
swat, ...). A unit lies in one county, that of its officers; `check_units` holds the rows to that
and adds the units the pool lacks.
"""
from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from datetime import date

from services.common.contracts import MODULES, defined

from .lifecycle import COMMITTED, STATUSES
from .units import UNIT_KIND

TEXT_FIELDS = ("officer_id", "name", "gender", "county", "city", "unit_id", "rank", "module", "role_class", "status",
               "phone", "home_address", "id_number", "station_id")
ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
CODE = re.compile(r"^[a-z][a-z0-9_:-]{0,63}$")
REQUIRED = ("officer_id", "name", "county", "unit_id", "module", "status")
# a unit's roster fields: (row column, longest text or the values allowed: defs.schema.json's unit_level, unit_kind)
# the longest text each personal column may hold (contracts/http/officer.schema.json shows them back)
TEXT_LIMITS = {"name": 64, "gender": 16, "rank": 32, "phone": 32, "home_address": 200, "id_number": 32}
ROLE_CLASSES = defined("role_class")
UNIT_FIELDS = {"name": ("unit_name", 64), "name_en": ("unit_name_en", 160), "level": ("unit_level", defined("unit_level")),
               "kind": ("unit_kind", defined("unit_kind"))}


class RowError(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason


def csv_rows(text: str) -> list[tuple[int, dict]]:
    """(line number, raw row) for each data row; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    return [(reader.line_num, row) for row in reader]


def check_rows(rows: list[tuple[str, dict]], counties: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """(officers, errors): errors as {"field": "<where>.<column>", "reason"}; duplicates are errors too."""
    officers, errors, seen = [], [], {}
    for where, raw in rows:
        try:
            officer = normalise(raw, counties)
        except RowError as exc:
            errors.append({"field": f"{where}.{exc.field}", "reason": exc.reason})
            continue
        if officer["officer_id"] in seen:
            errors.append({"field": f"{where}.officer_id",
                           "reason": f"duplicate of {seen[officer['officer_id']]}"})
            continue
        seen[officer["officer_id"]] = where
        officers.append(officer)
    return officers, errors


def normalise(raw: dict, counties: dict[str, str]) -> dict:
    if not isinstance(raw, dict):
        raise RowError("(row)", "expected an object")
    for name in REQUIRED:
        if raw.get(name) in (None, ""):
            raise RowError(name, "required")
    for name in TEXT_FIELDS:   # a JSON row's number, list or object is not taken for its text
        _expect(raw.get(name) is None or isinstance(raw[name], str), name,
                f"a string, not a JSON {type(raw.get(name)).__name__}")
    officer_id, county = str(raw["officer_id"]), str(raw["county"])
    _expect(ID.match(officer_id), "officer_id", "1-64 letters, digits or . _ : -")
    _expect(county in counties, "county", f"unknown county {county!r}")
    city = str(raw.get("city") or counties[county])
    _expect(city == counties[county], "city", f"county {county} belongs to city {counties[county]}, not {city}")
    _expect(raw["module"] in MODULES, "module", f"one of {', '.join(MODULES)}")
    _expect(raw.get("role_class") in (None, "", *ROLE_CLASSES), "role_class",
            f"one of {', '.join(ROLE_CLASSES)} (empty: regular)")
    for name, most in TEXT_LIMITS.items():
        _expect(len(str(raw.get(name) or "")) <= most, name, f"at most {most} characters")
    _expect(raw["status"] in STATUSES and raw["status"] not in COMMITTED, "status",
            "one of on_duty, off_duty, resting, unavailable (a roster cannot commit officers)")
    return {
        "officer_id": officer_id, "name": str(raw["name"]), "gender": str(raw.get("gender") or ""),
        "birth_year": _int(raw, "birth_year", 1940, 2015, None), "county": county, "city": city,
        "unit_id": _id(raw["unit_id"], "unit_id"), "rank": str(raw.get("rank") or ""), "module": raw["module"],
        "role_class": str(raw.get("role_class") or "regular"), "tags": _codes(raw.get("tags"), "tags"),
        "certifications": _certs(raw.get("certifications")), "equipment_ids": _ids(raw.get("equipment_ids")),
        "status": raw["status"], "duty_minutes_24h": _int(raw, "duty_minutes_24h", 0, 1440, 0),
        "home": _home(raw), "phone": str(raw.get("phone") or ""), "home_address": str(raw.get("home_address") or ""),
        "id_number": str(raw.get("id_number") or ""), "base_wage_daily": _int(raw, "base_wage_daily", 0, 100000, 0),
        "points_balance": _number(raw.get("points_balance") or 0, "points_balance"),
        "volunteer": str(raw.get("volunteer", "")).lower() in ("true", "1", "yes"),
        "station_id": _id(raw["station_id"], "station_id") if raw.get("station_id") not in (None, "") else None,
        "station": _point(raw, "station"),
        "unit": {key: _unit_field(raw, column, allowed) for key, (column, allowed) in UNIT_FIELDS.items()},
    }


def check_units(placed: list[tuple[str, dict]], known: dict[str, dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """The units named by normalised officers (`placed`: (where, officer)), against the units the pool
    holds (`known`: unit_id -> row): (units to add, known units whose roster fields change, errors).

    Every row of a unit must give its county (the unit's, when the pool holds it) and may not
    contradict another row's name, level or kind. A new unit is a county unit unless a row says
    otherwise, of the module most of its rows have and of that module's kind; a known unit keeps
    what no row gives."""
    units: dict[str, dict] = {}
    errors = []
    for where, officer in placed:
        unit_id, county, given = officer["unit_id"], officer["county"], officer["unit"]
        unit = units.get(unit_id)
        home = unit["county"] if unit else known.get(unit_id, {}).get("county", county)
        if county != home:
            errors.append({"field": f"{where}.unit_id", "reason": f"unit {unit_id} is in county {home}, not {county}"
                           + (f" (as {unit['where']} gives it)" if unit and unit_id not in known else "")})
            continue
        if unit is None:
            unit = units[unit_id] = {"where": where, "county": county, "city": officer["city"], "modules": Counter(),
                                     "given": {}}
        unit["modules"][officer["module"]] += 1
        for key, value in given.items():
            if value is None:
                continue
            first = unit["given"].setdefault(key, (value, where))
            if first[0] != value:
                errors.append({"field": f"{where}.{UNIT_FIELDS[key][0]}",
                               "reason": f"unit {unit_id} is given as {first[0]!r} at {first[1]}"})
    added, changed = [], []
    for unit_id, unit in units.items():
        given = {key: value for key, (value, _) in unit["given"].items()}
        stored = known.get(unit_id)
        if stored is None:
            module = unit["modules"].most_common(1)[0][0]
            added.append({"unit_id": unit_id, "county": unit["county"], "city": unit["city"],
                          "level": given.get("level", "county"), "kind": given.get("kind", UNIT_KIND[module]),
                          "module": module, "name": given.get("name"), "name_en": given.get("name_en")})
        elif any(stored.get(key) != value for key, value in given.items()):
            changed.append({"unit_id": unit_id, **{key: given.get(key, stored.get(key)) for key in UNIT_FIELDS}})
    return added, changed, errors


def _unit_field(raw: dict, column: str, allowed):
    value = raw.get(column)
    if value in (None, ""):
        return None
    _expect(isinstance(value, str), column, "expected text")
    value = value.strip()
    if isinstance(allowed, tuple):
        _expect(value in allowed, column, f"one of {', '.join(allowed)}")
    else:
        _expect(len(value) <= allowed and value.isprintable(), column, f"at most {allowed} printable characters")
    return value or None


def _expect(ok, field: str, reason: str) -> None:
    if not ok:
        raise RowError(field, reason)


def _split(value) -> list:
    if value in (None, ""):
        return []
    return list(value) if isinstance(value, (list, tuple)) else str(value).split(";")


def _codes(value, field: str) -> list[str]:
    items = _split(value)
    for item in items:
        _expect(isinstance(item, str) and CODE.match(item), field, f"{item!r} is not a lowercase code")
    return items


def _id(value, field: str) -> str:
    _expect(isinstance(value, str) and ID.match(value), field, f"{value!r} is not an id")
    return value


def _ids(value) -> list[str]:
    return [_id(v, "equipment_ids") for v in _split(value)]


def _certs(value) -> list[dict]:
    out = []
    for item in _split(value):
        if isinstance(item, str):
            parts = item.split("|")
            _expect(len(parts) == 3, "certifications", f"{item!r}: expected name|issued|expires")
            item = dict(zip(("name", "issued", "expires"), parts))
        _expect(isinstance(item, dict) and CODE.match(str(item.get("name", ""))), "certifications",
                f"{item!r}: a certificate needs a lowercase code name")
        try:
            issued, expires = date.fromisoformat(item["issued"]), date.fromisoformat(item["expires"])
        except (KeyError, TypeError, ValueError):
            raise RowError("certifications", f"{item['name']}: issued and expires must be YYYY-MM-DD dates") from None
        _expect(expires >= issued, "certifications", f"{item['name']}: expires before it was issued")
        out.append({"name": item["name"], "issued": issued.isoformat(), "expires": expires.isoformat()})
    return out


def _number(value, field: str) -> float:
    """A finite number (a JSON number or a CSV cell's text); not true/false, nan or inf."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (TypeError, ValueError):
        raise RowError(field, f"{value!r} is not a number") from None
    _expect(math.isfinite(number), field, f"{value!r} is not a finite number")
    return number


def _int(raw: dict, field: str, low: int, high: int, default):
    value = raw.get(field)
    if value in (None, ""):
        return default
    number = _number(value, field)
    _expect(number == int(number) and low <= number <= high, field, f"an integer from {low} to {high}")
    return int(number)


def _home(raw: dict) -> tuple[float, float] | None:
    return _point(raw, "home")


def _point(raw: dict, name: str) -> tuple[float, float] | None:
    """`name` as [lon, lat] (JSON) or the columns <name>_lon / <name>_lat (CSV); None when absent."""
    point = raw.get(name)
    _expect(point in (None, "") or (isinstance(point, (list, tuple)) and len(point) == 2), name, "expected [lon, lat]")
    lon, lat = point if point else (raw.get(f"{name}_lon"), raw.get(f"{name}_lat"))
    if lon in (None, "") and lat in (None, ""):
        return None
    lon, lat = _number(lon, f"{name}_lon"), _number(lat, f"{name}_lat")
    _expect(-180 <= lon <= 180 and -90 <= lat <= 90, name, "longitude -180..180 and latitude -90..90")
    return lon, lat


def check_equipment(placed: list[tuple[str, dict]], held: dict[str, dict]) -> list[dict]:
    """Errors for equipment named by normalised officers (`placed`: (where, officer) with county and
    equipment_ids) that the pool holds (`held`: equipment_id -> row) in another county: an item is
    carried by its own county's officers, so no row hands an officer another county's kit. Ids the
    pool does not hold (a force's own register, not imported here) are kept as the row gives them."""
    errors = []
    for where, officer in placed:
        for i, item_id in enumerate(officer["equipment_ids"]):
            item = held.get(item_id)
            if item is not None and item["county"] != officer["county"]:
                errors.append({"field": f"{where}.equipment_ids.{i}" if where else f"equipment_ids.{i}",
                               "reason": f"equipment {item_id} is of county {item['county']}, "
                                         f"not {officer['county']}"})
    return errors
