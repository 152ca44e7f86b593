"""Signed identity tokens: HS256 JWTs carrying subject, role and region, keyed by `kid` for rotation.

A deployment configures its keys once (environment or a key file); every service verifies with
the same keyring and every client mints with the active key:

- `AUTH_SIGNING_KEY` (at least 32 bytes) signs, under key id `AUTH_KEY_ID` (default `k1`);
- `AUTH_VERIFY_KEYS` = `kid:secret,kid:secret`: older keys still accepted while tokens signed with
  them expire (rotation: add the new key, switch `AUTH_KEY_ID`, drop the old one later);
- otherwise `AUTH_KEY_FILE` (default var/auth-keys.json, `{"active": kid, "keys": {kid: secret}}`),
  created with a random key when missing, so a local run works without any set-up.

Expiry is checked against the wall clock, never the exercise clock: an exercise that runs time
faster must not make credentials expire faster, nor keep them alive longer.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from .config import VAR

ALGORITHM = "HS256"
ISSUER = "mutual-deploy"
DEFAULT_TTL_S = 8 * 3600  # one duty shift
MIN_KEY_BYTES = 32


class InvalidToken(ValueError):
    """The token is missing, malformed, expired, or not signed by a key of this deployment."""


@dataclass(frozen=True)
class Claims:
    subject: str
    role: str
    region: str


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, bytes]
    active: str

    def __post_init__(self):
        if self.active not in self.keys:
            raise ValueError(f"the active key id {self.active!r} is not among the keys {sorted(self.keys)}")
        short = [kid for kid, key in self.keys.items() if len(key) < MIN_KEY_BYTES]
        if short:
            raise ValueError(f"keys {short} are shorter than {MIN_KEY_BYTES} bytes")

    def mint(self, subject: str, role: str, region: str, *, ttl_s: int = DEFAULT_TTL_S) -> str:
        issued = int(time.time())
        claims = {"sub": subject, "role": role, "region": region, "iss": ISSUER, "iat": issued,
                  "exp": issued + ttl_s}
        return jwt.encode(claims, self.keys[self.active], algorithm=ALGORITHM, headers={"kid": self.active})

    def verify(self, token: str) -> Claims:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if kid not in self.keys:
                raise InvalidToken(f"unknown key id {kid!r}")
            claims = jwt.decode(token, self.keys[kid], algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["sub", "exp", "iat", "iss"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from None
        role, region = claims.get("role"), claims.get("region")
        if not isinstance(role, str) or not isinstance(region, str):
            raise InvalidToken("the token names no role or region")
        return Claims(claims["sub"], role, region)

    @classmethod
    def generate(cls, kid: str = "k1") -> "Keyring":
        return cls({kid: secrets.token_urlsafe(48).encode()}, kid)

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Keyring":
        env = os.environ if env is None else env
        keys = dict(_pairs(env.get("AUTH_VERIFY_KEYS", "")))
        signing = env.get("AUTH_SIGNING_KEY")
        if signing:
            kid = env.get("AUTH_KEY_ID", "k1")
            keys[kid] = signing.encode()
            return cls(keys, kid)
        return cls.from_file(Path(env.get("AUTH_KEY_FILE") or VAR / "auth-keys.json"))

    @classmethod
    def from_file(cls, path: Path) -> "Keyring":
        """The key file's keyring; a missing file is created with one random key (mode 0600)."""
        if not path.exists():
            _create_key_file(path, cls.generate())
        doc = json.loads(path.read_text())
        return cls({kid: secret.encode() for kid, secret in doc["keys"].items()}, doc["active"])


def _create_key_file(path: Path, ring: Keyring) -> None:
    """Write to a private temporary file, then link it in place: a process starting at the same
    moment either wins or reads the winner's complete file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"active": ring.active, "keys": {k: v.decode() for k, v in ring.keys.items()}}, out)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _pairs(spec: str):
    for item in filter(None, (s.strip() for s in spec.split(","))):
        kid, _, secret = item.partition(":")
        if not secret:
            raise ValueError("AUTH_VERIFY_KEYS holds kid:secret pairs separated by commas")
        yield kid, secret.encode()
