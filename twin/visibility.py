"""Who may see what on the twin (DOMAIN.md's data rules): real-time positions of moving units are core
data, for the province command centre only, and for the receiving command of the units sent to it while
the task lasts. Everyone else sees the units' progress (ordered, moving, arrived, late) without where
they are. Applied to every view of the mirrored state: the map, /state."""
from __future__ import annotations

from services.common.auth import Identity

HIDDEN = ("position", "origin")  # where the unit is, and where it set out from
RECEIVING_ROLES = ("city_commander", "county_duty_officer")


def may_see_position(identity: Identity | None, unit: dict, receiving_county: str | None) -> bool:
    if identity is None:
        return False
    if identity.role == "province_commander":
        return True
    return (identity.role in RECEIVING_ROLES and receiving_county is not None
            and identity.covers(receiving_county) and unit.get("status") != "released")


def visible(snapshot: dict, identity: Identity | None) -> dict:
    """A copy of the snapshot with the positions `identity` may not see removed."""
    counties = {r["request_id"]: r.get("county") for r in snapshot.get("requests", [])}
    units = []
    for unit in snapshot.get("units", []):
        if may_see_position(identity, unit, counties.get(unit.get("request_id"))):
            units.append(unit)
        else:
            units.append({**unit, **dict.fromkeys(HIDDEN), "position_hidden": True})
    return {**snapshot, "units": units}
