"""The permission table (permissions.yaml) and the one place it is enforced: a before_request hook.

`decide(identity, service, method, path, regions)` answers from the table alone; `install(app)`
makes every request but the public ones prove its caller (auth.current_identity, 401 otherwise)
and pass the table (403 naming the rule otherwise). The service is the Flask app's name.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from flask import Flask, g, request

from .auth import ROLES, Identity, current_identity, region_covers
from .http import BadRequest

TABLE = Path(__file__).with_name("permissions.yaml")
SCOPES = ("all", "own")
_FLASK_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


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

    def decide(self, identity: Identity, service: str, endpoint: str, regions: list[str]) -> Decision:
        grants = self.rules(service).get(endpoint)
        if grants is None:
            return Decision(False, f"{endpoint} is not in the permission table of {service}")
        scope = grants.get(identity.role)
        if scope is None:
            allowed = ", ".join(sorted(grants)) or "nobody"
            return Decision(False, f"role {identity.role} may not call {endpoint} (allowed: {allowed})")
        outside = [r for r in regions if scope == "own" and not region_covers(identity.region, r)]
        if outside:
            return Decision(False, f"role {identity.role} may call {endpoint} for its own region "
                                   f"{identity.region} only, not {', '.join(outside)}")
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


def endpoint_of(method: str, flask_rule: str) -> str:
    """'GET /incidents/<incident_id>' (Flask) → 'GET /incidents/{incident_id}' (Route, the table)."""
    return method + " " + _FLASK_PARAM.sub(r"{\1}", flask_rule)


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
    def __init__(self, reason: str):
        super().__init__(403, "Not permitted", [{"field": "Authorization", "reason": reason}])


def install(app: Flask) -> None:
    """Refuse, before any view runs, every request the table does not allow."""

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
        body = request.get_json(silent=True) if request.is_json else None
        decision = t.decide(identity, app.name, endpoint, regions_named(request.view_args or {}, request.args,
                                                                         body, t.region_fields))
        g.permission = decision
        if not decision.allowed:
            raise Forbidden(decision.reason)
        return None
