"""Units by name: the twin shows 平湖市公安局交警大队二中队 where the stream says U330482-X-TRF002.

The events name a unit by its id; its name is roster data, which resources keeps (GET /units?ids=).
`UnitNames.refresh` asks for the units on the map it has no name for, in one read, and keeps what it
learns in `model.unit_names`; a unit the roster has no name for is asked again after `RETRY_S` (it may
have been imported since), a named one after `RENAME_S` (a roster import may have renamed it), and
nothing is asked while resources does not answer. The twin runs it on a
thread of its own (`start`), so a slow roster never holds up a step or a page.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from services.common.periodic import Periodic
from twin.mirror.client import ServicesClient
from twin.sim.model import ProvinceModel

EVERY_S = 5.0     # how soon a newly dispatched unit shows by name
RETRY_S = 300.0   # a unit the roster gave no name for is asked about again after this long
RENAME_S = 1800.0   # a named unit is read again after this long: a roster import may have renamed it


def names_for(model: ProvinceModel, client: ServicesClient, unit_ids) -> dict[str, dict[str, str]]:
    """The names of `unit_ids`, {"zh", "en"} each: those the twin already holds, and the rest read from
    the roster in one go (units not dispatched yet, or dispatched since the last round), kept for next
    time. A unit nobody names is left out."""
    with model.lock:
        known = {u: model.unit_names[u] for u in unit_ids if u in model.unit_names}
    missing = sorted(set(unit_ids) - set(known))
    found = (client.unit_names(missing) or {}) if missing else {}
    if found:
        with model.lock:
            model.unit_names.update(found)
    return known | found


class UnitNames:
    def __init__(self, model: ProvinceModel, client: ServicesClient, *, clock: Callable[[], float] = time.monotonic):
        self.model, self.client, self.clock = model, client, clock
        self._asked: dict[str, float] = {}   # unit_id -> when the roster last had no name for it
        self._read: dict[str, float] = {}    # unit_id -> when its name was last read (or first seen here)

    def refresh(self) -> int:
        """Reads the names of the units still unnamed, and again those read `RENAME_S` ago; returns how
        many names it learned or saw change."""
        now = self.clock()
        wanted = [u for u in self.model.unnamed_units() if now - self._asked.get(u, -RETRY_S) >= RETRY_S]
        with self.model.lock:
            named = list(self.model.unit_names)
        due = [u for u in named if now - self._read.setdefault(u, now) >= RENAME_S]
        if not wanted and not due:
            return 0
        found = self.client.unit_names(wanted + due)
        if found is None:   # resources is down: ask again on the next round
            return 0
        with self.model.lock:
            changed = {u: n for u, n in found.items() if self.model.unit_names.get(u) != n}
            self.model.unit_names.update(changed)
        self._asked.update({u: now for u in wanted if u not in found})
        self._read.update({u: now for u in (*found, *due)})   # a name the roster dropped stays as it was
        return len(changed)

    def start(self, telemetry=None) -> Periodic:
        return Periodic("unit_names", EVERY_S, self.refresh, telemetry=telemetry, service="twin").start()
