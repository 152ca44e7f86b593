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
from .storage import Prepared, outbox, writer_turn, writer_turn_if_free
from .topics import topic_specs
from .wipe import WipeCheck

log = logging.getLogger(__name__)


# The event column holds the JSON text that is published: read it as text, send it as it is.
# Rows are read by seq from where the last batch ended (the primary key's index), and those
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
    """Publishes the outbox in seq order, one batch on the way at a time.

    A batch is sent only once every record of the one before it is on the broker (a failed batch is
    sent again from its first row, so no row of a key ever lands after a later one of the same key).
    Marking rows sent is kept off that path and done for many batches at once: rows the broker
    acknowledged are marked while a later batch travels, once they are owed for `mark_due_s` and
    no other thread of the process holds the write turn (the emitters); at the latest once
    `mark_after` rows or `mark_every_s` seconds are owed, and whenever the relay is idle, stops or
    fails. A relay that dies with rows owed sends them again on its next start, as one that died
    between publishing and marking always did: consumers' inboxes drop them.

    While events come a few at a time (a batch under `linger_below` rows), the relay waits
    `linger_s` before reading the next batch, so that a produce request carries more of them.

    Every `check_every_s` a thread of its own looks for a broker that lost what was published
    (wipe.py); the sending thread re-publishes the ledger between two batches when it did. A slow
    look, or one a restarting broker leaves unanswered, holds no event.
    """

    def __init__(self, box: Outbox, bus: Bus, *, batch: int = 1000, idle_s: float = 0.05, check_every_s: float = 5.0,
                 mark_after: int = 5000, mark_every_s: float = 0.5, linger_s: float = 0.005, linger_below: int = 100):
        self.box, self.bus, self.batch, self.idle_s, self.check_every_s = box, bus, batch, idle_s, check_every_s
        self.mark_after, self.mark_every_s = mark_after, mark_every_s
        self.mark_due_s = min(0.1, mark_every_s)  # marking is tried from then on, forced at mark_every_s
        self.linger_s, self.linger_below = linger_s, linger_below
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"published": 0, "republished_after_wipe": 0, "errors": 0}
        self._wiped: str | None = None  # why the broker lost what we published, as the watch found it
        self._pending: tuple[int, Prepared] | None = None
        self._read_up_to: int | None = None  # the last seq handed to the broker and acknowledged
        self._owed: list[dict] = []           # acknowledged rows not yet marked sent
        self._owed_since = 0.0
        self.wipes = WipeCheck(bus, f"relay {box.source}")

    def start(self) -> "Relay":
        self._thread = threading.Thread(target=self._run, name=f"relay:{self.box.source}", daemon=True)
        self._thread.start()
        # The look for a wiped broker reads records back on connections of its own (30-70 ms): done
        # in the sending thread it held every event committed meanwhile, the kit's slowest latencies.
        threading.Thread(target=self._watch, name=f"relay-watch:{self.box.source}", daemon=True).start()
        return self

    @property
    def alive(self) -> bool:
        return bool(self._thread and self._thread.is_alive())

    def renewed(self) -> "Relay":
        """This relay if it never ran, else a new one with the same settings and counters (a stopped
        relay cannot start again; an instance that leads again after standing by needs one)."""
        if self._thread is None:
            return self
        relay = Relay(self.box, self.bus, batch=self.batch, idle_s=self.idle_s, check_every_s=self.check_every_s,
                      mark_after=self.mark_after, mark_every_s=self.mark_every_s, linger_s=self.linger_s,
                      linger_below=self.linger_below)
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
                if self._wiped is not None:  # found by the watch: acted on here, between batches
                    self._republish(self._wiped)
                    self._wiped = None  # only once done: a failed re-publish is tried again
                sent = self._step()
            except Exception as exc:  # broker or database unavailable: keep the rows, try again
                self.stats["errors"] += 1
                log.warning("relay %s: %s; retrying", self.box.source, exc)
                self._recover()
                sent = 0
                self._stop.wait(1.0)
            if not sent:
                self.box.committed.wait(self.idle_s)
            elif sent < self.linger_below and self.linger_s:
                # Events keep coming a few at a time: let more commit before the next batch. A produce
                # request costs about 1 ms of CPU in kafka-python (half of it the kernel's send) and
                # 0.5 ms in the broker, whatever it carries: batches of a few rows spent more CPU on
                # requests than on events.
                self._stop.wait(self.linger_s)
        self._drain()

    def _drain(self) -> None:
        """On stop, publish what was committed up to now (e.g. by the worker's last batch), once."""
        try:
            self.publish_pending()
        except Exception as exc:  # the rows stay in the outbox: the next start publishes them
            log.warning("relay %s: could not flush on stop (%s)", self.box.source, exc)
            self._recover()

    def _recover(self) -> None:
        """After a failure: mark what the broker did acknowledge if the database lets us, and look for
        the first unsent row again (the failed batch is sent again from there)."""
        self._read_up_to = None
        try:
            self._mark_owed()
        except Exception as exc:  # those rows are sent again: consumers' inboxes drop them
            log.warning("relay %s: could not mark %d published rows sent (%s)", self.box.source, len(self._owed), exc)
            self._owed = []

    def _unsent(self) -> list[tuple]:
        """The next unsent rows in seq order, at most `batch` of them: (seq, topic, key, text)."""
        if self._pending is None or self._pending[0] != self.batch:
            self._pending = (self.batch, _after(self.batch))
        with self.box.connection() as conn:
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
                if not rows:
                    return []
                unsent = [r[:4] for r in rows if r[4] is None]
                if unsent:
                    return unsent
                self._read_up_to = rows[-1][0]  # a stretch sent already (before a restart): go past it

    def _step(self) -> int:
        """Send the next batch and wait for the broker's acknowledgements, marking the rows of earlier
        batches meanwhile; returns how many were published."""
        rows = self._unsent()
        if not rows:
            # Caught up: mark what is owed and look for the first unsent row next time (cheap through
            # its index, and it finds rows marked unsent by other means).
            self._mark_owed()
            self._read_up_to = None
            return 0
        records = [(topic, key, text.encode() if isinstance(text, str) else bytes(text)) for _, topic, key, text in rows]
        send_many = getattr(self.bus, "send_many", None)
        if send_many is not None:
            sent = send_many(records)
            if self._owed and time.monotonic() - self._owed_since >= self.mark_due_s:
                self._mark_owed(wait=False)  # while the batch travels, if no emitter is writing
        else:  # a bus with no batch sending (tests' in-process bus)
            sent = [self.bus.send(*record) for record in records]
            self.bus.flush()
        metas = [fut.get(timeout=30) for fut in sent]  # raises: nothing of this batch is marked, it is sent again
        now = datetime.now(timezone.utc)
        done = [{"b_seq": seq, "b_at": now, "b_partition": meta.partition, "b_offset": meta.offset}
                for (seq, *_), meta in zip(rows, metas)]
        faults.hit("after_publish")  # test-only: on the broker, not yet marked sent
        if not self._owed:
            self._owed_since = time.monotonic()
        self._owed += done
        self._read_up_to = rows[-1][0]
        self.stats["published"] += len(done)
        if len(self._owed) >= self.mark_after or time.monotonic() - self._owed_since >= self.mark_every_s:
            self._mark_owed()
        return len(done)

    def _mark_owed(self, *, wait: bool = True) -> bool:
        """Mark the acknowledged rows sent, in one statement; without `wait`, only if no other thread
        of this process holds the write turn. True once nothing is owed."""
        if not self._owed:
            return True
        turn = writer_turn(self.box.engine) if wait else writer_turn_if_free(self.box.engine)
        with turn as free:
            if free is False:
                return False
            with self.box.connection() as conn, conn.begin():
                _MARK_SENT.executemany(conn, self._owed)  # one executemany for all of them
        self._owed = []
        return True

    def publish_pending(self) -> int:
        """Publish the next batch of unsent rows and mark them (and any owed) sent before returning."""
        n = self._step()
        self._mark_owed()
        return n

    def check_for_wipe(self) -> bool:
        """Has the broker lost records we published (wipe.py)? If so, re-publish the whole ledger.
        The record looked for is the last one published: it must still be where the broker put it."""
        lost = self._lost()
        if lost is None:
            return False
        self._republish(lost)
        return True

    def _lost(self) -> str | None:
        return self.wipes.lost([name for name, _, _ in topic_specs()], self._last_published)

    def _republish(self, lost: str) -> None:
        log.warning("relay %s: %s", self.box.source, lost)
        self.republish_all()

    def _watch(self) -> None:
        """Every `check_every_s`, in its own thread while the relay runs: flag a broker that lost what
        we published; the sending thread re-publishes at its next turn (republish_all changes its state)."""
        # The first look after half an interval: out of step with the worker's look in the same
        # process (both start together).
        wait = self.check_every_s / 2
        while not self._stop.wait(wait):
            wait = self.check_every_s
            try:
                lost = self._lost()
            except Exception as exc:  # the database or the broker unavailable: look again next time
                log.warning("relay %s: could not look for a wiped broker (%s)", self.box.source, exc)
                continue
            if lost is not None:
                self._wiped = lost
                self.box.committed.set()  # wake the sending thread if it idles

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
        self._owed = []  # acknowledged by the broker that lost them: to be sent again, not marked
        with self.box.engine.begin() as conn:
            n = conn.execute(update(outbox).values(sent_at=None, partition=None, offset=None)).rowcount
        self._read_up_to = None
        self.stats["republished_after_wipe"] += n
        log.warning("relay %s: broker lost its records; re-publishing %d events", self.box.source, n)
        self.box.committed.set()
        return n
