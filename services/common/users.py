"""The deployment's users (users.yaml, or the file USERS_FILE names) and the tokens minted for them.

    python -m services.common.users token zj-commander    # prints a bearer token
    python -m services.common.users demo                  # var/tokens.json: one token per user
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml

from .auth import ROLES, Identity
from .config import VAR
from .private import open_private
from .tokens import Keyring, issue_for

USERS = Path(__file__).with_name("users.yaml")


def load(path: Path | None = None) -> dict[str, Identity]:
    path = path or Path(os.environ.get("USERS_FILE") or USERS)
    users = yaml.safe_load(path.read_text(encoding="utf-8"))["users"]
    out = {}
    for name, spec in users.items():
        region = str(spec["region"])
        if spec["role"] not in ROLES or not (len(region) == 6 and region.isdigit()):
            raise ValueError(f"{path}: user {name}: role one of {ROLES} and a 6-digit region")
        out[name] = Identity(name, spec["role"], region)
    return out


def token(name: str, keyring: Keyring | None = None, *, users: dict | None = None, ttl_s: int | None = None) -> str:
    users = load() if users is None else users
    if name not in users:
        raise KeyError(f"no user {name!r}; users: {', '.join(users)}")
    who = users[name]
    return issue_for(who.subject, who.role, who.region, keyring, **({"ttl_s": ttl_s} if ttl_s else {}))


def write_demo_tokens(path: Path = VAR / "tokens.json", keyring: Keyring | None = None,
                      users_file: Path | None = None) -> dict:
    """One token per user (of `users_file`, else USERS_FILE or users.yaml), readable by this account only."""
    ring = keyring or Keyring.from_env(issuer=True)
    users = load(users_file)
    doc = {name: {"role": who.role, "region": who.region, "token": token(name, ring, users=users)}
           for name, who in users.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open_private(path, "w", encoding="utf-8") as out:  # 0600 from the start, never readable in between
        out.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    return doc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.common.users")
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("token", help="print a bearer token for one user")
    one.add_argument("user")
    one.add_argument("--ttl-s", type=int)
    demo = sub.add_parser("demo", help="write one token per user to a JSON file")
    demo.add_argument("--out", type=Path, default=VAR / "tokens.json")
    args = parser.parse_args(argv)
    if args.command == "token":
        try:
            print(token(args.user, ttl_s=args.ttl_s))
        except KeyError as exc:
            print(f"error: {exc.args[0]}", file=sys.stderr)
            return 2
        return 0
    doc = write_demo_tokens(args.out)
    print(f"{len(doc)} tokens written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
