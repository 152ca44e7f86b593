"""Data protection (DOMAIN.md): personal data masked unless strictly needed, real-time positions for
the province command centre only. The role is the caller's, proven by its token
(services.common.auth.current_identity); an unknown role gets the least-privileged view.
"""
from __future__ import annotations

from ...common.auth import ROLES

DEFAULT_ROLE = "viewer"
PERSONAL_FIELDS = ("phone", "home_address", "id_number")
# Only the personnel side (resource managers) needs officers' contact details; only the province
# command sees live positions. Everyone else gets the masked record.
GRANTS = {role: frozenset() for role in ROLES} | {
    "province_commander": frozenset({"position"}),
    "resource_manager": frozenset({"personal", "edit_personal"}),
}


class UnknownRole(ValueError):
    pass


def role_of(name: str | None) -> str:
    role = (name or DEFAULT_ROLE).strip()
    if role not in GRANTS:
        raise UnknownRole(f"unknown role {role!r}; one of {', '.join(GRANTS)}")
    return role


def may(role: str, grant: str) -> bool:
    return grant in GRANTS.get(role, frozenset())


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
