"""Base64url without padding (RFC 4648 §5, as JWTs and this deployment's keys, sealed values and page
positions write it)."""
from __future__ import annotations

import base64


def encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode(text: str) -> bytes:
    """The bytes `text` encodes, padded or not; ValueError (binascii.Error) when it is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
