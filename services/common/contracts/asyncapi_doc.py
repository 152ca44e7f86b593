"""The AsyncAPI 3.0 document of all topics, generated from topics.yaml and the contract schemas.

Each message's payload is a reference to its whole event under components/schemas, where every
definition the contracts reach is held once (see `components`), so AsyncAPI tools resolve them."""
from __future__ import annotations

import copy
import re
from typing import Any

import yaml

from .bundling import _bundled_event
from .components import ComponentSchemas
from .examples import example_event
from .loading import Topic, _schema, _topics, event_schema_uri

SERVERS = {
    "local": ("127.0.0.1:19092", "The embedded Tansu broker (Kafka protocol), started by infra/"),
    "production": ("kafka:9092", "Apache Kafka (KRaft) in docker-compose"),
}
KAFKA_BINDING_VERSION = "0.5.0"


def _key_schema(t: Topic) -> dict:
    bundled = _bundled_event(t.name)
    field = bundled["properties"]["data"]["properties"][t.key]
    while "$ref" in field:
        field = {**bundled["$defs"][field["$ref"].rsplit("/", 1)[-1]],
                 **{k: v for k, v in field.items() if k != "$ref"}}
    out = {"type": "string", "description": f"Record key: the event's data.{t.key}"}
    if "pattern" in field:
        out["pattern"] = field["pattern"]
    return out


def _channel(t: Topic, schemas: ComponentSchemas) -> dict:
    message = {
        "name": t.name,
        "title": _schema(event_schema_uri(t.name), "event").get("title", t.name),
        "summary": t.description.split(". ")[0].rstrip(".") + ".",
        "contentType": "application/cloudevents+json",
        "payload": schemas.event(t.name),
        "bindings": {"kafka": {"key": _key_schema(t), "bindingVersion": KAFKA_BINDING_VERSION}},
        "examples": [{"name": "example", "summary": f"An example {t.name} event",
                      "payload": example_event(t.name)}],
    }
    if t.edxl_rm:
        message["x-edxl-rm"] = t.edxl_rm
    return {
        "address": t.name,
        "title": t.name,
        "description": t.description,
        "messages": {t.name: message},
        "bindings": {"kafka": {
            "topic": t.name,
            "partitions": t.partitions,
            "topicConfiguration": {"cleanup.policy": ["delete"], "retention.ms": t.retention_ms},
            "bindingVersion": KAFKA_BINDING_VERSION,
        }},
    }


def _operations(t: Topic) -> dict:
    refs = {"channel": {"$ref": f"#/channels/{t.name}"},
            "messages": [{"$ref": f"#/channels/{t.name}/messages/{t.name}"}]}
    out = {f"{producer}.send.{t.name}": {
        "action": "send", "title": f"{producer} publishes {t.name}", **copy.deepcopy(refs)}
        for producer in t.producers or (t.producer,)}
    for consumer in t.consumers:
        group = {
            "type": "string",
            "description": f"{consumer} live; {consumer}.exercise.<exerciseid> in an exercise",
            "pattern": f"^{re.escape(consumer)}(\\.exercise\\.[A-Za-z0-9._:-]+)?$",
        }
        if consumer == "integrators":   # one group per system: a shared one would split the records among them
            group = {
                "type": "string",
                "description": "each system its own group, e.g. integrators.<system> (integrators.city-dispatch): "
                               "systems sharing a group would share out the records, each reading only some",
                "pattern": "^integrators\\.[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
            }
        out[f"{consumer}.receive.{t.name}"] = {
            "action": "receive", "title": f"{consumer} consumes {t.name}", **copy.deepcopy(refs),
            "bindings": {"kafka": {"groupId": group, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    return out


def asyncapi() -> dict:
    """The AsyncAPI 3.0 document of all topics, generated from topics.yaml and the schemas."""
    operations: dict[str, Any] = {}
    for t in _topics():
        operations.update(_operations(t))
    schemas = ComponentSchemas()  # shared definitions, referenced as #/components/schemas/...
    channels = {t.name: _channel(t, schemas) for t in _topics()}
    return {
        "asyncapi": "3.0.0",
        "id": "urn:mutual-deploy:contracts",
        "info": {
            "title": "Mutual deployment of on-duty police: event contracts",
            "version": "1.0.0",
            "description": (
                "Every Kafka topic of the system. Each record value is a CloudEvents 1.0 event in "
                "structured JSON whose `type` is the topic name and whose `data` is the topic's "
                "payload. Generated from contracts/ by `python -m services.common.contracts "
                "asyncapi`; do not edit by hand."),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "defaultContentType": "application/cloudevents+json",
        "servers": {
            name: {"host": host, "protocol": "kafka", "description": text}
            for name, (host, text) in SERVERS.items()
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas.schemas()},
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def asyncapi_yaml() -> str:
    """asyncapi() as the YAML text checked in as contracts/asyncapi.yaml."""
    header = "# Generated by: python -m services.common.contracts asyncapi > contracts/asyncapi.yaml\n"
    return header + yaml.dump(asyncapi(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)

