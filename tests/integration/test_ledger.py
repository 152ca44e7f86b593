"""The hash-chained ledger (each producer's outbox) on SQLite and PostgreSQL: altering, rewriting,
deleting or reordering any stored record is reported at exactly that record, over the auditor's
API and by the command."""
from __future__ import annotations

import copy

import pytest
from flask import Flask
from sqlalchemy import delete, select, update

from services.common import contracts, ledger
from services.common.auth import Identity, headers_for
from services.common.envelope import event_hash
from services.common.runtime import Runtime
from services.common.storage import chain_head, outbox

pytestmark = pytest.mark.integration
N = 6
AUDITOR = headers_for(Identity("zj-audit", "auditor"))


@pytest.fixture
def producer(make_settings, database_url):
    runtime = Runtime.build(make_settings(database_url=database_url))
    data = contracts.example_event("incident.reported")["data"]
    for i in range(N):
        with runtime.outbox.transaction() as tx:
            tx.emit("incident.reported", dict(data, incident_id=f"INC-L{i}"), key=f"INC-L{i}")
    yield runtime
    runtime.stop()


def event_at(runtime, seq: int) -> dict:
    with runtime.engine.connect() as conn:
        return ledger._as_dict(conn.execute(select(outbox.c.event).where(outbox.c.seq == seq)).scalar_one())


def store(runtime, seq: int, event: dict, *, rehash: bool = False) -> None:
    if rehash:
        event = dict(event, hash=event_hash(event))
    with runtime.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.seq == seq).values(event=event, hash=event["hash"]))


def problems(runtime) -> list[tuple[int, str]]:
    report = ledger.report(runtime.engine, "t", runtime.settings.source)
    assert report["intact"] == (not report["problems"]) and report["records"] >= N - 1
    return [(p["seq"], p["reason"].split(":")[0]) for p in report["problems"]]


def test_an_untouched_ledger_verifies(producer):
    assert problems(producer) == []


@pytest.mark.parametrize("seq", range(1, N + 1))
def test_an_altered_record_is_reported_at_that_record(producer, seq):
    event = copy.deepcopy(event_at(producer, seq))
    event["data"]["description"] = "nothing happened here"
    store(producer, seq, event)
    assert problems(producer) == [(seq, "altered")]


@pytest.mark.parametrize("seq", range(1, N + 1))
def test_a_record_rewritten_with_a_fresh_hash_is_reported_at_that_record(producer, seq):
    event = copy.deepcopy(event_at(producer, seq))
    event["data"]["size"] = {"people": 3}
    store(producer, seq, event, rehash=True)
    assert problems(producer) == [(seq, "rewritten")]


@pytest.mark.parametrize("seq", range(1, N + 1))
def test_a_deleted_record_is_reported_at_its_seq(producer, seq):
    with producer.engine.begin() as conn:
        conn.execute(delete(outbox).where(outbox.c.seq == seq))
    assert problems(producer) == [(seq, "missing")]


@pytest.mark.parametrize("seq", range(1, N))
def test_two_swapped_records_are_reported_at_both(producer, seq):
    with producer.engine.begin() as conn:
        conn.execute(update(outbox).where(outbox.c.seq == seq).values(seq=-1))
        conn.execute(update(outbox).where(outbox.c.seq == seq + 1).values(seq=seq))
        conn.execute(update(outbox).where(outbox.c.seq == -1).values(seq=seq + 1))
    assert problems(producer) == [(seq, "holds the event of seq " + str(seq + 1)),
                                  (seq + 1, "holds the event of seq " + str(seq))]


def test_the_auditor_verifies_over_the_api_and_nobody_else_may(producer):
    app = producer.install(Flask("demand"), [])
    client = app.test_client()
    assert client.get("/audit/ledger", headers=AUDITOR).get_json()["intact"] is True
    store(producer, 3, dict(event_at(producer, 3), subject="INC-forged"))
    body = client.get("/audit/ledger", headers=AUDITOR).get_json()
    assert contracts.validate_body("ledger-report", body) == []
    assert (body["intact"], body["records"], body["head"]["seq"]) == (False, N, N)
    assert body["problems"] == [{"seq": 3, "reason": "altered: the content no longer matches its hash"}]
    commander = headers_for(Identity("zj-commander", "province_commander"))
    assert client.get("/audit/ledger", headers=commander).status_code == 403


def test_the_command_verifies_each_service_and_fails_on_a_broken_ledger(producer, monkeypatch, capsys):
    settings = producer.settings
    monkeypatch.setenv(f"{settings.service.upper()}_DATABASE_URL", settings.database_url)
    assert ledger.main(["verify", settings.service]) == 0
    assert f"{settings.service}: {N} records, intact" in capsys.readouterr().out
    with producer.engine.begin() as conn:
        conn.execute(update(chain_head).where(chain_head.c.producer == settings.source).values(seq=N + 1))
    assert ledger.main(["verify", settings.service]) == 1
    assert f"seq {N + 1}: missing" in capsys.readouterr().out


def test_a_producer_check_reports_an_intact_but_refused_record_at_that_record(producer):
    """e.g. matching's check of each approval's signature: the chain holds, the record does not."""
    def no_forged(event):
        return "forged incident" if event["data"]["incident_id"] == "INC-L2" else None
    report = ledger.report(producer.engine, "t", producer.settings.source, no_forged)
    assert report["problems"] == [{"seq": 3, "reason": "refused: forged incident"}]
