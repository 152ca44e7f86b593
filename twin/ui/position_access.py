"""Live positions on the twin: the province's switch, read from logistics, and a log of every read.

logistics keeps the switch (GET /policy/positions): whether receiving commands see the units sent
to them. The twin asks at most every `ttl_s` seconds and, when logistics does not answer, keeps
positions for the province command only (fails closed). Every view that shows at least one position
(the map when it is redrawn, /state) is a read: who, their role and region, where, which units and
when, appended as a JSON line to `var/twin/position-reads.jsonl` (TWIN_POSITION_LOG names another
file) and kept in memory for GET /audit/positions.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from datetime import datetime, timezone
from pathlib import Path

from services.common.auth import Identity
from services.common.config import VAR
from services.common.private import open_private
from twin.ui import visibility

LOG_FILE = VAR / "twin" / "position-reads.jsonl"
KEPT = 1000


class PositionAccess:
    def __init__(self, client=None, *, log_path: Path | str | None = None, ttl_s: float = 10.0,
                 clock=time.monotonic) -> None:
        self.client, self.ttl_s, self.clock = client, ttl_s, clock
        self.log_path = Path(log_path or os.environ.get("TWIN_POSITION_LOG") or LOG_FILE)
        self._sharing: tuple[float, bool] | None = None
        self._recent: deque = deque(maxlen=KEPT)
        self._lock = threading.Lock()

    def receiving_command_sees(self) -> bool:
        now = self.clock()
        if self._sharing is None or now - self._sharing[0] >= self.ttl_s:
            answer = self.client.position_policy() if self.client is not None else None
            self._sharing = (now, bool((answer or {}).get("receiving_command_sees_own_units", False)))
        return self._sharing[1]

    def visible(self, snapshot: dict, identity: Identity | None) -> dict:
        """logistics is asked only when its switch decides what `identity` sees (not for the province command)."""
        sees = self.receiving_command_sees() if visibility.switch_matters(identity) else False
        return visibility.visible(snapshot, identity, sees)

    def record(self, identity: Identity | None, via: str, shown: dict) -> dict | None:
        """Log a read when `shown` (a filtered snapshot) holds any position; the entry, or None."""
        units = visibility.shown_positions(shown)
        if identity is None or not units:
            return None
        entry = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "subject": identity.subject,
                 "role": identity.role, "region": identity.region, "via": via, "units": units}
        with self._lock:
            self._recent.append(entry)
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            with open_private(self.log_path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def reads(self, limit: int = 100) -> list[dict]:
        """The latest reads, newest first."""
        with self._lock:
            return list(reversed(self._recent))[:limit]
