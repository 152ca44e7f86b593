"""The contracts in `contracts/` as Python: topics, validation, bundled schemas, AsyncAPI.

`contracts/` is the single source of truth for every Kafka message and HTTP body:

- `topics.yaml`                      the topics (key, partitions, retention, producer, consumers)
- `envelope.schema.json`             the CloudEvents 1.0 envelope every record value is wrapped in
- `defs.schema.json`                 shared definitions
- `events/<topic>.schema.json`       the payload (`data`) of each topic, with an example envelope
- `http/<name>.schema.json`          HTTP bodies, each with an example

Validation uses jsonschema's Draft202012Validator over a `referencing.Registry` that holds every
contract schema, with date-time formats checked. Each topic's validator is compiled once from the
bundled schema (envelope with `data` = the topic's payload). A jsonschema pass over an event
costs milliseconds, too slow for every publish and consume, so every validator also gets a
compiled fast check of the same schema (`fastcheck`, tens of microseconds): an event it accepts
is valid; only an event it rejects is walked by jsonschema, which names the failing fields. The
unit tests hold the two to the same verdict.

Modules: `loading` (topics.yaml, schema files, registry), `bundling` (self-contained schemas, the
broker's registry files), `formats` (date-time, JSON equality), `fastcheck` (the compiled check),
`validation` (validate_event, validate_body, Issue), `examples` (example instances, hash chain),
`components` (the contracts as one document's `components/schemas`, for OpenAPI and AsyncAPI),
`asyncapi_doc` (the AsyncAPI document), `catalogue_html` (that document as one HTML page), `compat`
(every payload's x-version and the compatibility check against the previous release in
`contracts/releases/`) and `cli` (the command line).

Command line:
    python -m services.common.contracts asyncapi > contracts/asyncapi.yaml
    python -m services.common.contracts html contracts/asyncapi.yaml > contracts/asyncapi.html
    python -m services.common.contracts compat [--mode BACKWARD|FORWARD|FULL]   # against the last release
    python -m services.common.contracts release VERSION   # snapshot the event contracts as a release
    python -m services.common.contracts registry DIR      # schema files for the embedded broker
    python -m services.common.contracts rehash-examples   # re-chain the example envelopes
    python -m services.common.contracts bench             # validations per second
"""
from __future__ import annotations

from .asyncapi_doc import KAFKA_BINDING_VERSION, SERVERS, asyncapi, asyncapi_yaml
from .bundling import bundled_event_schema, http_schema, write_broker_registry
from .cli import main
from .components import ComponentSchemas, model_titles
from .examples import (
                      GENESIS_HASH,
                      canonical_json,
                      event_hash,
                      example_body,
                      example_event,
                      format_json,
                      rehash_examples,
)
from .formats import FORMAT_CHECKER
from .loading import (
                      BASE_URI,
                      DEFS_URI,
                      DIALECT,
                      ENVELOPE_URI,
                      MODULES,
                      Topic,
                      defined,
                      event_schema_uri,
                      http_names,
                      http_schema_uri,
                      registry,
                      topic,
                      topics,
)
from .validation import Issue, validate_body, validate_event

__all__ = [
    "BASE_URI", "ComponentSchemas", "model_titles", "DEFS_URI", "DIALECT", "ENVELOPE_URI", "FORMAT_CHECKER", "MODULES", "defined", "GENESIS_HASH", "KAFKA_BINDING_VERSION",
    "SERVERS", "Issue", "Topic", "asyncapi", "asyncapi_yaml", "bundled_event_schema", "canonical_json",
    "event_hash", "event_schema_uri", "example_body", "example_event", "format_json", "http_names",
    "http_schema", "http_schema_uri", "main", "registry", "rehash_examples", "topic", "topics",
    "validate_body", "validate_event", "write_broker_registry",
]
