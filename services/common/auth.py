"""Who is calling: one `Identity` per request (subject, role, region), and the headers a caller sends.

Every service asks `current_identity()` and never reads credentials itself, so the way identities
are proven can change in one place. Until signed tokens are configured, the identity comes from the
`X-Role` and `X-Region` headers (a development convenience: anyone can claim anything).

Regions are administrative codes: the province (330000), a city (e.g. 330100) or a county
(e.g. 330106). `covers()` answers whether an identity's region includes a county.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import g, has_request_context, request

from .http import BadRequest

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


def region_level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def region_covers(region: str, county: str) -> bool:
    level = region_level(region)
    if level == "province":
        return county[:2] == region[:2]
    if level == "city":
        return county[:4] == region[:4]
    return county == region


def current_identity() -> Identity:
    """The caller of the request in hand (set once per request, then cached on flask.g)."""
    if not has_request_context():
        return Identity("system", "integrator")
    cached = getattr(g, "identity", None)
    if cached is not None:
        return cached
    role = (request.headers.get("X-Role") or DEFAULT_ROLE).strip()
    if role not in ROLES:
        raise BadRequest(400, "Unknown role", [{"field": "X-Role", "reason": f"one of {', '.join(ROLES)}"}])
    region = (request.headers.get("X-Region") or PROVINCE).strip()
    if not (len(region) == 6 and region.isdigit()):
        raise BadRequest(400, "Bad region", [{"field": "X-Region", "reason": "a 6-digit region code"}])
    g.identity = Identity(request.headers.get("X-Subject") or role, role, region)
    return g.identity


def headers_for(identity: Identity) -> dict[str, str]:
    """Headers a client (the twin, another service, a test) sends to act as `identity`."""
    return {"X-Role": identity.role, "X-Region": identity.region, "X-Subject": identity.subject}
