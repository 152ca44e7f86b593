"""The one chain verifier, over events alone (a chain read back from the broker, an outbox's events):
each problem is named at the record it concerns."""
from __future__ import annotations

from services.common.chain import verify_chain, verify_events
from services.common.envelope import GENESIS, new_event, seal


def chain(n: int) -> list[dict]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        events.append(seal(new_event(topic="deadletter", source="/mutual-deploy/a", data={"n": seq}, subject="s",
                                     correlationid="c"), seq=seq, prevhash=prev))
        prev = events[-1]["hash"]
    return events


def test_an_intact_chain_verifies():
    assert verify_chain(chain(4)) == []


def test_an_altered_a_deleted_and_a_rewritten_record_are_each_named():
    events = chain(5)
    altered = dict(events[1], data={"n": 99})
    assert [(p.seq, p.reason.split(":")[0]) for p in verify_events([events[0], altered] + events[2:])] == [(2, "altered")]
    assert verify_chain(events[:2] + events[3:]) == ["seq 3: missing: the record was deleted"]
    rewritten = seal(dict(events[3], data={"n": 0}), seq=4, prevhash=events[2]["hash"])
    assert [p.seq for p in verify_events(events[:3] + [rewritten, events[4]])] == [4]
