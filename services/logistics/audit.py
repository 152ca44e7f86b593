"""The ledger check: every producer's hash chain, read back from the broker from the beginning.

Records are grouped by producer (the envelope's source, chain id, mode and exercise id: an exercise
runs its own chains, a ledger that started again is a new chain), de-duplicated (the relay
re-publishes its ledger after a broker restart: the same seq with the same hash), ordered by seq and
verified with the event kit's chain verifier (common/chain.py). A broken chain names its first
broken record: where it sits on the broker (for a deleted one, where the record after it sits) and
what is wrong with it. A record whose source does not own its topic (a sub-source such as
`/mutual-deploy/matching/relay-2`, a stranger) is no chain of its own: it is counted as refused and
the check fails.
"""
from __future__ import annotations

import json
from collections import defaultdict

from ..common.chain import verify_events
from ..common.topics import ownership_problem, topic_names


def producer_key(event: dict) -> str:
    key = event.get("source", "?")
    if event.get("chainid"):
        key += f" [chain {event['chainid']}]"
    if event.get("mode") == "exercise":
        key += f" (exercise {event.get('exerciseid')})"
    return key


def verify_records(records) -> dict:
    """Verify the chains in `records` (bus Records); pure apart from decoding."""
    chains: dict[str, dict[int, tuple]] = defaultdict(dict)
    conflicts: dict[str, list] = defaultdict(list)
    unreadable, refused = 0, []
    for r in records:
        try:
            event = json.loads(r.value)
            seq = int(event["seq"])
        except (ValueError, TypeError, KeyError):
            unreadable += 1
            continue
        not_owner = ownership_problem(r.topic, event.get("source"))
        if not_owner:
            refused.append({"topic": r.topic, "partition": r.partition, "offset": r.offset, "problem": not_owner})
            continue
        key = producer_key(event)
        seen = chains[key].get(seq)
        if seen is not None and seen[0].get("hash") != event.get("hash"):
            conflicts[key].append((seq, r))
        chains[key].setdefault(seq, (event, r))
    producers = {key: _verify_one(by_seq, conflicts.get(key, [])) for key, by_seq in sorted(chains.items())}
    return {"ok": all(p["ok"] for p in producers.values()) and not refused, "records": len(records),
            "unreadable": unreadable, "refused": refused[:20], "producers": producers}


def _verify_one(by_seq: dict, conflicts: list) -> dict:
    ordered = [by_seq[s] for s in sorted(by_seq)]
    found = verify_events([e for e, _ in ordered])
    problems = [str(p) for p in found]
    first = None
    if found:
        seq = found[0].seq
        # a deleted record is not on the broker: name the next one that is
        _, record = by_seq.get(seq) or next((by_seq[s] for s in sorted(by_seq) if s > seq), ordered[0])
        first = {"seq": seq, "problem": problems[0], "topic": record.topic, "partition": record.partition,
                 "offset": record.offset}
    for seq, record in conflicts:
        problems.append(f"seq {seq}: two different events claim this place (at {record.topic}"
                        f"[{record.partition}]@{record.offset})")
        if first is None:
            first = {"seq": seq, "problem": problems[-1], "topic": record.topic, "partition": record.partition,
                     "offset": record.offset}
    return {"ok": not problems, "events": len(ordered), "last_seq": max(by_seq) if by_seq else 0,
            "first_broken": first, "problems": problems[:20]}


def verify_broker(bus, timeout_s: float = 60.0) -> dict:
    return verify_records(bus.read_all(topic_names(), timeout_s=timeout_s))
