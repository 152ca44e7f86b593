"""resources' HTTP surface: officers (search, read, edit), regions and units, county loads and reserve
settings, roster import, equipment, commitments, task points, the force's readiness figures. Each route
is declared once (services.common.api); the views are thin: the edits are use cases (officers.edit,
counties.set_reserve_share, roster.import_roster) refusing with Problem, the reads are the store's,
shaped by representations.py. The support circle's routes are readiness/http.py's."""
from __future__ import annotations

import re
from datetime import date

from flask import jsonify, request

from ..common import observed, paging, storage
from ..common.api import Api, current_deps
from ..common.auth import current_identity, region_level
from ..common.clock import now
from ..common.http import Problem, validated_body
from ..common.permissions import bound_region
from ..common.query import MAX_IDS
from ..geo.regions import region_covers
from . import counties, officers, representations, roster, store
from .domain.lifecycle import STATUSES
from .domain.roster_rows import CODE, ID, MODULES, csv_rows
from .events import county_loads

api = Api("resources")

COUNTY = re.compile(r"^[0-9]{6}$")
LISTS = {"county": COUNTY, "city": COUNTY, "module": None, "tag": CODE, "certification": CODE,
         "status": None, "unit_id": ID}
MAX_UNIT_IDS = MAX_IDS      # GET /units?ids=: the names a map's units need, in one read
MAX_OFFICER_IDS = MAX_IDS   # GET /officers?ids=: a printed order's officers (a plan may name 121), in one read


def _read():
    return current_deps().runtime.engine.connect()


def officer_regions(officer_id: str):
    """An officer is of their home county (where their roster is kept); to be read, also of the county
    commanding them on a task (the receiving side commands on scene and must know who arrives). Only the
    home county's roles edit them."""
    with _read() as conn:
        county = store.officer_county(conn, officer_id)
        if county is None:
            return None
        commanding = store.commanding_county(conn, officer_id) if request.method in ("GET", "HEAD") else None
    return readable_in(county, commanding)


def readable_in(county: str, commanding: str | None) -> list[str]:
    """The regions an officer of `county` is read in: their home county, and the county commanding them
    on a task when one does (GET /officers/{officer_id} and GET /officers?ids= alike)."""
    return [county] if commanding is None else [county, commanding]


def readable_officers(conn, ids: list[str], region: str | None) -> dict[str, dict]:
    """The rows of the officers of `ids` that a caller bound to `region` (None: not bound) may read by
    the rule of GET /officers/{officer_id} (readable_in), by id; the others are left out, missing or not."""
    rows = store.officers_by_id(conn, ids)
    if not region or not rows:
        return rows
    commanding = store.commanding_counties(conn, list(rows))
    return {i: row for i, row in rows.items()
            if any(region_covers(region, r) for r in readable_in(row["county"], commanding.get(i)))}


api.objects({"officer_id": officer_regions}, general=("equipment_id",))  # an item's description is general data


# ------------------------------------------------------------------------------------------ officers
@api.route("GET", "/officers", "Search officers: county, city, module, tag, certification (valid on valid_on), "
           "status, unit_id (comma-separated or repeated), lon/lat + max_travel_min; a page by limit and offset, "
           "or by after: the `next` of the page before (also in Link rel=\"next\"), by id or by travel time. Or read "
           f"officers by id: ids= up to {MAX_OFFICER_IDS} officer ids (comma-separated, no other parameter), "
           "each as GET /officers/{officer_id} shows it to the caller, in the order asked; the ids it does not "
           "answer for (no such officer, or not the caller's to read) are listed in not_shown",
           query={"county": "6-digit county codes, comma-separated or repeated", "city": "6-digit city codes, likewise",
                  "module": "modules, likewise", "tag": "skill tags the officer holds, likewise",
                  "certification": "certifications valid on valid_on, likewise",
                  "valid_on": "the day certifications must be valid on, YYYY-MM-DD (default today)",
                  "status": "statuses, likewise", "unit_id": "unit ids, likewise",
                  "lon": ("longitude of the point travel is timed to (with lat and max_travel_min)", "number"),
                  "lat": ("latitude of that point", "number"),
                  "max_travel_min": ("only officers within so many minutes' travel, sorted by it", "number"),
                  "limit": ("rows, 1 to 1000 (default 50)", "integer"),
                  "offset": ("rows skipped (default 0); not with after", "integer"),
                  "after": ("the page after this position: the `next` of the page before (an opaque token of "
                            "the search's order: by id, or by travel time with a point); not with offset", "string"),
                  "ids": f"officer ids, comma-separated, at most {MAX_OFFICER_IDS}: read these officers (no other "
                         "parameter)"},
           response="officers", linked=True)
def search_officers():
    if "ids" in request.args:
        return jsonify(named_officers(request.args))
    f, role = search_filters(request.args), current_identity().role
    if bound := bound_region():  # the region named in the query was checked; none: the caller's
        level = region_level(bound)
        if level == "county":
            f["county"] = [bound]
        elif level == "city" and not f["county"]:
            f["city"] = [bound]
    places = current_deps().places
    with _read() as conn:
        if f.get("point"):
            page = officers.search(conn, f, now(), role, travel=places.travel, seats=places.seats)
        else:
            page = officers.search(conn, f, now(), role)
    resp = jsonify(page)
    if page.get("next"):
        resp.headers["Link"] = paging.next_link(page["next"], page["limit"])
    return resp


def named_officers(args) -> dict:
    """GET /officers?ids=: the officers named, each the caller may read by the rule of GET
    /officers/{officer_id} (officer_regions: their home county, or the county commanding them on a task,
    lies in the caller's region where the table binds the caller to it), in the order asked. The others
    are listed in `not_shown` without saying which are missing and which are another region's."""
    errors = [{"field": name, "reason": "ids reads officers by id and takes no other parameter"}
              for name in args if name != "ids"]
    ids = list(dict.fromkeys(i for raw in args.getlist("ids") for i in raw.split(",") if i))
    errors += [{"field": "ids", "reason": f"{i!r} is not a valid officer id"} for i in ids if not ID.match(i)][:10]
    if len(ids) > MAX_OFFICER_IDS:
        errors.append({"field": "ids", "reason": f"at most {MAX_OFFICER_IDS} officer ids at a time, got {len(ids)}"})
    if errors:
        raise Problem(400, "Bad query parameter", errors)
    with _read() as conn:
        rows = readable_officers(conn, ids, bound_region())
    role, at = current_identity().role, now()
    return {"items": [officers.view(rows[i], at, role) for i in ids if i in rows],
            "not_shown": [i for i in ids if i not in rows]}


@api.route("GET", "/officers/{officer_id}", "One officer (the caller's role decides what is masked)", response="officer")
def get_officer(officer_id: str):
    role = current_identity().role
    with _read() as conn:
        row = store.officer(conn, officer_id)
    if row is None:
        raise Problem(404, "Not Found", detail=f"no officer {officer_id}")
    return jsonify(officers.view(row, now(), role))


@api.route("PATCH", "/officers/{officer_id}", "Edit one officer: status along the lifecycle, roster fields, "
           "personal fields (resource_manager)", body="officer-patch", response="officer")
def patch_officer(officer_id: str):
    body, role, deps = validated_body("officer-patch"), current_identity().role, current_deps()
    return jsonify(officers.edit(deps.runtime.outbox, officer_id, body, role, deps.policy, now()))


# -------------------------------------------------------------------------------------------- the pool
@api.route("GET", "/regions", "Province → cities → counties", response="regions")
def get_regions():
    with _read() as conn:
        return jsonify(representations.region_tree(store.region_rows(conn)))


@api.route("GET", "/units", "Units and teams, each with its name (?county=, ?ids= up to 500 unit ids, comma-separated)",
           response="units", query={"county": "only this county's units, 6 digits",
                                    "ids": f"only these units, comma-separated, at most {MAX_UNIT_IDS}"})
def get_units():
    ids = [i for i in request.args.get("ids", "").split(",") if i] if "ids" in request.args else None
    if ids is not None and len(ids) > MAX_UNIT_IDS:
        raise Problem(400, "Bad query parameter", [{"field": "ids", "reason": f"at most {MAX_UNIT_IDS} unit ids at a "
                                                                        f"time, got {len(ids)}"}])
    county = _county_codes("county", most=1)
    with _read() as conn:
        return jsonify(store.unit_rows(conn, county[0] if county else None, ids))


@api.route("GET", "/counties/load", "Every county's load: on duty, available, committed, reserve floor (?county=)",
           query={"county": "only these counties, comma-separated"}, response="county-loads")
def get_loads():
    codes = _county_codes("county") or None
    with _read() as conn:
        return jsonify(county_loads(conn, codes, now(), current_deps().policy.reserve_share))


def _county_codes(name: str, most: int | None = None) -> list[str]:
    """The query's 6-digit codes under `name` (comma-separated), 400 naming it for anything else: a code
    mistyped would otherwise answer with nothing, as if the county had nothing to show."""
    codes = [c for c in request.args.get(name, "").split(",") if c]
    bad = [c for c in codes if not COUNTY.match(c)]
    if bad or (most is not None and len(codes) > most):
        reason = f"{bad[0]!r} is not a 6-digit code" if bad else f"at most {most} code"
        raise Problem(400, "Bad query parameter", [{"field": name, "reason": reason}])
    return codes


@api.route("PATCH", "/counties/{county}", "Set a county's reserve share (null: the default)", body="county-patch",
           response="county-load")
def patch_county(county: str):
    body, deps = validated_body("county-patch"), current_deps()
    return jsonify(counties.set_reserve_share(deps.runtime.outbox, county, body["reserve_share"], deps.policy, now()))


@api.route("POST", "/roster/import", "Import officers from JSON (this body) or CSV (text/csv); every bad row is "
           "reported (officers.<i>.<column> or line <n>.<column>) and nothing is imported; the units the rows name are "
           "added or renamed", body="roster-import", response="roster-import-result", media=("application/json", "text/csv"))
def import_roster():
    rows, deps = _roster_rows(), current_deps()
    with deps.runtime.outbox.transaction() as tx:
        result = roster.import_roster(tx, rows, deps.policy, now(), region=bound_region())
    storage.refresh_statistics(deps.runtime.engine)   # a roster many times the pool's: the planner's figures too
    return jsonify(result)


@api.route("GET", "/equipment/{equipment_id}", "One item of equipment", response="equipment-item")
def get_equipment(equipment_id: str):
    with _read() as conn:
        item = store.equipment_items(conn, [equipment_id]).get(equipment_id)
    if not item:
        raise Problem(404, "Not Found", detail=f"no equipment {equipment_id}")
    return jsonify(item)


@api.route("POST", "/equipment/compatibility", "Which items work with a receiving county's systems",
           body="equipment-compatibility", response="compatibility-report")
def check_compatibility():
    body = validated_body("equipment-compatibility")
    with _read() as conn:
        county = store.county_rows(conn, [body["county"]]).get(body["county"])
        if county is None:
            raise Problem(422, "Unknown county", [{"field": "county", "reason": f"no county {body['county']}"}])
        items = store.equipment_items(conn, body["equipment_ids"])
    return jsonify(representations.compatibility_report(body, county, items))


@api.route("GET", "/commitments", "Committed plans, latest first (?status=committed|released; in pages: ?limit=, "
           "?offset= or ?after=); a region-bound caller sees those its region receives (every officer) or sends "
           "officers to (its own officers)", query={"status": "committed or released"}, response="commitments",
           paged=500)
def get_commitments():
    status = request.args.get("status")
    if status not in (None, "", "committed", "released"):
        raise Problem(400, "Bad query parameter", [{"field": "status", "reason": "committed or released"}])
    limit, offset, after = paging.args(store.COMMITMENTS_ORDER)
    with _read() as conn:
        rows, total = store.commitment_rows(conn, status or None, bound_region(), limit=limit + 1, offset=offset,
                                            after=after)
    return paging.answer(rows, total, limit, store.COMMITMENTS_ORDER)


@api.route("GET", "/points/officers/{officer_id}", "An officer's points balance and awards", response="officer-points")
def officer_points(officer_id: str):
    with _read() as conn:
        row = store.officer(conn, officer_id)
        if row is None:
            raise Problem(404, "Not Found", detail=f"no officer {officer_id}")
        awards = store.ledger(conn, officer_id=officer_id)
    return jsonify(representations.officer_points(row, awards))


@api.route("GET", "/points/counties", "Points balance per county", response="points-balances")
def county_points():
    with _read() as conn:
        return jsonify(store.points_by(conn, "county"))


@api.route("GET", "/points/cities", "Points balance per city", response="points-balances")
def city_points():
    with _read() as conn:
        return jsonify(store.points_by(conn, "city"))


@api.route("GET", "/points/reciprocity", "Support given and received between cities, in points (?city=)",
           query={"city": "only the flows to and from this city, 6 digits"}, response="reciprocity")
def reciprocity():
    city = _county_codes("city", most=1)
    with _read() as conn:
        return jsonify(representations.reciprocity(store.city_flows(conn), city[0] if city else None))


@api.route("GET", "/summary", "Officers per county and status", response="status-summary")
def summary():
    with _read() as conn:
        return jsonify(representations.summary(store.status_counts(conn)))


@api.route("GET", "/force/summary", "Equipment readiness and volunteers of a region as of now (?region= the "
           "province, a city or a county): items in the equipment register and those ready, officers on the "
           "roster and those willing to volunteer, the two shares, and each county of the region",
           response="force-summary", query={"region": "the province, a city or a county, 6 digits (required)"})
def force_summary():
    region = request.args.get("region", "")
    if not (len(region) == 6 and region.isdigit()):
        raise Problem(400, "Bad query parameter", [{"field": "region", "reason": "a 6-digit region code"}])
    with _read() as conn:
        return jsonify(representations.force_summary(store.force_counts(conn), region))


observed.declare_route(api, store.observed)


# ------------------------------------------------------------------------------------- request parsing
def _roster_rows() -> list[tuple[str, dict]]:
    if request.mimetype == "text/csv":
        text = request.get_data(as_text=True)
        return [(f"line {n}", row) for n, row in csv_rows(text)]
    body = validated_body("roster-import")
    return [(f"officers.{i}", row) for i, row in enumerate(body["officers"])]


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
    f["limit"], f["offset"] = paging.page_of(args, 50, errors)
    _point(args, f, errors)
    order = officers.BY_TRAVEL if "point" in f else officers.BY_ID   # a timed search's pages follow travel time
    if (after := paging.position_of(args, order, errors)) is not None:
        f["after"] = after
    if args.get("valid_on"):
        try:
            f["valid_on"] = date.fromisoformat(args["valid_on"])
        except ValueError:
            errors.append({"field": "valid_on", "reason": "expected a YYYY-MM-DD date"})
    if errors:
        raise Problem(400, "Bad search parameters", errors)
    return f


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
