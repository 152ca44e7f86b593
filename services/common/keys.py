"""The key registry: who may publish on the backbone, and the Ed25519 keys that verify their events.

Every producer identity signs each event it publishes. An identity is the envelope's `source` without
`/mutual-deploy/`: a service (`demand`, `resources`, `matching`, `logistics`, `twin`) or a registered
device or integrator (`devices/radio-0042`, `integrators/cad-110`). The registry is a folder
(KEYS_DIR, default var/keys) that services and integrators read:

    registry/<identity>.json   {"identity": ..., "keys": [{"keyid", "public", "added", "revoked"}]}
    private/<identity>.pem     the private keys held on this host (0600, folders 0700)

`public` is base64 of the raw 32-byte Ed25519 key; `keyid` the first 16 hex digits of its SHA-256.
A key, once read, is pinned for the life of the process: the registry can add keys (rotation:
`python -m services.common.keys rotate matching`) and mark them revoked, never swap one silently.
When KEY_REGISTRY_READONLY=1 (production: the registry is distributed by the operators) nothing is
generated: a producer without its private key cannot start publishing. Otherwise a producer's key
is created on first use, as the matching service always did for its approval key.

Signing an event (envelope.seal does it): set `keyid` (and `chainid`, `seq`, `prevhash`), compute
the digest = the envelope hash of the event without `hash` and `signature`, `signature` = base64
Ed25519 over the 64 ASCII hex characters of that digest, then `hash` over the whole event.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .private import write_atomic

try:  # libsodium signs and verifies Ed25519 in about half the time OpenSSL takes (every event is both)
    from nacl.exceptions import BadSignatureError
    from nacl.signing import SigningKey, VerifyKey
except ImportError:  # the same signatures through cryptography alone
    SigningKey = VerifyKey = None

    class BadSignatureError(Exception):
        pass

SOURCE_PREFIX = "/mutual-deploy/"
SERVICES = frozenset({"demand", "resources", "matching", "logistics", "twin"})
GROUPS = frozenset({"devices", "integrators"})  # identities registered one by one: <group>/<id>
_MEMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
RECHECK_S = 1.0  # how often a registry file is looked at again (revocations, rotated keys)
# An entry is replaced whole (written aside, then renamed into its folder), which changes the folder's
# mtime: while the folder is unchanged, its entries are not looked at one by one. An entry edited in
# place (no rename) is still seen within FULL_RECHECK_S.
FULL_RECHECK_S = 30.0


def keys_dir(env: dict | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("KEYS_DIR"):
        return Path(env["KEYS_DIR"])
    from .config import VAR
    return VAR / "keys"


def identity_of(source) -> str | None:
    """The registered identity a `source` names, or None: exactly `/mutual-deploy/<service>` or
    `/mutual-deploy/<devices|integrators>/<id>`; nothing under a service (no `/matching/relay-2`)."""
    if not isinstance(source, str) or not source.startswith(SOURCE_PREFIX):
        return None
    parts = source[len(SOURCE_PREFIX):].split("/")
    if len(parts) == 1 and parts[0] in SERVICES:
        return parts[0]
    if len(parts) == 2 and parts[0] in GROUPS and _MEMBER.match(parts[1]):
        return "/".join(parts)
    return None


def key_id(public_b64: str) -> str:
    return hashlib.sha256(base64.b64decode(public_b64)).hexdigest()[:16]


def public_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def approval_digest(approval: dict) -> bytes:
    """What matching's electronic signature of an approval covers: SHA-256 of the canonical JSON
    (keys sorted, no spaces, UTF-8) of the approval without its `signature`."""
    body = {k: v for k, v in approval.items() if k != "signature"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).digest()


@dataclass(frozen=True)
class Signer:
    identity: str
    key: Ed25519PrivateKey
    keyid: str
    fast: object = field(default=None, compare=False, repr=False)  # the same key in libsodium, if present

    def sign(self, message: bytes) -> str:
        if self.fast is not None:  # Ed25519 is deterministic: the very signature cryptography makes
            return base64.b64encode(self.fast.sign(message).signature).decode()
        return base64.b64encode(self.key.sign(message)).decode()


def _fast_signer(key: Ed25519PrivateKey):
    if SigningKey is None:
        return None
    return SigningKey(key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption()))


def _fast_verifier(raw: bytes):
    return VerifyKey(raw) if VerifyKey is not None else None


def _private_mode(path: Path) -> None:
    """Folders 0700 from the registry root down to the file's folder."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


class Registry:
    """The public keys of every identity, read from `root/registry`, pinned once read."""

    def __init__(self, root: Path | None = None, *, readonly: bool | None = None):
        self.root = Path(root) if root else keys_dir()
        self.readonly = os.environ.get("KEY_REGISTRY_READONLY") == "1" if readonly is None else readonly
        self._pinned: dict[str, dict[str, Ed25519PublicKey]] = {}
        self._verifiers: dict[str, dict[str, object]] = {}  # the pinned keys in libsodium, if present
        self._paths: dict[str, tuple[Path, Path]] = {}  # identity -> (its entry, the entry's folder)
        self._revoked: dict[str, set[str]] = {}
        # identity -> (monotonic time looked, file mtime, its folder's mtime then, time the file was last stat'ed)
        self._looked: dict[str, tuple[float, float, int | None, float]] = {}
        self._folders: dict[Path, tuple[float, int | None]] = {}  # folder -> (monotonic time looked, mtime_ns)
        self._signers: dict[str, Signer] = {}
        self._lock = threading.Lock()

    # ---- files
    def entry_path(self, identity: str) -> Path:
        return self.root / "registry" / f"{identity}.json"

    def private_path(self, identity: str) -> Path:
        given = os.environ.get(f"{identity.upper().replace('/', '_').replace('-', '_')}_SIGNING_KEY")
        return Path(given) if given else self.root / "private" / f"{identity}.pem"

    def entry(self, identity: str) -> dict:
        path = self.entry_path(identity)
        if not path.exists():
            return {"identity": identity, "keys": []}
        return json.loads(path.read_text(encoding="utf-8"))

    def _write_entry(self, identity: str, entry: dict) -> None:
        path = self.entry_path(identity)
        write_atomic(path, (json.dumps(entry, indent=2, ensure_ascii=False) + "\n").encode(), 0o644, exclusive=False)

    def register(self, identity: str, public: str) -> str:
        """Add a public key to an identity's entry (kept if already there); returns its keyid."""
        kid = key_id(public)
        with self._lock:
            entry = self.entry(identity)
            if not any(k["keyid"] == kid for k in entry["keys"]):
                entry["keys"].append({"keyid": kid, "public": public, "revoked": None,
                                      "added": datetime.now(timezone.utc).isoformat(timespec="seconds")})
                self._write_entry(identity, entry)
            self._looked.pop(identity, None)
        return kid

    def revoke(self, identity: str, kid: str) -> None:
        with self._lock:
            entry = self.entry(identity)
            for k in entry["keys"]:
                if k["keyid"] == kid and not k["revoked"]:
                    k["revoked"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            self._write_entry(identity, entry)
            self._looked.pop(identity, None)

    # ---- signing
    def current_signer(self, identity: str) -> Signer | None:
        """The signer this registry has loaded for `identity`, if any (no file is read)."""
        return self._signers.get(identity)

    def signer(self, identity: str) -> Signer:
        """This host's signer for `identity` (created and registered on first use unless read-only)."""
        found = self._signers.get(identity)
        if found is not None:
            return found
        path = self.private_path(identity)
        if not path.exists():
            if self.readonly:
                raise LookupError(f"no private key for {identity} at {path} (the key registry is read-only)")
            self._create(identity, path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path.name} is not an Ed25519 private key")
        public = public_b64(key)
        if not self.readonly:
            self.register(identity, public)
        signer = Signer(identity, key, key_id(public), _fast_signer(key))
        self._signers[identity] = signer
        return signer

    def _create(self, identity: str, path: Path) -> None:
        _private_mode(path.parent)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        write_atomic(path, pem, 0o600, exclusive=True)  # processes starting together: the first key wins

    def rotate(self, identity: str) -> str:
        """A new private key for `identity`; the old one stays valid for events already published
        until revoked. Returns the new keyid."""
        path = self.private_path(identity)
        old = path.with_name(f"{path.stem}.{int(time.time())}.pem")
        if path.exists():
            os.replace(path, old)
        self._signers.pop(identity, None)
        return self.signer(identity).keyid

    # ---- verifying
    def public_key(self, identity: str, kid: str) -> Ed25519PublicKey | None:
        """The pinned key `kid` of `identity`, or None (unknown or revoked)."""
        self._refresh(identity)
        if kid in self._revoked.get(identity, ()):
            return None
        return self._pinned.get(identity, {}).get(kid)

    def _folder_mtime(self, folder: Path, now: float) -> int | None:
        """The folder's mtime (ns), looked at once per RECHECK_S; None while it cannot be trusted
        (missing, or changed so recently that a rename in the same clock tick would not show)."""
        seen = self._folders.get(folder)
        if seen is not None and now - seen[0] < RECHECK_S:
            return seen[1]
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:
            mtime = None
        if mtime is not None and time.time_ns() - mtime < 2 * 10**9:
            mtime = None
        self._folders[folder] = (now, mtime)
        return mtime

    def _refresh(self, identity: str) -> None:
        """Pin the identity's keys and revocations from its entry, looked at again every RECHECK_S:
        a folder stat for all its entries while nothing was renamed into it, else the entry's own."""
        looked = self._looked.get(identity)
        now = time.monotonic()
        if looked and now - looked[0] < RECHECK_S:
            return
        paths = self._paths.get(identity)
        if paths is None:  # a consumer of thousands of devices looks often: the paths are built once
            entry = self.entry_path(identity)
            paths = self._paths[identity] = (entry, entry.parent)
        path = paths[0]
        folder = self._folder_mtime(paths[1], now)
        if looked and folder is not None and looked[2] == folder and now - looked[3] < FULL_RECHECK_S:
            self._looked[identity] = (now, looked[1], folder, looked[3])
            return
        try:
            mtime = path.stat().st_mtime
        except OSError:
            self._looked[identity] = (now, -1.0, folder, now)
            return
        if looked and looked[1] == mtime:
            self._looked[identity] = (now, mtime, folder, now)
            return
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # being written: look again next time
        pinned = self._pinned.setdefault(identity, {})
        revoked = self._revoked.setdefault(identity, set())
        for k in entry.get("keys", []):
            try:
                kid, raw = k["keyid"], base64.b64decode(k["public"])
                if key_id(k["public"]) != kid:
                    continue  # an entry whose keyid does not name its key is ignored
                if kid not in pinned:
                    pinned[kid] = Ed25519PublicKey.from_public_bytes(raw)
                    fast = _fast_verifier(raw)
                    if fast is not None:
                        self._verifiers.setdefault(identity, {})[kid] = fast
            except (KeyError, ValueError, TypeError):
                continue
            if k.get("revoked"):
                revoked.add(kid)  # a revocation is never undone by a later edit
        self._looked[identity] = (now, mtime, folder, now)

    def key_problem(self, identity: str, kid, signature) -> str | None:
        """What `verify` checks before the arithmetic: a keyid and a signature of the right form,
        and `kid` a registered, unrevoked key of `identity`. None when all hold; else why not."""
        if not isinstance(kid, str) or not isinstance(signature, str):
            return "unsigned (no keyid or signature)"
        if self.public_key(identity, kid) is None:
            return f"key {kid} is not registered (or is revoked) for {identity}"
        try:
            if len(base64.b64decode(signature, validate=True)) != 64:
                raise ValueError("an Ed25519 signature is 64 bytes")
        except ValueError:
            return f"signature does not verify with {identity}'s key {kid}"
        return None

    def verify(self, identity: str, kid, signature, message: bytes) -> str | None:
        """None when `signature` is `identity`'s key `kid` over `message`; else why not."""
        problem = self.key_problem(identity, kid, signature)
        if problem:
            return problem
        public, fast = self._pinned[identity][kid], self._verifiers.get(identity, {}).get(kid)
        try:
            raw = base64.b64decode(signature, validate=True)
            if fast is not None:
                fast.verify(message, raw)
            else:
                public.verify(raw, message)
            return None
        except (InvalidSignature, BadSignatureError, ValueError, TypeError):
            return f"signature does not verify with {identity}'s key {kid}"

    def approval_problem(self, approval: dict) -> str | None:
        """None when `approval["signature"]` is matching's electronic signature over exactly this
        approval (its plan, officers, approver...) by a registered, unrevoked key; else why not."""
        signature = approval.get("signature")
        if not isinstance(signature, str):
            return "the approval carries no signature"
        self._refresh("matching")
        revoked = self._revoked.get("matching", set())
        candidates = [k for kid, k in self._pinned.get("matching", {}).items() if kid not in revoked]
        if not candidates:
            return "no registered key of matching to verify the approval with"
        try:
            raw = base64.b64decode(signature, validate=True)
        except ValueError:
            return "the approval's signature is not base64"
        digest = approval_digest(approval)
        for public in candidates:
            try:
                public.verify(raw, digest)
                return None
            except InvalidSignature:
                continue
        return "the approval's signature does not verify with matching's registered keys"

    def keys_of(self, identity: str) -> list[dict]:
        """The registry entry's keys (for GET /keys and integrators)."""
        return self.entry(identity)["keys"]


_default: Registry | None = None
_default_lock = threading.Lock()


def registry() -> Registry:
    """The process's registry (KEYS_DIR); `reset()` forgets it (tests that change KEYS_DIR)."""
    global _default
    with _default_lock:
        if _default is None or _default.root != keys_dir():
            _default = Registry()
        return _default


def reset() -> None:
    global _default
    with _default_lock:
        _default = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.keys",
                                     description="The producers' key registry (KEYS_DIR).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every identity and its keys")
    for name, text in (("issue", "create (or show) the key of an identity: a service, devices/<id>, integrators/<id>"),
                       ("rotate", "a new key for an identity; the old one stays until revoked"),
                       ("show", "the registry entry of an identity")):
        sub.add_parser(name, help=text).add_argument("identity")
    rv = sub.add_parser("revoke", help="a key no longer verifies anything")
    rv.add_argument("identity")
    rv.add_argument("keyid")
    args = parser.parse_args(argv)
    reg = registry()
    if getattr(args, "identity", None) and identity_of(SOURCE_PREFIX + args.identity) != args.identity:
        print(f"{args.identity}: not an identity (a service, devices/<id> or integrators/<id>)", file=sys.stderr)
        return 2
    if args.command == "list":
        for path in sorted((reg.root / "registry").rglob("*.json")):
            entry = json.loads(path.read_text(encoding="utf-8"))
            live = [k["keyid"] for k in entry["keys"] if not k.get("revoked")]
            print(f"{entry['identity']}: {', '.join(live) or 'no valid key'}")
    elif args.command == "issue":
        signer = reg.signer(args.identity)
        print(f"{args.identity}: key {signer.keyid}; private key {reg.private_path(args.identity)}")
    elif args.command == "rotate":
        print(f"{args.identity}: new key {reg.rotate(args.identity)}")
    elif args.command == "revoke":
        reg.revoke(args.identity, args.keyid)
        print(f"{args.identity}: key {args.keyid} revoked")
    else:
        print(json.dumps(reg.entry(args.identity), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
