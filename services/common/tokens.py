"""Signed identity tokens: EdDSA (Ed25519) JWTs carrying subject, role, region and audience.

One issuer signs; every service only verifies. The issuer (the twin's sign-in, `make run` writing
the demo users' tokens, the operators' `python -m services.common.users token`) holds the private
key; a service holds the public keys alone, so a service (or anyone who reads a service's
configuration) cannot mint a token, least of all a province commander's. Each token names the
services it is for (`aud`); a service refuses a token not addressed to it.

A deployment configures its keys once:

- `AUTH_ISSUER_KEY`: the issuer's Ed25519 private key (base64url of the 32-byte seed) under key id
  `AUTH_KEY_ID` (default `k1`); given to the issuer only;
- `AUTH_PUBLIC_KEYS` = `kid:public,kid:public` (base64url of the raw 32-byte public key): what every
  service verifies with (rotation: add the new issuer's public key, switch the issuer, drop the old
  key once its tokens have expired); `python -m services.common.tokens public` prints the pair to set;
- otherwise two files under var/ (a local run, created on first use): `AUTH_KEY_FILE` (default
  var/auth-keys.json, `{"active": kid, "public": {kid: public}}`) that verifiers read, and
  `AUTH_ISSUER_KEY_FILE` (default var/auth-issuer-key.json, 0600) that only the issuer reads.

A service calling another service needs no issuer: it signs a short token for itself with its own
key from the producers' key registry (keys.py), `iss` = its source. Such a token can only say
`service:<that service>` with the integrator role, whatever else it claims.

Expiry is checked against the wall clock, never the exercise clock: an exercise that runs time
faster must not make credentials expire faster, nor keep them alive longer.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import b64url
from .config import VAR
from .private import write_atomic

ALGORITHM = "EdDSA"
ISSUER = "mutual-deploy"
DEFAULT_TTL_S = 8 * 3600  # one duty shift
SERVICE_TTL_S = 300  # a service's token for itself: minted per call burst, short-lived
AUDIENCES = ("demand", "resources", "matching", "logistics", "twin")  # who a user's token is for
PROVINCE = "330000"


VERIFIED_MAX = 4096  # tokens remembered as verified (Keyring.verify); forgotten all at once when full
_verified: dict[tuple[str, str], tuple] = {}


class InvalidToken(ValueError):
    """The token is missing, malformed, expired, not addressed to this service, or not signed by the
    deployment's issuer."""


class NotIssuer(RuntimeError):
    """This process holds no issuer key: it verifies tokens but cannot mint one."""


@dataclass(frozen=True)
class Claims:
    subject: str
    role: str
    region: str


def _b64d(text: str) -> bytes:
    try:
        return b64url.decode(text.strip())
    except ValueError:
        raise ValueError("a token key is not base64url") from None


_b64e = b64url.encode


def _raw_public(private: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Keyring:
    """The issuer's public keys by key id (`keys`, raw 32 bytes), the active key id, and, in the
    issuer's process only, the active private key (`private`, the raw 32-byte seed)."""

    keys: dict[str, bytes]
    active: str
    private: bytes | None = field(default=None, repr=False)
    audience: str | None = None  # the service this keyring verifies for (see for_audience)
    _for: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # for_audience's keyrings

    def __post_init__(self):
        if self.active not in self.keys:
            raise ValueError(f"the active key id {self.active!r} is not among the keys {sorted(self.keys)}")
        bad = [kid for kid, key in self.keys.items() if len(key) != 32]
        if bad:
            raise ValueError(f"keys {bad} are not 32-byte Ed25519 public keys")
        if self.private is not None and _raw_public(self.private) != self.keys[self.active]:
            raise ValueError(f"the issuer key does not match the public key {self.active!r}")

    @property
    def issuer(self) -> bool:
        return self.private is not None

    def for_audience(self, audience: str) -> "Keyring":
        """This keyring verifying for `audience` (a service's name): tokens not addressed to it are refused."""
        if self.audience == audience:
            return self
        ring = self._for.get(audience)  # made once: a service asks for it on every request
        if ring is None:
            ring = self._for[audience] = replace(self, audience=audience)
        return ring

    def public_only(self) -> "Keyring":
        return replace(self, private=None)

    def mint(self, subject: str, role: str, region: str, *, ttl_s: int = DEFAULT_TTL_S,
             audience: tuple[str, ...] | list[str] | str = AUDIENCES) -> str:
        if self.private is None:
            raise NotIssuer("this process holds no issuer key (AUTH_ISSUER_KEY): only the issuer mints tokens")
        issued = int(time.time())
        claims = {"sub": subject, "role": role, "region": region, "iss": ISSUER, "iat": issued,
                  "exp": issued + ttl_s, "aud": [audience] if isinstance(audience, str) else list(audience)}
        return jwt.encode(claims, Ed25519PrivateKey.from_private_bytes(self.private), algorithm=ALGORITHM,
                          headers={"kid": self.active})

    def verify(self, token: str, audience: str | None = None) -> Claims:
        """The claims of a token addressed to `audience` (default: this keyring's) and signed by the
        issuer, or by a service's registered key for that service's own identity.

        A token verified once is remembered with its expiry and the key that verified it: until it
        expires it is answered again without the signature check while that same key still verifies
        for this keyring (the issuer's key id still maps to the same public key; a service's key
        still registered and not revoked), and checked in full otherwise."""
        audience = audience or self.audience
        if not audience:
            raise InvalidToken("no audience to check the token against")
        remembered = _verified.get((token, audience))
        if remembered is not None:
            claims, expires, iss, kid, key = remembered
            if time.time() < expires and self._still_verifies(iss, kid, key):
                return claims
            _verified.pop((token, audience), None)
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            iss = jwt.decode(token, options={"verify_signature": False}).get("iss")
            if iss == ISSUER:
                if kid not in self.keys:
                    raise InvalidToken(f"unknown key id {kid!r}")
                key = Ed25519PublicKey.from_public_bytes(self.keys[kid])
            else:
                key = _service_key(iss, kid)
            claims = jwt.decode(token, key, algorithms=[ALGORITHM], issuer=iss, audience=audience,
                                options={"require": ["sub", "exp", "iat", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidToken(f"the token is not addressed to {audience!r} (aud)") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"the token is not valid: {exc}") from None
        role, region = claims.get("role"), claims.get("region")
        if not isinstance(role, str) or not isinstance(region, str):
            raise InvalidToken("the token names no role or region")
        if iss != ISSUER and (claims["sub"], role, region) != (f"service:{_service_of(iss)}", "integrator", PROVINCE):
            raise InvalidToken(f"a service's own token speaks for that service only, as an integrator ({iss})")
        verified = Claims(claims["sub"], role, region)
        expires = claims["exp"]
        if isinstance(expires, (int, float)) and not isinstance(expires, bool):
            if len(_verified) >= VERIFIED_MAX:
                _verified.clear()
            _verified[(token, audience)] = (verified, expires, iss, kid,
                                            self.keys[kid] if iss == ISSUER else key)
        return verified

    def _still_verifies(self, iss, kid, key) -> bool:
        """Whether the key that verified a remembered token is still the one this keyring verifies
        it with: the issuer's key id unchanged, or the service's key still registered, unrevoked."""
        if iss == ISSUER:
            return self.keys.get(kid) == key
        try:
            return _service_key(iss, kid) is key
        except InvalidToken:
            return False

    @classmethod
    def generate(cls, kid: str = "k1") -> "Keyring":
        """A fresh issuer keyring (private and public key)."""
        private = secrets.token_bytes(32)
        return cls({kid: _raw_public(private)}, kid, private)

    @classmethod
    def from_env(cls, env: dict | None = None, *, issuer: bool | None = None) -> "Keyring":
        """The deployment's keyring: with `issuer=True` with the private key (NotIssuer where there is
        none), with False never, with None where this process is given one (the issuer's process)."""
        env = os.environ if env is None else env
        if env.get("AUTH_SIGNING_KEY"):
            raise ValueError("AUTH_SIGNING_KEY (a shared HS256 secret) is replaced by an issuer key pair: set "
                             "AUTH_ISSUER_KEY on the issuer and AUTH_PUBLIC_KEYS on the services (README, tokens)")
        public = {kid: _b64d(key) for kid, key in _pairs(env.get("AUTH_PUBLIC_KEYS", ""))}
        kid = env.get("AUTH_KEY_ID", "k1")
        if env.get("AUTH_ISSUER_KEY"):
            private = _b64d(env["AUTH_ISSUER_KEY"])
            if len(private) != 32:
                raise ValueError("AUTH_ISSUER_KEY is not a 32-byte Ed25519 seed (base64url)")
            public[kid] = _raw_public(private)
            return cls(public, kid, None if issuer is False else private)
        if public:
            if issuer:
                raise NotIssuer("AUTH_PUBLIC_KEYS alone: this process verifies tokens but holds no issuer key")
            return cls(public, kid if kid in public else sorted(public)[-1])
        return cls.from_files(Path(env.get("AUTH_KEY_FILE") or VAR / "auth-keys.json"),
                              Path(env.get("AUTH_ISSUER_KEY_FILE") or VAR / "auth-issuer-key.json"), issuer=issuer)

    @classmethod
    def from_files(cls, public_path: Path, issuer_path: Path, *, issuer: bool | None = None) -> "Keyring":
        """The key files' keyring; missing files (or an older shared-secret file) are created with a
        new key pair, the issuer's file 0600."""
        if not _current_format(public_path):
            ring, old = cls.generate(), _exists_in_old_format(public_path)
            # a process starting at the same moment either wins or reads the winner's complete files
            # (an older-format file is replaced)
            if write_atomic(issuer_path, json.dumps({"active": ring.active, "private": _b64e(ring.private)}),
                            exclusive=not old):
                write_atomic(public_path, json.dumps({"active": ring.active,
                                                      "public": {ring.active: _b64e(ring.keys[ring.active])}}),
                             exclusive=not old)
            else:  # another process starting at the same moment made the pair: wait for its public file
                deadline = time.monotonic() + 10
                while not _current_format(public_path):
                    if time.monotonic() > deadline:
                        raise ValueError(f"{issuer_path} exists without its public keys {public_path}")
                    time.sleep(0.05)
        doc = json.loads(public_path.read_text())
        ring = cls({k: _b64d(v) for k, v in doc["public"].items()}, doc["active"])
        if issuer is False or (issuer is None and not issuer_path.exists()):
            return ring
        if not issuer_path.exists():
            raise NotIssuer(f"no issuer key at {issuer_path}: this process verifies tokens but cannot mint")
        secret = json.loads(issuer_path.read_text())
        return cls(ring.keys, secret["active"], _b64d(secret["private"]))


def _current_format(path: Path) -> bool:
    try:
        return "public" in json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return False


def _exists_in_old_format(path: Path) -> bool:
    return path.exists() and not _current_format(path)


def public_keys_line(ring: Keyring) -> str:
    """The keyring's public keys as the AUTH_PUBLIC_KEYS value (what a verifier is given)."""
    return ",".join(f"{kid}:{_b64e(key)}" for kid, key in ring.keys.items())


def _pairs(spec: str):
    for item in filter(None, (s.strip() for s in spec.split(","))):
        kid, _, key = item.partition(":")
        if not key:
            raise ValueError("AUTH_PUBLIC_KEYS holds kid:public-key pairs separated by commas")
        yield kid, key


# ------------------------------------------------------------------ a service's token for itself

def _service_of(iss) -> str | None:
    from . import keys

    identity = keys.identity_of(iss)
    return identity if identity in keys.SERVICES else None


def _service_key(iss, kid) -> Ed25519PublicKey:
    from . import keys

    service = _service_of(iss)
    if service is None:
        raise InvalidToken(f"unknown issuer {iss!r}")
    key = keys.registry().public_key(service, str(kid))
    if key is None:
        raise InvalidToken(f"unknown key id {kid!r} of {service}")
    return key


def service_token(service: str, *, audience: tuple[str, ...] | list[str] | str = AUDIENCES,
                  ttl_s: int = SERVICE_TTL_S) -> str:
    """A token by which `service` speaks for itself (subject `service:<name>`, integrator), signed
    with its own key of the producers' key registry: no issuer key needed, nobody else's identity possible."""
    from . import keys

    signer = keys.registry().signer(service)
    issued = int(time.time())
    claims = {"sub": f"service:{service}", "role": "integrator", "region": PROVINCE,
              "iss": f"{keys.SOURCE_PREFIX}{service}", "iat": issued, "exp": issued + ttl_s,
              "aud": [audience] if isinstance(audience, str) else list(audience)}
    return jwt.encode(claims, signer.key, algorithm=ALGORITHM, headers={"kid": signer.keyid})


def issue_for(subject: str, role: str, region: str, keyring: Keyring | None = None, *,
              ttl_s: int = DEFAULT_TTL_S, audience=AUDIENCES) -> str:
    """Mint a user's token through the deployment's issuer (the twin's demo sign-in, the demo users'
    tokens, the operators' command): `keyring` if given, else this process's issuer key; NotIssuer
    in a process that holds none (a service)."""
    ring = keyring or Keyring.from_env(issuer=True)
    return ring.mint(subject, role, region, ttl_s=ttl_s, audience=audience)


def main(argv: list[str] | None = None) -> int:
    """`python -m services.common.tokens new [kid]`: a new issuer key pair as environment lines;
    `public`: the AUTH_PUBLIC_KEYS line the services need for this process's issuer key."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["new"]:
        ring = Keyring.generate(argv[1] if len(argv) > 1 else "k1")
        print(f"AUTH_KEY_ID={ring.active}\nAUTH_ISSUER_KEY={_b64e(ring.private)}\nAUTH_PUBLIC_KEYS={public_keys_line(ring)}")
        return 0
    if argv[:1] == ["public"]:
        ring = Keyring.from_env()
        print("AUTH_PUBLIC_KEYS=" + public_keys_line(ring))
        return 0
    print("usage: python -m services.common.tokens new [kid] | public", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
