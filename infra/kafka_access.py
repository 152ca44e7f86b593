"""Who may do what on Apache Kafka, derived from contracts/topics.yaml (never written by hand).

Each service (and the twin, and the device gateway) is a SASL/SCRAM principal of its own name:
- it may WRITE the topics it produces, and `deadletter` (every consumer parks bad records there);
- it may READ the topics it consumes, and those it produces (the relay reads its last record back
  to notice a broker that lost its log);
- it may use consumer groups whose name starts with its own (`matching`, `matching.exercise.X`,
  `twin-<uuid>`).
The admin principal is a super user (it runs this setup); nobody else may create topics or ACLs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from services.common import contracts
from services.common.topics import DEADLETTER

ANY = "any"  # topics.yaml: a topic every principal may produce (the dead-letter topic)


@dataclass
class Access:
    principal: str
    write: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)

    @property
    def group_prefix(self) -> str:
        return self.principal


def access_by_principal(topics=None) -> dict[str, Access]:
    topics = contracts.topics() if topics is None else topics
    names = sorted({p for t in topics for p in (*_producers(t), *t.consumers)} - {ANY})
    access = {name: Access(name) for name in names}
    for t in topics:
        writers = names if ANY in _producers(t) else _producers(t)
        for name in writers:
            access[name].write.add(t.name)
            access[name].read.add(t.name)
        for name in t.consumers:
            access[name].read.add(t.name)
    for a in access.values():
        a.write.add(DEADLETTER)
    return access


def _producers(topic) -> tuple[str, ...]:
    return tuple(topic.producers or (topic.producer,))


def password_variable(principal: str) -> str:
    """The environment variable holding `principal`'s SCRAM password (KAFKA_PASSWORD_MATCHING ...)."""
    return f"KAFKA_PASSWORD_{principal.upper().replace('-', '_')}"


def acls(access: dict[str, Access]) -> list:
    """kafka-python ACL bindings: ALLOW per principal, per topic and operation, plus its group prefix."""
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType

    out = []
    for a in access.values():
        user = f"User:{a.principal}"
        for op, topics in ((ACLOperation.WRITE, a.write), (ACLOperation.READ, a.read)):
            for topic in sorted(topics):
                out.append(ACL(user, "*", op, ACLPermissionType.ALLOW, ResourcePattern(ResourceType.TOPIC, topic)))
        out.append(ACL(user, "*", ACLOperation.READ, ACLPermissionType.ALLOW,
                       ResourcePattern(ResourceType.GROUP, a.group_prefix, ACLResourcePatternType.PREFIXED)))
    return out
