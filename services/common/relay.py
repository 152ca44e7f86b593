"""Publishes committed outbox rows in seq order, marks them sent, and re-publishes after a wipe.

The embedded broker keeps nothing on disk: after it restarts, every topic is empty. The relay
notices (a partition's end offset is below an offset it already wrote there), re-creates the
topics and sends the whole ledger again; consumers' inboxes drop what they had already handled.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import Text, bindparam, cast, select, update

from . import faults
from .bus import Bus
from .outbox import Outbox
from .storage import Prepared, outbox, writer_turn
from .topics import topic_specs

log = logging.getLogger(__name__)


# The event column holds the JSON text that is published: read it as text, send it as it is.
def _pending(batch: int) -> Prepared:
    return Prepared(select(outbox.c.seq, outbox.c.topic, outbox.c.key, cast(outbox.c.event, Text))
                    .where(outbox.c.sent_at.is_(None)).order_by(outbox.c.seq).limit(batch))


_MARK_SENT = Prepared(update(outbox).where(outbox.c.seq == bindparam("b_seq"))
                      .values(sent_at=bindparam("b_at"), partition=bindparam("b_partition"),
                              offset=bindparam("b_offset")))


class Relay:
    def __init__(self, box: Outbox, bus: Bus, *, batch: int = 1000, idle_s: float = 0.05, check_every_s: float = 5.0):
        self.box, self.bus, self.batch, self.idle_s, self.check_every_s = box, bus, batch, idle_s, check_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"published": 0, "republished_after_wipe": 0, "errors": 0}
        self._last_check = time.monotonic()
        self._pending: tuple[int, Prepared] | None = None
        self._topic_ids: dict[str, str | None] = {}  # as seen at the last check

    def start(self) -> "Relay":
        self._thread = threading.Thread(target=self._run, name=f"relay:{self.box.source}", daemon=True)
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def renewed(self) -> "Relay":
        """This relay if it never ran, else a new one with the same settings and counters (a stopped
        relay cannot start again; an instance that leads again after standing by needs one)."""
        if self._thread is None:
            return self
        relay = Relay(self.box, self.bus, batch=self.batch, idle_s=self.idle_s, check_every_s=self.check_every_s)
        relay.stats = self.stats
        return relay

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self.box.committed.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sent = self.publish_pending()
                if time.monotonic() - self._last_check > self.check_every_s:
                    self._last_check = time.monotonic()
                    self.check_for_wipe()
            except Exception as exc:  # broker or database unavailable: keep the rows, try again
                self.stats["errors"] += 1
                log.warning("relay %s: %s; retrying", self.box.source, exc)
                sent = 0
                self._stop.wait(1.0)
            if not sent:
                self.box.committed.wait(self.idle_s)
                self.box.committed.clear()
        self._drain()

    def _drain(self) -> None:
        """On stop, publish what was committed up to now (e.g. by the worker's last batch), once."""
        try:
            self.publish_pending()
        except Exception as exc:  # the rows stay in the outbox: the next start publishes them
            log.warning("relay %s: could not flush on stop (%s)", self.box.source, exc)

    def publish_pending(self) -> int:
        with self.box.engine.connect() as conn:
            if self._pending is None or self._pending[0] != self.batch:
                self._pending = (self.batch, _pending(self.batch))
            cur = self._pending[1].execute(conn)
            rows = cur.fetchall()
            cur.close()
        if not rows:
            return 0
        send = self.bus.send
        futures = [(seq, send(topic, key, text.encode() if isinstance(text, str) else bytes(text)))
                   for seq, topic, key, text in rows]
        self.bus.flush()
        now = datetime.now(timezone.utc)
        done = []
        for seq, fut in futures:
            meta = fut.get(timeout=30)  # raises: nothing is marked, the batch is sent again
            done.append({"b_seq": seq, "b_at": now, "b_partition": meta.partition, "b_offset": meta.offset})
        faults.hit("after_publish")  # test-only: on the broker, not yet marked sent
        with writer_turn(self.box.engine), self.box.engine.begin() as conn:
            _MARK_SENT.executemany(conn, done)  # one executemany for the whole batch
        self.stats["published"] += len(done)
        return len(done)

    def check_for_wipe(self) -> bool:
        """Has the broker lost records we published? If so, re-publish the whole ledger.

        Two signs. A topic whose id changed since the last check was lost and created again: any
        record we sent to it before is gone, even if what we sent since is there (the last record
        alone cannot tell). And, for a loss that happened before this relay started, the last event
        we published must still be where the broker said it put it; comparing end offsets is not
        enough (some Kafka-protocol brokers report the end offset as the last batch's base offset
        + 1), so the record is read back and its id compared.
        """
        try:
            ids = self.bus.topic_ids([name for name, _, _ in topic_specs()])
        except Exception as exc:
            log.info("relay %s: cannot read topic ids (%s); will check again", self.box.source, exc)
            return False
        changed = sorted(t for t, was in self._topic_ids.items() if was is not None and ids.get(t) != was)
        self._topic_ids = ids
        if changed:
            log.warning("relay %s: topics lost and created again: %s", self.box.source, ", ".join(changed))
            self.republish_all()
            return True
        with self.box.engine.connect() as conn:
            last = conn.execute(
                select(outbox.c.event_id, outbox.c.topic, outbox.c.partition, outbox.c.offset)
                .where(outbox.c.sent_at.is_not(None)).order_by(outbox.c.seq.desc()).limit(1)
            ).first()
        if last is None:
            return False
        try:
            # A broker that lost its log may have re-created the topic with other partitions
            # (some create topics on a client's metadata request, with their default count).
            if last.partition not in self.bus.partitions(last.topic):
                self.republish_all()
                return True
            value = self.bus.fetch_one(last.topic, last.partition, last.offset)
            if value is None and self.bus.end_offsets([(last.topic, last.partition)]).get(
                    (last.topic, last.partition), 0) > last.offset:
                return False  # slow answer, but the partition is past our record: not wiped
        except Exception as exc:  # a slow or restarting broker is not proof of a wipe: look again later
            log.info("relay %s: cannot read back the last event (%s); will check again", self.box.source, exc)
            return False
        if value is not None and json.loads(value).get("id") == last.event_id:
            return False
        self.republish_all()
        return True

    def republish_all(self) -> int:
        """Ensure the topics exist and queue every ledger row for publishing again."""
        self.bus.ensure_topics(topic_specs())
        self.bus.reset_producer()  # its metadata may name partitions the broker no longer has
        with self.box.engine.begin() as conn:
            n = conn.execute(update(outbox).values(sent_at=None, partition=None, offset=None)).rowcount
        self.stats["republished_after_wipe"] += n
        log.warning("relay %s: broker lost its records; re-publishing %d events", self.box.source, n)
        self.box.committed.set()
        return n
