"""Personal fields encrypted at rest: AES-256-GCM under a key from the deployment's secrets.

An officer's ID number, home address and phone are stored sealed, so a copy of the database (a
backup, a file read by another local account, a PostgreSQL dump) shows none of them. The API
still shows them as before: the service opens them when it reads a row, and the masking rules
decide what each role sees.

A sealed value is the text `enc:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`; the field's
name is the associated data, so a sealed phone cannot be moved into the ID number's place.

The key, 32 random bytes (base64url), comes from:
- `PERSONAL_DATA_KEY` under key id `PERSONAL_DATA_KEY_ID` (default `p1`), older keys still opened from
  `PERSONAL_DATA_OLD_KEYS` = `kid:key,kid:key` (rotation: add the old one there, set a new key and id;
  rows are sealed with the new key as they are written);
- otherwise `PERSONAL_DATA_KEY_FILE` (default var/personal-data-key.json, `{"active": kid, "keys":
  {kid: key}}`), created 0600 with a random key when missing, so a local run needs no set-up.

Nothing filters on these fields; one that must be searched by exact value gets a keyed blind index
(`Sealer.blind_index`, HMAC-SHA256 under a key derived from the same secret) beside the sealed value.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import JSON
from sqlalchemy.types import TypeDecorator

from . import b64url

PREFIX = "enc:v1:"
KEY_BYTES = 32
NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value that cannot be opened: unknown key id, or not sealed by a key of this deployment."""


def _b64d(text: str) -> bytes:
    try:
        return b64url.decode(text)
    except ValueError:
        raise ValueError("a personal-data key or sealed value is not base64url") from None


_b64e = b64url.encode


@dataclass(frozen=True)
class Sealer:
    keys: dict[str, bytes]
    active: str

    def __post_init__(self):
        if self.active not in self.keys:
            raise ValueError(f"the active personal-data key id {self.active!r} is not among {sorted(self.keys)}")
        bad = [kid for kid, key in self.keys.items() if len(key) != KEY_BYTES or ":" in kid]
        if bad:
            raise ValueError(f"personal-data keys {bad} are not {KEY_BYTES} bytes (base64url) under a key id without ':'")

    def seal(self, value: str, field: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, value.encode("utf-8"), field.encode())
        return f"{PREFIX}{self.active}:{_b64e(nonce + sealed)}"

    def open(self, value: str, field: str) -> str:
        kid, _, body = value[len(PREFIX):].partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise SealError(f"{field}: sealed under key id {kid!r}, which this deployment does not hold")
        raw = _b64d(body)
        try:
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], field.encode()).decode("utf-8")
        except (InvalidTag, ValueError):
            raise SealError(f"{field}: the sealed value does not open with key {kid!r}") from None

    def blind_index(self, value: str, field: str) -> str:
        """A keyed, deterministic digest of `value` for exact-match lookups (never reversible)."""
        key = hmac.new(self.keys[self.active], b"blind-index:" + field.encode(), hashlib.sha256).digest()
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    @classmethod
    def generate(cls, kid: str = "p1") -> "Sealer":
        return cls({kid: secrets.token_bytes(KEY_BYTES)}, kid)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Sealer":
        env = os.environ if env is None else env
        keys = {kid: _b64d(key) for kid, key in _pairs(env.get("PERSONAL_DATA_OLD_KEYS", ""))}
        if env.get("PERSONAL_DATA_KEY"):
            kid = env.get("PERSONAL_DATA_KEY_ID", "p1")
            keys[kid] = _b64d(env["PERSONAL_DATA_KEY"].strip())
            return cls(keys, kid)
        from .config import VAR
        return cls.from_file(Path(env.get("PERSONAL_DATA_KEY_FILE") or VAR / "personal-data-key.json"))

    @classmethod
    def from_file(cls, path: Path) -> "Sealer":
        """The key file's keys; a missing file is created with one random key (0600)."""
        if not path.exists():
            write_key_file(path, cls.generate())
        doc = json.loads(path.read_text())
        return cls({kid: _b64d(key) for kid, key in doc["keys"].items()}, doc["active"])


def write_key_file(path: Path, sealer: Sealer) -> bool:
    """Write the keys to `path` (0600) unless it exists; a process starting at the same moment either
    wins or reads the winner's complete file. True when this call created it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"active": sealer.active, "keys": {k: _b64e(v) for k, v in sealer.keys.items()}}, out)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        tmp.unlink()


def _pairs(spec: str):
    for item in filter(None, (s.strip() for s in spec.split(","))):
        kid, _, key = item.partition(":")
        if not key:
            raise ValueError("PERSONAL_DATA_OLD_KEYS holds kid:key pairs separated by commas")
        yield kid, key


@functools.cache
def default_sealer() -> Sealer:
    """The deployment's personal-data keys (environment or key file), read once per process."""
    return Sealer.from_env()


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class SealedJSON(TypeDecorator):
    """A JSON object column whose `fields` are stored sealed (strings only; None stays None).

    Rows written before sealing (plain text) are read as they are and sealed when next written.
    """

    impl = JSON
    cache_ok = True

    def __init__(self, fields: tuple[str, ...]):
        super().__init__()
        self.fields = tuple(fields)

    def process_bind_param(self, value, dialect):
        if not isinstance(value, dict):
            return value
        out, sealer = dict(value), default_sealer()
        for field in self.fields:
            if isinstance(out.get(field), str):  # what the service writes is always the open value
                out[field] = sealer.seal(out[field], field)
        return out

    def process_result_value(self, value, dialect):
        if not isinstance(value, dict):
            return value
        out = dict(value)
        for field in self.fields:
            if is_sealed(out.get(field)):
                out[field] = default_sealer().open(out[field], field)
        return out
