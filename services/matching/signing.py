"""The approval's electronic signature: Ed25519 over the SHA-256 digest of the approval's canonical JSON.

Anyone can verify a plan.approved event with the deployment's public key (GET /keys):
  1. take the event's `data` and remove `signature`;
  2. serialise it canonically: JSON, keys sorted, no spaces, UTF-8 (non-ASCII kept as is);
  3. SHA-256 of those bytes is the digest (32 bytes);
  4. the signature is base64 of the Ed25519 signature over the digest; check it with the public key
     (base64 of the raw 32-byte key). `verify(data, public_key)` does exactly this.
The key is matching's key in the key registry (services/common/keys.py), the same key that signs its
events: MATCHING_SIGNING_KEY names a PEM file; when absent one is generated into the registry's
private folder on first use and kept (mode 0600). Consumers (resources, logistics) check every
approval with `keys.registry().approval_problem(data)` before acting on it.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..common.keys import approval_digest


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(approval: dict) -> bytes:
    return approval_digest(approval)


def load_or_create(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        _create(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path.name} is not an Ed25519 private key")
    return key


def _create(path: Path) -> None:
    """Write a new key atomically (a hard link of a complete file): when processes of one deployment
    start together, the first link wins and every process then reads that same key."""
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def key_id(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def sign(key: Ed25519PrivateKey, approval: dict) -> str:
    return base64.b64encode(key.sign(digest(approval))).decode()


def verify(approval: dict, public_b64: str) -> bool:
    """True when approval["signature"] signs exactly this approval with the key `public_b64`."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        public.verify(base64.b64decode(approval["signature"]), digest(approval))
        return True
    except (InvalidSignature, KeyError, ValueError):
        return False
