"""Publishes committed outbox rows in seq order, marks them sent, and re-publishes after a wipe.

The embedded broker keeps nothing on disk: after it restarts, every topic is empty. The relay
notices (wipe.py: a topic created again, or the last event it published no longer where the broker
put it), re-creates the topics and sends the whole ledger again; consumers' inboxes drop what they
had already handled.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timezone

from sqlalchemy import Text, bindparam, cast, func, select, update

from . import faults
from .bus import Bus
from .outbox import Outbox
from .storage import Prepared, outbox, writer_turn
from .topics import topic_specs
from .wipe import WipeCheck

log = logging.getLogger(__name__)


# The event column holds the JSON text that is published: read it as text, send it as it is.
# Rows are read by seq from where the last full batch ended (the primary key's index), and those
# already sent are skipped: "sent_at IS NULL ORDER BY seq" read and sorted every unsent row, so a
# backlog cost the relay its square. Rows commit in seq order (the chain head is locked while a
# transaction emits), so none appears behind the place read up to.
def _after(batch: int) -> Prepared:
    return Prepared(select(outbox.c.seq, outbox.c.topic, outbox.c.key, cast(outbox.c.event, Text), outbox.c.sent_at)
                    .where(outbox.c.seq > bindparam("after")).order_by(outbox.c.seq).limit(batch))


# Where to start when the place is not known (at start, after a re-publication, once caught up):
# the first unsent row, found through the sent_at index.
_FIRST_UNSENT = Prepared(select(func.min(outbox.c.seq)).where(outbox.c.sent_at.is_(None)))


_MARK_SENT = Prepared(update(outbox).where(outbox.c.seq == bindparam("b_seq"))
                      .values(sent_at=bindparam("b_at"), partition=bindparam("b_partition"),
                              offset=bindparam("b_offset")))
_LAST_SENT = (select(outbox.c.event_id, outbox.c.topic, outbox.c.partition, outbox.c.offset)
              .where(outbox.c.sent_at.is_not(None)).order_by(outbox.c.seq.desc()).limit(1))


def _event_id(value: bytes) -> str | None:
    try:
        return json.loads(value).get("id")
    except (ValueError, TypeError, AttributeError):  # not an event of ours
        return None


class Relay:
    def __init__(self, box: Outbox, bus: Bus, *, batch: int = 1000, idle_s: float = 0.05, check_every_s: float = 5.0):
        self.box, self.bus, self.batch, self.idle_s, self.check_every_s = box, bus, batch, idle_s, check_every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"published": 0, "republished_after_wipe": 0, "errors": 0}
        self._last_check = time.monotonic()
        self._pending: tuple[int, Prepared] | None = None
        self._read_up_to: int | None = None  # the last seq of the last full batch published
        self.wipes = WipeCheck(bus, f"relay {box.source}")

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
            self.box.committed.clear()  # before reading: a commit from now on wakes the wait below
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
        self._drain()

    def _drain(self) -> None:
        """On stop, publish what was committed up to now (e.g. by the worker's last batch), once."""
        try:
            self.publish_pending()
        except Exception as exc:  # the rows stay in the outbox: the next start publishes them
            log.warning("relay %s: could not flush on stop (%s)", self.box.source, exc)

    def _unsent(self) -> list[tuple]:
        """The next unsent rows in seq order, at most `batch` of them: (seq, topic, key, text)."""
        if self._pending is None or self._pending[0] != self.batch:
            self._pending = (self.batch, _after(self.batch))
        with self.box.engine.connect() as conn:
            while True:
                after = self._read_up_to
                if after is None:
                    cur = _FIRST_UNSENT.execute(conn)
                    first = cur.fetchone()[0]
                    cur.close()
                    if first is None:
                        return []
                    after = first - 1
                cur = self._pending[1].execute(conn, {"after": after})
                rows = cur.fetchall()
                cur.close()
                # After a full batch the next one follows on; otherwise look for the first unsent row
                # again next time (cheap once caught up, and it finds rows marked unsent by other means).
                self._read_up_to = rows[-1][0] if len(rows) == self.batch else None
                unsent = [r[:4] for r in rows if r[4] is None]
                if unsent or self._read_up_to is None:
                    return unsent

    def publish_pending(self) -> int:
        rows = self._unsent()
        if not rows:
            return 0
        records = [(topic, key, text.encode() if isinstance(text, str) else bytes(text)) for _, topic, key, text in rows]
        send_batch = getattr(self.bus, "send_batch", None)
        if send_batch is not None:
            sent = send_batch(records)
        else:  # a bus with no batch sending (tests' in-process bus)
            sent = [self.bus.send(*record) for record in records]
            self.bus.flush()
        now = datetime.now(timezone.utc)
        done = []
        for (seq, *_), fut in zip(rows, sent):
            meta = fut.get(timeout=30)  # raises: nothing is marked, the batch is sent again
            done.append({"b_seq": seq, "b_at": now, "b_partition": meta.partition, "b_offset": meta.offset})
        faults.hit("after_publish")  # test-only: on the broker, not yet marked sent
        with writer_turn(self.box.engine), self.box.engine.begin() as conn:
            _MARK_SENT.executemany(conn, done)  # one executemany for the whole batch
        self.stats["published"] += len(done)
        return len(done)

    def check_for_wipe(self) -> bool:
        """Has the broker lost records we published (wipe.py)? If so, re-publish the whole ledger.
        The record looked for is the last one published: it must still be where the broker put it."""
        lost = self.wipes.lost([name for name, _, _ in topic_specs()], self._last_published)
        if lost is None:
            return False
        log.warning("relay %s: %s", self.box.source, lost)
        self.republish_all()
        return True

    def _last_published(self) -> dict:
        with self.box.engine.connect() as conn:
            last = conn.execute(_LAST_SENT).first()
        if last is None:
            return {}
        return {(last.topic, last.partition): (last.offset, lambda value: _event_id(value) == last.event_id)}

    def republish_all(self) -> int:
        """Ensure the topics exist and queue every ledger row for publishing again."""
        self.bus.ensure_topics(topic_specs())
        self.bus.reset_producer()  # its metadata may name partitions the broker no longer has
        with self.box.engine.begin() as conn:
            n = conn.execute(update(outbox).values(sent_at=None, partition=None, offset=None)).rowcount
        self._read_up_to = None
        self.stats["republished_after_wipe"] += n
        log.warning("relay %s: broker lost its records; re-publishing %d events", self.box.source, n)
        self.box.committed.set()
        return n
