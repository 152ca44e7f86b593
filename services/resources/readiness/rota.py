"""Who is on shift at a time, by rotation and watch (the rota's clock is fixed: shifts start at
`first_h` + k × `shift_h` local time (the rotation's UTC offset) and watch k mod `watches` takes
shift k), vectorised over the force."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np

from .policy import Rotation

DAY_MIN = 1440


def _local(rotation: Rotation, at: datetime) -> datetime:
    return at.astimezone(timezone(timedelta(minutes=rotation.utc_offset_min))) if at.tzinfo else at


def _minute(rotation: Rotation, at: datetime) -> int:
    at = _local(rotation, at)
    return at.toordinal() * DAY_MIN + at.hour * 60 + at.minute


def slot_at(rotation: Rotation, at: datetime) -> tuple[int, int]:
    """(the shift slot running at `at`, minutes into it)."""
    minute = _minute(rotation, at) - rotation.first_h * 60
    length = rotation.shift_h * 60
    return minute // length, minute % length


def on_shift(rotation: Rotation, watch: int, at: datetime) -> bool:
    slot, _ = slot_at(rotation, at)
    return slot % rotation.watches == watch


def worked_minutes(rotation: Rotation, watch: int, at: datetime) -> int:
    """Minutes the watch has worked in the 24 hours up to `at` by the rota."""
    minute = _minute(rotation, at) - rotation.first_h * 60
    length = rotation.shift_h * 60
    slot, worked = minute // length, 0
    for k in range(slot, slot - DAY_MIN // length - 2, -1):
        if k % rotation.watches == watch:
            start, end = k * length, min((k + 1) * length, minute)
            worked += max(0, end - max(start, minute - DAY_MIN))
    return worked


def shift_end(rotation: Rotation, at: datetime) -> datetime:
    """When the shift running at `at` ends."""
    _, into = slot_at(rotation, at)
    start = _local(rotation, at).replace(second=0, microsecond=0) - timedelta(minutes=into)
    return start + timedelta(hours=rotation.shift_h)


def changes(rotations, start: datetime, hours: float) -> list[datetime]:
    """Every shift change of the rotations in (start, start + hours], in order."""
    end, out = start + timedelta(hours=hours), set()
    for r in rotations:
        t = shift_end(r, start)
        while t <= end:
            out.add(t)
            t += timedelta(hours=r.shift_h)
    return sorted(out)


def table(rotations, at: datetime) -> tuple[np.ndarray, np.ndarray]:
    """(on shift, minutes worked in 24 h) as arrays indexed [rotation index, watch] at `at`."""
    width = max((r.watches for r in rotations), default=1)
    on = np.zeros((len(rotations), width), dtype=bool)
    worked = np.zeros((len(rotations), width), dtype=np.int32)
    for i, r in enumerate(rotations):
        for w in range(r.watches):
            on[i, w], worked[i, w] = on_shift(r, w, at), worked_minutes(r, w, at)
    return on, worked
