"""Who may see what on the twin (DOMAIN.md's data rules): real-time positions of moving units are core
data, for the province command centre only. The receiving command sees the units sent to it while the
task lasts only when the province has turned that on (logistics' GET /policy/positions, off by
default). Everyone else sees the units' progress (ordered, moving, arrived, late) without where they
are. Applied to every view of the mirrored state: the map, /state (twin.position_access logs the reads)."""
from __future__ import annotations

from services.common.auth import Identity

HIDDEN = ("position", "origin")  # where the unit is, and where it set out from
RECEIVING_ROLES = ("city_commander", "county_duty_officer")


def may_see_position(identity: Identity | None, unit: dict, receiving_county: str | None,
                     receiving_command_sees: bool = False) -> bool:
    if identity is None:
        return False
    if identity.role == "province_commander":
        return True
    return (receiving_command_sees and identity.role in RECEIVING_ROLES and receiving_county is not None
            and identity.covers(receiving_county) and unit.get("status") != "released")


def visible(snapshot: dict, identity: Identity | None, receiving_command_sees: bool = False) -> dict:
    """A copy of the snapshot with the positions `identity` may not see removed."""
    counties = {r["request_id"]: r.get("county") for r in snapshot.get("requests", [])}
    units = []
    for unit in snapshot.get("units", []):
        if may_see_position(identity, unit, counties.get(unit.get("request_id")), receiving_command_sees):
            units.append(unit)
        else:
            units.append({**unit, **dict.fromkeys(HIDDEN), "position_hidden": True})
    return {**snapshot, "units": units}


def shown_positions(snapshot: dict) -> list[str]:
    """The units whose position a (filtered) snapshot shows."""
    return [u["unit_id"] for u in snapshot.get("units", []) if u.get("position") is not None]
