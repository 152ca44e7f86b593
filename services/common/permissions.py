"""The permission table (permissions.yaml) and the one place it is enforced: a before_request hook.

`decide(identity, service, method, path, regions)` answers from the table alone; `install(app)`
makes every request but the public ones prove its caller (auth.current_identity, 401 otherwise)
and pass the table (403 naming the rule otherwise). The service is the Flask app's name.

The hook reads the body through http.request_body, the one strict parse the view reads too (415 for
a body not labelled application/json), so what it checks is what the view acts on. Where the table
binds a role to its own region, the hook also loads every object the path names (the resolvers a
service declares with `objects`) and refuses (403) one whose regions the caller does not cover; list
routes narrow their rows with `bound_region` / `covers_clause`.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import Flask, g, request
from sqlalchemy import and_

from ..geo.regions import region_covers, region_prefix
from .auth import ROLES, Identity, current_identity
from .http import BadRequest, endpoint_of, issue, request_body

TABLE = Path(__file__).with_name("permissions.yaml")
SCOPES = ("all", "own")
# A path parameter's object → the regions it concerns (e.g. an order: its receiving county and the
# county its unit comes from), or None when there is no such object (the view answers 404).
Resolver = Callable[[str], "Iterable[str] | None"]


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    code: str | None = None       # a refusal's name for clients that word it themselves (Forbidden)
    params: dict | None = None


@dataclass(frozen=True)
class Table:
    public: frozenset[str]
    region_fields: tuple[str, ...]
    common: dict[str, dict[str, str]]
    services: dict[str, dict[str, dict[str, str]]]
    approval: dict[str, tuple[str, ...]]

    def rules(self, service: str) -> dict[str, dict[str, str]]:
        """Endpoint ("METHOD /path") → {role: scope} for `service`, the common endpoints included."""
        return {**self.common, **self.services.get(service, {})}

    def scope(self, identity: Identity, service: str, endpoint: str) -> str | None:
        """'all', 'own' or None (the role may not call the endpoint)."""
        return (self.rules(service).get(endpoint) or {}).get(identity.role)

    def decide(self, identity: Identity, service: str, endpoint: str, regions: list[str]) -> Decision:
        grants = self.rules(service).get(endpoint)
        if grants is None:
            return Decision(False, f"{endpoint} is not in the permission table of {service}")
        scope = grants.get(identity.role)
        if scope is None:
            allowed = ", ".join(sorted(grants)) or "nobody"
            return Decision(False, f"role {identity.role} may not call {endpoint} (allowed: {allowed})",
                            "permission.role", {"role": identity.role, "endpoint": endpoint})
        outside = list(dict.fromkeys(r for r in regions if scope == "own" and not region_covers(identity.region, r)))
        if outside:
            return Decision(False, f"role {identity.role} may call {endpoint} for its own region "
                                   f"{identity.region} only, not {', '.join(outside)}", "permission.region",
                            {"role": identity.role, "region": identity.region, "outside": ",".join(outside)})
        return Decision(True, f"role {identity.role} may call {endpoint} ({scope})")


@functools.cache
def table(path: Path = TABLE) -> Table:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = doc.get("services") or {}
    for where, rules in [("every_service", doc.get("every_service") or {}), *services.items()]:
        for endpoint, grants in rules.items():
            _check_rule(where, endpoint, grants)
    approval = {grade: tuple(roles) for grade, roles in (doc.get("approval") or {}).items()}
    if any(role not in ROLES for roles in approval.values() for role in roles):
        raise ValueError(f"permissions.yaml approval: roles must be among {ROLES}")
    return Table(frozenset(doc.get("public") or ()), tuple(doc.get("region_fields") or ()),
                 dict(doc.get("every_service") or {}), {k: dict(v) for k, v in services.items()}, approval)


def _check_rule(where: str, endpoint: str, grants: dict) -> None:
    method, _, path = endpoint.partition(" ")
    if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"} or not path.startswith("/"):
        raise ValueError(f"permissions.yaml {where}: {endpoint!r} is not 'METHOD /path'")
    for role, scope in (grants or {}).items():
        if role not in ROLES or scope not in SCOPES:
            raise ValueError(f"permissions.yaml {where} {endpoint}: {role}: {scope} (roles: {ROLES}; scopes: {SCOPES})")


def regions_named(view_args: dict, args, body, fields: tuple[str, ...]) -> list[str]:
    """Every region code the request names in its path, query string or JSON body."""
    found: list[str] = []
    for name in fields:
        if "." not in name:
            found += [str(view_args[name])] if name in (view_args or {}) else []
            found += [v for raw in args.getlist(name) for v in raw.split(",") if v]
        value = body
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, str):
            found.append(value)
    return found


class Forbidden(BadRequest):
    def __init__(self, reason: str, code: str | None = None, params: dict | None = None):
        super().__init__(403, "Not permitted", [issue("Authorization", reason, code, params)])


def objects(app: Flask, resolvers: dict[str, Resolver], general: Iterable[str] = ()) -> None:
    """Declare what the path parameters of `app`'s routes name: `resolvers` load an object's regions
    by its id; `general` parameters name general data, bound to no region (an item of equipment).
    A parameter that is a region itself (county) is checked as a region field. Every path parameter
    a service serves is one of the three (tests/unit/test_permissions.py)."""
    app.extensions.setdefault("objects", {}).update(resolvers)
    app.extensions.setdefault("general_params", set()).update(general)


def check_routes(service: str, routes) -> None:
    """Refuse to serve a route the permission table has no rule for (it would be refused to everyone:
    a route added without deciding who may call it). The table's rows without a route are caught by
    tests/unit/test_permissions.py, which sees every app whole."""
    rules = table().rules(service)
    public = table().public
    missing = [f"{r.method} {r.path}" for r in routes
               if f"{r.method} {r.path}" not in rules and f"{r.method} {r.path}" not in public]
    if missing:
        raise ValueError(f"permissions.yaml has no rule for {service}'s {', '.join(missing)}")


def object_refusal(identity: Identity, name: str, value: str, regions: Iterable[str] | None) -> Decision | None:
    """Why `identity` may not touch the object `name`=`value` concerning `regions` (a refusal with its code
    and values, as `Table.decide` gives), or None when it may (its region covers one of them; no such
    object: the view answers 404)."""
    if regions is None:
        return None
    regions = sorted(set(regions))
    if any(region_covers(identity.region, r) for r in regions):
        return None
    return Decision(False, f"{name} {value} is of region {', '.join(regions) or '(none)'}, outside the region "
                           f"{identity.region} of role {identity.role}", "permission.object",
                    {"object": name, "id": value, "regions": ",".join(regions), "region": identity.region,
                     "role": identity.role})


def bound_region() -> str | None:
    """The caller's region when the table binds this request to it (scope own), else None: what a
    list route narrows its rows to (covers_clause, region_covers)."""
    if getattr(g, "permission_scope", None) != "own":
        return None
    return current_identity().region


def covers_clause(column, region: str):
    """SQL: `column` (a county code) lies inside `region` (the province, a city or a county), as
    region_covers answers it. A city or the province is a range of codes (from its prefix up to the next
    prefix), not `LIKE 'prefix%'`: the same codes for codes of digits, and a range both databases can
    search an index for, where SQLite's LIKE (it ignores case) and PostgreSQL's (it needs a pattern
    index) scan the table."""
    prefix = region_prefix(region)
    if prefix is None:
        return column == region
    following = str(int(prefix) + 1).zfill(len(prefix))
    if len(following) > len(prefix):   # "99": no prefix of its length follows it
        return column.like(prefix + "%")
    return and_(column >= prefix, column < following)


def install(app: Flask) -> None:
    """Refuse, before any view runs, every request the table does not allow, and every object the
    path names outside the caller's region where the table binds the caller to it."""

    @app.before_request
    def _enforce():
        rule = request.url_rule
        method = "GET" if request.method == "HEAD" else request.method  # HEAD reads what GET reads
        endpoint = endpoint_of(method, rule.rule if rule else request.path)
        t = table()
        if endpoint in t.public:
            return None
        identity = current_identity()  # 401 without a valid token
        if rule is None:
            return None  # no such path: 404/405 follow, after authentication
        body = request_body()  # 415 / 400 here, before the table: the view reads this same parse
        decision = t.decide(identity, app.name, endpoint, regions_named(request.view_args or {}, request.args,
                                                                         body, t.region_fields))
        g.permission = decision
        if not decision.allowed:
            raise Forbidden(decision.reason, decision.code, decision.params)
        g.permission_scope = t.scope(identity, app.name, endpoint)
        if g.permission_scope == "own":
            resolvers = app.extensions.get("objects", {})
            for name, value in (request.view_args or {}).items():
                if name in resolvers:
                    refusal = object_refusal(identity, name, str(value), resolvers[name](str(value)))
                    if refusal:
                        raise Forbidden(refusal.reason, refusal.code, refusal.params)
        return None
