"""Each service's /openapi.json as the ecosystem's own tools read it: openapi-spec-validator (OpenAPI
3.1), every '#/...' reference resolved against the document root, and the shared definitions
under components/schemas giving the same verdicts as the contracts in contracts/."""
from __future__ import annotations

import copy
import importlib

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from services.common import contracts
from services.common.auth import Identity, headers_for
from services.common.contracts.examples import example_body
from services.common.http import Route, openapi_document
from tests.helpers import offline_settings

SERVICES = ["demand", "resources", "matching", "logistics"]
DOC_URI = "urn:openapi"


@pytest.fixture(scope="module", params=SERVICES)
def served(request, tmp_path_factory):
    """(service, its /openapi.json as served)"""
    module = importlib.import_module(f"services.{request.param}.bootstrap")
    runtime = module.build_runtime(offline_settings(request.param, tmp_path_factory.mktemp(request.param)))
    doc = module.create_app(runtime).test_client().get(
        "/openapi.json", headers=headers_for(Identity("viewer", "viewer"))).get_json()
    yield request.param, doc
    runtime.engine.dispose()


def refs(node, out=None) -> list[str]:
    out = [] if out is None else out
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                out.append(v)
            else:
                refs(v, out)
    elif isinstance(node, list):
        for v in node:
            refs(v, out)
    return out


def pointer(doc: dict, ref: str):
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def validator_in(doc: dict, schema: dict) -> Draft202012Validator:
    """A validator of `schema` whose '#/...' references resolve in the OpenAPI document, as tools do."""
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": DOC_URI + schema["$ref"]} if "$ref" in schema else schema,
                                registry=registry, format_checker=contracts.FORMAT_CHECKER)


def test_the_served_document_passes_openapi_spec_validator(served):
    name, doc = served
    validate(doc)  # raises OpenAPIValidationError naming the first problem


def test_every_reference_resolves_against_the_document_root(served):
    _, doc = served
    found = refs(doc)
    assert found, "the document references its shared schemas"
    for ref in found:
        assert ref.startswith("#/components/schemas/"), ref
        pointer(doc, ref)  # KeyError when the target is missing
    assert "$defs" not in str(doc) and "$id" not in str(doc)


def test_every_request_body_is_a_named_component_that_accepts_its_example_and_refuses_a_broken_one(served):
    _, doc = served
    bodies = [(op["requestBody"]["content"]["application/json"], ops, m)
              for ops in doc["paths"].values() for m, op in ops.items() if "requestBody" in op]
    for content, _, _ in bodies:
        schema = content["schema"]
        name = schema["$ref"].removeprefix("#/components/schemas/")
        assert content["example"] == example_body(name)
        check = validator_in(doc, schema)
        assert check.is_valid(content["example"]), name
        assert not check.is_valid({**content["example"], "no_such_field": 1}), name
        assert not check.is_valid([]), name


def test_the_components_judge_like_the_contracts(served):
    """Each component of an HTTP contract accepts and refuses what contracts/ does."""
    _, doc = served
    for name in contracts.http_names():
        if name not in doc["components"]["schemas"]:
            continue
        check = validator_in(doc, {"$ref": f"#/components/schemas/{name}"})
        good = example_body(name)
        assert check.is_valid(good) and contracts.validate_body(name, good) == []
        if isinstance(good, dict) and good:
            for key in good:
                bad = copy.deepcopy(good)
                bad[key] = {"not": ["what the contract wants"]}
                assert check.is_valid(bad) == (contracts.validate_body(name, bad) == []), (name, key)


def embedded(node):
    """The document as it was generated before: each contract's bundled schema (own $id, '#/$defs/...')
    in place of its reference."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/components/schemas/"):
            return contracts.http_schema(ref.removeprefix("#/components/schemas/"))
        return {k: embedded(v) for k, v in node.items()}
    return node


def test_a_document_with_self_relative_defs_is_what_the_validator_refuses():
    """The check above can fail: the old embedding (bundled schemas with '#/$defs/...') is refused."""
    doc = openapi_document("demand", [Route("POST", "/incidents", "Report", body="incident-report", status=201)])
    validate(doc)
    doc["paths"] = embedded(doc["paths"])
    del doc["components"]["schemas"]
    with pytest.raises((OpenAPIValidationError, Unresolvable), match=r"\$defs"):
        validate(doc)


def test_two_contracts_reaching_one_definition_share_one_component():
    doc = openapi_document("t", [Route("POST", "/a", "A", body="incident-report"),
                                 Route("POST", "/b", "B", body="preposition")])
    schemas = doc["components"]["schemas"]
    assert "county" in schemas and not any(k.startswith("county_") for k in schemas)
    validate(doc)


def test_an_untyped_const_gets_the_type_its_value_implies_and_nothing_else_changes():
    from services.common.contracts.components import _typed_consts
    schema = {"properties": {"remove": {"const": True}, "const": {"type": "object"}, "n": {"const": 2},
                             "v": {"const": "1.0", "type": "string"}},
              "examples": [{"const": 1}], "items": {"anyOf": [{"const": None}, {"const": 1.5}]}}
    out = _typed_consts(schema)
    assert out["properties"] == {"remove": {"const": True, "type": "boolean"}, "const": {"type": "object"},
                                 "n": {"const": 2, "type": "integer"}, "v": {"const": "1.0", "type": "string"}}
    assert out["examples"] == [{"const": 1}]  # a value, not a schema
    assert out["items"] == {"anyOf": [{"const": None, "type": "null"}, {"const": 1.5, "type": "number"}]}
    assert schema["properties"]["remove"] == {"const": True}  # the contract itself is untouched


def test_every_const_in_the_served_document_has_a_type(served):
    name, doc = served

    def consts(node):
        if isinstance(node, dict):
            if "const" in node and not isinstance(node["const"], dict):
                yield node
            for k, v in node.items():
                if k not in ("example", "examples", "const", "enum", "default"):
                    yield from consts(v)
        elif isinstance(node, list):
            for v in node:
                yield from consts(v)

    found = list(consts(doc["components"]["schemas"]))
    assert found or name != "demand"  # demand's incident report has `remove: {const: true}`
    assert all("type" in c for c in found), [c for c in found if "type" not in c][:3]


def test_every_answer_the_document_describes_carries_an_example_its_schema_accepts(served):
    _, doc = served
    answers = [(path, method, status, media, content)
               for path, ops in doc["paths"].items() for method, op in ops.items()
               for status, response in op["responses"].items()
               for media, content in response.get("content", {}).items() if "$ref" in content["schema"]]
    assert any(status == "200" for _, _, status, _, _ in answers) and any(s == "403" for _, _, s, _, _ in answers)
    for path, method, status, media, content in answers:
        assert "example" in content, (path, method, status)
        assert validator_in(doc, content["schema"]).is_valid(content["example"]), (path, method, status, media)
        if media == "application/problem+json":
            assert content["example"]["status"] == int(status), (path, method, status)


def test_the_documented_refusals_are_what_a_service_answers(tmp_path):
    """resources' own refusals, one per status the document declares, equal its examples."""
    from services.common.http import PROBLEM_EXAMPLES
    from services.resources.bootstrap import build_runtime, create_app, seed_demo_if_empty
    runtime = build_runtime(offline_settings("resources", tmp_path))
    try:
        seed_demo_if_empty(runtime, officers_n=2000, seed=5)
        http = create_app(runtime).test_client()
        duty = headers_for(Identity("dy-duty", "county_duty_officer", "330783"))
        mine = "/officers/ZJ330783-00002"
        answers = {
            401: http.get(mine),
            403: http.get("/officers/ZJ330102-00001", headers=duty),
            400: http.patch(mine, data="x", headers={**duty, "Content-Type": "application/json"}),
            415: http.patch(mine, data="x", headers=duty, content_type="application/x-www-form-urlencoded"),
            422: http.patch(mine, json={"status": "flying"}, headers=duty),
        }
        assert set(answers) == set(PROBLEM_EXAMPLES)
        for status, answer in answers.items():
            assert answer.status_code == status and answer.mimetype == "application/problem+json", status
            assert answer.get_json() == PROBLEM_EXAMPLES[status], status
    finally:
        runtime.engine.dispose()


def test_every_answer_has_a_contract(served):
    """Whatever a route answers on success is described: JSON by a contract in contracts/http, anything else
    (/metrics, the report page, plotly.js) by its media type. A new route declares its answer
    (Api.route(response=...) or answers=...)."""
    name, doc = served
    without = {f"{method.upper()} {path}" for path, ops in doc["paths"].items() for method, op in ops.items()
               if not any("content" in response for status, response in op["responses"].items()
                          if status.startswith("2"))}
    assert without == set(), name


def test_an_answer_that_is_not_json_is_served_as_the_document_says(served, tmp_path):
    """/metrics (every service) and plotly.js: the media type the document declares is the one served."""
    import importlib
    name, doc = served
    declared = {path: next(iter(op["get"]["responses"]["200"]["content"]))
                for path, op in doc["paths"].items() if "get" in op and "{" not in path
                and "content" in op["get"]["responses"]["200"]
                and "application/json" not in op["get"]["responses"]["200"]["content"]}
    assert "/metrics" in declared and (name != "logistics" or "/static/plotly.min.js" in declared)
    module = importlib.import_module(f"services.{name}.bootstrap")
    runtime = module.build_runtime(offline_settings(name, tmp_path))
    try:
        client = module.create_app(runtime).test_client()
        for path, media in declared.items():
            answer = client.get(path, headers=headers_for(Identity("p", "province_commander")))
            assert answer.status_code == 200 and answer.mimetype == media, (path, answer.mimetype)
    finally:
        runtime.engine.dispose()
