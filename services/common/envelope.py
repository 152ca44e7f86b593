"""The CloudEvents 1.0 envelope every event travels in (`Event`), and the producer's hash chain
(sealed here, verified in chain.py).

The canonical form (sorted keys, no spaces, UTF-8) is what the hash covers, so any consumer can
recompute it from the JSON it received. `hash = sha256(prevhash || canonical(event without hash))`.

Each event is signed by its producer (keys.py): `keyid` names the key, `chainid` the producer's chain
(the id of its seq 1 event: a producer whose ledger starts again starts a new chain), and
`signature` is Ed25519 over `signed_digest(event)`, the hash of the event without `hash` and
`signature`. The signature is then covered by `hash`, like every other field.
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timezone
from typing import TypedDict

from . import clock

GENESIS = "0" * 64
SPECVERSION = "1.0"


class Event(TypedDict, total=False):
    """An event as it travels (contracts/envelope.schema.json): a plain dict, typed for readers."""
    specversion: str
    id: str
    source: str                 # the producer, e.g. /mutual-deploy/demand
    type: str                   # the topic, e.g. incident.reported
    time: str
    datacontenttype: str
    subject: str                # what the event is about
    correlationid: str          # the incident it belongs to
    causationid: str            # the event that caused it
    mode: str                   # live, or exercise
    exerciseid: str
    data: dict
    seq: int                    # its place in the producer's chain, from 1
    prevhash: str
    hash: str
    chainid: str
    keyid: str
    signature: str


def now_iso() -> str:
    # the process's clock (an exercise runs on its own), so event times follow simulated time
    return clock.now().astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# One encoder, built once: json.dumps with options builds a new encoder on every call.
_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def canonical(obj) -> bytes:
    return _encode(obj).encode()


def event_hash(event: dict) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
    return hashlib.sha256(event["prevhash"].encode() + canonical(body)).hexdigest()


# Sealing encodes each top-level member of the envelope once and joins them: the canonical form of
# an object is `{` + its members `"key":value` in key order, joined by `,` + `}`, exactly what the
# encoder writes for the whole object. So the signed digest, the chain hash and the stored text
# share one encoding of `data` instead of three.
_KEYS: dict[str, str] = {}
_encode_str = json.encoder.encode_basestring  # what the encoder does with a str (ensure_ascii=False)


def _member(key: str, value) -> str:
    encoded = _KEYS.get(key)
    if encoded is None:
        encoded = _encode(key) + ":"
        if len(_KEYS) < 64:  # the envelope's own members; a received event's others are not kept
            _KEYS[key] = encoded
    # Strings and integers (most members) as the encoder writes them, without its call overhead.
    kind = type(value)
    if kind is str:
        return encoded + _encode_str(value)
    if kind is int:
        return encoded + int.__repr__(value)
    return encoded + _encode(value)


def _joined(members: dict[str, str], leave_out: tuple[str, ...]) -> str:
    return "{" + ",".join(members[k] for k in sorted(members) if k not in leave_out) + "}"


def _chain_hash(prevhash: str, members: dict[str, str], leave_out: tuple[str, ...]) -> str:
    return hashlib.sha256((prevhash + _joined(members, leave_out)).encode()).hexdigest()


def new_event(
    *,
    topic: str,
    source: str,
    data: dict,
    subject: str,
    correlationid: str,
    causationid: str | None = None,
    mode: str = "live",
    exerciseid: str | None = None,
    event_id: str | None = None,
    time: str | None = None,
) -> dict:
    """An unsealed envelope: `seal` adds seq/prevhash/hash when the outbox assigns its place."""
    event = {
        "specversion": SPECVERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": topic,
        "time": time or now_iso(),
        "datacontenttype": "application/json",
        "subject": subject,
        "correlationid": correlationid,
        "mode": mode,
        "data": data,
    }
    if causationid:
        event["causationid"] = causationid
    if mode == "exercise":
        event["exerciseid"] = exerciseid
    return event


def signed_digest(event: dict) -> bytes:
    """What the producer's signature covers: the envelope hash of the event without `hash` and
    `signature` (64 ASCII hex characters), so seq, prevhash, chainid and keyid are signed too."""
    return event_hash({k: v for k, v in event.items() if k not in ("hash", "signature")}).encode("ascii")


def seal(event: dict, *, seq: int, prevhash: str, signer=None, chainid: str | None = None) -> dict:
    """Give the event its place in the producer's chain; with a `signer` (keys.Signer) also its
    signature. `chainid` defaults to the event's own id for seq 1 (a chain is named by its first event)."""
    return sealed(event, seq=seq, prevhash=prevhash, signer=signer, chainid=chainid)[0]


def sealed(event: dict, *, seq: int, prevhash: str, signer=None, chainid: str | None = None) -> tuple[dict, str]:
    """`seal`, and the sealed event's canonical JSON text (what the outbox stores and the relay
    publishes), with the envelope's members encoded once for the signature, the hash and the text."""
    event = dict(event, seq=seq, prevhash=prevhash)
    if signer is not None:
        event["chainid"] = chainid or (event["id"] if seq == 1 else None)
        if event["chainid"] is None:
            raise ValueError("a signed event after seq 1 needs its chain's id")
        event["keyid"] = signer.keyid
    event.pop("hash", None)
    members = {k: _member(k, v) for k, v in event.items()}
    if signer is not None:
        # signed_digest(event): the chain hash of the event without `hash` and `signature`
        digest = _chain_hash(prevhash, members, ("signature",)).encode("ascii")
        event["signature"] = signer.sign(digest)
        members["signature"] = _member("signature", event["signature"])
    event["hash"] = _chain_hash(prevhash, members, ())
    members["hash"] = _member("hash", event["hash"])
    return event, _joined(members, ())


def digests(event: dict) -> tuple[bytes, str]:
    """(`signed_digest(event)`, `event_hash(event)`) with each member of the envelope encoded once,
    as a consumer checks both. Raises as they do on an event they cannot hash."""
    prevhash = event["prevhash"]
    if not isinstance(prevhash, str):
        raise TypeError("prevhash is not a string")
    members = {k: _member(k, v) for k, v in event.items() if k != "hash"}
    return _chain_hash(prevhash, members, ("signature",)).encode("ascii"), _chain_hash(prevhash, members, ())


def signature_problem(event: dict, registry, digest: bytes | None = None, *, vouched: bool = False) -> str | None:
    """None when the event's `source` is a registered identity whose key signed it; else why not.
    `digest`, when given, is the event's `signed_digest` computed already.

    `vouched`: the caller has verified the signature of the producer's next event, which signed
    this event's hash as its prevhash (the hash covers this event's signature). Every check is made
    but the Ed25519 arithmetic: the key must still be the producer's, registered and unrevoked."""
    from .keys import identity_of
    identity = identity_of(event.get("source"))
    if identity is None:
        return f"source {event.get('source')!r} is not a registered producer identity"
    if not isinstance(event.get("chainid"), str):
        return "unsigned (no chainid)"
    if event.get("seq") == 1 and event.get("chainid") != event.get("id"):
        return "seq 1 must name its own id as the chain's id"
    try:
        digest = signed_digest(event) if digest is None else digest
    except (KeyError, TypeError, AttributeError, UnicodeEncodeError):
        return "cannot compute the signed digest"
    if vouched:
        return registry.key_problem(identity, event.get("keyid"), event.get("signature"))
    return registry.verify(identity, event.get("keyid"), event.get("signature"), digest)
