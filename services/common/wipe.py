"""Has the broker lost records it held? The one check the relay and the worker make every few seconds.

The embedded broker keeps nothing on disk: after a restart every topic is empty, and re-published
events land at lower offsets (a consumer's positions are stale, a producer's ledger must go again).
Two signs:

- a topic whose id (KIP-516) changed since the last look was lost and created again: what was on
  it before is gone, even if what came since is in place (the last record alone cannot tell);
- a record the broker is known to have held (the last one the relay published; the last one the
  worker handled on each partition, since producers re-publish in their own order and one partition
  can match by chance) is no longer at its offset. End offsets alone are not enough (some
  Kafka-protocol brokers report the end as the last batch's base offset + 1), so the record is read
  back. One that gives no answer is lost only if its partition is gone or now ends at or before it:
  a slow answer, or records dropped by retention, are no proof of a wipe.

A look that cannot reach the broker says nothing; the caller looks again next time.
"""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger(__name__)

Place = tuple[str, int]                      # (topic, partition)
Held = dict[Place, tuple[int, Callable[[bytes], bool]]]  # place -> (offset, "is this the record we know?")


class WipeCheck:
    def __init__(self, bus, who: str):
        self.bus, self.who = bus, who
        self._topic_ids: dict[str, str | None] = {}  # as seen at the last look

    def lost(self, topics: list[str], held: Callable[[], Held]) -> str | None:
        """Why the broker has lost records it held, or None (nothing lost, or it cannot tell now).
        `held()` names the records to look for; it is asked only when every topic kept its id."""
        try:
            described = self.bus.describe(topics)  # one metadata request for the ids and the partitions
        except Exception as exc:
            log.info("%s: cannot read topic ids (%s); will check again", self.who, exc)
            return None
        ids = {t: info[0] for t, info in described.items()}
        recreated = sorted(t for t, was in self._topic_ids.items() if was is not None and ids.get(t) != was)
        self._topic_ids = ids
        if recreated:
            return "topics lost and created again: " + ", ".join(recreated)
        places = held()
        if not places:
            return None
        try:
            gone = self._gone(places, {t: info[1] for t, info in described.items()})
        except Exception as exc:  # a slow or restarting broker is not proof of a wipe
            log.info("%s: cannot read back what the broker held (%s); will check again", self.who, exc)
            return None
        return f"the record at {gone[0]}[{gone[1]}]@{places[gone][0]} is gone" if gone else None

    def _gone(self, places: Held, partitions: dict[str, set[int]]) -> Place | None:
        found = self.bus.fetch_many({place: offset for place, (offset, _) in places.items()}, partitions=partitions)
        for place, (_, is_ours) in places.items():
            if place in found and not is_ours(found[place]):
                return place
        unanswered = {place: offset for place, (offset, _) in places.items() if place not in found}
        if not unanswered:
            return None
        # A broker that lost its log may have re-created the topic with other partitions.
        exist = self.bus.topic_partitions(sorted({t for t, _ in unanswered}))
        for place in unanswered:
            if place[1] not in exist.get(place[0], ()):
                return place
        ends = self.bus.end_offsets(list(unanswered))
        return next((place for place, offset in unanswered.items() if ends.get(place, 0) <= offset), None)
