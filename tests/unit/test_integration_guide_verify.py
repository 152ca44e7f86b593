"""The integration guide's check of an event before acting on it (docs/integration.md, `problem`), run as
written against the services' own events and against forged and altered ones: it accepts what the
services accept and refuses, with its reason, what they refuse."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from services.common import contracts
from services.common.envelope import GENESIS, event_hash, new_event, seal, signature_problem

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "integration.md").read_text(encoding="utf-8")


@pytest.fixture
def problem(registry, monkeypatch):
    """The guide's `problem`, reading the test's key registry (the guide's REGISTRY line pointed at it)."""
    monkeypatch.chdir(ROOT)   # the guide reads contracts/topics.yaml from the repository's root
    [snippet] = [s for s in re.findall(r"```python\n(.*?)```", GUIDE, re.S) if "def problem(" in s]
    namespace: dict = {}
    exec(snippet.replace('Path("var/keys/registry")', f'Path({str(registry.entry_path("demand").parent)!r})'),  # noqa: S102
         namespace)
    return namespace["problem"]


def event_of(registry, identity: str, topic: str, seq: int = 1, prevhash: str = GENESIS, chainid=None):
    data = copy.deepcopy(contracts.example_event(topic)["data"])
    event = new_event(topic=topic, source=f"/mutual-deploy/{identity}", data=data, subject="s", correlationid="c")
    return seal(event, seq=seq, prevhash=prevhash, signer=registry.signer(identity), chainid=chainid)


def test_the_services_own_events_pass_and_follow_one_another(registry, problem):
    first = event_of(registry, "demand", "incident.reported")
    second = event_of(registry, "demand", "support.requested", 2, first["hash"], first["chainid"])
    assert signature_problem(second, registry) is None      # what the services' consumers accept
    assert problem(first) is None and problem(second, previous=first) is None
    stray = event_of(registry, "demand", "support.requested", 2, "f" * 64, first["chainid"])
    assert problem(stray) is None                            # on its own, signed and whole
    assert problem(stray, previous=first) == "it does not follow the producer's previous event"


def test_forged_and_altered_events_are_refused_with_the_reason(registry, problem):
    good = event_of(registry, "demand", "incident.reported")
    altered = copy.deepcopy(good)
    altered["data"]["size"]["people_involved"] = 5000
    assert problem(altered) == "the hash does not match the event"
    rehashed = copy.deepcopy(altered)                        # the forger recomputes the hash, not the signature
    unhashed = {k: v for k, v in rehashed.items() if k != "hash"}
    rehashed["hash"] = event_hash(unhashed)
    assert problem(rehashed) == "the signature does not verify"
    unsigned = seal(new_event(topic="incident.reported", source="/mutual-deploy/demand", data=good["data"],
                              subject="s", correlationid="c"), seq=1, prevhash=GENESIS)
    assert problem(unsigned) == "key None is not a registered, unrevoked key of demand"
    assert problem(dict(good, source="/mutual-deploy/demand/relay")).startswith("source ")
    assert problem(dict(good, source="/mutual-deploy/../../etc")).startswith("source ")
    ghost = event_of(registry, "integrators/cad-999", "incident.reported")
    registry.entry_path("integrators/cad-999").unlink()   # an identity the operators never registered
    assert problem(ghost) == f"key {ghost['keyid']} is not a registered, unrevoked key of integrators/cad-999"
    revoked = event_of(registry, "integrators/cad-110", "incident.reported")
    assert problem(revoked) is None
    registry.revoke("integrators/cad-110", revoked["keyid"])
    assert problem(revoked) == f"key {revoked['keyid']} is not a registered, unrevoked key of integrators/cad-110"


def test_a_producer_may_sign_only_the_topics_it_owns(registry, problem):
    order = event_of(registry, "integrators/cad-110", "dispatch.ordered")
    assert problem(order) == "integrators/cad-110 does not publish dispatch.ordered"
    assert problem(event_of(registry, "integrators/cad-110", "incident.reported")) is None
