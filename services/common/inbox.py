"""The consumer's inbox: the events it has handled, so a redelivered event has no second effect, and
the links of each producer's chain it has seen, which a new event must fit (chain.link_problem).

Written and read inside the worker's batch transaction, beside the handler's own writes. Statements
are built once and run on the driver (storage.Prepared): one look-up per poll batch, not per record.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from sqlalchemy import and_, bindparam, insert, or_, select

from .chain import chain_of
from .keys import SERVICES, SOURCE_PREFIX
from .storage import Prepared, chain_links, inbox

_RECORD = Prepared(insert(inbox).values(event_id=bindparam("event_id"), topic=bindparam("topic"),
                                        handled_at=bindparam("handled_at")))
_SEEN_SIZES = (1, 4, 16, 64, 256)  # IN-lists of these lengths, padded by repeating an id
_SEEN_IN = {n: Prepared(select(inbox.c.event_id).where(inbox.c.event_id.in_([bindparam(f"i{k}") for k in range(n)])))
            for n in _SEEN_SIZES}
# The places next to an event in its producer's chain, as this consumer recorded them.
_LINKS = Prepared(select(chain_links.c.seq, chain_links.c.hash, chain_links.c.prevhash)
                  .where(chain_links.c.chain == bindparam("chain"),
                         chain_links.c.seq.between(bindparam("lo"), bindparam("hi"))))
_LINK = Prepared(insert(chain_links).values(chain=bindparam("chain"), seq=bindparam("seq"),
                                            hash=bindparam("hash"), prevhash=bindparam("prevhash")))
# The links at several (chain, seq) places at once: an OR of primary-key look-ups (a row-value IN
# list is a whole-table scan on SQLite), in lists of these lengths padded by repeating a place.
_PLACES_SIZES = (1, 4, 16, 64, 256)
_AT_PLACES = {n: Prepared(select(chain_links.c.chain, chain_links.c.seq, chain_links.c.hash, chain_links.c.prevhash)
                          .where(or_(*(and_(chain_links.c.chain == bindparam(f"c{k}"), chain_links.c.seq == bindparam(f"s{k}"))
                                       for k in range(n)))))
              for n in _PLACES_SIZES}


def key(event: dict) -> str:
    """What the inbox holds of a handled event: events are told apart by (source, id) (the envelope's
    contract). A service's own ids are uuid4s its outbox made, unique across the backbone, kept as they
    are; a device's or another system's id is its own to choose and may repeat another producer's, so
    it is held as the SHA-256 of its source and id (64 hex digits, the column's width)."""
    source, event_id = event.get("source"), event["id"]
    if isinstance(source, str) and source.startswith(SOURCE_PREFIX) and source[len(SOURCE_PREFIX):] in SERVICES:
        return event_id
    return hashlib.sha256(f"{source}\x00{event_id}".encode()).hexdigest()


def already_handled(conn, ids: list[str]) -> set[str]:
    """Which of `ids` (inbox keys: `key`) the inbox holds (read inside the batch's transaction)."""
    found: set[str] = set()
    pos = 0
    while pos < len(ids):
        chunk = ids[pos:pos + _SEEN_SIZES[-1]]
        pos += len(chunk)
        size = next(n for n in _SEEN_SIZES if n >= len(chunk))
        chunk += [chunk[-1]] * (size - len(chunk))
        cur = _SEEN_IN[size].execute(conn, {f"i{k}": v for k, v in enumerate(chunk)})
        found.update(r[0] for r in cur.fetchall())
        cur.close()
    return found


def record_handled(conn, event: dict, topic: str) -> None:
    """Raises IntegrityError if another consumer recorded it first."""
    _RECORD.execute(conn, {"event_id": key(event), "topic": topic, "handled_at": datetime.now(timezone.utc)}).close()


def links_around(conn, event: dict) -> dict[int, tuple[str, str]]:
    """seq -> (hash, prevhash) of the event's place and its neighbours in its chain, as seen so far."""
    cur = _LINKS.execute(conn, {"chain": chain_of(event), "lo": event["seq"] - 1, "hi": event["seq"] + 1})
    links = {r[0]: (r[1], r[2]) for r in cur.fetchall()}
    cur.close()
    return links


def record_link(conn, event: dict) -> None:
    _LINK.execute(conn, {"chain": chain_of(event), "seq": event["seq"], "hash": event["hash"],
                         "prevhash": event["prevhash"]}).close()


def links_of(conn, events: list[dict]) -> dict[str, dict[int, tuple[str, str]]]:
    """chain -> {seq: (hash, prevhash)} at the places of `events` and their neighbours, as recorded so
    far (one look-up for a whole batch instead of one per event)."""
    places = sorted({(chain_of(e), e["seq"] + d) for e in events for d in (-1, 0, 1)})
    found: dict[str, dict[int, tuple[str, str]]] = {}
    pos = 0
    while pos < len(places):
        chunk = places[pos:pos + _PLACES_SIZES[-1]]
        pos += len(chunk)
        size = next(n for n in _PLACES_SIZES if n >= len(chunk))
        chunk += [chunk[-1]] * (size - len(chunk))
        params = {}
        for k, (chain, seq) in enumerate(chunk):
            params[f"c{k}"], params[f"s{k}"] = chain, seq
        cur = _AT_PLACES[size].execute(conn, params)
        for chain, seq, h, prev in cur.fetchall():
            found.setdefault(chain, {})[seq] = (h, prev)
        cur.close()
    return found


def record_batch(conn, handled: list[tuple[dict, str]], new_links: list[dict]) -> None:
    """The inbox rows of a batch's handled events ((event, topic)) and the chain links first seen in
    it, each in one statement. Raises IntegrityError if another consumer recorded one first."""
    at = datetime.now(timezone.utc)
    _RECORD.executemany(conn, [{"event_id": key(e), "topic": topic, "handled_at": at} for e, topic in handled])
    _LINK.executemany(conn, [{"chain": chain_of(e), "seq": e["seq"], "hash": e["hash"], "prevhash": e["prevhash"]}
                             for e in new_links])
