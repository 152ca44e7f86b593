"""contracts/asyncapi.yaml as integrators' tools read it: the AsyncAPI Initiative's parser
(@asyncapi/parser, installed into infra/asyncapi by infra/system-deps.sh) reports no error, and each
message's payload schema, resolved inside the document itself, judges events as contracts/ does."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from services.common import contracts
from services.common.config import CONTRACTS

CHECKER = Path(__file__).resolve().parents[2] / "infra" / "asyncapi"
DOC_URI = "urn:asyncapi"


def parse(path: Path) -> dict:
    """The parser's verdict on the file at `path`: {"parsed": bool, "diagnostics": [...]}."""
    if shutil.which("node") is None or not (CHECKER / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.skip("needs node and the AsyncAPI parser (make system-deps: npm ci in infra/asyncapi)")
    done = subprocess.run(["node", str(CHECKER / "check.mjs"), str(path), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)


def errors(verdict: dict) -> list[str]:
    return [f"{d['code']} /{d['path']}: {d['message']}" for d in verdict["diagnostics"] if d["severity"] == "error"]


@pytest.fixture(scope="module")
def document() -> dict:
    return yaml.safe_load((CONTRACTS / "asyncapi.yaml").read_text(encoding="utf-8"))


def payload_validator(doc: dict, topic: str) -> Draft202012Validator:
    """The message payload of `topic`'s channel, every '#/...' resolved against the AsyncAPI document."""
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    pointer = f"#/channels/{topic}/messages/{topic}/payload"
    return Draft202012Validator({"$ref": DOC_URI + pointer}, registry=registry,
                                format_checker=contracts.FORMAT_CHECKER)


def test_the_asyncapi_parser_reports_no_error_on_the_checked_in_document():
    verdict = parse(CONTRACTS / "asyncapi.yaml")
    assert verdict["parsed"] and errors(verdict) == []


def test_the_parser_refuses_payloads_with_self_relative_defs(tmp_path):
    """The check can fail: the document as it was generated before (each payload a bundled schema
    with '#/$defs/...' relative to its own $id) is refused with invalid-ref errors."""
    doc = contracts.asyncapi()
    for t in contracts.topics():
        doc["channels"][t.name]["messages"][t.name]["payload"] = contracts.bundled_event_schema(t.name)
    del doc["components"]
    path = tmp_path / "asyncapi.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    found = errors(parse(path))
    assert found and all(e.startswith("invalid-ref") for e in found), found[:3]


def test_every_reference_points_into_the_document(document):
    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "$ref":
                    yield v
                else:
                    yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    found = list(walk(document))
    assert any(r.startswith("#/components/schemas/") for r in found)
    for ref in found:
        node = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]  # KeyError: a reference to nowhere


@pytest.mark.parametrize("topic", [t.name for t in contracts.topics()])
def test_each_example_validates_with_the_payload_schema_the_document_gives(document, topic):
    check = payload_validator(document, topic)
    (message,) = document["channels"][topic]["messages"].values()
    for example in [contracts.example_event(topic)] + [e["payload"] for e in message["examples"]]:
        assert list(check.iter_errors(example)) == [], topic
    key = contracts.topic(topic).key
    for broken in ({**contracts.example_event(topic), "type": "some.other-topic"},
                   {k: v for k, v in contracts.example_event(topic).items() if k != "data"}):
        assert not check.is_valid(broken)
    missing_key = copy.deepcopy(contracts.example_event(topic))
    del missing_key["data"][key]
    assert not check.is_valid(missing_key) and contracts.validate_event(topic, missing_key) != []


@pytest.mark.parametrize("topic", [t.name for t in contracts.topics()])
def test_the_documents_payload_judges_each_data_field_as_the_contracts_do(document, topic):
    check = payload_validator(document, topic)
    good = contracts.example_event(topic)
    for field in good["data"]:
        for replacement in (None, "", -1, {"x": 1}):
            bad = copy.deepcopy(good)
            bad["data"][field] = replacement
            assert check.is_valid(bad) == (contracts.validate_event(topic, bad) == []), (field, replacement)
