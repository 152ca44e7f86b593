"""Events carry their producer's identity (the envelope `source`); a consumer dead-letters, with the
reason, an event on a topic its source does not own (topics.yaml `producer`)."""
from __future__ import annotations

import copy

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select

from services.common import contracts
from services.common.runtime import Runtime
from services.common.storage import deadletters
from services.common.topics import ownership_problem
from tests.helpers import wait_for
from tests.integration.test_kit import signed_approval

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("topic, source, owned", [
    ("plan.approved", "/mutual-deploy/matching", True),
    ("plan.approved", "/mutual-deploy/logistics", False),
    ("plan.approved", "/mutual-deploy/matching-evil", False),
    ("plan.approved", "/elsewhere/matching", False),
    ("plan.approved", None, False),
    ("incident.reported", "/mutual-deploy/demand", True),
    ("incident.reported", "/mutual-deploy/integrators/gongan-110", True),
    ("unit.position-reported", "/mutual-deploy/devices/radio-0042", True),
    ("unit.position-reported", "/mutual-deploy/twin", True),
    ("unit.position-reported", "/mutual-deploy/twin/5f3a", False),        # no sub-sources of a service
    ("plan.approved", "/mutual-deploy/matching/relay-2", False),
    ("plan.approved", "/mutual-deploy/matching/", False),
    ("incident.reported", "/mutual-deploy/integrators/gongan-110/x", False),
    ("incident.reported", "/mutual-deploy/integrators/", False),
    ("unit.position-reported", "/mutual-deploy/resources", False),
    ("deadletter", "/mutual-deploy/resources", True),
])
def test_a_topic_is_owned_by_the_producers_topics_yaml_names(topic, source, owned):
    problem = ownership_problem(topic, source)
    assert (problem is None) == owned
    if not owned:
        assert f"does not produce {topic}" in problem and "producers:" in problem


def consumer_of_approvals(settings):
    md = MetaData()
    handled = Table("handled", md, Column("n", Integer, primary_key=True), Column("plan_id", String(64)))

    def handle(ctx):
        ctx.conn.execute(insert(handled).values(plan_id=ctx.data["plan_id"]))

    runtime = Runtime.build(settings, metadata=md, handlers={"plan.approved": handle})
    runtime.handled = handled
    return runtime


def test_an_approval_from_a_service_that_does_not_own_the_topic_is_dead_lettered(make_settings):
    consumer = consumer_of_approvals(make_settings()).start()
    matching = Runtime.build(make_settings(acts_as="matching")).start()
    impostor = Runtime.build(make_settings(acts_as="logistics")).start()
    data = copy.deepcopy(contracts.example_event("plan.approved")["data"])
    try:
        for runtime, plan_id in ((impostor, "PLAN-FORGED-1"), (matching, "PLAN-REAL-1")):
            with runtime.outbox.transaction() as tx:
                tx.emit("plan.approved", signed_approval(dict(data, plan_id=plan_id)), key=data["request_id"])

        def handled():
            with consumer.engine.connect() as conn:
                return [r.plan_id for r in conn.execute(select(consumer.handled.c.plan_id))]
        wait_for(lambda: "PLAN-REAL-1" in handled(), 60, "the genuine approval")
        wait_for(lambda: consumer.worker.stats["deadlettered"] >= 1, 30, "the forged approval dead-lettered")
        assert "PLAN-FORGED-1" not in handled()  # the broker is shared: other tests' approvals may show up
        with consumer.engine.connect() as conn:
            reasons = [r.reason for r in conn.execute(select(deadletters.c.reason))]
        assert "refused: source '/mutual-deploy/logistics' does not produce plan.approved (producers: matching)" in reasons
    finally:
        for runtime in (impostor, matching, consumer):
            runtime.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.10.5", "broker.example"])
def test_the_embedded_broker_refuses_to_listen_beyond_loopback(tmp_path, host):
    from infra import broker as embedded
    with pytest.raises(embedded.BrokerError, match="loopback only"):
        embedded.start(1, tmp_path, host=host)
    assert not (tmp_path / "schema-registry").exists()  # refused before anything was started


def test_the_test_broker_listens_on_loopback_alone(broker):
    listening = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                if state == "0A" and int(local.rsplit(":", 1)[1], 16) == broker.port:
                    listening.append(local.rsplit(":", 1)[0])
    assert listening == ["0100007F"]  # 127.0.0.1, and on no other address
