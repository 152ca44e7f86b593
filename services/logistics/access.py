"""Who may do what in logistics: the receiving command, the province command, support units.

The receiving side has on-scene command: its county duty officer, or a city commander whose city
holds the receiving county. Positions are core data: the province command reads them, and the
receiving command for units under it while their task runs, once the province has turned that on
(position_policy). Every request, reads of positions included, is on the kit's access log
(services.common.access_log).
"""
from __future__ import annotations

from ..common.auth import Identity
from ..common.http import Problem

RECEIVING_ROLES = ("county_duty_officer", "city_commander")
RECEPTION_ROLES = RECEIVING_ROLES + ("resource_manager",)
UNIT_ROLES = ("support_officer", "integrator")


def is_receiving_command(identity: Identity, county: str) -> bool:
    return identity.role in RECEIVING_ROLES and identity.covers(county)


def require_receiving_command(identity: Identity, county: str, what: str) -> None:
    if not is_receiving_command(identity, county):
        raise Problem.of_field(403, "Refused", "X-Role", (
            f"only the receiving command of county {county} (county duty officer or its city commander) "
            f"may {what}; caller is {identity.role} of {identity.region}"), code="logistics.receiving_command_only",
            params={"county": county, "role": identity.role, "region": identity.region})


def require_reception(identity: Identity, county: str) -> None:
    if not (identity.role in RECEPTION_ROLES and identity.covers(county)):
        raise Problem.of_field(403, "Refused", "X-Role", (
            f"only the receiving side of county {county} (duty officer, city commander or resource manager) "
            f"records its reception; caller is {identity.role}"), code="logistics.reception_only",
            params={"county": county, "role": identity.role, "region": identity.region})


def require_unit(identity: Identity, what: str) -> None:
    if identity.role not in UNIT_ROLES:
        raise Problem.of_field(403, "Refused", "X-Role",
                               f"only a support unit (support_officer) or its device (integrator) may {what}")


def require_approver(identity: Identity, county: str, level: str | None) -> None:
    if identity.role == "province_commander":
        return
    if level != "province" and identity.role == "city_commander" and identity.covers(county):
        return
    needed = "the province command" if level == "province" else f"the city command of {county} or the province"
    raise Problem.of_field(403, "Refused", "X-Role", f"an extension of this deployment is approved by {needed}")


def may_read_position(identity: Identity, county: str, task_running: bool, receiving_command_sees: bool) -> bool:
    """The province command always; the receiving command for units under it while the task runs, and
    only when the province has turned that on (`receiving_command_sees`, off by default)."""
    if identity.role == "province_commander":
        return True
    return receiving_command_sees and task_running and is_receiving_command(identity, county)

