"""Approval signatures: Ed25519 over the canonical digest, verifiable by anyone with the public key."""
from __future__ import annotations

import copy

from services.common import contracts
from services.matching import signing


def test_a_signed_approval_verifies_and_any_change_breaks_it(tmp_path):
    key = signing.load_or_create(tmp_path / "key.pem")
    approval = copy.deepcopy(contracts.example_event("plan.approved")["data"])
    approval["signature"] = signing.sign(key, approval)
    public = signing.public_key_b64(key)
    assert signing.verify(approval, public)
    assert not contracts.validate_event("plan.approved", dict(contracts.example_event("plan.approved"), data=approval))
    tampered = copy.deepcopy(approval)
    tampered["assignments"][0]["officer_id"] = "P-330782-99999"
    assert not signing.verify(tampered, public)
    other = signing.public_key_b64(signing.load_or_create(tmp_path / "other.pem"))
    assert not signing.verify(approval, other)


def test_the_key_is_kept_between_starts(tmp_path):
    first = signing.public_key_b64(signing.load_or_create(tmp_path / "k.pem"))
    assert signing.public_key_b64(signing.load_or_create(tmp_path / "k.pem")) == first
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
