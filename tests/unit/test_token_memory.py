"""A token verified once is answered again from memory only while nothing would refuse it now: it
expires on time, and a key dropped from the keyring or revoked in the registry refuses it at once."""
from __future__ import annotations

import time

import jwt
import pytest

from services.common.tokens import InvalidToken, Keyring, service_token

ISSUER = Keyring.generate("m1")
SERVICE = ISSUER.public_only().for_audience("demand")


def test_a_remembered_token_still_expires_on_time():
    # expiry is in whole seconds from a whole-second `iat`: a ttl of 1 can be spent before the first check
    token = ISSUER.mint("a", "viewer", "330000", ttl_s=3)
    assert SERVICE.verify(token).subject == "a"
    assert SERVICE.verify(token).subject == "a"  # from memory
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(InvalidToken, match="expired"):
        SERVICE.verify(token)


def test_a_remembered_token_is_refused_once_its_key_leaves_the_keyring():
    token = ISSUER.mint("a", "viewer", "330000")
    assert SERVICE.verify(token).subject == "a"
    rotated = Keyring.generate("m1").public_only().for_audience("demand")  # same key id, another key
    with pytest.raises(InvalidToken):
        rotated.verify(token)
    other = Keyring.generate("m2").public_only().for_audience("demand")  # the key id is gone
    with pytest.raises(InvalidToken, match="unknown key id"):
        other.verify(token)
    assert SERVICE.verify(token).subject == "a"


def test_a_remembered_service_token_is_refused_once_its_key_is_revoked(tmp_path, monkeypatch):
    from services.common import keys
    monkeypatch.setenv("KEYS_DIR", str(tmp_path / "keys"))
    keys.reset()
    try:
        token = service_token("matching", audience="demand")
        assert SERVICE.verify(token).subject == "service:matching"
        assert SERVICE.verify(token).subject == "service:matching"
        keys.registry().revoke("matching", keys.registry().signer("matching").keyid)
        with pytest.raises(InvalidToken, match="revoked|unknown key id"):
            SERVICE.verify(token)
    finally:
        keys.reset()


def test_the_audience_is_part_of_what_is_remembered():
    token = ISSUER.mint("a", "viewer", "330000", audience="logistics")
    assert ISSUER.verify(token, "logistics").subject == "a"
    with pytest.raises(InvalidToken, match="not addressed to 'demand'"):
        SERVICE.verify(token)
