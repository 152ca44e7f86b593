"""The timeline of every loop event logistics consumed or emitted (who, when): the report's spine."""
from __future__ import annotations

from ..common.clock import parse_time
from . import store

# Who acted, for events that name a person; otherwise the producing service.
ACTOR_FIELDS = ("approved_by", "cancelled_by", "acknowledged_by", "issued_by", "requested_by", "rejected_by",
                "reported_by")


def record(conn, event: dict) -> None:
    data = event["data"]
    if store.event_recorded(conn, event["id"]):
        return
    actor = next((data[f] for f in ACTOR_FIELDS if isinstance(data.get(f), str)), None)
    store.insert_event(
        conn, event_id=event["id"], incident_id=data.get("incident_id") or event.get("correlationid"),
        request_id=data.get("request_id"), type=event["type"], source=event["source"],
        actor=(actor or event["source"].rsplit("/", 1)[-1])[:128], at=parse_time(_when(event)), data=data,
        seq=event.get("seq"))


def _when(event: dict) -> str:
    """The fact's own time (on the process clock, so exercises read right), else the envelope's."""
    data = event["data"]
    stamps = [v for k, v in data.items() if (k == "at" or k.endswith("_at")) and isinstance(v, str)]
    return stamps[0] if stamps else event["time"]


def emit(tx, topic: str, data: dict, *, key: str) -> dict:
    """Emit through the outbox (state and event in one transaction) and keep it on the timeline."""
    event = tx.emit(topic, data, key=key, correlationid=data.get("incident_id"))
    record(tx.conn, event)
    return event
