"""One relay per service, however many instances run: the leader publishes the outbox, the others wait.

On PostgreSQL the leader holds a session advisory lock named after the service's schema and
source, on a connection of its own; when that connection ends (the instance stops, crashes or
loses the database) PostgreSQL releases the lock and a waiting instance takes over within
`retry_s`. Two relays publishing the same rows would only duplicate records (consumers' inboxes
drop them) but would double the traffic and mix the order of the producer's ledger on the topics.

On SQLite every instance leads: a SQLite database belongs to one process on one host.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from typing import Callable

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_try_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


class Leadership:
    def __init__(self, engine: Engine, name: str, *, lead: Callable[[], None], follow: Callable[[], None],
                 retry_s: float = 5.0):
        self.engine, self.name, self.key = engine, name, lock_key(name)
        self._lead, self._follow, self.retry_s = lead, follow, retry_s
        self.leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Leadership":
        if self.engine.dialect.name != "postgresql":
            self._become_leader()
            return self
        self._thread = threading.Thread(target=self._run, name=f"leadership:{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(self.retry_s + 10)
        self._step_down()

    @property
    def alive(self) -> bool:
        return self._thread is None or self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar():
                        self._become_leader()
                        while not self._stop.wait(self.retry_s):
                            conn.execute(text("SELECT 1"))  # the session (and so the lock) is still there
                        self._step_down()  # publish the rest before the lock goes (relay stop drains)
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
                        return
            except Exception as exc:  # lost the database: the lock went with the session
                log.warning("leadership %s: %s; standing by", self.name, exc.__class__.__name__)
                self._step_down()
            self._stop.wait(self.retry_s)

    def _become_leader(self) -> None:
        log.info("leadership %s: this instance publishes the outbox", self.name)
        self.leading = True
        self._lead()

    def _step_down(self) -> None:
        if self.leading:
            self.leading = False
            self._follow()
