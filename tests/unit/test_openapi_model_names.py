"""The OpenAPI documents' components as code generators read them (contracts.model_titles): a distinct
model name for each, taken from its title, and a component that only names another given as a copy."""
from __future__ import annotations

import pytest

from services.common.contracts import model_titles

PAYLOAD = {"title": "Deployment extended", "type": "object", "properties": {"until": {"type": "string"}}}


def test_a_route_title_becomes_the_components_name_and_a_payload_is_named_as_one():
    out = model_titles({
        "extension-request": {"title": "Extension request (POST /deployments/{deployment_id}/extension)",
                              "type": "object"},
        "deployment.extended": PAYLOAD,
        "incident": {"title": "Incident", "type": "object"},
        "assessment": {"title": "Incident assessment", "type": "object"},
        "county_2": {"type": "object"}})
    assert {k: v.get("title") for k, v in out.items()} == {
        "extension-request": "ExtensionRequest", "deployment.extended": "DeploymentExtendedPayload",
        "incident": "Incident", "assessment": "Incident assessment", "county_2": None}


def test_a_component_that_only_names_another_is_given_as_a_copy_under_its_own_title():
    alias = {"$ref": "#/components/schemas/deployment.extended", "title": "DeploymentExtended",
             "description": "The answer to POST .../extension/approve"}
    out = model_titles({"deployment.extended": PAYLOAD, "deployment-extended": alias})
    assert out["deployment-extended"] == {**PAYLOAD, "title": "DeploymentExtended",
                                          "description": "The answer to POST .../extension/approve"}
    assert out["deployment.extended"]["title"] == "DeploymentExtendedPayload"


def test_two_components_a_generator_would_name_alike_are_refused():
    with pytest.raises(ValueError, match="instruction-recorded"):
        model_titles({"instruction-recorded": {"title": "InstructionRecorded", "type": "object"},
                      "instruction_recorded": {"type": "object"}})
