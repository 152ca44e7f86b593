"""Duty rotations: who is on shift at the scenario's hour, for how long already, and who rests.

Each officer belongs to one watch of a rotation (basis in services/demo/BASIS.md):

- `four_watch` (四班三运转) for patrol, traffic and other station officers: four watches, three
  8-hour shifts a day starting 00:00, 08:00 and 16:00; a watch works a shift then has 24 h off.
- `mobile_watch` for the mobile units (special police, riot companies, rescue): the same four
  watches and 8-hour shifts, starting 04:00, 12:00 and 20:00, so their change of shift falls
  between the stations' and some fresh mobile force is always at hand. (Three watches on 8-hour
  shifts would leave every officer 8 h worked in any 24 h, too much for the 12-hour limit to let
  them take a task of 6 h or more.)
- `day_night_rest` for specialists (investigators, forensics, technicians): three watches, a 12-hour
  day (08:00-20:00) or night (20:00-08:00) duty, then a day of rest.

Watches are dealt round the members of each unit, so every unit has its share on duty at any
hour. `UNAVAILABLE_SHARE` are away whatever the rota says (leave, sickness, training).
A watch that came off shift within `REST_MIN` is resting; the rest are off duty.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

UNAVAILABLE_SHARE = 0.04   # source: assumed (annual leave, sick leave and training: a few per cent)
REST_MIN = 480             # the resource pool's mandatory rest after a shift (policy rest_min)


@dataclass(frozen=True)
class Rotation:
    name: str
    shift_h: int        # length of one shift
    first_h: int        # hour of the day the first shift starts
    watches: int        # watches taking the shifts in turn

    @property
    def on_duty_share(self) -> float:
        return 1.0 / self.watches


ROTATIONS = {r.name: r for r in (Rotation("four_watch", 8, 0, 4), Rotation("mobile_watch", 8, 4, 4),
                                 Rotation("day_night_rest", 12, 8, 3))}
BY_ROLE = {"regular": "four_watch", "rotating": "four_watch", "mobile": "mobile_watch",
           "specialist": "day_night_rest"}


def worked_minutes(rotation: Rotation, watch: int, at: datetime) -> tuple[bool, int, int]:
    """(on shift now, minutes worked in the last 24 h, minutes since its last shift ended)."""
    minute = at.hour * 60 + at.minute + at.toordinal() * 1440 - rotation.first_h * 60
    length = rotation.shift_h * 60
    slot = minute // length
    worked, since_end = 0, None
    for k in range(slot, slot - 3 * rotation.watches - 1, -1):
        if k % rotation.watches != watch:
            continue
        start, end = k * length, min((k + 1) * length, minute)
        worked += max(0, end - max(start, minute - 1440))
        if k < slot and since_end is None:
            since_end = minute - (k + 1) * length
    on = slot % rotation.watches == watch
    return on, worked, since_end if since_end is not None else 10 ** 6


def shift_state(rng, roles: list[str], rank_in_unit: np.ndarray, at: datetime):
    """(statuses, minutes worked in the last 24 h, watch labels) for officers of these role classes."""
    away = rng.random(len(roles)) < UNAVAILABLE_SHARE
    cache: dict[tuple[str, int], tuple[bool, int, int]] = {}
    status, minutes, watches = [], np.zeros(len(roles), dtype=int), []
    for i, role in enumerate(roles):
        rotation = ROTATIONS[BY_ROLE[role]]
        watch = int(rank_in_unit[i]) % rotation.watches
        key = (rotation.name, watch)
        if key not in cache:
            cache[key] = worked_minutes(rotation, watch, at)
        on, worked, since_end = cache[key]
        watches.append(f"{rotation.name}/{watch}")
        minutes[i] = worked
        if away[i]:
            status.append("unavailable")
            minutes[i] = 0
        elif on:
            status.append("on_duty")
        elif since_end < REST_MIN:
            status.append("resting")
        else:
            status.append("off_duty")
    return status, minutes, watches
