"""Data protection (DOMAIN.md): personal data masked unless strictly needed, real-time positions for
the province command centre only. Roles come from the caller (an `X-Role` header until signed
tokens arrive); an absent role is the least-privileged one.
"""
from __future__ import annotations

ROLES = ("viewer", "county_commander", "city_commander", "province_commander", "personnel_admin")
DEFAULT_ROLE = "viewer"
PERSONAL_FIELDS = ("phone", "home_address", "id_number")
GRANTS = {
    "viewer": frozenset(),
    "county_commander": frozenset(),
    "city_commander": frozenset(),
    "province_commander": frozenset({"position"}),
    "personnel_admin": frozenset({"personal", "edit_personal"}),
}


class UnknownRole(ValueError):
    pass


def role_of(header: str | None) -> str:
    role = (header or DEFAULT_ROLE).strip()
    if role not in ROLES:
        raise UnknownRole(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    return role


def may(role: str, grant: str) -> bool:
    return grant in GRANTS[role]


def mask_text(value: str | None, keep_start: int, keep_end: int) -> str | None:
    """'13812345678' -> '138****5678'; short values are hidden whole."""
    if not value:
        return value
    if len(value) <= keep_start + keep_end:
        return "*" * len(value)
    return value[:keep_start] + "*" * 4 + (value[-keep_end:] if keep_end else "")


def masked(officer: dict, role: str) -> dict:
    """A copy of an officer record as `role` may see it."""
    out = dict(officer)
    if not may(role, "personal"):
        out["phone"] = mask_text(out.get("phone"), 3, 4)
        out["home_address"] = mask_text(out.get("home_address"), 6, 0)
        out["id_number"] = mask_text(out.get("id_number"), 6, 4)
        out["masked"] = list(PERSONAL_FIELDS)
    if not may(role, "position"):
        out["position"] = None
    return out
