"""Who is calling: one `Identity` per request (subject, role, region), and the headers a caller sends.

Every service asks `current_identity()` and never reads credentials itself. The identity is proven
by a signed token (`Authorization: Bearer <JWT>`, see tokens.py) minted by the deployment's issuer
and addressed to the service (`aud`); a service verifies with the issuer's public keys only.
`headers_for(identity)` mints one where this process is the issuer (the twin, tests, `make run`);
a service speaking for itself signs its own token with its registry key instead. The permission
table (permissions.py) refuses requests without a valid token.

Regions are administrative codes: the province (330000), a city (e.g. 330100) or a county
(e.g. 330106). `covers()` answers whether an identity's region includes a county.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from flask import current_app, g, has_request_context, request

from ..geo.regions import region_covers, region_level
from . import keys as producer_keys
from .http import BadRequest
from .tokens import AUDIENCES, DEFAULT_TTL_S, SERVICE_TTL_S, InvalidToken, Keyring, NotIssuer, service_token

ROLES = (
    "province_commander",
    "city_commander",
    "county_duty_officer",
    "resource_manager",
    "support_officer",
    "trainer",
    "integrator",
    "auditor",
    "viewer",
)
DEFAULT_ROLE = "viewer"
PROVINCE = "330000"


@dataclass(frozen=True)
class Identity:
    subject: str
    role: str
    region: str = PROVINCE

    @property
    def level(self) -> str:
        """'province', 'city' or 'county', from the shape of the region code."""
        return region_level(self.region)

    def covers(self, county: str) -> bool:
        """True when `county` lies inside this identity's region."""
        return region_covers(self.region, county)


def current_identity() -> Identity:
    """The caller of the request in hand, proven by its bearer token (checked once, cached on flask.g).

    Outside a request (a handler consuming an event) the caller is the service itself.
    """
    if not has_request_context():
        return Identity("system", "integrator")
    cached = getattr(g, "identity", None)
    if cached is not None:
        return cached
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _refused("a bearer token is required (Authorization: Bearer <token>)")
    try:
        claims = keyring_of_app().verify(token.strip())
    except InvalidToken as exc:
        raise _refused(str(exc)) from None
    if claims.role not in ROLES:
        raise _refused(f"unknown role {claims.role!r}")
    if not (len(claims.region) == 6 and claims.region.isdigit()):
        raise _refused("the region is not a 6-digit region code")
    g.identity = Identity(claims.subject, claims.role, claims.region)
    return g.identity


def _refused(reason: str) -> "Unauthorised":
    g.auth_failure = reason  # counted, logged and rate-limited per client (throttle.py)
    return Unauthorised(reason)


class Unauthorised(BadRequest):
    def __init__(self, reason: str):
        super().__init__(401, "Not authenticated", [{"field": "Authorization", "reason": reason}])


def keyring_of_app() -> Keyring:
    """The keyring of the service handling this request (its Settings), else the deployment's,
    verifying for this service: a token not addressed to it (`aud`) is refused."""
    runtime = current_app.extensions.get("runtime")
    ring = getattr(getattr(runtime, "settings", None), "auth_keys", None)
    return (ring or default_keyring()).for_audience(current_app.name)


@functools.cache
def default_keyring() -> Keyring:
    """The deployment's keyring from the environment or the key files (tokens.Keyring.from_env):
    the issuer's public keys, and the private key only in a process given one (the issuer)."""
    return Keyring.from_env()


def service_identity(service: str) -> Identity:
    """How a service (or another police system) appears when it calls a service."""
    return Identity(f"service:{service}", "integrator", PROVINCE)


_minted: dict[tuple, tuple[float, str]] = {}


def headers_for(identity: Identity, keyring: Keyring | None = None, *,
                audience: tuple[str, ...] | str = AUDIENCES) -> dict[str, str]:
    """Headers a client (the twin, another service, a test) sends to act as `identity`, addressed to
    `audience` (default: every service): a bearer token minted by the issuer's key (reused until half
    its lifetime has passed). A service speaking for itself (`service_identity(name)`) in a process
    without the issuer key signs its own token with its registry key."""
    ring = keyring or default_keyring()
    service = identity.subject.removeprefix("service:") if identity.subject.startswith("service:") else None
    if not ring.issuer:
        if service not in producer_keys.SERVICES or identity.role != "integrator":
            raise NotIssuer(f"this process holds no issuer key: it cannot mint a token for {identity.subject!r}")
        key, ttl = ("service", service, audience), SERVICE_TTL_S
        fresh = _minted.get(key)
        if fresh is None or time.time() - fresh[0] > ttl / 2:
            fresh = _minted[key] = (time.time(), service_token(service, audience=audience))
        return {"Authorization": f"Bearer {fresh[1]}"}
    key = (identity, ring.active, ring.private, audience)
    fresh = _minted.get(key)
    if fresh is None or time.time() - fresh[0] > DEFAULT_TTL_S / 2:
        fresh = _minted[key] = (time.time(), ring.mint(identity.subject, identity.role, identity.region,
                                                       audience=audience))
    return {"Authorization": f"Bearer {fresh[1]}"}


def signed_in(client, identity: Identity, keyring: Keyring | None = None):
    """A Flask test client that sends `identity`'s token with every request (tests, benchmarks)."""
    client.environ_base["HTTP_AUTHORIZATION"] = headers_for(identity, keyring)["Authorization"]
    return client
