"""A producer's hash chain, checked: the one verifier (envelope.py seals the chain).

- `verify_rows`: a whole chain in seq order (a producer's outbox with its stored hashes and chain
  head) names each record that was altered, rewritten, deleted or moved;
- `verify_events` / `verify_chain`: the same over events alone (a chain read back from the broker,
  an outbox's events), as problems or as "seq N: reason" lines;
- `link_problem`: one event against its neighbours as a consumer has seen them so far (records
  arrive out of order across partitions, so a consumer cannot wait for the whole chain).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .envelope import GENESIS, event_hash


@dataclass(frozen=True)
class Problem:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason}"


def verify_rows(rows: list[tuple[int, str, dict]], head: tuple[int, str] | None = None,
                check: Callable[[dict], str | None] | None = None) -> list[Problem]:
    """(stored seq, stored hash, event) in stored order, and the chain head (seq, hash): what is wrong, where.

    `check(event)` is the producer's own test of an intact record (e.g. matching verifies the
    signature of each plan.approved): a reason it returns is reported at that record."""
    problems: list[Problem] = []
    expected, prev, prev_ok = 1, GENESIS, True
    for seq, stored_hash, event in rows:
        if seq > expected:
            problems += [Problem(s, "missing: the record was deleted") for s in range(expected, seq)]
            prev_ok = False  # the predecessor is gone: nothing to compare prevhash with
        if not isinstance(event, dict) or event.get("seq") != seq:
            moved = event.get("seq") if isinstance(event, dict) else None
            problems.append(Problem(seq, f"holds the event of seq {moved}: records were reordered"))
            expected, prev, prev_ok = seq + 1, None, False
            continue
        if event.get("hash") != stored_hash or event_hash(event) != event.get("hash"):
            problems.append(Problem(seq, "altered: the content no longer matches its hash"))
            ok = False
        else:
            ok = True
            if prev_ok and event.get("prevhash") != prev:
                problems.append(Problem(seq - 1, f"rewritten: seq {seq} was chained to another hash of it"))
            refused = check(event) if check else None
            if refused:
                problems.append(Problem(seq, f"refused: {refused}"))
        expected, prev, prev_ok = seq + 1, event.get("hash"), ok
    if head is not None:
        problems += _against_head(head, expected - 1, prev, prev_ok)
    return problems


def _against_head(head: tuple[int, str], last: int, last_hash: str | None, last_ok: bool) -> list[Problem]:
    head_seq, head_hash = head
    if head_seq > last:
        return [Problem(s, "missing: the record was deleted") for s in range(last + 1, head_seq + 1)]
    if head_seq == last and last_ok and last and head_hash != last_hash:
        return [Problem(last, "rewritten: the chain head holds another hash of it")]
    return []


def verify_events(events: Iterable[dict]) -> list[Problem]:
    """`verify_rows` over one producer's events in seq order, where each event's own seq and hash are
    all that is stored (an event without a whole-number seq is reported as out of place)."""
    return verify_rows([(e["seq"] if isinstance(e.get("seq"), int) else 0, e.get("hash"), e) for e in events])


def verify_chain(events: Iterable[dict]) -> list[str]:
    """Problems found in one producer's events, in seq order, as "seq N: reason"; [] means the chain verifies."""
    return [str(p) for p in verify_events(events)]


def chain_of(event: dict) -> str:
    """The chain an event belongs to, as a consumer keys what it has seen: its source and chain id."""
    return f"{event['source']} {event['chainid']}"


def link_problem(event: dict, links: dict[int, tuple[str, str]]) -> str | None:
    """None when the event fits the producer's chain as seen so far (`links`: seq -> (hash, prevhash)
    around it); else why not. Redelivery, re-publication after a broker wipe and partitions read out
    of order all fit: the same seq always carries the same hash, and neighbours link."""
    seq, h, prev = event["seq"], event["hash"], event["prevhash"]
    here = links.get(seq)
    if here is not None and here[0] != h:
        return f"breaks {event['source']}'s chain: seq {seq} was seen with another hash (a fork)"
    before = links.get(seq - 1)
    if before is not None and before[0] != prev:
        return f"breaks {event['source']}'s chain: prevhash is not the hash of seq {seq - 1}"
    after = links.get(seq + 1)
    if after is not None and after[1] != h:
        return f"breaks {event['source']}'s chain: seq {seq + 1} links to another hash of seq {seq}"
    return None
