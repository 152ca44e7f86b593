"""The key registry and event signatures: exact identities, pinned keys, rotation, revocation, chain links."""
from __future__ import annotations

import json
import stat
import time

import pytest

from services.common import keys
from services.common.chain import link_problem
from services.common.envelope import GENESIS, new_event, seal, signature_problem


@pytest.fixture
def registry(tmp_path):
    return keys.Registry(tmp_path / "keys", readonly=False)


def event(source="/mutual-deploy/matching", seq=1, prev=GENESIS, registry=None, chainid=None, identity="matching"):
    bare = new_event(topic="plan.approved", source=source, data={"n": seq}, subject="s", correlationid="c")
    return seal(bare, seq=seq, prevhash=prev, signer=registry.signer(identity) if registry else None, chainid=chainid)


@pytest.mark.parametrize("source, identity", [
    ("/mutual-deploy/matching", "matching"),
    ("/mutual-deploy/devices/radio-0042", "devices/radio-0042"),
    ("/mutual-deploy/integrators/cad-110", "integrators/cad-110"),
    ("/mutual-deploy/matching/relay-2", None),
    ("/mutual-deploy/devices", None),
    ("/mutual-deploy/devices/a/b", None),
    ("/mutual-deploy/devices/../matching", None),
    ("/mutual-deploy/stranger", None),
    ("/elsewhere/matching", None),
    (None, None),
])
def test_a_source_names_an_identity_exactly_or_not_at_all(source, identity):
    assert keys.identity_of(source) == identity


def test_a_signed_event_verifies_and_any_change_breaks_it(registry):
    e = event(registry=registry)
    assert signature_problem(e, registry) is None
    assert e["chainid"] == e["id"] and len(e["keyid"]) == 16
    assert signature_problem(dict(e, data={"n": 99}), registry).startswith("signature does not verify")
    assert signature_problem(dict(e, seq=2), registry).startswith("signature does not verify")


def test_an_unsigned_or_foreign_key_event_is_refused(registry, tmp_path):
    assert signature_problem(event(), registry) == "unsigned (no chainid)"
    other = keys.Registry(tmp_path / "elsewhere", readonly=False)  # an attacker's own key for matching
    refused = signature_problem(event(registry=other), registry)
    assert refused.startswith("key ") and "is not registered" in refused


def test_private_keys_are_private_and_a_read_only_registry_creates_none(registry, tmp_path):
    registry.signer("demand")
    path = registry.private_path("demand")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with pytest.raises(LookupError, match="read-only"):
        keys.Registry(tmp_path / "prod", readonly=True).signer("demand")


def test_rotation_adds_a_key_and_revocation_removes_one(registry, monkeypatch):
    monkeypatch.setattr(keys, "RECHECK_S", 0.0)
    old = event(registry=registry)
    new_kid = registry.rotate("matching")
    new = event(registry=registry)
    assert new["keyid"] == new_kid != old["keyid"]
    assert signature_problem(old, registry) is None and signature_problem(new, registry) is None
    registry.revoke("matching", old["keyid"])
    assert "is not registered (or is revoked)" in signature_problem(old, registry)
    assert signature_problem(new, registry) is None


def test_a_pinned_key_survives_its_entry_being_rewritten(registry, monkeypatch):
    monkeypatch.setattr(keys, "RECHECK_S", 0.0)
    e = event(registry=registry)
    assert signature_problem(e, registry) is None
    registry.entry_path("matching").write_text('{"identity": "matching", "keys": []}')
    assert signature_problem(e, registry) is None  # dropped silently from the file: still pinned


def test_the_approval_signature_covers_the_officers(registry):
    from services.matching import signing

    approval = {"plan_id": "P1", "assignments": [{"officer_id": "A"}]}
    approval["signature"] = signing.sign(registry.signer("matching").key, approval)
    assert registry.approval_problem(approval) is None
    swapped = dict(approval, assignments=[{"officer_id": "B"}])
    assert "does not verify" in registry.approval_problem(swapped)
    assert registry.approval_problem(dict(approval, signature="!!")) == "the approval's signature is not base64"


def test_chain_links_accept_redelivery_and_any_order_but_not_a_fork(registry):
    first = event(registry=registry)
    second = event(seq=2, prev=first["hash"], registry=registry, chainid=first["chainid"])
    seen = {}
    for e in (second, first, second, first):  # out of order (partitions), then again (redelivery, re-publication)
        assert link_problem(e, seen) is None
        seen[e["seq"]] = (e["hash"], e["prevhash"])
    other = event(seq=2, prev=first["hash"], registry=registry, chainid=first["chainid"])
    assert "seq 2 was seen with another hash" in link_problem(other, seen)
    dangling = event(seq=3, prev="ab" * 32, registry=registry, chainid=first["chainid"])
    assert "prevhash is not the hash of seq 2" in link_problem(dangling, seen)
    before = event(seq=1, prev=GENESIS, registry=registry)
    assert "seq 2 links to another hash of seq 1" in link_problem(before, {2: seen[2]})


def _age_folder(path):
    """Give the entry's folder an mtime well in the past (as if its last rename was long ago)."""
    import os
    past = int(time.time()) // 3600 * 3600 - 3600  # the same instant however often it is called
    os.utime(path.parent, (past, past))


def test_a_revocation_by_another_process_is_seen_on_the_next_look(registry, tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "RECHECK_S", 0.0)
    e = event(registry=registry)
    verifier = keys.Registry(registry.root, readonly=True)  # another process's view of the same registry
    _age_folder(registry.entry_path("matching"))
    assert signature_problem(e, verifier) is None
    registry.revoke("matching", e["keyid"])  # written aside and renamed in: the folder changes
    assert "is not registered (or is revoked)" in signature_problem(e, verifier)


def test_entries_are_not_looked_at_one_by_one_while_their_folder_is_unchanged(registry, monkeypatch):
    monkeypatch.setattr(keys, "RECHECK_S", 0.0)
    e = event(registry=registry)
    verifier = keys.Registry(registry.root, readonly=True)
    path = registry.entry_path("matching")
    _age_folder(path)
    assert signature_problem(e, verifier) is None
    entry = json.loads(path.read_text())
    entry["keys"][0]["revoked"] = "2025-01-01T00:00:00+00:00"
    path.write_text(json.dumps(entry))  # edited in place: no rename, the folder's mtime does not move
    _age_folder(path)
    assert signature_problem(e, verifier) is None  # not looked at: the folder says nothing changed
    monkeypatch.setattr(keys, "FULL_RECHECK_S", 0.0)  # ... until the entry's own periodic look
    assert "is not registered (or is revoked)" in signature_problem(e, verifier)
