"""The consumer loop every service runs: validate, honour mode, de-duplicate, handle, commit.

For each record: decode and validate against the topic's contract; skip events of another mode
(exercise traffic never reaches live state, nor one exercise another's); in one database
transaction record the event id in the inbox and run the handler, so a redelivered event has no
second effect; commit offsets only after the batch is handled. What cannot be handled goes to the
dead-letter topic with the reason and is counted; the loop keeps going.
"""
from __future__ import annotations

import json
import logging
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError, InterfaceError

from . import contracts
from .bus import Bus, Record
from .config import Settings
from .envelope import new_event
from .outbox import Outbox, Tx
from .storage import deadletters, inbox
from .topics import DEADLETTER

log = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)  # database unreachable: wait and retry, never dead-letter


@dataclass
class Context:
    event: dict
    tx: Tx | None
    settings: Settings

    @property
    def data(self) -> dict:
        return self.event["data"]

    @property
    def conn(self):
        return self.tx.conn if self.tx else None

    def emit(self, topic: str, data: dict, *, key: str, subject: str | None = None) -> dict:
        if self.tx is None:
            raise RuntimeError("this worker has no outbox: it cannot emit")
        return self.tx.emit(topic, data, key=key, subject=subject)


Handler = Callable[[Context], None]


class Worker:
    def __init__(self, settings: Settings, handlers: dict[str, Handler], *, outbox: Outbox | None = None,
                 bus: Bus | None = None, group_id: str | None = None, retry_s: float = 1.0):
        self.settings, self.handlers, self.box = settings, dict(handlers), outbox
        self.bus = bus or Bus(settings.kafka_bootstrap, client_id=settings.service)
        self.group_id = group_id or settings.group_id
        self.retry_s = retry_s
        self.stats = {"consumed": 0, "handled": 0, "duplicates": 0, "deadlettered": 0, "other_mode": 0,
                      "retries": 0}
        self.ready = threading.Event()  # set once the first poll returned (group joined)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Worker":
        self._thread = threading.Thread(target=self._run, name=f"worker:{self.group_id}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sub = self.bus.consumer(sorted(self.handlers), self.group_id)
            except Exception as exc:
                log.warning("worker %s: broker unavailable (%s); retrying", self.group_id, exc)
                self._stop.wait(self.retry_s)
                continue
            try:
                self._consume(sub)
            except Exception as exc:
                log.warning("worker %s: consumer failed (%s); reconnecting", self.group_id, exc)
                self._stop.wait(self.retry_s)
            finally:
                try:
                    sub.close()
                except Exception:
                    pass

    def _consume(self, sub) -> None:
        while not self._stop.is_set():
            records = sub.poll(timeout_ms=100)
            self.ready.set()
            for record in records:
                self.process(record)
            if records:
                sub.commit()

    def process(self, record: Record) -> None:
        self.stats["consumed"] += 1
        try:
            event = json.loads(record.value)
        except (ValueError, TypeError) as exc:
            return self.deadletter(record, f"not JSON: {exc}")
        issues = contracts.validate_event(record.topic, event) if isinstance(event, dict) else []
        if not isinstance(event, dict) or issues:
            reason = "; ".join(f"{i.field}: {i.reason}" for i in issues) or "not a JSON object"
            return self.deadletter(record, f"breaks the {record.topic} contract: {reason}")
        if not self._same_mode(event):
            self.stats["other_mode"] += 1
            return
        self._handle_with_retry(record, event)

    def _same_mode(self, event: dict) -> bool:
        if event.get("mode", "live") != self.settings.mode:
            return False
        return self.settings.mode == "live" or event.get("exerciseid") == self.settings.exercise_id

    def _handle_with_retry(self, record: Record, event: dict) -> None:
        while not self._stop.is_set():
            try:
                return self._handle(record, event)
            except TRANSIENT as exc:
                self.stats["retries"] += 1
                log.warning("worker %s: database unavailable (%s); retrying", self.group_id, exc.__class__.__name__)
                self._stop.wait(self.retry_s)
            except Exception as exc:
                log.exception("worker %s: handler failed on %s", self.group_id, event.get("id"))
                return self.deadletter(record, f"handler failed: {exc.__class__.__name__}: {exc} "
                                               f"at {traceback.extract_tb(exc.__traceback__)[-1].line}")
        raise InterruptedError("stopped while retrying")  # leave the offset uncommitted

    def _handle(self, record: Record, event: dict) -> None:
        handler = self.handlers[record.topic]
        if self.box is None:
            handler(Context(event, None, self.settings))
            self.stats["handled"] += 1
            return
        try:
            with self.box.transaction(cause=event) as tx:
                if tx.conn.execute(select(inbox.c.event_id).where(inbox.c.event_id == event["id"])).first():
                    self.stats["duplicates"] += 1
                    return
                tx.conn.execute(insert(inbox).values(event_id=event["id"], topic=record.topic,
                                                     handled_at=datetime.now(timezone.utc)))
                handler(Context(event, tx, self.settings))
        except IntegrityError:
            self.stats["duplicates"] += 1  # another instance handled it between our check and insert
            return
        self.stats["handled"] += 1

    def deadletter(self, record: Record, reason: str) -> None:
        """Park the record on the dead-letter topic with the reason; never raises for a bad record."""
        self.stats["deadlettered"] += 1
        log.warning("worker %s: dead-letter %s[%d]@%d: %s", self.group_id, record.topic, record.partition,
                    record.offset, reason)
        data = dead_letter_data(record, reason, self.group_id)
        key = f"{record.topic}:{record.partition}:{record.offset}"
        if self.box is not None:
            with self.box.transaction() as tx:
                tx.conn.execute(insert(deadletters).values(topic=record.topic, partition=record.partition,
                                                           offset=record.offset, reason=reason[:2000],
                                                           at=datetime.now(timezone.utc)))
                tx.emit(DEADLETTER, data, key=key)
            return
        event = new_event(topic=DEADLETTER, source=self.settings.source, data=data, subject=key,
                          correlationid=key, mode=self.settings.mode, exerciseid=self.settings.exercise_id)
        self.bus.send(DEADLETTER, key, json.dumps(event).encode()).get(timeout=30)


def dead_letter_data(record: Record, reason: str, group: str) -> dict:
    try:
        raw = record.value.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        import base64
        raw = "base64:" + base64.b64encode(record.value or b"").decode()
    return {"original_topic": record.topic, "partition": record.partition, "offset": record.offset,
            "key": record.key, "raw": raw[:100_000], "reason": reason[:2000], "consumer_group": group,
            "at": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
